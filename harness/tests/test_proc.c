/* proc.c: real children started, waited for, and killed. Nothing here sleeps:
   every wait is on an event with a deadline (sleep appears only as a fixture
   process that must be killed). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static struct transcript tr;
static char err[512];

/* A watchdog, not a synchronisation: a hung wait fails the test instead of
   hanging CTest. */
static void watchdog(int sig)
{
	(void)sig;
	static const char msg[] = "test_proc: watchdog: a wait did not return within 60 s\n";
	(void)!write(2, msg, sizeof msg - 1);
	_exit(3);
}

static void begin(void)
{
	transcript_init(&tr);
	proc_begin_case(&tr);
}

static void end(void)
{
	proc_end_case();
	transcript_free(&tr);
}

/* The output buffers of a child whose case has ended. */
static void release(struct child *c)
{
	bytes_free(&c->out);
	bytes_free(&c->err);
}

/* Calls fn on every process of the machine: the test's own walk of /proc, so
   that it checks proc.c's walks rather than trusting them. 0, or -1 when
   /proc cannot be read. */
static int each_process(void (*fn)(pid_t, struct pstat *, void *), void *arg)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
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
	return 0;
}

struct our_children {
	int n;
	pid_t first;
};

static void count_if_ours(pid_t pid, struct pstat *st, void *arg)
{
	struct our_children *c = arg;
	if (st->ppid == getpid() && c->n++ == 0)
		c->first = pid;
}

/* How many processes have ppid == us; the first one's pid into *first. */
static int count_our_children(pid_t *first)
{
	struct our_children c = { 0, 0 };
	if (each_process(count_if_ours, &c) < 0)
		return -1;
	if (first && c.n)
		*first = c.first;
	return c.n;
}

/* 1 when no child of ours is left: none to wait for and none in /proc. */
static int no_children_left(void)
{
	errno = 0;
	pid_t r = waitpid(-1, NULL, WNOHANG);
	int echild = r == -1 && errno == ECHILD;
	if (!echild)
		fprintf(stderr, "  waitpid(-1) returned %d (%s)\n", (int)r, strerror(errno));
	pid_t p = 0;
	int n = count_our_children(&p);
	if (n != 0)
		fprintf(stderr, "  %d processes still have us as parent (first: %d)\n", n, (int)p);
	return echild && n == 0;
}

/* 1 when some event of the transcript has who/what and text holding `has`. */
static int transcript_has(const char *who, const char *what, const char *has)
{
	size_t i;
	json_t *ev;
	json_array_foreach(tr.events, i, ev) {
		const char *w = json_string_value(json_object_get(ev, "who"));
		const char *x = json_string_value(json_object_get(ev, "what"));
		const char *t = json_string_value(json_object_get(ev, "text"));
		if (w && x && !strcmp(w, who) && !strcmp(x, what) && (!has || (t && strstr(t, has))))
			return 1;
	}
	return 0;
}

static void test_echo(void)
{
	begin();
	struct child c;
	char *argv[] = { "/bin/echo", "hi", NULL };
	CHECK_INT(child_start(&c, "program", argv, 0, NULL, err, sizeof err), 0);
	CHECK(c.pid > 0);
	CHECK_INT(c.in_fd, -1); /* stdin is /dev/null */
	CHECK_INT(wait_exit(&c, deadline_in(2000)), 1);
	CHECK_INT(c.running, 0);
	CHECK_INT(c.out.len, 3);
	CHECK(c.out.len == 3 && memcmp(c.out.data, "hi\n", 3) == 0);
	CHECK_INT(c.out.dropped, 0);
	CHECK_INT(c.err.len, 0);
	CHECK_STR(child_exit_class(&c), "exit 0");
	CHECK(transcript_has("program", "start", "/bin/echo hi"));
	CHECK(transcript_has("program", "stdout", "hi\\n"));
	CHECK(transcript_has("program", "exit", "exit 0"));
	end();
	release(&c);
	CHECK(no_children_left());
}

static void test_exit_classes(void)
{
	begin();
	struct child f, s, e;
	char *fargv[] = { "/bin/false", NULL };
	char *sargv[] = { "/bin/sh", "-c", "kill -SEGV $$", NULL };
	char *eargv[] = { "/bin/sh", "-c", "echo oops >&2; exit 3", NULL };
	CHECK_INT(child_start(&f, "program", fargv, 0, NULL, err, sizeof err), 0);
	CHECK_INT(child_start(&s, "program", sargv, 0, NULL, err, sizeof err), 0);
	CHECK_INT(child_start(&e, "peer", eargv, 0, NULL, err, sizeof err), 0);
	CHECK_INT(wait_exit(&f, deadline_in(2000)), 1);
	CHECK_INT(wait_exit(&s, deadline_in(2000)), 1);
	CHECK_INT(wait_exit(&e, deadline_in(2000)), 1);
	CHECK_STR(child_exit_class(&f), "exit non-zero");
	CHECK_STR(child_exit_class(&s), "killed by SIGSEGV");
	CHECK_STR(child_exit_class(&e), "exit non-zero");
	CHECK(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 3);
	CHECK(e.err.len == 5 && memcmp(e.err.data, "oops\n", 5) == 0);
	CHECK(transcript_has("program", "signal", "killed by SIGSEGV"));
	CHECK(transcript_has("peer", "stderr", "oops"));
	end();
	release(&f);
	release(&s);
	release(&e);
	CHECK(no_children_left());
}

static void test_cat(void)
{
	begin();
	struct child c;
	char *argv[] = { "/bin/cat", NULL };
	CHECK_INT(child_start(&c, "program", argv, 1, NULL, err, sizeof err), 0);
	CHECK(c.in_fd >= 0);
	CHECK_STR(child_exit_class(&c), "still running");
	static const char in[] = "hello\nworld\0\xff\x01 end";
	CHECK_INT(child_write_stdin(&c, in, sizeof in - 1), sizeof in - 1);
	child_close_stdin(&c);
	CHECK_INT(c.in_fd, -1);
	CHECK_INT(wait_exit(&c, deadline_in(2000)), 1);
	CHECK_INT(c.out.len, sizeof in - 1);
	CHECK(c.out.len == sizeof in - 1 && memcmp(c.out.data, in, sizeof in - 1) == 0);
	CHECK_STR(child_exit_class(&c), "exit 0");
	CHECK(transcript_has("probe", "stdin", "end of file"));
	/* its stdin closed: writing more is refused with -1 */
	CHECK_INT(child_write_stdin(&c, "x", 1), -1);
	end();
	release(&c);

	/* more than a pipe holds, both ways: writing pumps the output meanwhile */
	begin();
	enum { BIG = 200000 };
	static unsigned char big[BIG];
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i % 251);
	CHECK_INT(child_start(&c, "program", argv, 1, NULL, err, sizeof err), 0);
	CHECK_INT(child_write_stdin(&c, big, BIG), BIG);
	child_close_stdin(&c);
	CHECK_INT(wait_exit(&c, deadline_in(5000)), 1);
	CHECK_INT(c.out.len, OUTPUT_CAP);
	CHECK_INT(c.out.len + c.out.dropped, BIG);
	CHECK(c.out.len == OUTPUT_CAP && memcmp(c.out.data, big, OUTPUT_CAP) == 0);
	CHECK_STR(child_exit_class(&c), "exit 0");
	end();
	release(&c);
	CHECK(no_children_left());
}

static void test_start_options(void)
{
	/* the working directory and the fixed environment */
	begin();
	struct child c, e;
	char *argv[] = { "/bin/sh", "-c", "pwd; echo \"$LC_ALL $TZ $HOME\"", NULL };
	CHECK_INT(child_start(&c, "program", argv, 0, "/tmp", err, sizeof err), 0);
	CHECK_INT(wait_exit(&c, deadline_in(2000)), 1);
	const char want[] = "/tmp\nC UTC /nonexistent\n";
	CHECK_INT(c.out.len, sizeof want - 1);
	CHECK(c.out.len == sizeof want - 1 && memcmp(c.out.data, want, sizeof want - 1) == 0);
	/* its own session */
	char *sargv[] = { "/bin/cat", NULL };
	CHECK_INT(child_start(&e, "program", sargv, 1, NULL, err, sizeof err), 0);
	struct pstat st;
	CHECK_INT(read_pstat(e.pid, &st), 0);
	CHECK_INT(st.session, e.pid);
	CHECK_INT(st.pgrp, e.pid);
	CHECK_INT(st.ppid, getpid());
	end();
	release(&c);
	release(&e);
	CHECK(no_children_left());

	/* a program that cannot run: -1 and why */
	begin();
	char *nargv[] = { "/nonexistent/program", NULL };
	strcpy(err, "");
	CHECK_INT(child_start(&c, "program", nargv, 0, NULL, err, sizeof err), -1);
	CHECK(strstr(err, "/nonexistent/program") != NULL);
	CHECK(strstr(err, "No such file") != NULL);
	end();
	release(&c);
	CHECK(no_children_left());
}

static int out_full(void *arg)
{
	struct child *c = arg;
	return c->out.len >= OUTPUT_CAP;
}

static int out_cut(void *arg)
{
	struct child *c = arg;
	return c->out.dropped > 0;
}

static void test_flood(void)
{
	begin();
	struct child c;
	char *argv[] = { "/usr/bin/yes", NULL };
	CHECK_INT(child_start(&c, "program", argv, 0, NULL, err, sizeof err), 0);
	double t0 = now_ms();
	CHECK_INT(wait_until(out_full, &c, deadline_in(5000), 10), 1);
	CHECK_INT(wait_until(out_cut, &c, deadline_in(5000), 10), 1);
	CHECK(now_ms() - t0 < 5000);
	CHECK_INT(c.out.len, OUTPUT_CAP);
	CHECK(c.out.dropped > 0);
	int pattern = c.out.len == OUTPUT_CAP;
	for (size_t i = 0; pattern && i < c.out.len; i++)
		pattern = c.out.data[i] == (i % 2 ? '\n' : 'y');
	CHECK(pattern);
	CHECK_STR(child_exit_class(&c), "still running");
	/* the transcript is capped too */
	CHECK(json_array_size(tr.events) <= TRANSCRIPT_MAX_EVENTS);
	proc_end_case();
	CHECK_INT(c.running, 0);
	CHECK_STR(child_exit_class(&c), "killed by SIGKILL");
	CHECK_INT(c.out_fd, -1);
	CHECK_INT(c.err_fd, -1);
	CHECK_INT(c.pidfd, -1);
	CHECK(c.out.data == NULL && c.out.len == 0); /* the case's buffers are released */
	CHECK(no_children_left());
	proc_end_case(); /* safe twice */
	CHECK(no_children_left());
	transcript_free(&tr);
	release(&c);
}

struct escapee {
	pid_t parent, found;
};

static void note_escapee(pid_t pid, struct pstat *st, void *arg)
{
	struct escapee *s = arg;
	if (st->ppid == s->parent && st->session != s->parent && st->session == pid)
		s->found = pid;
}

/* A process whose parent is the fixture but that left its session. */
static int escaped(void *arg)
{
	struct escapee *s = arg;
	each_process(note_escapee, s);
	return s->found > 0;
}

static void test_escaped_grandchild(void)
{
	begin();
	struct child c;
	char *argv[] = { "/bin/sh", "-c", "setsid sh -c \"exec sleep 1000\" & exec sleep 1000", NULL };
	CHECK_INT(child_start(&c, "program", argv, 0, NULL, err, sizeof err), 0);
	struct escapee s = { c.pid, 0 };
	CHECK_INT(wait_until(escaped, &s, deadline_in(5000), 1), 1);
	CHECK(s.found > 0);
	struct pstat st;
	CHECK_INT(read_pstat(s.found, &st), 0);
	CHECK(st.session != c.pid); /* out of reach of a kill of the child's group */
	proc_end_case();
	CHECK_STR(child_exit_class(&c), "killed by SIGKILL");
	CHECK(no_children_left());
	CHECK_INT(read_pstat(s.found, &st), -1); /* killed and reaped */
	transcript_free(&tr);
	release(&c);
}

static void test_settled(void)
{
	/* cat asleep in read with its stdin open: settled at once */
	begin();
	struct child c;
	char *argv[] = { "/bin/cat", NULL };
	CHECK_INT(child_start(&c, "program", argv, 1, NULL, err, sizeof err), 0);
	double t0 = now_ms();
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	CHECK(now_ms() - t0 < 1000);
	struct pstat st;
	CHECK_INT(read_pstat(c.pid, &st), 0);
	CHECK(st.state == 'S');
	/* given a line, it settles again after echoing it, and the echo is in */
	CHECK_INT(child_write_stdin(&c, "abc\n", 4), 4);
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	CHECK(c.out.len == 4 && memcmp(c.out.data, "abc\n", 4) == 0);
	CHECK_STR(child_exit_class(&c), "still running");
	end();
	release(&c);
	CHECK(no_children_left());

	/* a busy loop never settles: 0 when the deadline passes, not long after */
	begin();
	char *bargv[] = { "/bin/sh", "-c", "while :; do :; done", NULL };
	CHECK_INT(child_start(&c, "program", bargv, 0, NULL, err, sizeof err), 0);
	t0 = now_ms();
	CHECK_INT(wait_settled(&c, deadline_in(300)), 0);
	double took = now_ms() - t0;
	CHECK(took >= 300);
	CHECK(took < 2000);
	CHECK_STR(child_exit_class(&c), "still running");
	end();
	release(&c);
	CHECK(no_children_left());

	/* an exited child counts as settled */
	begin();
	char *fargv[] = { "/bin/false", NULL };
	CHECK_INT(child_start(&c, "program", fargv, 0, NULL, err, sizeof err), 0);
	CHECK_INT(wait_exit(&c, deadline_in(2000)), 1);
	CHECK_INT(wait_settled(&c, deadline_in(0)), 1);
	end();
	release(&c);
}

/* Fixture programs, run as this test's own binary with the fixture's name:
   each reads lines on stdin in its main thread, beside a thread of its own. */
static void *slow_worker(void *arg)
{
	(void)arg;
	struct timespec t = { 0, 100 * 1000 * 1000 };
	nanosleep(&t, NULL); /* a slow student: the close comes a little later */
	(void)!write(1, "done\n", 5);
	return NULL;
}

static void *spinning(void *arg)
{
	(void)arg;
	for (volatile unsigned long i = 0;; i++)
		;
	return NULL;
}

static void *sleeping(void *arg)
{
	(void)arg;
	for (;;)
		sleep(60);
	return NULL;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *waiting_on_a_condition(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

static int run_fixture(const char *name)
{
	pthread_t t;
	char line[64];
	if (strcmp(name, "detached") == 0) {
		/* every line starts a detached worker that answers 100 ms later */
		while (read(0, line, sizeof line) > 0) {
			pthread_attr_t a;
			pthread_attr_init(&a);
			pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
			pthread_create(&t, &a, slow_worker, NULL);
		}
		return 0;
	}
	if (strcmp(name, "poll") == 0) {
		struct pollfd p = { 0, POLLIN, 0 };
		for (;;)
			poll(&p, 1, 60000); /* a timeout: stopped and continued, restart_syscall */
	}
	void *(*body)(void *) = strcmp(name, "spinning") == 0 ? spinning
				: strcmp(name, "sleeping") == 0 ? sleeping
								: waiting_on_a_condition;
	pthread_create(&t, NULL, body, NULL);
	while (read(0, line, sizeof line) > 0)
		;
	return 0;
}

/* Starts this binary as fixture name, stdin a pipe. */
static void start_fixture(struct child *c, const char *name)
{
	static char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	char *argv[] = { self, (char *)name, NULL };
	CHECK_INT(child_start(c, "program", argv, 1, NULL, err, sizeof err), 0);
}

/* Settling looks at every thread. */
static void test_settled_threads(void)
{
	struct child c;
	/* a thread waiting on a condition, the main one in read: settled */
	begin();
	start_fixture(&c, "condition");
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	end();
	release(&c);

	/* a spinning thread, or one asleep in nanosleep, beside the reader: never */
	const char *busy[] = { "spinning", "sleeping" };
	for (size_t i = 0; i < 2; i++) {
		begin();
		start_fixture(&c, busy[i]);
		CHECK_INT(wait_settled(&c, deadline_in(300)), 0);
		end();
		release(&c);
	}

	/* a detached worker still at work: settled only once it has answered */
	begin();
	start_fixture(&c, "detached");
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	CHECK_INT(child_write_stdin(&c, "go\n", 3), 3);
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	CHECK(c.out.len == 5 && memcmp(c.out.data, "done\n", 5) == 0);
	end();
	release(&c);

	/* stopped and continued in poll() with a timeout: in restart_syscall,
	   waiting still */
	begin();
	start_fixture(&c, "poll");
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	CHECK_INT(child_freeze(&c, 1, deadline_in(2000)), 1);
	CHECK_INT(child_freeze(&c, 0, deadline_in(2000)), 1);
	struct pstat st;
	char path[64], buf[64];
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)c.pid);
	for (struct deadline dl = deadline_in(2000); !deadline_passed(dl);)
		if (read_pstat(c.pid, &st) == 0 && st.state == 'S' && read_proc_file(path, buf, sizeof buf) > 0)
			break;
	CHECK_INT(atoi(buf), SYS_restart_syscall);
	CHECK_INT(wait_settled(&c, deadline_in(2000)), 1);
	end();
	release(&c);
	CHECK(no_children_left());
}

static void test_process_info(void)
{
	int n = count_fds(getpid());
	CHECK(n > 2);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_INT(count_fds(getpid()), n + 1);
	close(fd);
	CHECK_INT(count_fds(getpid()), n);
	CHECK_INT(count_fds(0x7fffffff), -1);

	struct pstat st;
	memset(&st, 0, sizeof st);
	CHECK_INT(read_pstat(getpid(), &st), 0);
	CHECK(st.state == 'R');
	CHECK_INT(st.ppid, getppid());
	CHECK_INT(st.pgrp, getpgrp());
	CHECK_INT(st.session, getsid(0));
	CHECK_INT(read_pstat(0x7fffffff, &st), -1);

	CHECK_INT(is_waiting_syscall(SYS_read), 1);
	CHECK_INT(is_waiting_syscall(SYS_accept), 1);
	CHECK_INT(is_waiting_syscall(SYS_recvfrom), 1);
	CHECK_INT(is_waiting_syscall(SYS_ppoll), 1);
	CHECK_INT(is_waiting_syscall(SYS_write), 0);
	CHECK_INT(is_waiting_syscall(SYS_connect), 0);
	CHECK_INT(is_waiting_syscall(SYS_nanosleep), 0);
	CHECK_INT(is_waiting_syscall(SYS_clock_nanosleep), 0);
	CHECK_INT(is_waiting_syscall(SYS_futex), 1);
	CHECK_INT(is_waiting_syscall(SYS_restart_syscall), 1);
	CHECK_INT(is_waiting_syscall(-1), 0);

	CHECK_STR(signal_name(SIGPIPE), "SIGPIPE");
	CHECK_STR(signal_name(SIGSEGV), "SIGSEGV");
	CHECK_STR(signal_name(SIGKILL), "SIGKILL");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return run_fixture(argv[1]);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* as the probe: orphans of a case become ours */
	signal(SIGPIPE, SIG_IGN);         /* as the probe */
	signal(SIGALRM, watchdog);
	alarm(60);

	test_process_info();
	test_echo();
	test_exit_classes();
	test_cat();
	test_start_options();
	test_flood();
	test_escaped_grandchild();
	test_settled();
	test_settled_threads();
	return check_summary();
}
