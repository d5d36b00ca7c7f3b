/*
 * detached.h  (test submission "variant_threads"): what its two servers
 * share: the arguments, the signals and the listening socket, and starting
 * a detached worker thread with every
 * signal blocked, so that SIGTERM and SIGINT always reach the main thread
 * and interrupt its accept().
 */
#ifndef DETACHED_H
#define DETACHED_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Digits only, 1..65535. 0, or -1. */
static int parse_port(const char *s, unsigned short *out)
{
    unsigned long v = 0;
    size_t i;

    if (s[0] == '\0' || strlen(s) > 5)
        return -1;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = (unsigned short)v;
    return 0;
}

/* Starts a detached thread running fn(arg) with every signal blocked. 0 or -1. */
static int start_worker(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t tid;
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&tid, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : -1;
}

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
    (void)sig;
    stop_now = 1;
}

/* Checks the arguments, installs the signal handlers (SIGTERM and SIGINT
 * without SA_RESTART, so accept() returns EINTR; SIGPIPE ignored) and
 * listens on ADDR:PORT. The listening socket, or -2 or -1 for main() to
 * return as 2 or 1 after the message. */
static int listen_as_told(const char *prog, int argc, char *argv[])
{
    struct sockaddr_in addr;
    struct sigaction sa;
    unsigned short port;
    int lfd, one = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ADDR PORT\n", prog);
        return -2;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "%s: invalid IPv4 address: %s\n", prog, argv[1]);
        return -2;
    }
    if (parse_port(argv[2], &port) < 0) {
        fprintf(stderr, "%s: invalid port: %s\n", prog, argv[2]);
        return -2;
    }
    addr.sin_port = htons(port);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
        fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(errno));
        return -1;
    }
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0) {
        fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(errno));
        return -1;
    }

    if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
        fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
        return -1;
    }
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0
        || listen(lfd, 16) < 0) {
        fprintf(stderr, "%s: listening on %s:%s: %s\n", prog, argv[1], argv[2], strerror(errno));
        close(lfd);
        return -1;
    }
    return lfd;
}

#endif
