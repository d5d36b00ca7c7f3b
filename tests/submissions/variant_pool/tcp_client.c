/*
 * tcp_client ADDR PORT
 *
 * Reference solution.  Connects to the IPv4 address ADDR, TCP port PORT,
 * then waits with poll() on both the socket and standard input:
 *
 *  - whatever arrives on the socket (one read() of up to 4096 bytes) is
 *    written to stdout followed by a newline; when the server closes the
 *    connection the client exits 0 at once;
 *  - every complete line read from stdin is sent as is (newline included),
 *    except an empty line ("\n"), which sends nothing;
 *  - at the end of stdin a last unterminated line (if not empty) is sent,
 *    the sending half of the connection is shut down, and the client keeps
 *    printing what the server sends until the server closes.
 *
 * stdin is read with read(), never with stdio: stdio would pull several
 * lines into its own buffer, where poll() cannot see them.
 *
 * Exit status: 0 when the server closed the connection, 1 on a runtime
 *              failure, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "tcp_client"
#define RSIZE 4096

/* Strict port: decimal digits only, 1..65535.  Returns 0 on success. */
static int parse_port(const char *s, unsigned short *port)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (unsigned short)v;
    return 0;
}

/* Sends all len bytes.  Returns 0, or -1 with errno set. */
static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * buf[0..len) holds what was read from stdin.  Moves every complete line
 * that is not just "\n" to the front of buf, in order, and returns how many
 * bytes that is; *used is set to the length of all complete lines (the
 * unterminated rest starts at buf + *used).
 */
static size_t take_lines(char *buf, size_t len, size_t *used)
{
    size_t in = 0, out = 0;
    char *nl;

    while ((nl = memchr(buf + in, '\n', len - in)) != NULL) {
        size_t l = (size_t)(nl - (buf + in)) + 1;
        if (l > 1) {
            memmove(buf + out, buf + in, l);
            out += l;
        }
        in += l;
    }
    *used = in;
    return out;
}

int main(int argc, char *argv[])
{
    struct sockaddr_in srv;
    struct pollfd pfd[2];
    unsigned short port;
    char rbuf[RSIZE];
    char *line = NULL; /* stdin bytes not sent yet */
    size_t len = 0, cap = 0, used, out;
    int sock, stdin_open = 1;
    ssize_t n;

    if (argc != 3) {
        fprintf(stderr, "usage: " PROG " ADDR PORT\n");
        return 2;
    }
    memset(&srv, 0, sizeof srv);
    srv.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &srv.sin_addr) != 1) {
        fprintf(stderr, PROG ": not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    if (parse_port(argv[2], &port) < 0) {
        fprintf(stderr, PROG ": not a port number (1-65535): %s\n", argv[2]);
        return 2;
    }
    srv.sin_port = htons(port);

    /* Writing to a server that is gone must be an error, not a death. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, PROG ": signal: %s\n", strerror(errno));
        return 1;
    }

    sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return 1;
    }
    if (connect(sock, (const struct sockaddr *)&srv, sizeof srv) < 0) {
        fprintf(stderr, PROG ": cannot connect to %s:%s: %s\n",
                argv[1], argv[2], strerror(errno));
        close(sock);
        return 1;
    }

    for (;;) {
        pfd[0].fd = sock;
        pfd[0].events = POLLIN;
        pfd[1].fd = 0;
        pfd[1].events = POLLIN;
        if (poll(pfd, stdin_open ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
            break;
        }

        /* The socket first: once the server has closed, we are done. */
        if (pfd[0].revents != 0) {
            n = read(sock, rbuf, sizeof rbuf);
            if (n == 0) {
                free(line);
                close(sock);
                return 0;
            }
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                fprintf(stderr, PROG ": read from server: %s\n", strerror(errno));
                break;
            }
            /* Not a C string: write exactly n bytes. */
            fwrite(rbuf, 1, (size_t)n, stdout);
            putchar('\n');
            if (fflush(stdout) == EOF || ferror(stdout)) {
                fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
                break;
            }
        }

        if (!stdin_open || pfd[1].revents == 0)
            continue;

        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 4096;
            char *p = realloc(line, ncap);
            if (p == NULL) {
                fprintf(stderr, PROG ": out of memory\n");
                break;
            }
            line = p;
            cap = ncap;
        }
        n = read(0, line + len, cap - len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n > 0) {
            len += (size_t)n;
            out = take_lines(line, len, &used);
            if (send_all(sock, line, out) == 0) {
                /* Keep the unterminated rest for the next read. */
                memmove(line, line + used, len - used);
                len -= used;
                continue;
            }
            /* The server is gone (EPIPE, ECONNRESET): stop sending, but
             * still print whatever it sent before going away. */
            if (errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, PROG ": send: %s\n", strerror(errno));
            len = 0;
        } else if (n == 0) {
            /* End of stdin: send a last unterminated line, if any. */
            if (len > 0 && send_all(sock, line, len) < 0
                && errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, PROG ": send: %s\n", strerror(errno));
            len = 0;
        } else {
            fprintf(stderr, PROG ": read from stdin: %s\n", strerror(errno));
            len = 0;
        }
        /* No more input: tell the server, keep reading its replies. */
        stdin_open = 0;
        if (shutdown(sock, SHUT_WR) < 0 && errno != ENOTCONN)
            fprintf(stderr, PROG ": shutdown: %s\n", strerror(errno));
        free(line);
        line = NULL;
        cap = 0;
    }

    free(line);
    close(sock);
    return 1;
}
