/*
 * tcp_client ADDR PORT  (assignment lecture13-lockstep)
 *
 * Reference solution in the lecture's own model, lock-step: read a line from
 * stdin, send it (unless it is just "\n"), then read the reply, print it and
 * a newline; again.  The client notices that the server closed when it reads
 * where a reply was due: read() returns 0, and it exits 0.
 *
 *  - A line is read with getline(), whatever its length; a last line
 *    without "\n" at the end of stdin is sent as it is.
 *  - At the end of stdin: shutdown(SHUT_WR), then print what the server
 *    still sends until it closes, and exit 0.
 *  - The reply: ONE read() of up to 4096 bytes, written with fwrite (not a
 *    C string), then "\n", then fflush(stdout).
 *
 * Exit status: 0 when the server closed the connection, 1 on a runtime
 *              failure, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "tcp_client"
#define RSIZE 4096

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
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One read() of the server's reply, printed.  Returns 1 printed, 0 the
 * server closed, -1 an error (reported). */
static int print_reply(int sock)
{
    char buf[RSIZE];
    ssize_t n;

    do
        n = read(sock, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        fprintf(stderr, PROG ": read from server: %s\n", strerror(errno));
        return -1;
    }
    if (n == 0)
        return 0;
    fwrite(buf, 1, (size_t)n, stdout);
    putchar('\n');
    if (fflush(stdout) == EOF) {
        fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
        return -1;
    }
    return 1;
}

int main(int argc, char *argv[])
{
    struct sockaddr_in srv;
    unsigned short port;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int sock, r;

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

    /* Writing to a server that is gone must be an error, not a death. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, PROG ": signal: %s\n", strerror(errno));
        return 1;
    }
    sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return 1;
    }
    if (connect(sock, (const struct sockaddr *)&srv, sizeof srv) < 0) {
        fprintf(stderr, PROG ": cannot connect to %s:%s: %s\n", argv[1], argv[2], strerror(errno));
        close(sock);
        return 1;
    }

    /* Lock-step: a line, then its reply. */
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (!(len == 1 && line[0] == '\n') && send_all(sock, line, (size_t)len) < 0) {
            /* The server is gone: what it sent before still gets printed. */
            if (errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, PROG ": send: %s\n", strerror(errno));
            break;
        }
        r = print_reply(sock);
        if (r <= 0) {
            free(line);
            close(sock);
            return r == 0 ? 0 : 1;
        }
    }
    free(line);
    if (ferror(stdin))
        fprintf(stderr, PROG ": read from stdin: %s\n", strerror(errno));

    /* No more input: tell the server, print the rest of what it sends. */
    if (shutdown(sock, SHUT_WR) < 0 && errno != ENOTCONN)
        fprintf(stderr, PROG ": shutdown: %s\n", strerror(errno));
    while ((r = print_reply(sock)) > 0)
        ;
    close(sock);
    return r == 0 ? 0 : 1;
}
