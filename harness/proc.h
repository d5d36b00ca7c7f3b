/* Children of the probe: start them in their own session with a fixed
   environment, capture their output up to a cap, wait for events with a
   deadline, and kill everything they started. */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>
#include <jansson.h>

#include "bytes.h"
#include "deadline.h"
#include "isolate.h"
#include "transcript.h"

#define OUTPUT_CAP (64 * 1024) /* bytes kept per stream; the rest is counted as cut */
#define MAX_CHILDREN 8

struct child {
	const char *who;   /* "program" (under test) or "peer" (a reference program) */
	pid_t pid;
	int pidfd;
	int in_fd;         /* write end of its stdin pipe, or -1 */
	int out_fd, err_fd;/* read ends of its stdout/stderr, -1 once closed */
	struct bytes out, err;
	int running;       /* 0 once reaped */
	int status;        /* wait status, valid once reaped */
};

/* The isolation every program started from now on runs under. */
void proc_set_isolation(struct isolation *iso);

/* The isolation set, or NULL. */
const struct isolation *proc_isolation(void);

/* Around every look into a process (/proc/PID/..., pidfd_getfd): the
   isolation's isolation_look_begin/end for that process. */
void proc_look_begin(pid_t pid);
void proc_look_end(void);

/* 0 where pidfd_getfd is refused (a container's seccomp profile), as
   proc_check_access found: borrow_fd then fails with EPERM at once. */
extern int can_borrow;

/* Checks that the probe may look into the programs it starts, under the
   isolation set: read their /proc/PID/syscall (quiescence, stuck) and borrow
   their sockets with pidfd_getfd (listeners). Yama's ptrace_scope 2 or 3, an
   LSM or a container may forbid it, and then every wait would misjudge, so
   the probe refuses to run. Where only pidfd_getfd is refused it runs on,
   with can_borrow 0. 0, or -1 with err. */
int proc_check_access(char *err, size_t errlen);

/* Starts a case: events go to tr, children are remembered until proc_end_case. */
void proc_begin_case(struct transcript *tr);

/* Kills every process the case started, escaped descendants included, reaps
   them, and closes their pipes. Safe to call twice. */
void proc_end_case(void);

/* Starts argv in its own session, working directory cwd, stdin a pipe when
   stdin_pipe (else /dev/null). Returns 0, or -1 with err filled. */
int child_start(struct child *c, const char *who, char *const argv[], int stdin_pipe,
		const char *cwd, char *err, size_t errlen);

/* Writes to the child's stdin (ignores a closed pipe). Returns bytes written or -1. */
ssize_t child_write_stdin(struct child *c, const void *p, size_t n);

/* Closes the child's stdin: it sees end of file. */
void child_close_stdin(struct child *c);

/* Sends sig to the child's whole process group. */
void child_signal(struct child *c, int sig);

/* One round of waiting: up to timeout_ms for fd (if >= 0) to be ready for
   events, meanwhile draining every child's output and reaping exits.
   Returns 1 when fd is ready, 0 otherwise. */
int pump(int fd, short events, int timeout_ms);

/* Waits until fd is ready or the deadline passes. 1 ready, 0 deadline. */
int wait_fd(int fd, short events, struct deadline dl);

/* Waits until the child has exited or the deadline passes. 1 exited, 0 deadline. */
int wait_exit(struct child *c, struct deadline dl);

/* Waits until cond(arg) holds, checking it after every event and at least
   every tick_ms, or the deadline passes. 1 held, 0 deadline. */
int wait_until(int (*cond)(void *), void *arg, struct deadline dl, int tick_ms);

/* Waits until every thread of every process in the child's session is
   asleep in a call that waits for something other threads or processes, or
   the probe, must give it (accept, read, recv, poll, a futex, ...; see
   thread_waiting), or stopped, or gone, as two looks with no thread running
   between them show: it will do nothing more until it is sent something.
   1 settled, 0 deadline. */
int wait_settled(struct child *c, struct deadline dl);

/* Stops (on) or continues (off) every process of the child's session; on
   waits until all of them are stopped. 1 done, 0 deadline. The probe freezes
   a server to decide the order of events: a connection reset before the
   server could accept it, every run. */
int child_freeze(struct child *c, int on, struct deadline dl);

/* Drains whatever the child has written so far, without waiting. */
void child_drain(struct child *c);

/* The child's state as compared: "exit 0", "exit non-zero", "killed by SIGxxx",
   or "still running". */
const char *child_exit_class(const struct child *c);

/* "SIGSEGV" for SIGSEGV (static buffer). */
const char *signal_name(int sig);

/* What descriptor fd of pid links to in /proc ("socket:[123]",
   "anon_inode:[timerfd]", "pipe:[9]", ...), into buf. 0, or -1. */
int fd_target(pid_t pid, int fd, char *buf, size_t len);

/* Calls fn(pid, fd, target, arg) for each open descriptor of pid (target as
   fd_target) until fn returns 1. 1 when fn stopped it, 0 after the last, -1
   when pid's descriptors cannot be listed. */
int for_each_fd(pid_t pid, int (*fn)(pid_t pid, int fd, const char *target, void *arg), void *arg);

/* A descriptor of ours for the file behind descriptor fd of process pid
   (pidfd_getfd: needs ptrace access, see proc_check_access), or -1. */
int borrow_fd(pid_t pid, int fd);

/* Number of open descriptors of pid (from /proc/PID/fd), or -1. */
int count_fds(pid_t pid);

/* Process state from /proc/PID/stat. Returns 0 or -1 when gone. */
struct pstat {
	char state;
	pid_t ppid, pgrp, session;
};
int read_pstat(pid_t pid, struct pstat *st);

/* The same for thread tid of process pid (/proc/PID/task/TID/stat). */
int read_task_pstat(pid_t pid, pid_t tid, struct pstat *st);

/* Reads a small /proc file into buf (at most len - 1 bytes, NUL-terminated).
   Returns the length, or -1 when it cannot be read or is empty. */
int read_proc_file(const char *path, char *buf, size_t len);

/* Calls fn(pid, pstat, arg) for every descendant of root (through
   /proc/PID/task/TID/children): a case's processes, orphans included, since the
   probe is their subreaper. Cheaper than a scan of all of /proc. */
void for_each_descendant(pid_t root, void (*fn)(pid_t, struct pstat *, void *), void *arg);

/* 1 when syscall number nr blocks waiting for input or for another thread
   or process (read, accept, poll, futex, semop, ...); not for a sleep. */
int is_waiting_syscall(long nr);

/* The name of such a system call ("accept"), or NULL for any other. */
const char *waiting_syscall_name(long nr);

/* One look at one thread (/proc/PID/task/TID/{stat,syscall,schedstat}). */
struct thread_look {
	pid_t tgid, tid;
	char state;                      /* R, S, D, T, t, Z, X */
	long nr;                         /* system call it sleeps in; -1 running */
	unsigned long long arg[6];       /* its arguments */
	unsigned long long ran_ns, runs; /* schedstat: any run changes them */
};

#define MAX_THREADS 1024

/* Looks at every thread of every descendant of the probe, or only of those
   in session sid when sid > 0, into v (MAX_THREADS entries). The count, or
   -1 as soon as one is neither asleep ('S'), stopped nor a zombie, or cannot
   be read, or there are more than MAX_THREADS. */
int look_at_threads(pid_t sid, struct thread_look *v);

/* 1 when two looks of n threads saw the same threads in the same calls with
   the same arguments, none of them having run in between: at a moment
   between the looks all of them were asleep at once. */
int looks_unchanged(const struct thread_look *a, const struct thread_look *b, int n);

/* 1 when a thread asleep ('S') waits in the sense of wait_settled: in a
   waiting call, or in restart_syscall resuming one (see proc.c). */
int thread_waiting(const struct thread_look *l);

#endif
