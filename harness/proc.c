/* Children: spawn, pump, settle, kill. */
#define _GNU_SOURCE
#include "proc.h"
#include "stuck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct child *children[MAX_CHILDREN];
static int nchildren;
static struct transcript *tr;
static struct isolation *isolation;

void proc_set_isolation(struct isolation *iso)
{
	isolation = iso;
}

const struct isolation *proc_isolation(void)
{
	return isolation;
}

void proc_look_begin(pid_t pid)
{
	isolation_look_begin(isolation, pid);
}

void proc_look_end(void)
{
	isolation_look_end(isolation);
}

/* The environment every program runs with: fixed, so runs are repeatable. */
static char *const fixed_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC", "HOME=/nonexistent", NULL,
};

void proc_begin_case(struct transcript *t)
{
	tr = t;
	nchildren = 0;
}

const char *signal_name(int sig)
{
	static char buf[32];
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, sizeof buf, "SIG%s", abbrev);
	else
		snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

static void note_exit(struct child *c)
{
	if (WIFSIGNALED(c->status))
		transcript_note(tr, c->who, "signal", "killed by %s", signal_name(WTERMSIG(c->status)));
	else
		transcript_note(tr, c->who, "exit", "exit %d", WEXITSTATUS(c->status));
}

static void drain_fd(struct child *c, int *fd, struct bytes *b, const char *what)
{
	unsigned char buf[8192];
	while (*fd >= 0) {
		ssize_t n = read(*fd, buf, sizeof buf);
		if (n > 0) {
			bytes_append(b, buf, (size_t)n);
			transcript_bytes(tr, c->who, what, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(*fd); /* EOF or error: nobody holds the write end any more */
		*fd = -1;
	}
}

void child_drain(struct child *c)
{
	drain_fd(c, &c->out_fd, &c->out, "stdout");
	drain_fd(c, &c->err_fd, &c->err, "stderr");
}

static void reap(struct child *c)
{
	int st;
	if (!c->running)
		return;
	pid_t r = waitpid(c->pid, &st, WNOHANG);
	if (r == c->pid) {
		c->running = 0;
		c->status = st;
		child_drain(c);
		note_exit(c);
	}
}

int pump(int fd, short events, int timeout_ms)
{
	struct pollfd p[1 + 3 * MAX_CHILDREN];
	struct { struct child *c; int kind; } who[1 + 3 * MAX_CHILDREN];
	int n = 0;
	if (fd >= 0) {
		p[n] = (struct pollfd){ fd, events, 0 };
		who[n].c = NULL;
		n++;
	}
	for (int i = 0; i < nchildren; i++) {
		struct child *c = children[i];
		int fds[3] = { c->running ? c->pidfd : -1, c->out_fd, c->err_fd };
		for (int k = 0; k < 3; k++)
			if (fds[k] >= 0) {
				p[n] = (struct pollfd){ fds[k], POLLIN, 0 };
				who[n].c = c;
				who[n].kind = k;
				n++;
			}
	}
	int r = poll(p, (nfds_t)n, timeout_ms);
	if (r <= 0)
		return 0;
	int ready = 0;
	for (int i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (!who[i].c) {
			ready = 1;
			continue;
		}
		struct child *c = who[i].c;
		if (who[i].kind == 0)
			reap(c);
		else if (who[i].kind == 1)
			drain_fd(c, &c->out_fd, &c->out, "stdout");
		else
			drain_fd(c, &c->err_fd, &c->err, "stderr");
	}
	return ready;
}

int wait_fd(int fd, short events, struct deadline dl)
{
	do {
		if (pump(fd, events, deadline_left(dl, 0)))
			return 1;
	} while (!deadline_passed(dl));
	return 0;
}

int wait_exit(struct child *c, struct deadline dl)
{
	while (c->running) {
		if (deadline_passed(dl))
			return 0;
		pump(-1, 0, deadline_left(dl, 0));
	}
	return 1;
}

int wait_until(int (*cond)(void *), void *arg, struct deadline dl, int tick_ms)
{
	return wait_until_or_stuck(cond, arg, -1, tick_ms, dl, NULL, NULL, 0) == 1;
}

int read_proc_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* Parses a /proc stat file (a process's or a thread's) into st. 0 or -1. */
static int read_stat_file(const char *path, struct pstat *st)
{
	char buf[512];
	if (read_proc_file(path, buf, sizeof buf) < 0)
		return -1;
	char *rp = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	int ppid, pgrp, sess;
	if (!rp || sscanf(rp + 1, " %c %d %d %d", &st->state, &ppid, &pgrp, &sess) != 4)
		return -1;
	st->ppid = ppid;
	st->pgrp = pgrp;
	st->session = sess;
	return 0;
}

int read_pstat(pid_t pid, struct pstat *st)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	return read_stat_file(path, st);
}

int read_task_pstat(pid_t pid, pid_t tid, struct pstat *st)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	return read_stat_file(path, st);
}

/* The system calls that block waiting for something another thread or
   process, or the probe, has to give: input, a connection, a child's exit,
   a signal, a futex wake, a semaphore, a message, a lock. With the names
   reports use.

   Not here, on purpose:
   - nanosleep and clock_nanosleep wait for time alone: the thread acts again
     when its sleep ends, on its own, so a program with a sleeping thread has
     not settled (a "sleep(1); close(fd)" would be counted before the close).
     A program whose thread sleeps in a loop for ever never settles; it did
     not settle before threads were looked at either (a main thread in a
     sleep loop was just as unsettled).
   - io_uring_enter: its waits are done by kernel worker threads of the
     process, whose states say nothing of what the program waits for, and no
     solution of this homework needs it. Such a program is never settled.
   Calls with a time limit (poll with a timeout, a timed futex) are here: they
   wait for an event first; whether the limit makes them act later is the
   stuck judgement's question (stuck.c), not settling's. */
static const struct {
	long nr;
	const char *name;
} waiting_calls[] = {
	{ SYS_read, "read" }, { SYS_readv, "readv" }, { SYS_pread64, "pread" },
	{ SYS_recvfrom, "recvfrom" }, { SYS_recvmsg, "recvmsg" }, { SYS_recvmmsg, "recvmmsg" },
	{ SYS_accept, "accept" }, { SYS_accept4, "accept4" }, { SYS_ppoll, "ppoll" },
	{ SYS_pselect6, "pselect" }, { SYS_epoll_pwait, "epoll_pwait" }, { SYS_waitid, "waitid" },
	{ SYS_wait4, "wait" }, { SYS_rt_sigsuspend, "sigsuspend" }, { SYS_rt_sigtimedwait, "sigtimedwait" },
	{ SYS_futex, "futex" }, { SYS_restart_syscall, "restart_syscall" }, { SYS_msgrcv, "msgrcv" },
	{ SYS_semtimedop, "semtimedop" }, { SYS_mq_timedreceive, "mq_timedreceive" }, { SYS_flock, "flock" },
	{ SYS_fcntl, "fcntl" }, /* asleep in fcntl: only F_SETLKW and F_OFD_SETLKW sleep */
#ifdef SYS_semop
	{ SYS_semop, "semop" },
#endif
#ifdef SYS_poll
	{ SYS_poll, "poll" },
#endif
#ifdef SYS_select
	{ SYS_select, "select" },
#endif
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, "epoll_wait" },
#endif
#ifdef SYS_pause
	{ SYS_pause, "pause" },
#endif
#ifdef SYS_epoll_pwait2
	{ SYS_epoll_pwait2, "epoll_pwait2" },
#endif
};

const char *waiting_syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof waiting_calls / sizeof waiting_calls[0]; i++)
		if (waiting_calls[i].nr == nr)
			return waiting_calls[i].name;
	return NULL;
}

int is_waiting_syscall(long nr)
{
	return waiting_syscall_name(nr) != NULL;
}

/* Fills l for thread tid of process tgid; 0, or -1 when it cannot be read. */
static int look_at_thread(pid_t tgid, pid_t tid, struct thread_look *l)
{
	char path[96], buf[512];
	struct pstat st;
	memset(l, 0, sizeof *l);
	l->tgid = tgid;
	l->tid = tid;
	l->nr = -1;
	if (read_task_pstat(tgid, tid, &st) < 0)
		return -1;
	l->state = st.state;
	if (strchr("ZXTt", l->state))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)tgid, (int)tid);
	proc_look_begin(tgid); /* the kernel checks at the read, not only at the open */
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

struct thread_scan {
	pid_t sid;
	struct thread_look *v;
	int n, doubt;
};

static void scan_process(pid_t pid, struct pstat *st, void *arg)
{
	struct thread_scan *s = arg;
	if (s->doubt || (s->sid > 0 && st->session != s->sid))
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
		if (s->n == MAX_THREADS || look_at_thread(pid, (pid_t)atoi(e->d_name), &s->v[s->n]) < 0) {
			s->doubt = 1;
			break;
		}
		if (!strchr("SZXTt", s->v[s->n++].state))
			s->doubt = 1; /* running, or in an uninterruptible wait: it may still act */
	}
	closedir(d);
}

int look_at_threads(pid_t sid, struct thread_look *v)
{
	struct thread_scan s = { sid, v, 0, 0 };
	for_each_descendant(getpid(), scan_process, &s);
	return s.doubt ? -1 : s.n;
}

int looks_unchanged(const struct thread_look *a, const struct thread_look *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].tid != b[i].tid || a[i].state != b[i].state || a[i].nr != b[i].nr ||
		    memcmp(a[i].arg, b[i].arg, sizeof a[i].arg) || a[i].ran_ns != b[i].ran_ns ||
		    a[i].runs != b[i].runs)
			return 0;
	return 1;
}

/* restart_syscall resumes a call with a time limit that a stop (SIGSTOP, then
   SIGCONT) interrupted: poll, select or a futex wait with a timeout, or a
   nanosleep. Its arguments in /proc stay those of the first call, but not its
   number, so the kernel function it sleeps in (wchan) tells them apart: a
   wait for an event counts as waiting, a sleep does not. Where wchan is not
   shown ("0"), it counts as waiting: a stopped and continued server in
   poll() with a timeout is far likelier than one in nanosleep(). */
static int restarted_wait(const struct thread_look *l)
{
	char path[96], buf[128];
	snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", (int)l->tgid, (int)l->tid);
	proc_look_begin(l->tgid);
	int got = read_proc_file(path, buf, sizeof buf);
	proc_look_end();
	if (got < 0 || strcmp(buf, "0") == 0)
		return 1;
	static const char *const events[] = { "poll", "select", "futex", "ep_poll" };
	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
		if (strstr(buf, events[i]))
			return 1;
	return 0;
}

int thread_waiting(const struct thread_look *l)
{
	if (l->state != 'S')
		return strchr("ZXTt", l->state) != NULL;
	if (l->nr == SYS_restart_syscall)
		return restarted_wait(l);
	return is_waiting_syscall(l->nr);
}

/* Calls fn(pid, pstat, arg) for every process on the machine. */
static void for_each_process(void (*fn)(pid_t, struct pstat *, void *), void *arg)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		struct pstat st;
		if (*end || pid <= 0 || read_pstat((pid_t)pid, &st) < 0)
			continue;
		fn((pid_t)pid, &st, arg);
	}
	closedir(d);
}

void for_each_descendant(pid_t root, void (*fn)(pid_t, struct pstat *, void *), void *arg)
{
	pid_t stack[4096];
	int n = 0;
	stack[n++] = root;
	while (n > 0) {
		pid_t p = stack[--n];
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task", (int)p);
		DIR *d = opendir(path);
		if (!d)
			continue;
		struct dirent *t;
		while ((t = readdir(d))) {
			if (t->d_name[0] == '.')
				continue;
			char cpath[300], buf[4096];
			snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)p, t->d_name);
			if (read_proc_file(cpath, buf, sizeof buf) < 0)
				continue;
			char *s = buf, *end;
			for (long kid; (kid = strtol(s, &end, 10)) > 0; s = end) {
				struct pstat st;
				if (read_pstat((pid_t)kid, &st) == 0)
					fn((pid_t)kid, &st, arg);
				if (n < (int)(sizeof stack / sizeof stack[0]))
					stack[n++] = (pid_t)kid;
			}
		}
		closedir(d);
	}
}

struct settle_scan {
	pid_t sid;
	int busy;
};

static int settled(void *arg)
{
	static struct thread_look first[MAX_THREADS], second[MAX_THREADS];
	struct child *c = arg;
	if (!c->running)
		return 1;
	/* Writing to its stdin wakes a reader before write() returns, so a thread
	   seen asleep here has consumed what it could, or waits on something else.
	   Every thread counts: a detached worker still closing a connection is as
	   busy as a process. The second look makes the moment certain: a thread
	   that woke another, or started one, between the looks at both would
	   otherwise pass for asleep. */
	int n = look_at_threads(c->pid, first);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (!thread_waiting(&first[i]))
			return 0;
	return look_at_threads(c->pid, second) == n && looks_unchanged(first, second, n);
}

static void stopped_visit(pid_t pid, struct pstat *st, void *arg)
{
	struct settle_scan *s = arg;
	(void)pid;
	if (st->session == s->sid && !strchr("TtZX", st->state))
		s->busy = 1;
}

static int stopped(void *arg)
{
	struct child *c = arg;
	struct settle_scan s = { c->pid, 0 };
	for_each_descendant(getpid(), stopped_visit, &s);
	return !s.busy;
}

int child_freeze(struct child *c, int on, struct deadline dl)
{
	child_signal(c, on ? SIGSTOP : SIGCONT);
	transcript_note(tr, "probe", "signal", "%s to the program's process group", on ? "SIGSTOP" : "SIGCONT");
	return on ? wait_until(stopped, c, dl, 1) : 1;
}

int wait_settled(struct child *c, struct deadline dl)
{
	int ok = wait_until(settled, c, dl, 1);
	child_drain(c);
	return ok;
}

/* What the new process needs between clone and exec. */
struct spawn {
	char *const *argv;
	const char *cwd;
	enum box_role role;
	int in, out, err, exe; /* its stdin, stdout, stderr; exe reports a failed exec */
};

/* Runs in the new process, on its own stack, in the probe's memory until it
   execs: system calls only, and nothing written but its own stack. The probe
   installs no signal handler (it only ignores SIGPIPE), so no signal can run
   probe code in the shared memory before the exec. */
static int spawned(void *arg)
{
	const struct spawn *sp = arg;
	setsid();
	personality(ADDR_NO_RANDOMIZE); /* uninitialised bytes print the same every run */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(SIGPIPE, &dfl, NULL); /* the probe ignores it; the program must not */
	int e = 0;
	/* The binary is opened here, in the grader's view of the files, and run
	   from that descriptor once the box is entered: it need not be (and for
	   peers is not) anywhere a program could find it. */
	int bin = (int)syscall(SYS_open, sp->argv[0], O_PATH | O_CLOEXEC);
	if (bin < 0 || dup2(sp->in, 0) < 0 || dup2(sp->out, 1) < 0 || dup2(sp->err, 2) < 0) {
		e = errno;
	} else if (isolation) {
		e = isolation_enter_child(isolation, sp->role, sp->cwd); /* last: it may give up root */
	} else if (sp->cwd && chdir(sp->cwd) < 0) {
		e = errno;
	}
	if (!e) {
		syscall(SYS_execveat, bin, "", sp->argv, fixed_env, AT_EMPTY_PATH);
		e = errno;
	}
	(void)!write(sp->exe, &e, sizeof e);
	_exit(127);
}

/* Starts a process as vfork does (CLONE_VM | CLONE_VFORK): the probe's page
   tables are neither copied nor write-protected, which fork would do for
   every program started; on this machine page-table work is what costs most,
   and what two gradings side by side contend for. Returns the pid, or -1. */
static pid_t spawn(struct spawn *sp)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	return clone(spawned, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, sp);
}

int can_borrow = 1;

struct syscall_look {
	pid_t pid;
	char *buf;
	size_t len;
	int err; /* the last failure's errno */
};

/* 1 when /proc/PID/syscall of look->pid could be read (into look->buf). */
static int syscall_readable(void *arg)
{
	struct syscall_look *look = arg;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)look->pid);
	proc_look_begin(look->pid);
	int got = read_proc_file(path, look->buf, look->len);
	look->err = errno;
	proc_look_end();
	return got >= 0;
}

int proc_check_access(char *err, size_t errlen)
{
	/* The stand-in is a program as the box runs one: exec'd (a process that
	   changed uid without an exec is not dumpable, and looks differ), asleep
	   in a read of a pipe we hold. Its exec closes `ready`. */
	int ready[2], in[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		static char *const argv[] = { "cat", NULL };
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0 && dup2(in[0], 0) == 0 && dup2(null, 1) == 1 &&
		    isolation_enter_child(isolation, ROLE_PROGRAM, NULL) == 0)
			execve("/bin/cat", argv, fixed_env);
		_exit(126);
	}
	close(ready[1]);
	close(in[0]);
	struct pollfd p = { ready[0], POLLIN, 0 };
	char byte, buf[256];
	int rc = -1, e = 0, fd = -1;
	const char *what = "";
	if (poll(&p, 1, READY_MS) != 1 || read(ready[0], &byte, 1) != 0) {
		snprintf(err, errlen, "a test child did not start within %d ms", READY_MS);
		goto out;
	}
	/* The exec has closed `ready`, but may not have made the new image
	   dumpable yet (the kernel does that a little later in the exec): until
	   then a look without CAP_SYS_PTRACE is refused. Wait for the look. */
	struct syscall_look look = { pid, buf, sizeof buf, 0 };
	int got = wait_until(syscall_readable, &look, deadline_in(READY_MS), 1) ? 0 : -1;
	e = look.err;
	if (got < 0) {
		what = "reading /proc/PID/syscall";
	} else {
		rc = 0;
		/* Without pidfd_getfd (a container's seccomp profile) listeners are
		   found by socket inode instead, and no wait is judged stuck. */
		can_borrow = (fd = borrow_fd(pid, 1)) >= 0;
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot look into the programs it starts (%s: %s): it needs ptrace "
			 "access to its children (kernel.yama.ptrace_scope 0 or 1)", what, strerror(e));
out:
	if (fd >= 0)
		close(fd);
	close(ready[0]);
	close(in[1]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return rc;
}

int child_start(struct child *c, const char *who, char *const argv[], int stdin_pipe,
		const char *cwd, char *err, size_t errlen)
{
	int in[2] = { -1, -1 }, out[2], errp[2], exe[2];
	memset(c, 0, sizeof *c);
	c->who = who;
	c->in_fd = c->out_fd = c->err_fd = c->pidfd = -1;
	bytes_init(&c->out, OUTPUT_CAP);
	bytes_init(&c->err, OUTPUT_CAP);
	if (nchildren >= MAX_CHILDREN) {
		snprintf(err, errlen, "too many children in one case");
		return -1;
	}
	if (stdin_pipe ? pipe2(in, O_CLOEXEC) : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "stdin: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(exe, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	struct spawn sp = { argv, cwd, strcmp(who, "peer") == 0 ? ROLE_PEER : ROLE_PROGRAM,
			    in[0], out[1], errp[1], exe[1] };
	pid_t pid = spawn(&sp);
	if (pid < 0) {
		snprintf(err, errlen, "clone: %s", strerror(errno));
		return -1;
	}
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	close(exe[1]);
	int e = 0;
	ssize_t got = read(exe[0], &e, sizeof e); /* closed by exec: returns 0 */
	close(exe[0]);
	c->pid = pid;
	c->running = 1;
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = errp[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	if (c->in_fd >= 0)
		fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	children[nchildren++] = c;
	if (got == sizeof e) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(e));
		return -1;
	}
	if (c->pidfd < 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		return -1;
	}
	char line[512] = "";
	for (int i = 0; argv[i]; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? " " : "", argv[i]);
	transcript_note(tr, who, "start", "%s", line);
	return 0;
}

ssize_t child_write_stdin(struct child *c, const void *p, size_t n)
{
	if (c->in_fd < 0)
		return -1;
	size_t done = 0;
	struct deadline dl = deadline_in(IO_MS);
	while (done < n) {
		ssize_t w = write(c->in_fd, (const char *)p + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EAGAIN && wait_fd(c->in_fd, POLLOUT, dl))
			continue;
		break; /* EPIPE: it closed stdin or exited; or it does not read */
	}
	transcript_bytes(tr, "probe", "stdin", p, done);
	return (ssize_t)done;
}

void child_close_stdin(struct child *c)
{
	if (c->in_fd >= 0) {
		close(c->in_fd);
		c->in_fd = -1;
		transcript_note(tr, "probe", "stdin", "end of file");
	}
}

void child_signal(struct child *c, int sig)
{
	if (c->running) {
		kill(-c->pid, sig);
		kill(c->pid, sig);
	}
}

const char *child_exit_class(const struct child *c)
{
	static char buf[64];
	if (c->running)
		return "still running";
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status) == 0 ? "exit 0" : "exit non-zero";
	snprintf(buf, sizeof buf, "killed by %s", signal_name(WTERMSIG(c->status)));
	return buf;
}

int fd_target(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
	proc_look_begin(pid);
	ssize_t n = readlink(path, buf, len - 1);
	proc_look_end();
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int for_each_fd(pid_t pid, int (*fn)(pid_t pid, int fd, const char *target, void *arg), void *arg)
{
	/* read whole, then handed to fn: fn may look into processes itself */
	static struct { int fd; char target[128]; } fds[512];
	char path[64];
	int n = 0;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	proc_look_begin(pid);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while (n < (int)(sizeof fds / sizeof fds[0]) && (e = readdir(d))) {
			char link[320];
			if (e->d_name[0] == '.')
				continue;
			snprintf(link, sizeof link, "%s/%s", path, e->d_name);
			ssize_t len = readlink(link, fds[n].target, sizeof fds[n].target - 1);
			if (len <= 0)
				continue;
			fds[n].target[len] = '\0';
			fds[n++].fd = atoi(e->d_name);
		}
		closedir(d);
	}
	proc_look_end();
	if (!d)
		return -1;
	for (int i = 0; i < n; i++)
		if (fn(pid, fds[i].fd, fds[i].target, arg))
			return 1;
	return 0;
}

int borrow_fd(pid_t pid, int fd)
{
	if (!can_borrow) {
		errno = EPERM;
		return -1;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	proc_look_begin(pid);
	int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	proc_look_end();
	close(pidfd);
	return mine;
}

int count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	proc_look_begin(pid);
	DIR *d = opendir(path);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	proc_look_end();
	return d ? n : -1;
}

struct sweep {
	pid_t self, keep; /* keep: the box's pid namespace init, which lives on */
	int found;
};

/* With the probe a child subreaper, every orphan of the case becomes our child. */
static void sweep_visit(pid_t pid, struct pstat *st, void *arg)
{
	struct sweep *s = arg;
	if (st->ppid == s->self && pid != s->keep) {
		kill(pid, SIGKILL);
		s->found++;
	}
}

void proc_end_case(void)
{
	isolation_kill_all(isolation); /* everything of the box's uids, escaped or not */
	for (int i = 0; i < nchildren; i++)
		child_signal(children[i], SIGKILL);
	struct deadline dl = deadline_in(EXIT_MS);
	for (;;) {
		struct sweep s = { getpid(), isolation ? isolation->init : 0, 0 };
		for_each_process(sweep_visit, &s);
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			for (int i = 0; i < nchildren; i++)
				if (children[i]->running && children[i]->pid == r) {
					children[i]->running = 0;
					children[i]->status = st;
					note_exit(children[i]);
				}
		if ((r < 0 && errno == ECHILD) || (r == 0 && !s.found) || deadline_passed(dl))
			break; /* no child left, or only the init that lives on */
		pump(-1, 0, 1); /* a killed child's pidfd turns readable */
	}
	for (int i = 0; i < nchildren; i++) {
		struct child *c = children[i];
		child_drain(c);
		bytes_free(&c->out);
		bytes_free(&c->err);
		int *fds[] = { &c->in_fd, &c->out_fd, &c->err_fd, &c->pidfd };
		for (size_t k = 0; k < 4; k++)
			if (*fds[k] >= 0) {
				close(*fds[k]);
				*fds[k] = -1;
			}
	}
	nchildren = 0;
}
