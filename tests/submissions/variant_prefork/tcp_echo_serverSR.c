/*
 * tcp_echo_serverSR ADDR PORT
 *
 * Reference solution.  Listens on the IPv4 address ADDR, TCP port PORT and
 * serves one connection at a time: ONE recv() of at most 32 bytes, a log
 * line "Received N bytes from A.B.C.D, port P" on stdout, the N bytes sent
 * back, close.  SIGTERM/SIGINT close the listening socket and exit 0.
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

#define PROG "tcp_echo_serverSR"
#define BACKLOG 16
#define BUFSIZE 32 /* longer messages are echoed up to their first 32 bytes */

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

/* Serves one accepted connection: receive, log, echo. */
static void serve(int connfd, const struct sockaddr_in *peer)
{
    char buf[BUFSIZE];
    char addr[INET_ADDRSTRLEN];
    ssize_t n;

    n = recv(connfd, buf, sizeof buf, 0);
    if (n < 0) {
        /* EINTR here means SIGTERM/SIGINT: leave quietly. */
        if (errno != EINTR || !stop)
            fprintf(stderr, PROG ": recv: %s\n", strerror(errno));
        return;
    }

    if (inet_ntop(AF_INET, &peer->sin_addr, addr, sizeof addr) == NULL)
        strcpy(addr, "?");
    printf("Received %d bytes from %s, port %d\n",
           (int)n, addr, (int)ntohs(peer->sin_port));
    /* stdout is a pipe under the grader: flush now, not at exit. */
    if (fflush(stdout) == EOF)
        fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));

    /* A client gone already (EPIPE, ECONNRESET) is its own business. */
    (void)send_all(connfd, buf, (size_t)n);
}

int main(int argc, char *argv[])
{
    struct sockaddr_in srv, peer;
    struct sigaction sa;
    socklen_t peersz;
    unsigned short port;
    int fd, connfd, one = 1;

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
     * without SA_RESTART: a blocked accept() or recv() returns EINTR. */
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
        peersz = sizeof peer; /* accept() overwrites it: reset every time */
        connfd = accept(fd, (struct sockaddr *)&peer, &peersz);
        if (connfd < 0)
            continue; /* EINTR (stop is checked), ECONNABORTED, EPROTO... */
        serve(connfd, &peer);
        close(connfd);
    }

    close(fd);
    return 0;
}
