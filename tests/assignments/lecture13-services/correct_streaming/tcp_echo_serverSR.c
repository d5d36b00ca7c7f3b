/*
 * tcp_echo_serverSR ADDR PORT  (test submission for lecture13-services, "correct_streaming")
 *
 * Differences on purpose: the child echoes every piece as it arrives (a
 * fixed 1 KiB buffer, no growing one) and logs the total at the end of the
 * message; children are reaped by the kernel (SIGCHLD ignored) instead of a
 * handler; the port is parsed with sscanf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void quit(int sig)
{
    (void)sig;
    done = 1;
}

static void child(int c, struct sockaddr_in *from)
{
    char piece[1024], ip[INET_ADDRSTRLEN];
    long total = 0;
    ssize_t n;

    while ((n = recv(c, piece, sizeof piece, 0)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("tcp_echo_serverSR: recv");
            _exit(1);
        }
        total += n;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = send(c, piece + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (w <= 0)
                break; /* the client is gone: keep reading to its end */
            off += w;
        }
    }
    inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip);
    printf("Received %ld bytes from %s, port %d\n", total, ip, ntohs(from->sin_port));
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv)
{
    struct sockaddr_in me = { .sin_family = AF_INET }, from;
    struct sigaction sa = { .sa_handler = quit };
    unsigned port;
    char tail;
    int ls, c, yes = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: tcp_echo_serverSR ADDR PORT\n");
        return 2;
    }
    if (inet_pton(AF_INET, argv[1], &me.sin_addr) != 1 || argv[2][0] < '0' || argv[2][0] > '9'
        || sscanf(argv[2], "%u%c", &port, &tail) != 1 || port < 1 || port > 65535 || strlen(argv[2]) > 5) {
        fprintf(stderr, "tcp_echo_serverSR: bad address or port\n");
        return 2;
    }
    me.sin_port = htons((unsigned short)port);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN); /* the kernel reaps the children */
    if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) < 0
        || bind(ls, (struct sockaddr *)&me, sizeof me) < 0 || listen(ls, 16) < 0) {
        fprintf(stderr, "tcp_echo_serverSR: bind: %s\n", strerror(errno));
        return 1;
    }
    while (!done) {
        socklen_t len = sizeof from;
        if ((c = accept(ls, (struct sockaddr *)&from, &len)) < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(ls);
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            child(c, &from);
        }
        if (pid < 0)
            perror("tcp_echo_serverSR: fork");
        close(c);
    }
    close(ls);
    return 0;
}
