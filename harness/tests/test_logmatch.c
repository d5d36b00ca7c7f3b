/* logmatch.c: a connection's log line found by the client's port. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "logmatch.h"

/* match_log_line on a C string; the result is kept in *keep to be freed. */
static const char *match(const char *out, int port, const char *addr, char **keep)
{
	free(*keep);
	*keep = match_log_line(out, strlen(out), port, addr);
	return *keep;
}

int main(void)
{
	char *r = NULL;

	/* the line with the port: port and address replaced, newline kept */
	CHECK_STR(match("Connection from 127.0.0.1:44668\n", 44668, "127.0.0.1", &r),
		  "Connection from {addr}:{port}\n");
	CHECK_STR(match("client 127.0.0.1 port 51234 connected\n", 51234, "127.0.0.1", &r),
		  "client {addr} port {port} connected\n");

	/* a port that is only part of a bigger number does not match */
	CHECK(match("Connection from 127.0.0.1:44668\n", 4466, "127.0.0.1", &r) == NULL);
	CHECK(match("Connection from 127.0.0.1:144668\n", 44668, "127.0.0.1", &r) == NULL);
	/* ... but a later line holding it whole does */
	CHECK_STR(match("a 44668\nb 4466\n", 4466, "127.0.0.1", &r), "b {port}\n");

	/* the first of several lines that mention the port */
	CHECK_STR(match("start\nfirst 127.0.0.1:50001\nsecond 127.0.0.1:50001\n", 50001, "127.0.0.1", &r),
		  "first {addr}:{port}\n");

	/* a last line without a newline: returned without one */
	CHECK_STR(match("hello\nlast 127.0.0.1:50002", 50002, "127.0.0.1", &r), "last {addr}:{port}");
	CHECK_STR(match("50003", 50003, "127.0.0.1", &r), "{port}");

	/* no line mentions the port */
	CHECK(match("Connection from 127.0.0.1:44668\nbye\n", 50004, "127.0.0.1", &r) == NULL);
	CHECK(match("", 50004, "127.0.0.1", &r) == NULL);
	CHECK(match_log_line(NULL, 0, 50004, "127.0.0.1") == NULL);

	/* a forking server logs in any order: each connection still finds its line */
	const char *log = "conn 3 from 127.0.0.1:53000\n"
			  "conn 1 from 127.0.0.1:51000\n"
			  "conn 2 from 127.0.0.1:52000\n";
	CHECK_STR(match(log, 51000, "127.0.0.1", &r), "conn 1 from {addr}:{port}\n");
	CHECK_STR(match(log, 52000, "127.0.0.1", &r), "conn 2 from {addr}:{port}\n");
	CHECK_STR(match(log, 53000, "127.0.0.1", &r), "conn 3 from {addr}:{port}\n");

	/* every whole occurrence of the address; not a longer address */
	CHECK_STR(match("127.0.0.1 -> 127.0.0.1:40000\n", 40000, "127.0.0.1", &r), "{addr} -> {addr}:{port}\n");
	CHECK_STR(match("127.0.0.10:40001\n", 40001, "127.0.0.1", &r), "127.0.0.10:{port}\n");
	/* an empty address replaces nothing */
	CHECK_STR(match("from 127.0.0.1:40002\n", 40002, "", &r), "from 127.0.0.1:{port}\n");

	/* only the matched line comes back, other bytes untouched (tabs, CR) */
	CHECK_STR(match("x\n\tport=40003\r\ny\n", 40003, "127.0.0.1", &r), "\tport={port}\r\n");

	/* a line with a NUL before the port: the length, not the NUL, ends the buffer */
	const char withnul[] = "a\0b 40004\n";
	char *m = match_log_line(withnul, sizeof withnul - 1, 40004, "127.0.0.1");
	CHECK(m != NULL && memcmp(m, "a", 2) == 0); /* the copy holds the NUL too */
	free(m);

	free(r);
	return check_summary();
}
