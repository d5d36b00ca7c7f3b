/* stuck.c: real processes asleep in endless waits are judged stuck; ones that
   run, or sleep with a timer, a timeout or a receive timeout, never are.
   Every wait here is for an event with a deadline: the fixtures signal over a
   pipe that they are about to block, and the test then waits until /proc
   shows them asleep in the expected call. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "stuck.h"

static pid_t kid;
static int ready[2];

/* Forks a fixture that runs body(); returns once it said it is about to block. */
static void fixture(void (*body)(void))
{
	if (pipe(ready) < 0)
		abort();
	kid = fork();
	if (kid == 0) {
		setpgid(0, 0);
		close(ready[0]);
		body();
		_exit(0);
	}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1)
		abort();
}

static void said_ready(void)
{
	(void)!write(ready[1], "r", 1);
}

static void kill_fixture(void)
{
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	close(ready[0]);
}

/* Every thread of the fixture asleep in a system call other than the one
   that told the pipe it is ready. */
static int fixture_asleep(void *arg)
{
	(void)arg;
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)kid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	return rp && rp[2] == 'S';
}

static int stuck(void *arg)
{
	char *what = arg;
	return processes_stuck(kid, what, 96);
}

/* Asks n times, as fast as it can: a fixture that must never be judged stuck. */
static int never_stuck(int n)
{
	char what[96];
	for (int i = 0; i < n; i++)
		if (processes_stuck(kid, what, sizeof what))
			return 0;
	return 1;
}

static int listener(int rcvtimeo_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (rcvtimeo_ms) {
		struct timeval tv = { rcvtimeo_ms / 1000, (rcvtimeo_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0)
		_exit(9);
	return fd;
}

static void in_accept(void)
{
	int fd = listener(0);
	said_ready();
	accept(fd, NULL, NULL);
}

static void in_accept_with_timeout(void)
{
	int fd = listener(60000);
	said_ready();
	accept(fd, NULL, NULL);
}

static int stdin_pipe[2];
static void in_read_pipe(void)
{
	close(stdin_pipe[1]);
	char c;
	said_ready();
	(void)!read(stdin_pipe[0], &c, 1);
}

static void in_poll_with_timeout(void)
{
	said_ready();
	poll(NULL, 0, 60000);
}

static void in_poll_forever(void)
{
	said_ready();
	poll(NULL, 0, -1);
}

static void in_pause_with_timer(void)
{
	timer_t t;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct itimerspec its = { .it_value = { 60, 0 } };
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0 || timer_settime(t, 0, &its, NULL) < 0)
		_exit(9);
	said_ready();
	pause();
}

/* A connection under way for ever: the listener's accept queue is full (one
   connection, backlog 0), so the kernel drops the second SYN and retries it,
   with nobody to accept; meanwhile the fixture waits in pause(). A packet is
   always about to be sent: never stuck, however long it stays so. */
static void connect_and_pause(int twice)
{
	int l = listener(0), one = socket(AF_INET, SOCK_STREAM, 0), two = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	if (listen(l, 0) < 0 || getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    connect(one, (struct sockaddr *)&sa, len) < 0)
		_exit(9);
	if (twice)
		(void)!connect(two, (struct sockaddr *)&sa, len);
	said_ready();
	pause();
}

static void in_pause_with_a_connect_under_way(void)
{
	connect_and_pause(1);
}

/* The first connection alone: established, waiting in the accept queue,
   nothing on its way. */
static void in_pause_with_a_connection_queued(void)
{
	connect_and_pause(0);
}

static int word; /* a futex word nobody changes */

static void *wait_on_word(void *arg)
{
	struct timespec *timeout = arg;
	syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, timeout, NULL, 0);
	return NULL;
}

/* A main thread joining a thread that waits on a futex: both for ever. */
static void joining_a_futex_waiter(void)
{
	pthread_t t;
	pthread_create(&t, NULL, wait_on_word, NULL);
	said_ready();
	pthread_join(t, NULL);
}

/* The same, but the waiter has a timeout: it will end, and the join with it. */
static void joining_a_timed_futex_waiter(void)
{
	static struct timespec minute = { 60, 0 };
	pthread_t t;
	pthread_create(&t, NULL, wait_on_word, &minute);
	said_ready();
	pthread_join(t, NULL);
}

/* A worker thread in accept(), the main thread in a condition wait. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *accepting(void *arg)
{
	int fd = listener(0);
	(void)arg;
	accept(fd, NULL, NULL);
	return NULL;
}

static void cond_wait_beside_an_acceptor(void)
{
	pthread_t t;
	pthread_create(&t, NULL, accepting, NULL);
	said_ready();
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
}

/* A worker thread in accept(), the main thread asleep in nanosleep(): it will
   wake on its own. */
static void sleeping_beside_an_acceptor(void)
{
	pthread_t t;
	pthread_create(&t, NULL, accepting, NULL);
	said_ready();
	sleep(60);
}

/* Two processes waiting on a System V semaphore nobody will raise. */
static void in_semop(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	struct sembuf down = { 0, -1, 0 };
	if (id < 0)
		_exit(9);
	if (fork() == 0) {
		semop(id, &down, 1);
		_exit(0);
	}
	said_ready();
	semop(id, &down, 1);
}

static void spin(void)
{
	said_ready();
	for (volatile unsigned long i = 0;; i++)
		;
}

static void *spinner(void *arg)
{
	(void)arg;
	for (volatile unsigned long i = 0;; i++)
		;
	return NULL;
}

static void in_pause_beside_a_spinning_thread(void)
{
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	said_ready();
	pause();
}

static void in_pause_beside_a_zombie(void)
{
	if (fork() == 0)
		_exit(0);
	said_ready();
	pause();
}

/* Two processes bouncing a byte through two pipes for ever: at every moment
   one of them is about to run, though a look at one and then the other may
   find both asleep. */
static void ping_pong(void)
{
	int ab[2], ba[2];
	if (pipe(ab) < 0 || pipe(ba) < 0)
		_exit(9);
	char c = 'x';
	if (fork() == 0) {
		for (;;)
			if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
				_exit(0);
	}
	(void)!write(ab[1], &c, 1);
	said_ready();
	for (;;)
		if (read(ba[0], &c, 1) != 1 || write(ab[1], &c, 1) != 1)
			_exit(0);
}

static void test_endless_waits(void)
{
	/* every thread counts, and the report names the first of the process */
	static const struct {
		void (*body)(void);
		const char *what;
	} endless[] = {
		{ in_accept, "accept() on a network socket" },
		{ in_read_pipe, "read() on a pipe" },
		{ in_poll_forever, "poll()" },
		{ in_pause_beside_a_zombie, "pause()" },
		{ joining_a_futex_waiter, "futex()" },
		{ cond_wait_beside_an_acceptor, "futex()" },
		{ in_pause_with_a_connection_queued, "pause()" },
		{ in_semop, "semtimedop()" }, /* glibc's semop() */
	};
	char what[96];
	if (pipe(stdin_pipe) < 0)
		abort();
	for (size_t i = 0; i < sizeof endless / sizeof endless[0]; i++) {
		fixture(endless[i].body);
		if (endless[i].body == in_read_pipe)
			close(stdin_pipe[0]);
		CHECK(wait_until(stuck, what, deadline_in(5000), 1));
		CHECK_STR(what, endless[i].what);
		kill(-kid, SIGKILL); /* its children too: the group */
		kill_fixture();
	}
	close(stdin_pipe[1]);
}

/* Every thread of the fixture asleep in some call but the one it said it was
   ready from: /proc/PID/task/TID/stat of each. */
static int all_threads_asleep(void *arg)
{
	(void)arg;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)kid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int asleep = 1, n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			struct pstat st;
			n++;
			asleep &= read_task_pstat(kid, (pid_t)atoi(e->d_name), &st) == 0 && st.state == 'S';
		}
	closedir(d);
	return asleep && n > 1;
}

/* Threads that will act on their own: a timed futex wait, a sleep; and a
   connection under way. */
static void test_threads_that_will_act(void)
{
	void (*bodies[])(void) = { joining_a_timed_futex_waiter, sleeping_beside_an_acceptor };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		fixture(bodies[i]);
		CHECK(wait_until(all_threads_asleep, NULL, deadline_in(5000), 1));
		CHECK(never_stuck(50));
		kill_fixture();
	}
	fixture(in_pause_with_a_connect_under_way);
	CHECK(wait_until(fixture_asleep, NULL, deadline_in(5000), 1));
	CHECK(never_stuck(200));
	kill_fixture();
}

/* A process stopped and continued in poll() with a timeout sleeps in
   restart_syscall: it will time out, so it is never stuck. */
static void test_restarted_poll(void)
{
	fixture(in_poll_with_timeout);
	CHECK(wait_until(fixture_asleep, NULL, deadline_in(5000), 1));
	kill(kid, SIGSTOP);
	kill(kid, SIGCONT);
	CHECK(wait_until(fixture_asleep, NULL, deadline_in(5000), 1));
	CHECK(never_stuck(50));
	kill_fixture();
}

static void test_waits_that_end(void)
{
	void (*bodies[])(void) = { in_accept_with_timeout, in_poll_with_timeout, in_pause_with_timer };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		fixture(bodies[i]);
		CHECK(wait_until(fixture_asleep, NULL, deadline_in(5000), 1));
		CHECK(never_stuck(50));
		kill_fixture();
	}
}

static void test_running(void)
{
	fixture(spin);
	CHECK(never_stuck(200));
	kill_fixture();
	fixture(in_pause_beside_a_spinning_thread);
	CHECK(never_stuck(200));
	kill_fixture();
	fixture(ping_pong);
	CHECK(never_stuck(5000));
	kill(-kid, SIGKILL); /* its partner too: the group */
	kill_fixture();
}

struct about {
	pid_t pid;
	char what[96];
};

static int stuck_about(void *arg)
{
	struct about *a = arg;
	return processes_stuck(a->pid, a->what, sizeof a->what);
}

/* The description names the call of the process asked about, not merely the
   first one found: a reader (found first) whose child waits in pause(). */
static void test_described_process(void)
{
	int pp[2];
	if (pipe(pp) < 0)
		abort();
	kid = fork();
	if (kid == 0) {
		setpgid(0, 0);
		int own[2];
		if (pipe(own) < 0)
			_exit(9);
		pid_t c = fork();
		if (c == 0)
			for (;;)
				pause();
		(void)!write(pp[1], &c, sizeof c);
		char x;
		(void)!read(own[0], &x, 1); /* its own pipe: nobody else will write */
		_exit(0);
	}
	close(pp[1]);
	ready[0] = pp[0];
	struct about a = { 0, "" };
	CHECK(read(pp[0], &a.pid, sizeof a.pid) == sizeof a.pid);
	CHECK(wait_until(stuck_about, &a, deadline_in(5000), 1));
	CHECK_STR(a.what, "pause()");
	a.pid = kid;
	CHECK(stuck_about(&a));
	CHECK_STR(a.what, "read() on a pipe");
	kill(-kid, SIGKILL);
	kill_fixture();
}

static void test_nothing_started(void)
{
	char what[96];
	CHECK(!processes_stuck(0, what, sizeof what)); /* no process is not a stuck one */
}

int main(void)
{
	alarm(60); /* a watchdog, not a synchronisation: a hung wait fails the test */
	test_endless_waits();
	test_waits_that_end();
	test_threads_that_will_act();
	test_restarted_poll();
	test_running();
	test_described_process();
	test_nothing_started();
	return check_summary();
}
