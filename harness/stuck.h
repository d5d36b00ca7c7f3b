/* Stuck: every thread of every process a case started waits, with no time
   limit, for something only the probe could give it, and nothing is on its
   way to any of them. The probe does nothing while it waits, so such a
   program never acts again before the wait's deadline: any wait for it (to
   exit, to listen, to send bytes, to close a connection) can end at once,
   with the same verdict its deadline would have given. The judgement errs
   towards "not stuck": on any doubt the caller waits out its deadline. */
#ifndef STUCK_H
#define STUCK_H

#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"
#include "proc.h"

/* 1 when every thread of every descendant of the probe is asleep in a system
   call that waits without a time limit (accept, read, pause, wait4, poll with
   no timeout, a futex or semop with no timeout, ...) or is a zombie or
   stopped; no process has a timer (timer_create, timerfd) or a receive
   timeout on the socket it waits on; nothing is in flight on any TCP socket
   of the processes or of the probe (socket_quiet: no handshake under way, no
   byte or FIN unacknowledged, no reset pending), and no datagram socket is
   waited on; and none ran between two looks at all of them. what gets a
   description of the call process about waits in (or, when it has ended,
   the first that waits), e.g. "accept() on a network socket". */
int processes_stuck(pid_t about, char *what, size_t len);

/* Waits until cond(arg) holds, asking it after every event on fd (when fd
   >= 0) and at least every tick_ms, or the deadline passes, or (c given) the
   case's processes are stuck (processes_stuck, what filled): then the program
   will never act again, so cond is asked once more, as it may have acted
   just before it fell asleep, and that answer is final.
   1 cond held, 0 deadline, -1 stuck. */
int wait_until_or_stuck(int (*cond)(void *), void *arg, int fd, int tick_ms, struct deadline dl,
			struct child *c, char *what, size_t len);

#endif
