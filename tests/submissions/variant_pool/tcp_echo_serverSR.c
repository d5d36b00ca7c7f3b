/*
 * tcp_echo_serverSR ADDR PORT  (test submission "variant_pool")
 *
 * Differences on purpose: a fixed pool of threads that take turns at
 * accept() under a mutex (pool.h); each serves its connection with one
 * recv() of at most 32 bytes, the log line (printf and fflush under a
 * mutex of their own), the echo and the close.
 */
#include "pool.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void serve(const struct conn *c)
{
    char buf[32], who[INET_ADDRSTRLEN];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0), done = 0;

    if (n < 0) {
        fprintf(stderr, "tcp_echo_serverSR: recv: %s\n", strerror(errno));
        return;
    }
    if (inet_ntop(AF_INET, &c->peer.sin_addr, who, sizeof who) == NULL)
        strcpy(who, "?");
    pthread_mutex_lock(&log_lock);
    printf("Received %d bytes from %s, port %d\n", (int)n, who, (int)ntohs(c->peer.sin_port));
    fflush(stdout);
    pthread_mutex_unlock(&log_lock);
    while (done < n) {
        ssize_t w = send(c->fd, buf + done, (size_t)(n - done), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return; /* the client is gone */
        done += w;
    }
}

int main(int argc, char *argv[])
{
    return pool_main("tcp_echo_serverSR", argc, argv);
}
