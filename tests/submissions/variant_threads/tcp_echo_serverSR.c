/*
 * tcp_echo_serverSR ADDR PORT  (test submission "variant_threads")
 *
 * Differences on purpose: a detached POSIX thread per connection (one
 * recv() of at most 32 bytes, the log line under a mutex, the echo,
 * close); the main thread only accepts.  Workers start with every signal
 * blocked, so SIGTERM and SIGINT always interrupt the main thread's
 * accept().
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

#define PROG "tcp_echo_serverSR"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

struct job {
    int fd;
    struct sockaddr_in peer;
};

static void *serve(void *arg)
{
    struct job *job = arg;
    char buf[32], who[INET_ADDRSTRLEN];
    ssize_t n = recv(job->fd, buf, sizeof buf, 0);

    if (n < 0) {
        fprintf(stderr, PROG ": recv: %s\n", strerror(errno));
    } else {
        size_t done = 0;

        if (inet_ntop(AF_INET, &job->peer.sin_addr, who, sizeof who) == NULL)
            strcpy(who, "?");
        pthread_mutex_lock(&log_lock);
        printf("Received %d bytes from %s, port %d\n", (int)n, who, (int)ntohs(job->peer.sin_port));
        fflush(stdout);
        pthread_mutex_unlock(&log_lock);
        while (done < (size_t)n) {
            ssize_t w = send(job->fd, buf + done, (size_t)n - done, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                break; /* the client is gone */
            done += (size_t)w;
        }
    }
    close(job->fd);
    free(job);
    return NULL;
}

int main(int argc, char *argv[])
{
    int lfd = listen_as_told(PROG, argc, argv);

    if (lfd < 0)
        return -lfd;
    while (!stop_now) {
        struct job *job = malloc(sizeof *job);
        socklen_t len = sizeof job->peer;
        int cfd;

        if (job == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            break;
        }
        cfd = accept(lfd, (struct sockaddr *)&job->peer, &len);
        if (cfd < 0) {
            free(job);
            continue; /* EINTR (the flag is checked), ECONNABORTED... */
        }
        job->fd = cfd;
        if (start_worker(serve, job) < 0) {
            fprintf(stderr, PROG ": pthread_create failed\n");
            close(cfd);
            free(job);
        }
    }
    close(lfd);
    return 0;
}
