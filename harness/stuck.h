/* Stuck: every process a case started waits, with no time limit, for
   something only the probe could give it. Such a program never acts again
   on its own, so a wait for it to exit or to listen can end at once, with
   the same verdict its deadline would have given, instead of at the
   deadline. The judgement errs towards "not stuck": on any doubt the caller
   waits out its deadline as before. */
#ifndef STUCK_H
#define STUCK_H

#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"
#include "proc.h"

/* 1 when every descendant of the probe is asleep in a system call that waits
   without a time limit (accept, read, pause, wait4, poll with no timeout, ...)
   or is a zombie or stopped, none of them has a timer (timer_create, timerfd)
   or a receive timeout on the socket it waits on, and none ran between two
   looks at all of them. what gets a description of the call process about
   waits in (or, when it has ended, the first that waits), e.g. "accept() on
   a network socket". quiet_net: the caller knows no packet is on its way to
   the programs (the probe has sent them nothing); without it, a wait on a
   network socket, or in poll/select/epoll (whose sockets are not known), is
   not judged endless, since a packet may still be in the kernel's queues. */
int processes_stuck(int quiet_net, pid_t about, char *what, size_t len);

/* Waits until cond(arg) holds, asking it after every event on fd (when fd
   >= 0) and at least every tick_ms, or the deadline passes, or (c given) the
   case's processes are stuck (processes_stuck(quiet_net), what filled): then
   the program will never act again, so cond is asked once more, as it may
   have acted just before it fell asleep, and that answer is final.
   1 cond held, 0 deadline, -1 stuck. */
int wait_until_or_stuck(int (*cond)(void *), void *arg, int fd, int tick_ms, struct deadline dl,
			struct child *c, int quiet_net, char *what, size_t len);

#endif
