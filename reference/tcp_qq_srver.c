/*
 * tcp_qq_srver ADDR PORT
 *
 * Reference solution.  Listens on the IPv4 address ADDR, TCP port PORT.
 * The k-th accepted connection (k = 1, 2, ...) gets exactly
 * "Connection k!\n" and is closed.  The server never reads from a
 * connection.  SIGTERM/SIGINT close the listening socket and exit 0.
 *
 * Exit status: 0 on SIGTERM/SIGINT, 1 on a runtime failure,
 *              2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "tcp_qq_srver"
#define BACKLOG 16

static volatile sig_atomic_t stop; /* set by SIGTERM / SIGINT */

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

/* Strict port: decimal digits only, 1..65535.  Returns 0 on success. */
static int parse_port(const char *s, unsigned short *port)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (unsigned short)v;
    return 0;
}

/* Sends all len bytes.  Returns 0, or -1 with errno set. */
static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR && !stop)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    struct sockaddr_in srv;
    struct sigaction sa;
    unsigned short port;
    unsigned long count = 0;
    char msg[64];
    int fd, connfd, len, one = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: " PROG " ADDR PORT\n");
        return 2;
    }
    memset(&srv, 0, sizeof srv);
    srv.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &srv.sin_addr) != 1) {
        fprintf(stderr, PROG ": not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    if (parse_port(argv[2], &port) < 0) {
        fprintf(stderr, PROG ": not a port number (1-65535): %s\n", argv[2]);
        return 2;
    }
    srv.sin_port = htons(port);

    /* A client that resets must not kill us with SIGPIPE.  SIGTERM/SIGINT
     * without SA_RESTART: a blocked accept() returns EINTR. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0
        || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
        return 1;
    }

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return 1;
    }
    /* Rebinding right after a restart must not fail with EADDRINUSE. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        fprintf(stderr, PROG ": setsockopt SO_REUSEADDR: %s\n", strerror(errno));
        close(fd);
        return 1;
    }
    if (bind(fd, (const struct sockaddr *)&srv, sizeof srv) < 0) {
        fprintf(stderr, PROG ": bind %s:%s: %s\n", argv[1], argv[2], strerror(errno));
        close(fd);
        return 1;
    }
    if (listen(fd, BACKLOG) < 0) {
        fprintf(stderr, PROG ": listen: %s\n", strerror(errno));
        close(fd);
        return 1;
    }

    while (!stop) {
        connfd = accept(fd, NULL, NULL);
        if (connfd < 0)
            continue; /* EINTR (stop is checked), ECONNABORTED, EPROTO... */

        len = snprintf(msg, sizeof msg, "Connection %lu!\n", ++count);
        /* A client gone already (EPIPE, ECONNRESET) is its own business. */
        (void)send_all(connfd, msg, (size_t)len);
        close(connfd);
    }

    close(fd);
    return 0;
}
