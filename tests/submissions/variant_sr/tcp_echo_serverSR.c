/*
 * tcp_echo_serverSR ADDR PORT  (test submission "variant_sr")
 *
 * Differences on purpose: small static functions, unsigned char buffer,
 * port checked with strspn() and a digit count, sigaction() for every
 * signal, the peer described by a struct of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_MAX 32

struct peer {
    char ip[INET_ADDRSTRLEN];
    unsigned port;
};

static volatile sig_atomic_t g_stop;

static void note_stop(int signo)
{
    (void)signo;
    g_stop = 1;
}

static int install(int signo, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

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
        fprintf(stderr, "usage: tcp_echo_serverSR ADDR PORT\n");
        return -1;
    }
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &a->sin_addr) != 1) {
        fprintf(stderr, "tcp_echo_serverSR: %s: not an IPv4 address\n", argv[1]);
        return -1;
    }
    if (parse_port(argv[2], &a->sin_port) != 0) {
        fprintf(stderr, "tcp_echo_serverSR: %s: not a port (1..65535)\n", argv[2]);
        return -1;
    }
    return 0;
}

static int fail(const char *what, int fd)
{
    fprintf(stderr, "tcp_echo_serverSR: %s: %s\n", what, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static int open_listener(const struct sockaddr_in *a)
{
    int on = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return fail("socket", -1);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        return fail("setsockopt", fd);
    if (bind(fd, (const struct sockaddr *)a, sizeof *a) < 0)
        return fail("bind", fd);
    if (listen(fd, 16) < 0)
        return fail("listen", fd);
    return fd;
}

/* Accepts one connection; -1 if none (error or signal). */
static int next_client(int lfd, struct peer *who)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int c = accept(lfd, (struct sockaddr *)&sin, &len);

    if (c < 0)
        return -1;
    if (!inet_ntop(AF_INET, &sin.sin_addr, who->ip, sizeof who->ip))
        strcpy(who->ip, "?");
    who->port = ntohs(sin.sin_port);
    return c;
}

static void send_back(int c, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(c, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR && !g_stop)
                continue;
            return; /* client gone: ignore */
        }
        p += k;
        n -= (size_t)k;
    }
}

static void echo_once(int c, const struct peer *who)
{
    unsigned char msg[ECHO_MAX];
    ssize_t n = recv(c, msg, sizeof msg, 0);

    if (n < 0) {
        if (!(errno == EINTR && g_stop))
            fail("recv", -1);
        return;
    }
    printf("Received %d bytes from %s, port %u\n", (int)n, who->ip, who->port);
    if (fflush(stdout) != 0)
        fail("stdout", -1);
    send_back(c, msg, (size_t)n);
}

int main(int argc, char *argv[])
{
    struct sockaddr_in a;
    struct peer who;
    int lfd;

    if (parse_args(argc, argv, &a) != 0)
        return 2;
    if (install(SIGTERM, note_stop) != 0 || install(SIGINT, note_stop) != 0
        || install(SIGPIPE, SIG_IGN) != 0) {
        fail("sigaction", -1);
        return 1;
    }
    if ((lfd = open_listener(&a)) < 0)
        return 1;
    while (!g_stop) {
        int c = next_client(lfd, &who);
        if (c < 0)
            continue;
        echo_once(c, &who);
        close(c);
    }
    close(lfd);
    return 0;
}
