/* stuck.c: real processes asleep in endless waits are judged stuck; ones that
   run, or sleep with a timer, a timeout or a receive timeout, never are.
   Every wait here is for an event with a deadline: the fixtures signal over a
   pipe that they are about to block, and the test then waits until /proc
   shows them asleep in the expected call. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int stuck_quiet(void *arg)
{
	char *what = arg;
	return processes_stuck(1, kid, what, 96);
}

static int stuck_noisy(void *arg)
{
	char *what = arg;
	return processes_stuck(0, kid, what, 96);
}

/* Asks n times, as fast as it can: a fixture that must never be judged stuck. */
static int never_stuck(int quiet_net, int n)
{
	char what[96];
	for (int i = 0; i < n; i++)
		if (processes_stuck(quiet_net, kid, what, sizeof what))
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
	char what[96];
	fixture(in_accept);
	CHECK(wait_until(stuck_quiet, what, deadline_in(5000), 1));
	CHECK_STR(what, "accept() on a network socket");
	CHECK(never_stuck(0, 50)); /* a packet might still be on its way */
	kill_fixture();

	if (pipe(stdin_pipe) < 0)
		abort();
	fixture(in_read_pipe);
	close(stdin_pipe[0]);
	CHECK(wait_until(stuck_noisy, what, deadline_in(5000), 1));
	CHECK_STR(what, "read() on a pipe");
	kill_fixture();
	close(stdin_pipe[1]);

	fixture(in_poll_forever);
	CHECK(wait_until(stuck_quiet, what, deadline_in(5000), 1));
	CHECK_STR(what, "poll()");
	CHECK(never_stuck(0, 50)); /* its descriptors are unknown */
	kill_fixture();

	fixture(in_pause_beside_a_zombie);
	CHECK(wait_until(stuck_noisy, what, deadline_in(5000), 1));
	CHECK_STR(what, "pause()");
	kill_fixture();
}

static void test_waits_that_end(void)
{
	void (*bodies[])(void) = { in_accept_with_timeout, in_poll_with_timeout, in_pause_with_timer };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		fixture(bodies[i]);
		CHECK(wait_until(fixture_asleep, NULL, deadline_in(5000), 1));
		CHECK(never_stuck(1, 50));
		kill_fixture();
	}
}

static void test_running(void)
{
	fixture(spin);
	CHECK(never_stuck(1, 200));
	kill_fixture();
	fixture(in_pause_beside_a_spinning_thread);
	CHECK(never_stuck(1, 200));
	kill_fixture();
	fixture(ping_pong);
	CHECK(never_stuck(1, 5000));
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
	return processes_stuck(0, a->pid, a->what, sizeof a->what);
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
	CHECK(!processes_stuck(1, 0, what, sizeof what)); /* no process is not a stuck one */
}

int main(void)
{
	alarm(60); /* a watchdog, not a synchronisation: a hung wait fails the test */
	test_endless_waits();
	test_waits_that_end();
	test_running();
	test_described_process();
	test_nothing_started();
	return check_summary();
}
