/* What sock_diag tells about the TCP sockets of the probe's network
   namespace (the programs share it): a dump of the sockets in some states,
   and how many bytes one connection has received. A dump of listeners walks
   only the listening table, where /proc/net/tcp walks the whole established
   hash (262144 buckets here) on every read. Kept apart: linux/tcp.h clashes
   with netinet/tcp.h. */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/* A sock_diag request for TCP sockets of family in the given states. */
struct diag_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

static void diag_request(struct diag_request *msg, int family, unsigned states, int dump)
{
	memset(msg, 0, sizeof *msg);
	msg->nlh.nlmsg_len = sizeof *msg;
	msg->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg->nlh.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	msg->req.sdiag_family = (uint8_t)family;
	msg->req.sdiag_protocol = IPPROTO_TCP;
	msg->req.idiag_states = states;
}

/* What an exact lookup found of one socket. */
struct found {
	int state;
	unsigned wqueue;     /* bytes (and a FIN) sent but not yet acknowledged */
	long long received;  /* tcpi_bytes_received (a FIN counts one), or -1 */
	long long acked;     /* tcpi_bytes_acked (likewise), or -1 */
};

/* One socket by its four-tuple (local laddr:lport, remote raddr:rport), as
   family (a v4 pair asked as AF_INET6 is looked up v4-mapped): a hash
   lookup in the kernel, no walk. 1 found (into *f; received only when
   want_info), 0 none, -1 error. */
static int exact_lookup(int family, const char *laddr, int lport, const char *raddr, int rport, struct found *f,
			int want_info)
{
	struct diag_request msg;
	diag_request(&msg, family, ~0u, 0);
	msg.req.idiag_ext = want_info ? 1 << (INET_DIAG_INFO - 1) : 0;
	msg.req.id.idiag_sport = htons((uint16_t)lport);
	msg.req.id.idiag_dport = htons((uint16_t)rport);
	msg.req.id.idiag_cookie[0] = msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	const char *addrs[2] = { laddr, raddr };
	uint32_t *words[2] = { msg.req.id.idiag_src, msg.req.id.idiag_dst };
	for (int k = 0; k < 2; k++) {
		if (inet_pton(AF_INET, addrs[k], family == AF_INET ? &words[k][0] : &words[k][3]) != 1)
			return -1;
		if (family == AF_INET6)
			words[k][2] = htonl(0xffff); /* ::ffff:a.b.c.d */
	}
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	int result = -1;
	char buf[8192];
	ssize_t n;
	if (send(fd, &msg, sizeof msg, 0) < 0 || (n = recv(fd, buf, sizeof buf, 0)) <= 0)
		goto out;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n))
		goto out;
	if (h->nlmsg_type == NLMSG_ERROR) {
		result = 0; /* ENOENT: no such socket */
		goto out;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		goto out;
	struct inet_diag_msg *m = NLMSG_DATA(h);
	/* With the connection gone the kernel's lookup falls back to the
	   listener on lport: not the socket asked for. */
	if (ntohs(m->id.idiag_dport) != rport) {
		result = 0;
		goto out;
	}
	result = 1;
	f->state = m->idiag_state;
	f->wqueue = m->idiag_wqueue;
	f->received = f->acked = -1;
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (struct rtattr *a = (struct rtattr *)(m + 1); want_info && RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		struct tcp_info info;
		memset(&info, 0, sizeof info);
		size_t got = RTA_PAYLOAD(a) < sizeof info ? RTA_PAYLOAD(a) : sizeof info;
		memcpy(&info, RTA_DATA(a), got);
		if (got >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) {
			f->received = (long long)info.tcpi_bytes_received;
			f->acked = (long long)info.tcpi_bytes_acked;
		}
	}
out:
	close(fd);
	return result;
}

/* The socket laddr:lport -> raddr:rport as an AF_INET socket, or (a v4
   connection accepted on a v6 socket, a server on [::]) an AF_INET6 one. */
static int lookup_either(const char *laddr, int lport, const char *raddr, int rport, struct found *f, int want_info)
{
	int r = exact_lookup(AF_INET, laddr, lport, raddr, rport, f, want_info);
	return r == 1 ? 1 : exact_lookup(AF_INET6, laddr, lport, raddr, rport, f, want_info);
}

long long tcp_bytes_received(const char *laddr, int lport, const char *raddr, int rport)
{
	struct found f;
	return exact_lookup(AF_INET, laddr, lport, raddr, rport, &f, 1) == 1 ? f.received : -1;
}

int tcp_state(const char *laddr, int lport, const char *raddr, int rport)
{
	struct found f;
	return lookup_either(laddr, lport, raddr, rport, &f, 0) == 1 ? f.state : 0;
}

/* The address of a v4 or v4-mapped v6 socket address as v4 text, and its
   port. 0, or -1 for anything else. */
static int v4_text(const struct sockaddr_storage *ss, char *out, size_t len, int *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
		*port = ntohs(sa->sin_port);
		return inet_ntop(AF_INET, &sa->sin_addr, out, (socklen_t)len) ? 0 : -1;
	}
	const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr))
		return -1;
	*port = ntohs(sa->sin6_port);
	return inet_ntop(AF_INET, &sa->sin6_addr.s6_addr[12], out, (socklen_t)len) ? 0 : -1;
}

int socket_quiet(int fd)
{
	int domain = 0, type = 0, proto = 0;
	socklen_t l = sizeof domain;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0)
		return 0;
	if (domain != AF_INET && domain != AF_INET6)
		return 1; /* a Unix socket's sends are in the receiver's queue when they return */
	l = sizeof type;
	socklen_t lp = sizeof proto;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &lp) < 0)
		return 0;
	if (type != SOCK_STREAM || proto != IPPROTO_TCP)
		return 0; /* a datagram may be in the loopback's queue */
	struct tcp_info info;
	socklen_t il = sizeof info;
	memset(&info, 0, sizeof info);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &il) < 0)
		return 0;
	switch (info.tcpi_state) {
	case TCP_STATE_LISTEN:
	case TCP_STATE_CLOSE:
		return 1; /* handshakes are seen from their client's side */
	case TCP_STATE_SYN_SENT:
	case TCP_STATE_SYN_RECV:
		return 0;
	}
	int outq = 0;
	if (ioctl(fd, SIOCOUTQ, &outq) < 0 || il < offsetof(struct tcp_info, tcpi_bytes_received) + 8)
		return 0;
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof me, pl = sizeof peer;
	char maddr[INET_ADDRSTRLEN], paddr[INET_ADDRSTRLEN];
	int mport, pport;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 || getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 ||
	    v4_text(&me, maddr, sizeof maddr, &mport) < 0 || v4_text(&peer, paddr, sizeof paddr, &pport) < 0)
		return 0;
	/* The other end, whoever holds it, or nobody (closed, its FIN pending). */
	struct found f;
	if (lookup_either(paddr, pport, maddr, mport, &f, 1) != 1)
		return 0; /* gone while this end is open: a reset on its way */
	if (f.received < 0 && (f.state == TCP_STATE_TIME_WAIT || f.state == TCP_STATE_FIN_WAIT2))
		return outq == 0; /* a closed end the kernel keeps as a minisocket (no tcp_info): its
				     FIN was acknowledged, it sends nothing more; this end's bytes reached it */
	if (f.state == TCP_STATE_SYN_RECV || f.state == TCP_STATE_SYN_SENT || f.received < 0)
		return 0;
	/* Sent and not yet received, each way: what one end has written (acked,
	   plus its send queue) beyond what the other has received, summed over
	   both ways. The end that connected counts its SYN among its acked bytes
	   and the other does not count it among its received ones (a FIN, both
	   do), so with nothing in flight either way the sum is exactly 1. Bytes
	   received but not yet acknowledged (a delayed ACK) are there already;
	   the ACK can only wake a writer waiting for room, so this end, which a
	   program or the probe may be waiting on, must have room now. */
	if ((long long)info.tcpi_bytes_acked + outq - f.received + f.acked + (long long)f.wqueue -
		    (long long)info.tcpi_bytes_received != 1)
		return 0;
	struct pollfd p = { fd, POLLOUT, 0 };
	return outq == 0 || (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT));
}

/* addr (4 words, network order) of family as text; a v4-mapped v6 address as v4. */
static void addr_text(int family, const uint32_t *addr, char *out, size_t len)
{
	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr))
		inet_ntop(AF_INET, &addr[3], out, (socklen_t)len);
	else
		inet_ntop(family, addr, out, (socklen_t)len);
}

/* One dump of family; 1 when fn said stop, 0 at its end, -1 on an error. */
static int dump_family(int family, unsigned states, int (*fn)(struct tcp_entry *, void *), void *arg)
{
	struct diag_request msg;
	diag_request(&msg, family, states, 1);
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	int result = -1;
	if (send(fd, &msg, sizeof msg, 0) < 0)
		goto out;
	static char buf[32768];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			goto out;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				result = 0;
				goto out;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
				goto out; /* NLMSG_ERROR */
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct tcp_entry e;
			addr_text(m->idiag_family, m->id.idiag_src, e.laddr, sizeof e.laddr);
			addr_text(m->idiag_family, m->id.idiag_dst, e.raddr, sizeof e.raddr);
			e.lport = ntohs(m->id.idiag_sport);
			e.rport = ntohs(m->id.idiag_dport);
			e.state = m->idiag_state;
			e.inode = m->idiag_inode;
			/* a listener: the accept queue and its maximum */
			e.queued = e.state == TCP_STATE_LISTEN ? (int)m->idiag_rqueue : 0;
			e.backlog = e.state == TCP_STATE_LISTEN ? (int)m->idiag_wqueue : 0;
			if (fn(&e, arg)) {
				result = 1;
				goto out;
			}
		}
	}
out:
	close(fd);
	return result;
}

int tcp_sockets(unsigned states, int (*fn)(struct tcp_entry *, void *), void *arg)
{
	int r = dump_family(AF_INET, states, fn, arg);
	return r ? r : dump_family(AF_INET6, states, fn, arg);
}
