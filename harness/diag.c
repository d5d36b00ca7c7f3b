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
#include <stdio.h>
#include <string.h>
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

/* One socket by its four-tuple (local laddr:lport, remote raddr:rport), as
   family (a v4 pair asked as AF_INET6 is looked up v4-mapped): a hash
   lookup in the kernel, no walk. 1 found (its state into *state, bytes
   received into *received when asked), 0 none, -1 error. */
static int exact_lookup(int family, const char *laddr, int lport, const char *raddr, int rport, int *state,
			long long *received)
{
	struct diag_request msg;
	diag_request(&msg, family, ~0u, 0);
	msg.req.idiag_ext = received ? 1 << (INET_DIAG_INFO - 1) : 0;
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
	*state = m->idiag_state;
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (struct rtattr *a = (struct rtattr *)(m + 1); received && RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		struct tcp_info info;
		memset(&info, 0, sizeof info);
		size_t got = RTA_PAYLOAD(a) < sizeof info ? RTA_PAYLOAD(a) : sizeof info;
		memcpy(&info, RTA_DATA(a), got);
		*received = got >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received
				    ? (long long)info.tcpi_bytes_received
				    : -1;
	}
out:
	close(fd);
	return result;
}

long long tcp_bytes_received(const char *laddr, int lport, const char *raddr, int rport)
{
	int state;
	long long received = -1;
	return exact_lookup(AF_INET, laddr, lport, raddr, rport, &state, &received) == 1 ? received : -1;
}

int tcp_state(const char *laddr, int lport, const char *raddr, int rport)
{
	int state = 0;
	/* A v4 connection accepted on a v6 socket (a server on [::]) is an AF_INET6 socket. */
	if (exact_lookup(AF_INET, laddr, lport, raddr, rport, &state, NULL) != 1 &&
	    exact_lookup(AF_INET6, laddr, lport, raddr, rport, &state, NULL) != 1)
		return 0;
	return state;
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
