/*
 * tcp_qq_srver ADDR PORT  (test submission "variant_sr")
 *
 * Differences on purpose: small static functions, port checked with
 * strspn() and a digit count, send() loop with MSG_NOSIGNAL, sigaction()
 * for every signal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
        fprintf(stderr, "usage: tcp_qq_srver ADDR PORT\n");
        return -1;
    }
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &a->sin_addr) != 1) {
        fprintf(stderr, "tcp_qq_srver: %s: not an IPv4 address\n", argv[1]);
        return -1;
    }
    if (parse_port(argv[2], &a->sin_port) != 0) {
        fprintf(stderr, "tcp_qq_srver: %s: not a port (1..65535)\n", argv[2]);
        return -1;
    }
    return 0;
}

static int fail(const char *what, int fd)
{
    fprintf(stderr, "tcp_qq_srver: %s: %s\n", what, strerror(errno));
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

static void greet(int c, unsigned long k)
{
    char text[40];
    int len = snprintf(text, sizeof text, "Connection %lu!\n", k);
    int off = 0;

    while (off < len) {
        ssize_t n = send(c, text + off, (size_t)(len - off), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR && !g_stop)
                continue;
            return; /* client gone: not our problem */
        }
        off += (int)n;
    }
}

static void serve(int lfd)
{
    unsigned long k = 0;

    while (!g_stop) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        greet(c, ++k);
        close(c);
    }
}

int main(int argc, char *argv[])
{
    struct sockaddr_in a;
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
    serve(lfd);
    close(lfd);
    return 0;
}
