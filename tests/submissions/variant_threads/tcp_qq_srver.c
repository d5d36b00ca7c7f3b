/*
 * tcp_qq_srver ADDR PORT  (test submission "variant_threads")
 *
 * Differences on purpose: a detached POSIX thread per connection.  The
 * main thread stays in accept() and numbers the connections itself, in
 * accept order; the thread it starts sends "Connection k!\n" and closes
 * the connection.  Workers start with every signal blocked, so SIGTERM
 * and SIGINT always reach the main thread and interrupt its accept().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "detached.h"

#define PROG "tcp_qq_srver"

struct job {
    int fd;
    unsigned long number;
};

static void *serve(void *arg)
{
    struct job *job = arg;
    char msg[64];
    int len = snprintf(msg, sizeof msg, "Connection %lu!\n", job->number);
    const char *p = msg;

    while (len > 0) {
        ssize_t n = send(job->fd, p, (size_t)len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break; /* the client is gone: its business */
        }
        p += n;
        len -= (int)n;
    }
    close(job->fd);
    free(job);
    return NULL;
}

int main(int argc, char *argv[])
{
    unsigned long accepted = 0;
    int lfd = listen_as_told(PROG, argc, argv);

    if (lfd < 0)
        return -lfd;
    while (!stop_now) {
        struct job *job;
        int cfd = accept(lfd, NULL, NULL);

        if (cfd < 0)
            continue; /* EINTR (the flag is checked), ECONNABORTED... */
        job = malloc(sizeof *job);
        if (job == NULL) {
            close(cfd);
            continue;
        }
        job->fd = cfd;
        job->number = ++accepted;
        if (start_worker(serve, job) < 0) {
            fprintf(stderr, PROG ": pthread_create failed\n");
            close(cfd);
            free(job);
        }
    }
    close(lfd);
    return 0;
}
