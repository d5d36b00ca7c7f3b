/*
 * tcp_client ADDR PORT  (test submission "variant_fork")
 *
 * Differences on purpose: select() instead of poll(), strtoul() port
 * parsing, write() to stdout instead of stdio, and the lines to send are
 * collected into a second buffer instead of being compacted in place.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

struct bytes {
    char *p;
    size_t n, cap;
};

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

static int reserve(struct bytes *b, size_t more)
{
    size_t want = b->n + more, cap = b->cap ? b->cap : 1024;
    char *p;

    if (want <= b->cap)
        return 0;
    while (cap < want)
        cap *= 2;
    if ((p = realloc(b->p, cap)) == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* write()s everything; 0 or -1. */
static int put(int fd, const char *p, size_t n)
{
    while (n != 0) {
        ssize_t k = write(fd, p, n);
        if (k == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in peer;
    struct bytes pending = { 0 }, out = { 0 };
    char in[4096];
    long port;
    int s, reading_stdin = 1, status = 1;

    if (argc != 3) {
        fputs("usage: tcp_client ADDR PORT\n", stderr);
        return 2;
    }
    memset(&peer, 0, sizeof peer);
    peer.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &peer.sin_addr) <= 0) {
        fprintf(stderr, "tcp_client: bad IPv4 address '%s'\n", argv[1]);
        return 2;
    }
    if ((port = port_of(argv[2])) < 0) {
        fprintf(stderr, "tcp_client: bad port '%s'\n", argv[2]);
        return 2;
    }
    peer.sin_port = htons((unsigned short)port);
    signal(SIGPIPE, SIG_IGN); /* EPIPE instead of death */

    if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
        perror("tcp_client: socket");
        return 1;
    }
    if (connect(s, (struct sockaddr *)&peer, sizeof peer) == -1) {
        fprintf(stderr, "tcp_client: cannot connect to %s:%s: %s\n",
                argv[1], argv[2], strerror(errno));
        close(s);
        return 1;
    }

    for (;;) {
        fd_set rd;
        ssize_t k;

        FD_ZERO(&rd);
        FD_SET(s, &rd);
        if (reading_stdin)
            FD_SET(STDIN_FILENO, &rd);
        if (select(s + 1, &rd, NULL, NULL, NULL) == -1) {
            if (errno == EINTR)
                continue;
            perror("tcp_client: select");
            goto done;
        }

        if (FD_ISSET(s, &rd)) {
            k = read(s, in, sizeof in);
            if (k == 0) {
                status = 0; /* the server closed: finished */
                goto done;
            }
            if (k == -1) {
                if (errno == EINTR)
                    continue;
                perror("tcp_client: read");
                goto done;
            }
            if (put(STDOUT_FILENO, in, (size_t)k) == -1
                || put(STDOUT_FILENO, "\n", 1) == -1) {
                perror("tcp_client: stdout");
                goto done;
            }
        }

        if (!reading_stdin || !FD_ISSET(STDIN_FILENO, &rd))
            continue;

        if (reserve(&pending, sizeof in) == -1) {
            fputs("tcp_client: out of memory\n", stderr);
            goto done;
        }
        k = read(STDIN_FILENO, pending.p + pending.n, sizeof in);
        if (k == -1 && errno == EINTR)
            continue;
        if (k > 0) {
            size_t start = 0, i;

            pending.n += (size_t)k;
            out.n = 0;
            for (i = 0; i < pending.n; i++) {
                if (pending.p[i] != '\n')
                    continue;
                if (i > start) { /* a line other than a lone "\n" */
                    if (reserve(&out, i + 1 - start) == -1) {
                        fputs("tcp_client: out of memory\n", stderr);
                        goto done;
                    }
                    memcpy(out.p + out.n, pending.p + start, i + 1 - start);
                    out.n += i + 1 - start;
                }
                start = i + 1;
            }
            memmove(pending.p, pending.p + start, pending.n - start);
            pending.n -= start;
            if (put(s, out.p, out.n) == 0)
                continue;
            /* The server went away (EPIPE, ECONNRESET): stop sending. */
            if (errno != EPIPE && errno != ECONNRESET)
                perror("tcp_client: write");
            pending.n = 0;
        } else if (k == 0) {
            if (pending.n != 0 && put(s, pending.p, pending.n) == -1
                && errno != EPIPE && errno != ECONNRESET)
                perror("tcp_client: send");
        } else {
            perror("tcp_client: read stdin");
        }
        /* stdin is over (or the server went away): half-close and keep
         * printing until the server closes. */
        reading_stdin = 0;
        if (shutdown(s, SHUT_WR) == -1 && errno != ENOTCONN)
            perror("tcp_client: shutdown");
    }

done:
    free(pending.p);
    free(out.p);
    close(s);
    return status;
}
