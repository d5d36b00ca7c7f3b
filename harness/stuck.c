/* Stuck: is every process of the case waiting for ever? See stuck.h. */
#define _GNU_SOURCE
#include "stuck.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_TASKS 1024

/* One look at one thread. */
struct look {
	pid_t tgid, tid;
	char state;
	long nr;                     /* system call it sleeps in */
	unsigned long long arg[6];
	unsigned long long ran_ns, runs; /* /proc/.../schedstat: any run changes them */
};

struct scan {
	struct look *v;
	int n, doubt;
};

/* Fills l for thread tid of process tgid; 0, or -1 when it cannot be read. */
static int look_at(pid_t tgid, pid_t tid, struct look *l)
{
	char path[96], buf[512];
	struct pstat st;
	memset(l, 0, sizeof *l);
	l->tgid = tgid;
	l->tid = tid;
	if (read_task_pstat(tgid, tid, &st) < 0)
		return -1;
	l->state = st.state;
	if (strchr("ZXTt", l->state))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)tgid, (int)tid);
	proc_look_begin(tgid);
	int got = read_proc_file(path, buf, sizeof buf);
	proc_look_end();
	if (got < 0)
		return -1;
	char *s = buf, *end;
	l->nr = strtol(s, &end, 10);
	if (end == s)
		l->nr = -1; /* "running" */
	for (int i = 0; i < 6 && end != s; i++) {
		s = end;
		l->arg[i] = strtoull(s, &end, 0);
	}
	snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)tgid, (int)tid);
	unsigned long long waited;
	if (read_proc_file(path, buf, sizeof buf) < 0 ||
	    sscanf(buf, "%llu %llu %llu", &l->ran_ns, &waited, &l->runs) != 3)
		return -1;
	return 0;
}

static void visit_process(pid_t pid, struct pstat *st, void *arg)
{
	struct scan *s = arg;
	(void)st; /* each thread has a state of its own */
	if (s->doubt)
		return;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d) {
		s->doubt = 1;
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && !s->doubt) {
		if (e->d_name[0] == '.')
			continue;
		if (s->n == MAX_TASKS || look_at(pid, (pid_t)atoi(e->d_name), &s->v[s->n]) < 0) {
			s->doubt = 1;
			break;
		}
		char state = s->v[s->n++].state;
		if (!strchr("SZXTt", state))
			s->doubt = 1; /* running, or in an uninterruptible wait: it may still act */
	}
	closedir(d);
}

/* Every thread of every descendant; the count, or -1 when one is not asleep. */
static int scan_all(struct look *v)
{
	struct scan s = { v, 0, 0 };
	for_each_descendant(getpid(), visit_process, &s);
	return s.doubt ? -1 : s.n;
}

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
   the like, a Unix socket, or (quiet_net) a network socket, with no receive
   timeout. The descriptor is borrowed through pidfd_getfd to ask. */
static int fd_endless(pid_t tgid, int fd, int quiet_net, char *kind, size_t len)
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
			int domain = -1;
			socklen_t dl = sizeof domain;
			if (getsockopt(dup, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl) == 0 && !tv.tv_sec && !tv.tv_usec &&
			    getsockopt(dup, SOL_SOCKET, SO_DOMAIN, &domain, &dl) == 0)
				endless = domain == AF_UNIX || quiet_net;
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
static int endless(const struct look *l, int quiet_net, char *kind, size_t len)
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
		return fd_endless(l->tgid, (int)a[0], quiet_net, kind, len);
	case SYS_recvmmsg:
		return a[4] == 0 && fd_endless(l->tgid, (int)a[0], quiet_net, kind, len);
#ifdef SYS_poll
	case SYS_poll:
		return (int)a[2] < 0 && quiet_net;
#endif
#ifdef SYS_select
	case SYS_select:
		return a[4] == 0 && quiet_net;
#endif
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
		return (int)a[3] < 0 && quiet_net;
#endif
	case SYS_ppoll:
		return a[2] == 0 && quiet_net;
	case SYS_pselect6:
		return a[4] == 0 && quiet_net;
	case SYS_epoll_pwait:
		return (int)a[3] < 0 && quiet_net;
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
		return a[3] == 0 && quiet_net;
#endif
	case SYS_wait4:
	case SYS_waitid:
	case SYS_rt_sigsuspend:
#ifdef SYS_pause
	case SYS_pause:
#endif
		return 1; /* a child of the case, or a signal: nobody is left to send one */
	case SYS_rt_sigtimedwait:
		return a[2] == 0;
	case SYS_futex: {
		int cmd = (int)a[1] & FUTEX_CMD_MASK;
		return (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && a[3] == 0;
	}
	default:
		return 0;
	}
}

/* How a report names the call a thread waits in: "accept", "futex". */
static const char *call_name(long nr)
{
	static char buf[32];
	const char *name = nr == SYS_futex ? "futex" : waiting_syscall_name(nr);
	if (name)
		return name;
	snprintf(buf, sizeof buf, "syscall %ld", nr);
	return buf;
}
int processes_stuck(int quiet_net, pid_t about, char *what, size_t len)
{
	static struct look first[MAX_TASKS], second[MAX_TASKS];
	int n = scan_all(first);
	if (n <= 0)
		return 0;
	/* Asleep, every one of them: now the slower questions. */
	what[0] = '\0';
	pid_t last_tgid = -1;
	int told_about = 0;
	for (int i = 0; i < n; i++) {
		const struct look *l = &first[i];
		if (l->state != 'S')
			continue; /* a zombie or a stopped process does nothing */
		char kind[48];
		if (!endless(l, quiet_net, kind, sizeof kind))
			return 0;
		if (l->tgid != last_tgid && !timerless(l->tgid))
			return 0;
		last_tgid = l->tgid;
		if (!what[0] || (!told_about && l->tgid == about)) {
			snprintf(what, len, "%s()%s", call_name(l->nr), kind);
			told_about = l->tgid == about;
		}
	}
	/* The same threads, in the same calls, and none has run since the first
	   look: at the moment between the two looks all of them were asleep at
	   once, so none can wake another, and nothing else will. */
	if (scan_all(second) != n)
		return 0;
	for (int i = 0; i < n; i++) {
		const struct look *a = &first[i], *b = &second[i];
		if (a->tid != b->tid || a->state != b->state || a->nr != b->nr ||
		    memcmp(a->arg, b->arg, sizeof a->arg) || a->ran_ns != b->ran_ns || a->runs != b->runs)
			return 0;
	}
	if (!what[0])
		snprintf(what, len, "a stopped or ended state");
	return 1;
}

int wait_until_or_stuck(int (*cond)(void *), void *arg, int fd, int tick_ms, struct deadline dl,
			struct child *c, int quiet_net, char *what, size_t len)
{
	for (;;) {
		if (cond(arg))
			return 1;
		if (deadline_passed(dl))
			return 0;
		if (c && processes_stuck(quiet_net, c->pid, what, len)) {
			pump(-1, 0, 0); /* a program that has just ended is a zombie: reap it */
			return cond(arg) ? 1 : -1; /* it may have done it just before it fell asleep */
		}
		pump(fd, POLLIN, deadline_left(dl, tick_ms));
	}
}
