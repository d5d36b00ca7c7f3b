/* Sockets the probe uses to play client or server, and what sock_diag
   tells about the programs' sockets. */
#ifndef NET_H
#define NET_H

#include <stdint.h>
#include <sys/types.h>

#include "bytes.h"
#include "deadline.h"

/* Picks a free TCP port on addr with five digits (bind to 0, read it, close).
   Returns the port, or -1. */
int pick_port(const char *addr);

/* A TCP socket bound to addr:0 and not listening, so connecting to its port
   is refused; *port gets the port. Returns the fd, or -1. */
int reserve_refusing_port(const char *addr, int *port);

/* A listening TCP socket on addr (port 0 picks one); *port gets the port. */
int tcp_listen(const char *addr, int port, int *port_out);

/* Connects to addr:port within the deadline. Returns the fd, or -1 with errno
   (ECONNREFUSED, ETIMEDOUT, ...). */
int tcp_connect(const char *addr, int port, struct deadline dl);

/* Local and remote port of a socket. */
int local_port(int fd);
int remote_port(int fd);

/* The local IPv4 address of a socket as text. 0, or -1. */
int local_addr(int fd, char *out, size_t len);

/* Sends all n bytes within the deadline. 0, or -1 with errno. */
int send_all(int fd, const void *p, size_t n, struct deadline dl);

/* Reads into b until EOF (returns 1), the deadline (0) or an error (-1, errno;
   ECONNRESET for a reset). */
int read_to_eof(int fd, struct bytes *b, struct deadline dl);

/* Reads what is available now, without waiting. Returns 1 at EOF, 0 otherwise. */
int read_available(int fd, struct bytes *b);

/* Closes with a reset (SO_LINGER 0) instead of a FIN. */
void close_with_reset(int fd);

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum {
	TCP_STATE_ESTABLISHED = 1,
	TCP_STATE_SYN_SENT = 2,
	TCP_STATE_SYN_RECV = 3,
	TCP_STATE_FIN_WAIT1 = 4,
	TCP_STATE_FIN_WAIT2 = 5,
	TCP_STATE_TIME_WAIT = 6,
	TCP_STATE_CLOSE = 7,
	TCP_STATE_CLOSE_WAIT = 8,
	TCP_STATE_CLOSING = 11,
	TCP_STATE_LISTEN = 10,
};

/* One TCP socket of the probe's network namespace (shared with its programs). */
struct tcp_entry {
	char laddr[64], raddr[64]; /* a v4-mapped v6 address shows as v4 */
	int lport, rport;
	int state;                 /* TCP_STATE_... */
	unsigned long inode;       /* 0 for TIME_WAIT */
	int backlog, queued;       /* a listener: the backlog listen() set (as capped
				      by somaxconn), connections waiting in accept() */
};

/* Calls fn on every TCP socket (v4, then v6) whose state is in the mask
   (1 << TCP_STATE_LISTEN, ...) until fn returns 1, through sock_diag.
   Returns 1 when fn stopped it, 0 after the last socket, -1 on an error. */
int tcp_sockets(unsigned states, int (*fn)(struct tcp_entry *, void *), void *arg);

/* Finds a listening TCP socket held by a process of session sid (one the
   probe started), asking the sockets themselves (pidfd_getfd). 1 found (its
   local address, backlog and queue into *e), 0 not. */
int find_listener(pid_t sid, struct tcp_entry *e);

/* Counts TCP sockets with local port `port` in the states of the mask. */
int count_on_local_port(int port, unsigned states);

/* Counts TIME_WAIT sockets with local port `port`. */
int count_time_wait(int port);

/* State of the TCP socket laddr:lport -> raddr:rport, v4 addresses, on a v4
   or a dual-stack v6 socket (TCP_STATE_CLOSE_WAIT, ...), or 0 when there is
   none. An exact lookup: no walk of the kernel's tables. */
int tcp_state(const char *laddr, int lport, const char *raddr, int rport);

/* Counts TCP sockets in state `state` whose remote port is rport. */
int count_state_to(int rport, int state);

/* Bytes the TCP socket local_addr:local_port -> peer received so far
   (sock_diag tcp_info), or -1. */
long long tcp_bytes_received(const char *laddr, int lport, const char *raddr, int rport);

/* 1 when nothing is in flight on socket fd (ours, or borrowed from a
   program): for a TCP connection, no handshake under way, every byte (and
   FIN) either end has written received by the other (the other end found by
   an exact lookup of the reversed four-tuple, whoever holds it), and the
   other end exists (else a reset is on its way); with bytes awaiting a
   delayed ACK, fd has room to write, so the ACK wakes nobody. A listener, a
   closed TCP socket, a Unix socket: 1. A datagram inet socket or anything
   unreadable: 0. */
int socket_quiet(int fd);

/* A Unix datagram socket bound at path. Returns the fd, or -1. */
int unix_dgram_bind(const char *path);

/* A Unix datagram socket connected to path: only succeeds while a live socket
   is bound there, and sends nothing. Returns the fd, or -1 with errno. */
int unix_dgram_connect(const char *path);

/* Leaves a stale socket file at path: bound, then closed. 0 or -1. */
int make_stale_socket(const char *path);

#endif
