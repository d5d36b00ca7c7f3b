/* tcp_bytes_received through sock_diag: how many bytes a program's socket
   has received, so the probe knows a reply reached it before it checks
   whether the program has settled. Kept apart: linux/tcp.h clashes with
   netinet/tcp.h. */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

long long tcp_bytes_received(const char *laddr, int lport, const char *raddr, int rport)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	memset(&msg, 0, sizeof msg);
	msg.nlh.nlmsg_len = sizeof msg;
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.req.sdiag_family = AF_INET;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	msg.req.idiag_states = ~0u;
	msg.req.id.idiag_sport = htons((uint16_t)lport);
	msg.req.id.idiag_dport = htons((uint16_t)rport);
	msg.req.id.idiag_cookie[0] = msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (inet_pton(AF_INET, laddr, &msg.req.id.idiag_src[0]) != 1 ||
	    inet_pton(AF_INET, raddr, &msg.req.id.idiag_dst[0]) != 1)
		return -1;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	long long result = -1;
	char buf[8192];
	ssize_t n;
	if (send(fd, &msg, sizeof msg, 0) < 0 || (n = recv(fd, buf, sizeof buf, 0)) <= 0)
		goto out;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			break;
		struct inet_diag_msg *m = NLMSG_DATA(h);
		int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
		for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			if (a->rta_type != INET_DIAG_INFO)
				continue;
			struct tcp_info info;
			memset(&info, 0, sizeof info);
			size_t got = RTA_PAYLOAD(a) < sizeof info ? RTA_PAYLOAD(a) : sizeof info;
			memcpy(&info, RTA_DATA(a), got);
			if (got >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
				result = (long long)info.tcpi_bytes_received;
		}
		break;
	}
out:
	close(fd);
	return result;
}
