/* Sockets the probe uses to play client or server, and what /proc/net/tcp
   and sock_diag tell about the program's sockets. */
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

/* Sends all n bytes within the deadline. 0, or -1 with errno. */
int send_all(int fd, const void *p, size_t n, struct deadline dl);

/* Reads into b until EOF (returns 1), the deadline (0) or an error (-1, errno;
   ECONNRESET for a reset). */
int read_to_eof(int fd, struct bytes *b, struct deadline dl);

/* Reads what is available now, without waiting. Returns 1 at EOF, 0 otherwise. */
int read_available(int fd, struct bytes *b);

/* Closes with a reset (SO_LINGER 0) instead of a FIN. */
void close_with_reset(int fd);

/* One line of /proc/net/tcp or tcp6. */
struct tcp_entry {
	char laddr[64], raddr[64];
	int lport, rport;
	int state; /* 0x0A listen, 0x06 time-wait, 0x01 established */
	unsigned long inode;
};

/* Parses one line of /proc/net/tcp (v4) or tcp6 (v6). 0, or -1 for a header
   or malformed line. */
int parse_tcp_line(const char *line, int v6, struct tcp_entry *e);

/* Finds a listening TCP socket owned by a process of session sid, as seen in
   the network namespace of pid. 1 found (into *e), 0 not. */
int find_listener(pid_t pid, pid_t sid, struct tcp_entry *e);

/* Counts TIME_WAIT sockets with local port `port` in the namespace of pid. */
int count_time_wait(pid_t pid, int port);

/* State of the TCP socket lport -> rport in the namespace of pid (0x08 close
   wait, ...), or 0 when there is none. */
int tcp_state(pid_t pid, int lport, int rport);

/* Counts TCP sockets in state `state` whose remote port is rport. */
int count_state_to(pid_t pid, int rport, int state);

/* Bytes the TCP socket local_addr:local_port -> peer received so far
   (sock_diag tcp_info), or -1. */
long long tcp_bytes_received(const char *laddr, int lport, const char *raddr, int rport);

/* A Unix datagram socket bound at path. Returns the fd, or -1. */
int unix_dgram_bind(const char *path);

/* A Unix datagram socket connected to path: only succeeds while a live socket
   is bound there, and sends nothing. Returns the fd, or -1 with errno. */
int unix_dgram_connect(const char *path);

/* Leaves a stale socket file at path: bound, then closed. 0 or -1. */
int make_stale_socket(const char *path);

#endif
