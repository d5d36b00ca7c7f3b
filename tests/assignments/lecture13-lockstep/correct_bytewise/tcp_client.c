/*
 * tcp_client ADDR PORT  (test submission for lecture13-lockstep, "correct_bytewise")
 *
 * Differences on purpose: no stdio on stdin at all.  A line is read from
 * fd 0 one byte at a time with read(), so nothing past the newline is ever
 * taken from the pipe; the port is parsed with strtol; the reply is printed
 * with write(1, ...) instead of fwrite and fflush.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n, int flags)
{
    while (n > 0) {
        ssize_t w = fd == 1 ? write(fd, p, n) : send(fd, p, n, flags);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One line from fd 0 into *buf (grown as needed).  Its length; 0 at the end
 * of stdin; -1 on an error. */
static ssize_t next_line(char **buf, size_t *cap)
{
    size_t len = 0;
    char c;

    for (;;) {
        ssize_t r = read(0, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return (ssize_t)len;
        if (len + 1 >= *cap) {
            char *p = realloc(*buf, *cap ? *cap * 2 : 128);
            if (!p)
                return -1;
            *buf = p;
            *cap = *cap ? *cap * 2 : 128;
        }
        (*buf)[len++] = c;
        if (c == '\n')
            return (ssize_t)len;
    }
}

/* 1 a reply printed, 0 the server closed, -1 an error (said). */
static int reply(int s)
{
    char in[4096 + 1];
    ssize_t n;

    while ((n = recv(s, in, 4096, 0)) < 0 && errno == EINTR)
        ;
    if (n < 0) {
        fprintf(stderr, "tcp_client: recv: %s\n", strerror(errno));
        return -1;
    }
    if (n == 0)
        return 0;
    in[n] = '\n';
    return write_all(1, in, (size_t)n + 1, 0) < 0 ? -1 : 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_in to = { .sin_family = AF_INET };
    char *line = NULL, *end;
    size_t cap = 0;
    ssize_t len;
    long port;
    int s, r;

    if (argc != 3) {
        fprintf(stderr, "usage: tcp_client ADDR PORT\n");
        return 2;
    }
    errno = 0;
    port = strtol(argv[2], &end, 10);
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || argv[2][0] < '0' || argv[2][0] > '9' || *end
        || errno || port < 1 || port > 65535) {
        fprintf(stderr, "tcp_client: bad address or port: %s %s\n", argv[1], argv[2]);
        return 2;
    }
    to.sin_port = htons((unsigned short)port);
    signal(SIGPIPE, SIG_IGN);
    if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
        fprintf(stderr, "tcp_client: socket: %s\n", strerror(errno));
        return 1;
    }
    if (connect(s, (struct sockaddr *)&to, sizeof to) < 0) {
        fprintf(stderr, "tcp_client: cannot connect to %s:%s: %s\n", argv[1], argv[2], strerror(errno));
        return 1;
    }
    while ((len = next_line(&line, &cap)) > 0) {
        if ((len > 1 || line[0] != '\n') && write_all(s, line, (size_t)len, MSG_NOSIGNAL) < 0)
            break;
        if ((r = reply(s)) <= 0)
            return r < 0;
    }
    free(line);
    shutdown(s, SHUT_WR);
    while ((r = reply(s)) > 0)
        ;
    close(s);
    return r < 0;
}
