/*
 * tcp_qq_srver ADDR PORT  (test submission "variant_prefork")
 *
 * Differences on purpose: a prefork server.  The parent listens, starts
 * WORKERS worker processes and waits for them.  The workers pass one accept
 * token among themselves through a pipe: the token is the number of
 * connections accepted so far, and only the worker holding it calls
 * accept(), so connections are numbered 1, 2, 3 ... in accept order across
 * the processes.  A worker waits for the token in poll() with a timeout, to
 * notice a parent that died.  SIGTERM/SIGINT (sent to the whole process
 * group, or to the parent alone) stop every worker; the parent reaps them,
 * closes the listening socket and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "tcp_qq_srver"
#define WORKERS 4

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

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

static void greet(int fd, unsigned long number)
{
    char msg[64];
    int len = snprintf(msg, sizeof msg, "Connection %lu!\n", number);
    const char *p = msg;

    while (len > 0) {
        ssize_t n = send(fd, p, (size_t)len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR && !stopping)
            continue;
        if (n < 0)
            return; /* the client is gone */
        p += n;
        len -= (int)n;
    }
}

/* Takes the token (the count so far) from the pipe: 1, or 0 when stopping
 * or when the parent is gone. */
static int take_token(int rd, pid_t parent, unsigned long *count)
{
    for (;;) {
        struct pollfd p = { rd, POLLIN, 0 };
        int r;

        if (stopping || getppid() != parent)
            return 0;
        r = poll(&p, 1, 1000);
        if (r <= 0)
            continue; /* EINTR (the flag is checked), or a second passed */
        if (read(rd, count, sizeof *count) == (ssize_t)sizeof *count)
            return 1;
        /* EAGAIN: another worker took it first */
    }
}

static void worker(int lfd, int tok[2], pid_t parent)
{
    unsigned long count;

    while (take_token(tok[0], parent, &count)) {
        int c = -1;

        while (c < 0 && !stopping)
            c = accept(lfd, NULL, NULL); /* EINTR, ECONNABORTED...: again */
        if (c >= 0)
            count++;
        /* the next worker may accept while this one answers */
        if (write(tok[1], &count, sizeof count) != (ssize_t)sizeof count) {
            if (c >= 0)
                close(c);
            break;
        }
        if (c < 0)
            break;
        greet(c, count);
        close(c);
    }
    _exit(0);
}

int main(int argc, char *argv[])
{
    struct sockaddr_in addr;
    struct sigaction sa;
    unsigned short port;
    unsigned long zero = 0;
    pid_t kids[WORKERS], parent = getpid();
    int lfd, tok[2], one = 1, i, alive = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: " PROG " ADDR PORT\n");
        return 2;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, PROG ": invalid IPv4 address: %s\n", argv[1]);
        return 2;
    }
    if (parse_port(argv[2], &port) < 0) {
        fprintf(stderr, PROG ": invalid port: %s\n", argv[2]);
        return 2;
    }
    addr.sin_port = htons(port);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: blocked calls return EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
        fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
        return 1;
    }
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0) {
        fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
        return 1;
    }

    if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return 1;
    }
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0
        || listen(lfd, 16) < 0) {
        fprintf(stderr, PROG ": listening on %s:%s: %s\n", argv[1], argv[2], strerror(errno));
        close(lfd);
        return 1;
    }
    /* Non-blocking reads: every waiting worker wakes when the token comes
     * back, one gets it, the others go back to poll(). */
    if (pipe(tok) < 0 || fcntl(tok[0], F_SETFL, O_NONBLOCK) < 0
        || write(tok[1], &zero, sizeof zero) != (ssize_t)sizeof zero) {
        fprintf(stderr, PROG ": token pipe: %s\n", strerror(errno));
        close(lfd);
        return 1;
    }

    for (i = 0; i < WORKERS; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            worker(lfd, tok, parent);
        if (kids[i] < 0)
            fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
        else
            alive++;
    }
    if (alive == 0) {
        close(lfd);
        return 1;
    }

    while (alive > 0 && !stopping) {
        if (waitpid(-1, NULL, 0) > 0)
            alive--; /* a worker ended: the others serve on */
    }
    /* A signal sent to the parent alone reaches the workers through it. */
    for (i = 0; i < WORKERS; i++)
        if (kids[i] > 0)
            kill(kids[i], SIGTERM);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    close(lfd);
    return 0;
}
