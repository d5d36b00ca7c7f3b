/* Probe-side sockets and /proc/net/tcp. */
#define _GNU_SOURCE
#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

int parse_tcp_line(const char *line, int v6, struct tcp_entry *e)
{
	char la[40], ra[40];
	unsigned lp, rp, st;
	unsigned long inode;
	if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*s %*s %lu",
		   la, &lp, ra, &rp, &st, &inode) != 6)
		return -1;
	char *addrs[2] = { la, ra }, *outs[2] = { e->laddr, e->raddr };
	for (int k = 0; k < 2; k++) {
		if (strlen(addrs[k]) != (v6 ? 32u : 8u))
			return -1;
		if (!v6) {
			struct in_addr a = { (in_addr_t)strtoul(addrs[k], NULL, 16) };
			inet_ntop(AF_INET, &a, outs[k], 64);
			continue;
		}
		struct in6_addr a6;
		for (int w = 0; w < 4; w++) {
			char word[9];
			memcpy(word, addrs[k] + w * 8, 8);
			word[8] = '\0';
			uint32_t v = (uint32_t)strtoul(word, NULL, 16);
			memcpy(&a6.s6_addr[w * 4], &v, 4);
		}
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			inet_ntop(AF_INET, &a6.s6_addr[12], outs[k], 64);
		else
			inet_ntop(AF_INET6, &a6, outs[k], 64);
	}
	e->lport = (int)lp;
	e->rport = (int)rp;
	e->state = (int)st;
	e->inode = inode;
	return 0;
}

struct inode_scan {
	pid_t sid;
	unsigned long *inodes;
	int n, max;
};

static void collect_socket_inodes(pid_t pid, struct pstat *st, void *arg)
{
	struct inode_scan *s = arg;
	if (st->session != s->sid)
		return;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *fdd = opendir(path);
	if (!fdd)
		return;
	struct dirent *f;
	while ((f = readdir(fdd)) && s->n < s->max) {
		char link[300], target[64];
		snprintf(link, sizeof link, "/proc/%d/fd/%s", (int)pid, f->d_name);
		ssize_t len = readlink(link, target, sizeof target - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		unsigned long inode;
		if (sscanf(target, "socket:[%lu]", &inode) == 1)
			s->inodes[s->n++] = inode;
	}
	closedir(fdd);
}

/* Socket inodes of every process of session sid (at most max): the probe's
   descendants, as the probe started the session. */
static int session_socket_inodes(pid_t sid, unsigned long *inodes, int max)
{
	struct inode_scan s = { sid, inodes, 0, max };
	for_each_descendant(getpid(), collect_socket_inodes, &s);
	return s.n;
}

/* Calls fn on each entry of /proc/PID/net/tcp and tcp6 until it returns 1. */
static int scan_tcp(pid_t pid, int (*fn)(struct tcp_entry *, void *), void *arg)
{
	static const char *const files[2] = { "tcp", "tcp6" };
	for (int v6 = 0; v6 < 2; v6++) {
		char path[64], line[512];
		snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, files[v6]);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		struct tcp_entry e;
		while (fgets(line, sizeof line, f))
			if (parse_tcp_line(line, v6, &e) == 0 && fn(&e, arg)) {
				fclose(f);
				return 1;
			}
		fclose(f);
	}
	return 0;
}

struct listener_search {
	unsigned long inodes[256];
	int n;
	struct tcp_entry *found;
};

static int is_session_listener(struct tcp_entry *e, void *arg)
{
	struct listener_search *s = arg;
	if (e->state != 0x0A)
		return 0;
	for (int i = 0; i < s->n; i++)
		if (s->inodes[i] == e->inode) {
			*s->found = *e;
			return 1;
		}
	return 0;
}

int find_listener(pid_t pid, pid_t sid, struct tcp_entry *e)
{
	struct listener_search s;
	s.n = session_socket_inodes(sid, s.inodes, 256);
	s.found = e;
	return s.n > 0 && scan_tcp(pid, is_session_listener, &s);
}

struct tw_count {
	int port, n;
};

static int count_tw(struct tcp_entry *e, void *arg)
{
	struct tw_count *c = arg;
	if (e->state == 0x06 && e->lport == c->port)
		c->n++;
	return 0;
}

int count_time_wait(pid_t pid, int port)
{
	struct tw_count c = { port, 0 };
	scan_tcp(pid, count_tw, &c);
	return c.n;
}

struct state_search {
	int lport, rport, state;
};

static int find_state(struct tcp_entry *e, void *arg)
{
	struct state_search *s = arg;
	if (e->lport != s->lport || e->rport != s->rport)
		return 0;
	s->state = e->state;
	return 1;
}

int tcp_state(pid_t pid, int lport, int rport)
{
	struct state_search s = { lport, rport, 0 };
	scan_tcp(pid, find_state, &s);
	return s.state;
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

int count_state_to(pid_t pid, int rport, int state)
{
	struct state_count s = { rport, state, 0 };
	scan_tcp(pid, count_to, &s);
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
