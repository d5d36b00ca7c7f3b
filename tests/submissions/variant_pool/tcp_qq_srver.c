/*
 * tcp_qq_srver ADDR PORT  (test submission "variant_pool")
 *
 * Differences on purpose: a fixed pool of threads that take turns at
 * accept() under a mutex (pool.h); the number is taken with the connection.
 */
#include "pool.h"

static void serve(const struct conn *c)
{
    char msg[64];
    int len = snprintf(msg, sizeof msg, "Connection %lu!\n", c->number);
    const char *p = msg;

    while (len > 0) {
        ssize_t n = send(c->fd, p, (size_t)len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* the client is gone */
        p += n;
        len -= (int)n;
    }
}

int main(int argc, char *argv[])
{
    return pool_main("tcp_qq_srver", argc, argv);
}
