/*
 * tcp_qq_srver ADDR PORT  (test submission "variant_fork")
 *
 * Differences on purpose: strtoul() port parsing, dprintf() to the
 * connection (glibc writes the whole formatted text, looping on partial
 * writes), SIGPIPE ignored instead of MSG_NOSIGNAL.
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

static volatile sig_atomic_t quit_requested;

static void request_quit(int signo)
{
    (void)signo;
    quit_requested = 1;
}

/* 1..65535, digits only (strtoul alone would take "+1", " 1", "-1"). */
static long port_of(const char *text)
{
    char *end;
    unsigned long v;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
        return -1;
    return (long)v;
}

int main(int argc, char **argv)
{
    struct sockaddr_in me;
    struct sigaction act;
    long port;
    int lsock, c, yes = 1;
    unsigned int served = 0;

    if (argc != 3) {
        fputs("usage: tcp_qq_srver ADDR PORT\n", stderr);
        return 2;
    }
    memset(&me, 0, sizeof me);
    me.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &me.sin_addr) <= 0) {
        fprintf(stderr, "tcp_qq_srver: bad IPv4 address '%s'\n", argv[1]);
        return 2;
    }
    if ((port = port_of(argv[2])) < 0) {
        fprintf(stderr, "tcp_qq_srver: bad port '%s'\n", argv[2]);
        return 2;
    }
    me.sin_port = htons((unsigned short)port);

    memset(&act, 0, sizeof act);
    act.sa_handler = request_quit; /* no SA_RESTART: accept() gets EINTR */
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGTERM, &act, NULL) == -1 || sigaction(SIGINT, &act, NULL) == -1) {
        perror("tcp_qq_srver: sigaction");
        return 1;
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        perror("tcp_qq_srver: signal");
        return 1;
    }

    if ((lsock = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
        perror("tcp_qq_srver: socket");
        return 1;
    }
    if (setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == -1) {
        perror("tcp_qq_srver: setsockopt");
        close(lsock);
        return 1;
    }
    if (bind(lsock, (struct sockaddr *)&me, sizeof me) == -1) {
        perror("tcp_qq_srver: bind");
        close(lsock);
        return 1;
    }
    if (listen(lsock, 16) == -1) {
        perror("tcp_qq_srver: listen");
        close(lsock);
        return 1;
    }

    while (!quit_requested) {
        c = accept(lsock, NULL, NULL);
        if (c == -1)
            continue; /* EINTR: the loop condition sees the request */
        /* Errors (client already gone) are ignored on purpose. */
        (void)dprintf(c, "Connection %u!\n", ++served);
        close(c);
    }
    close(lsock);
    return 0;
}
