/* Stuck: is every thread of the case waiting for ever? See stuck.h. */
#define _GNU_SOURCE
#include "stuck.h"

#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net.h"

static int is_timerfd(pid_t pid, int fd, const char *target, void *arg)
{
	(void)pid, (void)fd, (void)arg;
	return strcmp(target, "anon_inode:[timerfd]") == 0;
}

/* 1 when process tgid has no timer that could wake it: no POSIX timer and no
   timerfd. alarm() and setitimer() leave no trace in /proc: a limit of this
   judgement, written down in docs/DESIGN.md. */
static int timerless(pid_t tgid)
{
	char path[64], buf[64];
	snprintf(path, sizeof path, "/proc/%d/timers", (int)tgid);
	proc_look_begin(tgid);
	int unknown = access(path, F_OK) < 0 || read_proc_file(path, buf, sizeof buf) > 0;
	proc_look_end();
	if (unknown)
		return 0; /* unknown, or a timer */
	return for_each_fd(tgid, is_timerfd, NULL) == 0;
}

/* 1 when a read or accept on descriptor fd of tgid waits for ever: a pipe or
   the like, a Unix socket, or a TCP socket, with no receive timeout (whether
   something is on its way to it is asked of every socket at once, below). The
   descriptor is borrowed through pidfd_getfd to ask. */
static int fd_endless(pid_t tgid, int fd, char *kind, size_t len)
{
	int dup = borrow_fd(tgid, fd);
	if (dup < 0)
		return 0;
	struct stat st;
	int endless = 0;
	if (fstat(dup, &st) == 0) {
		if (S_ISSOCK(st.st_mode)) {
			struct timeval tv = { 0, 0 };
			socklen_t tl = sizeof tv;
			int domain = -1, type = -1;
			socklen_t dl = sizeof domain, yl = sizeof type;
			if (getsockopt(dup, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl) == 0 && !tv.tv_sec && !tv.tv_usec &&
			    getsockopt(dup, SOL_SOCKET, SO_DOMAIN, &domain, &dl) == 0 &&
			    getsockopt(dup, SOL_SOCKET, SO_TYPE, &type, &yl) == 0)
				endless = domain == AF_UNIX || type == SOCK_STREAM;
			snprintf(kind, len, " on a %s socket", domain == AF_UNIX ? "Unix" : "network");
		} else if (S_ISFIFO(st.st_mode)) {
			endless = 1;
			snprintf(kind, len, " on %s", fd == 0 ? "standard input" : "a pipe");
		} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			char target[128];
			endless = fd_target(tgid, fd, target, sizeof target) == 0 && !is_timerfd(tgid, fd, target, NULL);
			kind[0] = '\0';
		}
	}
	close(dup);
	return endless;
}

/* 1 when the thread's system call waits without a time limit. */
static int endless(const struct thread_look *l, char *kind, size_t len)
{
	const unsigned long long *a = l->arg;
	kind[0] = '\0';
	switch (l->nr) {
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_accept:
	case SYS_accept4:
		return fd_endless(l->tgid, (int)a[0], kind, len);
	case SYS_recvmmsg:
		return a[4] == 0 && fd_endless(l->tgid, (int)a[0], kind, len);
	/* Descriptors of poll, select and epoll are not known: any of them may
	   be a socket, whose traffic socket_quiet checks for every socket. */
#ifdef SYS_poll
	case SYS_poll:
		return (int)a[2] < 0;
#endif
#ifdef SYS_select
	case SYS_select:
		return a[4] == 0;
#endif
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
		return (int)a[3] < 0;
#endif
	case SYS_ppoll:
		return a[2] == 0;
	case SYS_pselect6:
		return a[4] == 0;
	case SYS_epoll_pwait:
		return (int)a[3] < 0;
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
		return a[3] == 0;
#endif
	case SYS_wait4:
	case SYS_waitid:
	case SYS_rt_sigsuspend:
#ifdef SYS_pause
	case SYS_pause:
#endif
		return 1; /* a child of the case, or a signal: nobody is left to send one */
	case SYS_rt_sigtimedwait: /* sigwaitinfo is sigtimedwait without a timeout */
		return a[2] == 0;
	case SYS_futex: {
		/* pthread_join, a condition or semaphore wait, a contended mutex: woken
		   only by another thread (or process, on shared memory), all of which
		   wait for ever too. A timeout (a[3]) wakes it on its own. */
		int cmd = (int)a[1] & FUTEX_CMD_MASK;
		return (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && a[3] == 0;
	}
#ifdef SYS_semop
	case SYS_semop:
		return 1; /* semop waits without a time limit */
#endif
	case SYS_semtimedop:
		return a[3] == 0;
	case SYS_msgrcv:
		return !(a[4] & IPC_NOWAIT);
	case SYS_mq_timedreceive:
		return a[4] == 0;
	case SYS_flock:
		return !(a[1] & LOCK_NB);
	case SYS_fcntl: /* asleep in fcntl: a lock wait (F_SETLKW, F_OFD_SETLKW) */
		return 1;
	/* restart_syscall resumes a stopped wait that had a time limit (poll,
	   select, a futex, nanosleep: an endless poll restarts as poll itself):
	   it ends on its own. */
	default:
		return 0;
	}
}

/* How a report names the call a thread waits in: "accept", "futex". */
static const char *call_name(long nr)
{
	static char buf[32];
	const char *name = waiting_syscall_name(nr);
	if (name)
		return name;
	snprintf(buf, sizeof buf, "syscall %ld", nr);
	return buf;
}

struct quiet_scan {
	pid_t pid; /* the process whose descriptors are asked, or 0 for the probe's own */
	int loud;
};

static int quiet_socket(pid_t pid, int fd, const char *target, void *arg)
{
	struct quiet_scan *q = arg;
	(void)pid;
	if (strncmp(target, "socket:", 7) != 0)
		return 0;
	int mine = q->pid ? borrow_fd(q->pid, fd) : fd;
	if (mine < 0) {
		q->loud = 1;
		return 1;
	}
	q->loud = !socket_quiet(mine);
	if (q->pid)
		close(mine);
	return q->loud;
}

static void quiet_process(pid_t pid, struct pstat *st, void *arg)
{
	struct quiet_scan *q = arg;
	(void)st;
	if (q->loud)
		return;
	q->pid = pid;
	if (for_each_fd(pid, quiet_socket, q) < 0 && kill(pid, 0) == 0)
		q->loud = 1; /* its descriptors cannot be listed: unknown */
}

/* 1 when nothing is on its way over any socket of the case: the sockets of
   every process the probe started, and the probe's own (its connections to
   them; the probe does nothing while it waits). */
static int nothing_in_flight(void)
{
	struct quiet_scan q = { 0, 0 };
	for_each_fd(getpid(), quiet_socket, &q);
	if (!q.loud)
		for_each_descendant(getpid(), quiet_process, &q);
	return !q.loud;
}

/* PROBE_STUCK=0 in the probe's environment turns the judgement off: every
   wait then runs to its deadline. The tests compare both (test_slow_bugs). */
static int judgement_off(void)
{
	static int off = -1;
	if (off < 0) {
		const char *e = getenv("PROBE_STUCK");
		off = e && strcmp(e, "0") == 0;
	}
	return off;
}

int processes_stuck(pid_t about, char *what, size_t len)
{
	static struct thread_look first[MAX_THREADS], second[MAX_THREADS];
	if (judgement_off())
		return 0;
	int n = look_at_threads(0, first);
	if (n <= 0)
		return 0;
	/* Asleep, every one of them: now the slower questions. */
	what[0] = '\0';
	pid_t last_tgid = -1;
	int told_about = 0;
	for (int i = 0; i < n; i++) {
		const struct thread_look *l = &first[i];
		if (l->state != 'S')
			continue; /* a zombie or a stopped process does nothing */
		char kind[48];
		if (!endless(l, kind, sizeof kind))
			return 0;
		if (l->tgid != last_tgid && !timerless(l->tgid))
			return 0;
		last_tgid = l->tgid;
		if (!what[0] || (!told_about && l->tgid == about)) {
			snprintf(what, len, "%s()%s", call_name(l->nr), kind);
			told_about = l->tgid == about;
		}
	}
	if (!nothing_in_flight())
		return 0;
	/* The same threads, in the same calls, and none has run since the first
	   look: at the moment between the two looks all of them were asleep at
	   once, so none can wake another, and nothing else will. */
	if (look_at_threads(0, second) != n || !looks_unchanged(first, second, n))
		return 0;
	if (!what[0])
		snprintf(what, len, "a stopped or ended state");
	return 1;
}

int wait_until_or_stuck(int (*cond)(void *), void *arg, int fd, int tick_ms, struct deadline dl,
			struct child *c, char *what, size_t len)
{
	for (;;) {
		if (cond(arg))
			return 1;
		if (deadline_passed(dl))
			return 0;
		if (c && processes_stuck(c->pid, what, len)) {
			pump(-1, 0, 0); /* a program that has just ended is a zombie: reap it */
			return cond(arg) ? 1 : -1; /* it may have done it just before it fell asleep */
		}
		pump(fd, POLLIN, deadline_left(dl, tick_ms));
	}
}
