/* Probe-side sockets, and the programs' TCP sockets as sock_diag shows them. */
#define _GNU_SOURCE
#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc.h"

static int sockaddr_of(const char *addr, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

static int bound_socket(const char *addr, int port, int *port_out)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sockaddr_of(addr, port, &sa) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port_out = ntohs(sa.sin_port);
	return fd;
}

int pick_port(const char *addr)
{
	for (int tries = 0; tries < 100; tries++) {
		int port, fd = bound_socket(addr, 0, &port);
		if (fd < 0)
			return -1;
		close(fd);
		if (port >= 10000) /* five digits: argv has the same length every run */
			return port;
	}
	return -1;
}

int reserve_refusing_port(const char *addr, int *port)
{
	return bound_socket(addr, 0, port);
}

int tcp_listen(const char *addr, int port, int *port_out)
{
	int fd = bound_socket(addr, port, port_out);
	if (fd >= 0 && listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tcp_connect(const char *addr, int port, struct deadline dl)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (sockaddr_of(addr, port, &sa) < 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno != EINPROGRESS) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!wait_fd(fd, POLLOUT, dl)) {
			close(fd);
			errno = ETIMEDOUT;
			return -1;
		}
		int e = 0;
		socklen_t len = sizeof e;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
		if (e) {
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

static int port_of(int fd, int remote)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int r = remote ? getpeername(fd, (struct sockaddr *)&sa, &len)
		       : getsockname(fd, (struct sockaddr *)&sa, &len);
	return r < 0 ? -1 : ntohs(sa.sin_port);
}

int local_port(int fd)
{
	return port_of(fd, 0);
}

int remote_port(int fd)
{
	return port_of(fd, 1);
}

int local_addr(int fd, char *out, size_t len)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0 || sa.sin_family != AF_INET ||
	    !inet_ntop(AF_INET, &sa.sin_addr, out, (socklen_t)len))
		return -1;
	return 0;
}

int send_all(int fd, const void *p, size_t n, struct deadline dl)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = send(fd, (const char *)p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(fd, POLLOUT, dl)) {
				errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		return -1;
	}
	return 0;
}

int read_available(int fd, struct bytes *b)
{
	unsigned char buf[8192];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			bytes_append(b, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			return 1;
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
}

int read_to_eof(int fd, struct bytes *b, struct deadline dl)
{
	for (;;) {
		int r = read_available(fd, b);
		if (r != 0)
			return r;
		if (!wait_fd(fd, POLLIN, dl))
			return 0;
	}
}

void close_with_reset(int fd)
{
	struct linger l = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd);
}

/* 1 when fd (borrowed from a program) is a listening TCP socket; its local
   address into e. */
static int listening_tcp(int fd, struct tcp_entry *e)
{
	int on = 0, proto = 0;
	socklen_t l1 = sizeof on, l2 = sizeof proto;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l1) < 0 || !on ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) < 0 || proto != IPPROTO_TCP)
		return 0;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	memset(e, 0, sizeof *e);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sa->sin_addr, e->laddr, sizeof e->laddr);
		e->lport = ntohs(sa->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
		if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr))
			inet_ntop(AF_INET, &sa->sin6_addr.s6_addr[12], e->laddr, sizeof e->laddr);
		else
			inet_ntop(AF_INET6, &sa->sin6_addr, e->laddr, sizeof e->laddr);
		e->lport = ntohs(sa->sin6_port);
	} else {
		return 0;
	}
	snprintf(e->raddr, sizeof e->raddr, "%s", ss.ss_family == AF_INET ? "0.0.0.0" : "::");
	e->state = TCP_STATE_LISTEN;
	/* A listener's tcp_info: tcpi_sacked is the backlog, tcpi_unacked the queue. */
	struct tcp_info info;
	socklen_t il = sizeof info;
	memset(&info, 0, sizeof info);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &il) == 0) {
		e->backlog = (int)info.tcpi_sacked;
		e->queued = (int)info.tcpi_unacked;
	}
	return 1;
}

struct listener_search {
	pid_t sid;
	struct tcp_entry *found;
	int n;
	unsigned long inodes[64]; /* without pidfd_getfd: the session's socket inodes */
	int ninodes;
};

static int note_socket_inode(pid_t pid, int fd, const char *target, void *arg)
{
	struct listener_search *s = arg;
	(void)pid, (void)fd;
	if (strncmp(target, "socket:[", 8) == 0 && s->ninodes < 64)
		s->inodes[s->ninodes++] = strtoul(target + 8, NULL, 10);
	return 0;
}

static int listener_with_inode(struct tcp_entry *e, void *arg)
{
	struct listener_search *s = arg;
	for (int i = 0; i < s->ninodes; i++)
		if (e->inode == s->inodes[i]) {
			*s->found = *e;
			s->n = 1;
			return 1;
		}
	return 0;
}

/* A socket of a process of the session, asked through pidfd_getfd: asking
   the socket itself costs a few system calls, where a sock_diag dump of
   listeners walks the machine's whole listening table. */
static int is_listening_socket(pid_t pid, int fd, const char *target, void *arg)
{
	struct listener_search *s = arg;
	if (strncmp(target, "socket:", 7) != 0)
		return 0;
	int mine = borrow_fd(pid, fd);
	if (mine < 0)
		return 0;
	s->n = listening_tcp(mine, s->found);
	close(mine);
	return s->n;
}

static void find_listening_socket(pid_t pid, struct pstat *st, void *arg)
{
	struct listener_search *s = arg;
	if (!s->n && st->session == s->sid)
		for_each_fd(pid, can_borrow ? is_listening_socket : note_socket_inode, s);
}

int find_listener(pid_t sid, struct tcp_entry *e)
{
	struct listener_search s = { sid, e, 0, { 0 }, 0 };
	for_each_descendant(getpid(), find_listening_socket, &s);
	if (!can_borrow && s.ninodes) /* a walk of the listening table, matched by inode */
		tcp_sockets(1u << TCP_STATE_LISTEN, listener_with_inode, &s);
	return s.n;
}

struct port_count {
	int port, n;
};

static int count_on_port(struct tcp_entry *e, void *arg)
{
	struct port_count *c = arg;
	if (e->lport == c->port)
		c->n++;
	return 0;
}

int count_on_local_port(int port, unsigned states)
{
	struct port_count c = { port, 0 };
	tcp_sockets(states, count_on_port, &c);
	return c.n;
}

int count_time_wait(int port)
{
	return count_on_local_port(port, 1u << TCP_STATE_TIME_WAIT);
}

struct state_count {
	int rport, state, n;
};

static int count_to(struct tcp_entry *e, void *arg)
{
	struct state_count *s = arg;
	if (e->rport == s->rport && e->state == s->state)
		s->n++;
	return 0;
}

int count_state_to(int rport, int state)
{
	struct state_count s = { rport, state, 0 };
	tcp_sockets(1u << state, count_to, &s);
	return s.n;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int unix_dgram_bind(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || unix_addr(path, &sa) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	chmod(path, 0777); /* a program running as another uid may send to it */
	return fd;
}

int unix_dgram_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || unix_addr(path, &sa) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int make_stale_socket(const char *path)
{
	int fd = unix_dgram_bind(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
