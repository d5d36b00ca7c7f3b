/* diag.c and net.c: the TCP sockets sock_diag reports, on live sockets of this
   process (listeners, a connection through its states, v6 and v4-mapped).
   Every state change is waited for with a deadline, never slept for. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "net.h"
#include "proc.h"

struct wanted {
	int port, state, found, other_state;
	struct tcp_entry e;
};

/* Looks for port as local port; notes any socket of another state than asked. */
static int find_port(struct tcp_entry *e, void *arg)
{
	struct wanted *w = arg;
	if (e->state != w->state)
		w->other_state = 1;
	if (e->lport != w->port)
		return 0;
	w->e = *e;
	w->found = 1;
	return 1;
}

static int listener(int family, const char *addr, int *port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
		sa->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sa->sin_addr);
		len = sizeof *sa;
	} else {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
		sa->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &sa->sin6_addr);
		len = sizeof *sa;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	*port = local_port(fd);
	return fd;
}

static void test_v4_listener(void)
{
	int port;
	int fd = listener(AF_INET, "127.0.0.1", &port);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_INT(fstat(fd, &st), 0);
	struct wanted w = { .port = port, .state = TCP_STATE_LISTEN };
	CHECK_INT(tcp_sockets(1u << TCP_STATE_LISTEN, find_port, &w), 1);
	CHECK_INT(w.found, 1);
	CHECK_STR(w.e.laddr, "127.0.0.1");
	CHECK_STR(w.e.raddr, "0.0.0.0");
	CHECK_INT(w.e.rport, 0);
	CHECK_INT(w.e.state, TCP_STATE_LISTEN);
	CHECK_INT(w.e.inode, st.st_ino);
	CHECK_INT(w.other_state, 0); /* the mask is obeyed */
	close(fd);
	struct wanted gone = { .port = port, .state = TCP_STATE_LISTEN };
	CHECK_INT(tcp_sockets(1u << TCP_STATE_LISTEN, find_port, &gone), 0);
	CHECK_INT(gone.found, 0);
}

struct pair {
	int server_port, client_port, state;
};

static int client_in_state(void *arg)
{
	struct pair *p = arg;
	return tcp_state("127.0.0.1", p->client_port, "127.0.0.1", p->server_port) == p->state;
}

static int server_in_time_wait(void *arg)
{
	return count_time_wait(((struct pair *)arg)->server_port) == 1;
}

/* A connection through ESTABLISHED, CLOSE_WAIT (the server closed first) and
   TIME_WAIT (on the server's port). */
static void test_connection_states(void)
{
	int port;
	int lfd = listener(AF_INET, "127.0.0.1", &port);
	CHECK(lfd >= 0);
	int cfd = tcp_connect("127.0.0.1", port, deadline_in(2000));
	CHECK(cfd >= 0);
	int sfd = accept(lfd, NULL, NULL);
	CHECK(sfd >= 0);
	struct pair p = { port, local_port(cfd), TCP_STATE_ESTABLISHED };
	CHECK(client_in_state(&p));
	CHECK_INT(count_state_to(port, TCP_STATE_ESTABLISHED), 1);
	close(sfd);
	p.state = TCP_STATE_CLOSE_WAIT;
	CHECK(wait_until(client_in_state, &p, deadline_in(2000), 1));
	CHECK_INT(count_state_to(port, TCP_STATE_CLOSE_WAIT), 1);
	CHECK_INT(count_time_wait(port), 0);
	close(cfd);
	CHECK(wait_until(server_in_time_wait, &p, deadline_in(2000), 1));
	CHECK_INT(tcp_state("127.0.0.1", p.client_port, "127.0.0.1", port), 0); /* the client's side is gone */
	/* the server's side is in TIME_WAIT, found by its four-tuple too */
	CHECK_INT(tcp_state("127.0.0.1", port, "127.0.0.1", p.client_port), TCP_STATE_TIME_WAIT);
	/* a lookup of a gone connection on a listening port finds no socket,
	   not the listener */
	CHECK_INT(tcp_state("127.0.0.1", port, "127.0.0.1", 9), 0);
	close(lfd);
}

/* A dual-stack listener on [::] shows as "::"; a v4 client's connection on
   it shows v4 addresses. */
static void test_v6(void)
{
	int port;
	int lfd = listener(AF_INET6, "::", &port);
	if (lfd < 0) {
		fprintf(stderr, "test_tcpdiag: no IPv6 here, v6 checks skipped\n");
		return;
	}
	struct wanted w = { .port = port, .state = TCP_STATE_LISTEN };
	CHECK_INT(tcp_sockets(1u << TCP_STATE_LISTEN, find_port, &w), 1);
	CHECK_STR(w.e.laddr, "::");
	int cfd = tcp_connect("127.0.0.1", port, deadline_in(2000));
	CHECK(cfd >= 0);
	int sfd = accept(lfd, NULL, NULL);
	CHECK(sfd >= 0);
	struct wanted conn = { .port = port, .state = TCP_STATE_ESTABLISHED };
	CHECK_INT(tcp_sockets(1u << TCP_STATE_ESTABLISHED, find_port, &conn), 1);
	CHECK_STR(conn.e.laddr, "127.0.0.1");
	CHECK_STR(conn.e.raddr, "127.0.0.1");
	CHECK_INT(conn.e.rport, local_port(cfd));
	/* the accepted side is a v6 socket: found by its v4 four-tuple all the same */
	CHECK_INT(tcp_state("127.0.0.1", port, "127.0.0.1", local_port(cfd)), TCP_STATE_ESTABLISHED);
	CHECK_INT(tcp_state("127.0.0.1", local_port(cfd), "127.0.0.1", port), TCP_STATE_ESTABLISHED);
	close(sfd);
	close(cfd);
	close(lfd);
}

int main(void)
{
	test_v4_listener();
	test_connection_states();
	test_v6();
	return check_summary();
}
