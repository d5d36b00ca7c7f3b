/*
 * pool.h  (test submission "variant_pool"): what its two servers share.
 *
 * A fixed pool of POOL threads serves the connections: each takes a mutex,
 * accepts one connection (numbering it while it holds the mutex, so
 * numbers follow accept order), lets the mutex go and serves it.  The
 * other threads wait on the mutex meanwhile.  The main thread only waits
 * for SIGTERM/SIGINT in sigsuspend(), with both blocked elsewhere, so it
 * cannot miss one between its check of the flag and its wait; then it
 * closes the listening socket and returns 0, which ends the pool.
 */
#ifndef POOL_H
#define POOL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POOL 4

/* One accepted connection, as a pool thread hands it to serve(). */
struct conn {
    int fd;
    unsigned long number;     /* 1, 2, 3 ... in accept order */
    struct sockaddr_in peer;
};

/* Serves one connection; the caller closes it. Each server defines it. */
static void serve(const struct conn *c);

static volatile sig_atomic_t pool_stop;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long pool_count;
static int pool_fd;

static void pool_on_signal(int sig)
{
    (void)sig;
    pool_stop = 1;
}

static void *pool_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct conn c;
        socklen_t len = sizeof c.peer;

        pthread_mutex_lock(&pool_lock);
        c.fd = accept(pool_fd, (struct sockaddr *)&c.peer, &len);
        if (c.fd >= 0)
            c.number = ++pool_count;
        pthread_mutex_unlock(&pool_lock);
        if (c.fd < 0)
            continue; /* ECONNABORTED, EPROTO...: the next one */
        serve(&c);
        close(c.fd);
    }
    return NULL;
}

static int pool_port(const char *s, unsigned short *out)
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

/* The whole server: arguments, signals, the listening socket, the pool. */
static int pool_main(const char *prog, int argc, char *argv[])
{
    struct sockaddr_in addr;
    struct sigaction sa;
    sigset_t stops, old;
    unsigned short port;
    pthread_t t;
    int one = 1, i;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ADDR PORT\n", prog);
        return 2;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "%s: invalid IPv4 address: %s\n", prog, argv[1]);
        return 2;
    }
    if (pool_port(argv[2], &port) < 0) {
        fprintf(stderr, "%s: invalid port: %s\n", prog, argv[2]);
        return 2;
    }
    addr.sin_port = htons(port);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pool_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
        fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(errno));
        return 1;
    }
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0) {
        fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(errno));
        return 1;
    }

    if ((pool_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
        fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
        return 1;
    }
    if (setsockopt(pool_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(pool_fd, (struct sockaddr *)&addr, sizeof addr) < 0
        || listen(pool_fd, 16) < 0) {
        fprintf(stderr, "%s: listening on %s:%s: %s\n", prog, argv[1], argv[2], strerror(errno));
        close(pool_fd);
        return 1;
    }

    /* SIGTERM and SIGINT blocked from here on: the pool inherits the mask,
     * and the main thread lets them in only inside sigsuspend(). */
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    for (i = 0; i < POOL; i++)
        if (pthread_create(&t, NULL, pool_thread, NULL) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", prog);
            close(pool_fd);
            return 1;
        }
    while (!pool_stop)
        sigsuspend(&old);
    close(pool_fd);
    return 0;
}

#endif
