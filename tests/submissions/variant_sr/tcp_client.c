/*
 * tcp_client ADDR PORT  (test submission "variant_sr")
 *
 * Differences on purpose: recv()/send() on the socket, a fixed 64 KiB line
 * buffer (a longer line goes out in pieces: the bytes on the wire are the
 * same, and a "\n" that ends such a line is not mistaken for an empty line),
 * the state in a struct, small static functions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_CAP (64 * 1024)
#define RECV_CAP 4096

struct client {
    int sock;
    int stdin_open;
    int midline;        /* part of the current line was already sent */
    size_t len;         /* bytes in line[] */
    char line[LINE_CAP];
};

static struct client g; /* 64 KiB: not on the stack */

/* Digits only, leading zeros allowed, value 1..65535. */
static int parse_port(const char *s, in_port_t *out)
{
    size_t len = strlen(s), i = 0;
    unsigned v = 0;

    if (len == 0 || strspn(s, "0123456789") != len)
        return -1;
    while (s[i] == '0')
        i++;
    if (len - i > 5)
        return -1;
    for (; i < len; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    if (v < 1 || v > 65535)
        return -1;
    *out = htons((in_port_t)v);
    return 0;
}

static int parse_args(int argc, char *argv[], struct sockaddr_in *a)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tcp_client ADDR PORT\n");
        return -1;
    }
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &a->sin_addr) != 1) {
        fprintf(stderr, "tcp_client: %s: not an IPv4 address\n", argv[1]);
        return -1;
    }
    if (parse_port(argv[2], &a->sin_port) != 0) {
        fprintf(stderr, "tcp_client: %s: not a port (1..65535)\n", argv[2]);
        return -1;
    }
    return 0;
}

static int send_all(int s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(s, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* No more stdin (EOF, error, or the server stopped taking data). */
static void close_input(struct client *c)
{
    c->stdin_open = 0;
    c->len = 0;
    if (shutdown(c->sock, SHUT_WR) < 0 && errno != ENOTCONN)
        perror("tcp_client: shutdown");
}

static int ship(struct client *c, const char *p, size_t n)
{
    if (send_all(c->sock, p, n) == 0)
        return 0;
    if (errno != EPIPE && errno != ECONNRESET)
        perror("tcp_client: send");
    return -1;
}

/* Sends the complete lines in line[] except empty ones, keeps the rest. */
static int flush_lines(struct client *c)
{
    size_t r, w = 0, start = 0;

    for (r = 0; r < c->len; r++) {
        if (c->line[r] != '\n')
            continue;
        if (r > start || c->midline) {
            memmove(c->line + w, c->line + start, r + 1 - start);
            w += r + 1 - start;
        }
        start = r + 1;
        c->midline = 0;
    }
    if (ship(c, c->line, w) < 0)
        return -1;
    memmove(c->line, c->line + start, c->len - start);
    c->len -= start;
    if (c->len == LINE_CAP) { /* a very long line: send what we have */
        if (ship(c, c->line, c->len) < 0)
            return -1;
        c->len = 0;
        c->midline = 1;
    }
    return 0;
}

static void on_stdin(struct client *c)
{
    ssize_t n = read(STDIN_FILENO, c->line + c->len, LINE_CAP - c->len);

    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return;
        perror("tcp_client: stdin");
        close_input(c);
    } else if (n == 0) {
        if (c->len > 0)
            (void)ship(c, c->line, c->len); /* last line without '\n' */
        close_input(c);
    } else {
        c->len += (size_t)n;
        if (flush_lines(c) < 0)
            close_input(c);
    }
}

/* 1: keep going, 0: the server closed, -1: error. */
static int on_socket(struct client *c)
{
    char buf[RECV_CAP];
    ssize_t n = recv(c->sock, buf, sizeof buf, 0);

    if (n == 0)
        return 0;
    if (n < 0) {
        if (errno == EINTR)
            return 1;
        perror("tcp_client: recv");
        return -1;
    }
    fwrite(buf, 1, (size_t)n, stdout);
    fputc('\n', stdout);
    if (fflush(stdout) == EOF) {
        perror("tcp_client: stdout");
        return -1;
    }
    return 1;
}

static int run(struct client *c)
{
    for (;;) {
        struct pollfd p[2] = {
            { .fd = c->sock, .events = POLLIN },
            { .fd = STDIN_FILENO, .events = POLLIN },
        };
        int r;

        if (poll(p, c->stdin_open ? 2u : 1u, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("tcp_client: poll");
            return 1;
        }
        if (p[0].revents) {
            r = on_socket(c);
            if (r <= 0)
                return r == 0 ? 0 : 1;
        }
        if (c->stdin_open && p[1].revents)
            on_stdin(c);
    }
}

int main(int argc, char *argv[])
{
    struct sockaddr_in a;
    struct sigaction sa;
    int rc;

    if (parse_args(argc, argv, &a) != 0)
        return 2;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) < 0) {
        perror("tcp_client: sigaction");
        return 1;
    }
    g.sock = socket(AF_INET, SOCK_STREAM, 0);
    if (g.sock < 0) {
        perror("tcp_client: socket");
        return 1;
    }
    if (connect(g.sock, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "tcp_client: cannot connect to %s:%s: %s\n",
                argv[1], argv[2], strerror(errno));
        close(g.sock);
        return 1;
    }
    g.stdin_open = 1;
    rc = run(&g);
    close(g.sock);
    return rc;
}
