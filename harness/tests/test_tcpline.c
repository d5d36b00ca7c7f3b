/* net.c: parse_tcp_line on /proc/net/tcp and tcp6 lines, literal and live. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "net.h"

static void test_v4(void)
{
	struct tcp_entry e;
	memset(&e, 0x55, sizeof e);
	const char *listen_line =
		"   0: 0100007F:A5D5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0\n";
	CHECK_INT(parse_tcp_line(listen_line, 0, &e), 0);
	CHECK_STR(e.laddr, "127.0.0.1");
	CHECK_INT(e.lport, 0xA5D5);
	CHECK_INT(e.lport, 42453);
	CHECK_STR(e.raddr, "0.0.0.0");
	CHECK_INT(e.rport, 0);
	CHECK_INT(e.state, 0x0A);
	CHECK_INT(e.inode, 123456);

	/* a TIME_WAIT line: the kernel prints inode 0 and fewer trailing fields */
	memset(&e, 0x55, sizeof e);
	const char *tw_line =
		"  12: 0100007F:1F90 0200007F:D432 06 00000000:00000000 03:00000F9F 00000000     0        0 0 3 0000000000000000\n";
	CHECK_INT(parse_tcp_line(tw_line, 0, &e), 0);
	CHECK_STR(e.laddr, "127.0.0.1");
	CHECK_INT(e.lport, 8080);
	CHECK_STR(e.raddr, "127.0.0.2");
	CHECK_INT(e.rport, 0xD432);
	CHECK_INT(e.state, 0x06);
	CHECK_INT(e.inode, 0);

	/* an established connection from a non-loopback address, uid 1000 */
	memset(&e, 0x55, sizeof e);
	const char *est_line =
		"   3: 0A00A8C0:0016 6400A8C0:C350 01 00000000:00000000 02:000AFB6E 00000000  1000        0 987654 2 0000000000000000 20 4 30 10 -1\n";
	CHECK_INT(parse_tcp_line(est_line, 0, &e), 0);
	CHECK_STR(e.laddr, "192.168.0.10");
	CHECK_INT(e.lport, 22);
	CHECK_STR(e.raddr, "192.168.0.100");
	CHECK_INT(e.rport, 50000);
	CHECK_INT(e.state, 0x01);
	CHECK_INT(e.inode, 987654);
}

static void test_v6(void)
{
	struct tcp_entry e;
	memset(&e, 0x55, sizeof e);
	/* ::ffff:127.0.0.2 port 54321 -> ::ffff:127.0.0.1 port 8080 */
	const char *mapped =
		"   1: 0000000000000000FFFF00000200007F:D431 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 98765 1 0000000000000000 20 4 0 10 -1\n";
	CHECK_INT(parse_tcp_line(mapped, 1, &e), 0);
	CHECK_STR(e.laddr, "127.0.0.2");
	CHECK_INT(e.lport, 0xD431);
	CHECK_STR(e.raddr, "127.0.0.1");
	CHECK_INT(e.rport, 8080);
	CHECK_INT(e.state, 0x01);
	CHECK_INT(e.inode, 98765);

	/* a listener on [::]: all-zero addresses */
	memset(&e, 0x55, sizeof e);
	const char *any =
		"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22270 1 0000000000000000 100 0 0 10 0\n";
	CHECK_INT(parse_tcp_line(any, 1, &e), 0);
	CHECK_STR(e.laddr, "::");
	CHECK_STR(e.raddr, "::");
	CHECK_INT(e.lport, 22);
	CHECK_INT(e.rport, 0);
	CHECK_INT(e.state, 0x0A);
	CHECK_INT(e.inode, 22270);

	/* ::1 */
	memset(&e, 0x55, sizeof e);
	const char *loop6 =
		"   2: 00000000000000000000000001000000:9C40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n";
	CHECK_INT(parse_tcp_line(loop6, 1, &e), 0);
	CHECK_STR(e.laddr, "::1");
	CHECK_INT(e.lport, 40000);

	/* a v4 line read as v6, and a v6 line read as v4: wrong address length */
	CHECK_INT(parse_tcp_line("   0: 0100007F:A5D5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0\n", 1, &e), -1);
	CHECK_INT(parse_tcp_line(any, 0, &e), -1);
}

static void test_bad_lines(void)
{
	struct tcp_entry e;
	const char *hdr4 =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
	const char *hdr6 =
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
	CHECK_INT(parse_tcp_line(hdr4, 0, &e), -1);
	CHECK_INT(parse_tcp_line(hdr6, 1, &e), -1);
	CHECK_INT(parse_tcp_line("", 0, &e), -1);
	CHECK_INT(parse_tcp_line("\n", 0, &e), -1);
	CHECK_INT(parse_tcp_line("garbage in, garbage out\n", 0, &e), -1);
	CHECK_INT(parse_tcp_line("   0: 0100007F:A5D5\n", 0, &e), -1);                          /* truncated */
	CHECK_INT(parse_tcp_line("   0: 0100007F:A5D5 00000000:0000 0A\n", 0, &e), -1);        /* no inode */
	CHECK_INT(parse_tcp_line("   0: 100007F:A5D5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n", 0, &e), -1); /* 7 digits */
	CHECK_INT(parse_tcp_line("   0: ZZ00007F:A5D5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n", 0, &e), -1); /* not hex */
}

/* Live: our own listening socket shows up in /proc/self/net/tcp. */
static void test_live(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	socklen_t len = sizeof sa;
	CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	CHECK_INT(listen(fd, 4), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	int port = ntohs(sa.sin_port);
	CHECK(port > 0);
	struct stat st;
	CHECK_INT(fstat(fd, &st), 0);

	FILE *f = fopen("/proc/self/net/tcp", "re");
	CHECK(f != NULL);
	int found = 0, parsed = 0, rejected = 0;
	char line[512];
	struct tcp_entry e, mine;
	memset(&mine, 0, sizeof mine);
	while (f && fgets(line, sizeof line, f)) {
		if (parse_tcp_line(line, 0, &e) < 0) {
			rejected++;
			continue;
		}
		parsed++;
		if (e.lport == port && e.state == 0x0A) {
			found++;
			mine = e;
		}
	}
	if (f)
		fclose(f);
	CHECK_INT(rejected, 1); /* the header only */
	CHECK(parsed >= 1);
	CHECK_INT(found, 1);
	if (found == 1) {
		CHECK_STR(mine.laddr, "127.0.0.1");
		CHECK_STR(mine.raddr, "0.0.0.0");
		CHECK_INT(mine.rport, 0);
		CHECK_INT(mine.inode, st.st_ino);
	}
	close(fd);
}

int main(void)
{
	test_v4();
	test_v6();
	test_bad_lines();
	test_live();
	return check_summary();
}
