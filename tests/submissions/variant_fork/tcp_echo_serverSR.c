/*
 * tcp_echo_serverSR ADDR PORT  (test submission "variant_fork")
 *
 * Differences on purpose: every connection is served by a child process
 * (recv, log, fflush, send, close, _exit).  The parent closes its copy of
 * the connection right after fork() and waits for that child before the
 * next accept(), so connections are still served one at a time, in order,
 * exactly like the reference.  On SIGTERM/SIGINT the parent passes the
 * signal on to the child (whose default action ends it, closing the
 * connection), reaps it, and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t quit_requested;
static volatile sig_atomic_t child_pid; /* the child being waited for, or 0 */

/* Also passes the signal on to the child, so that a child blocked in
 * recv() stops too (kill() is async-signal-safe). */
static void request_quit(int signo)
{
    int saved_errno = errno;

    quit_requested = 1;
    if (child_pid > 0)
        kill((pid_t)child_pid, signo);
    errno = saved_errno;
}

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

/* The child's whole life. */
static void child(int c, struct sockaddr_in *from)
{
    char data[32], ip[INET_ADDRSTRLEN];
    ssize_t got, off, k;

    got = recv(c, data, sizeof data, 0);
    if (got == -1) {
        perror("tcp_echo_serverSR: recv");
        close(c);
        _exit(1);
    }
    if (inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip) == NULL)
        strcpy(ip, "?");
    printf("Received %d bytes from %s, port %d\n", (int)got, ip, ntohs(from->sin_port));
    if (fflush(stdout) == EOF)
        perror("tcp_echo_serverSR: stdout");
    for (off = 0; off < got; off += k) {
        k = send(c, data + off, (size_t)(got - off), MSG_NOSIGNAL);
        if (k == -1) {
            if (errno == EINTR && !quit_requested) {
                k = 0;
                continue;
            }
            break; /* the client is gone: nothing to do about it */
        }
    }
    close(c);
    _exit(0);
}

int main(int argc, char **argv)
{
    struct sockaddr_in me, from;
    struct sigaction act;
    sigset_t stopsigs, oldmask;
    socklen_t fromlen;
    long port;
    pid_t pid;
    int lsock, c, yes = 1;

    if (argc != 3) {
        fputs("usage: tcp_echo_serverSR ADDR PORT\n", stderr);
        return 2;
    }
    memset(&me, 0, sizeof me);
    me.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &me.sin_addr) <= 0) {
        fprintf(stderr, "tcp_echo_serverSR: bad IPv4 address '%s'\n", argv[1]);
        return 2;
    }
    if ((port = port_of(argv[2])) < 0) {
        fprintf(stderr, "tcp_echo_serverSR: bad port '%s'\n", argv[2]);
        return 2;
    }
    me.sin_port = htons((unsigned short)port);

    memset(&act, 0, sizeof act);
    act.sa_handler = request_quit; /* no SA_RESTART: accept/waitpid/recv get EINTR */
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGTERM, &act, NULL) == -1 || sigaction(SIGINT, &act, NULL) == -1) {
        perror("tcp_echo_serverSR: sigaction");
        return 1;
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        perror("tcp_echo_serverSR: signal");
        return 1;
    }
    sigemptyset(&stopsigs);
    sigaddset(&stopsigs, SIGTERM);
    sigaddset(&stopsigs, SIGINT);

    if ((lsock = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
        perror("tcp_echo_serverSR: socket");
        return 1;
    }
    if (setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == -1) {
        perror("tcp_echo_serverSR: setsockopt");
        close(lsock);
        return 1;
    }
    if (bind(lsock, (struct sockaddr *)&me, sizeof me) == -1) {
        perror("tcp_echo_serverSR: bind");
        close(lsock);
        return 1;
    }
    if (listen(lsock, 16) == -1) {
        perror("tcp_echo_serverSR: listen");
        close(lsock);
        return 1;
    }

    while (!quit_requested) {
        fromlen = sizeof from;
        c = accept(lsock, (struct sockaddr *)&from, &fromlen);
        if (c == -1)
            continue;

        /* Hold SIGTERM/SIGINT back until child_pid is set (parent) or
         * the default action is back (child). */
        if (sigprocmask(SIG_BLOCK, &stopsigs, &oldmask) == -1) {
            perror("tcp_echo_serverSR: sigprocmask");
            close(c);
            continue;
        }
        pid = fork();
        if (pid == 0) {
            /* A stop request simply terminates the child, wherever it is:
             * the connection is closed by the kernel, as it would be by
             * the reference. */
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            sigprocmask(SIG_SETMASK, &oldmask, NULL);
            close(lsock);
            child(c, &from); /* does not return */
        }
        if (pid > 0)
            child_pid = pid;
        sigprocmask(SIG_SETMASK, &oldmask, NULL); /* pending stop: forwarded */
        close(c);
        if (pid == -1) {
            perror("tcp_echo_serverSR: fork");
            continue;
        }

        /* One connection at a time: wait for this child.  A stop request
         * that came before the signals were blocked is passed on here. */
        if (quit_requested)
            kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) == -1) {
            if (errno != EINTR) {
                perror("tcp_echo_serverSR: waitpid");
                break;
            }
        }
        child_pid = 0;
    }
    close(lsock);
    return 0;
}
