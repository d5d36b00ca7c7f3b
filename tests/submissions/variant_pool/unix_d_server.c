/*
 * unix_d_server PATH
 *
 * Reference solution.  Creates a Unix domain datagram socket bound to PATH,
 * receives ONE datagram, prints its first 16 bytes in hexadecimal ("%02x "
 * per byte, then a newline), removes the socket file and exits 0.
 *
 * Exit status: 0 on success (and on SIGTERM/SIGINT while waiting),
 *              1 on a runtime failure, 2 on bad arguments.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG "unix_d_server"
#define DSIZE 16 /* longer datagrams are truncated to their first 16 bytes */

static volatile sig_atomic_t stop; /* set by SIGTERM / SIGINT */

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

/* Removes the socket file; a file already gone is not an error. */
static void remove_socket(const char *path)
{
    if (unlink(path) < 0 && errno != ENOENT)
        fprintf(stderr, PROG ": unlink %s: %s\n", path, strerror(errno));
}

int main(int argc, char *argv[])
{
    struct sockaddr_un srv;
    struct sigaction sa;
    struct stat st;
    unsigned char buf[DSIZE]; /* unsigned: 0xff prints "ff", not "ffffffff" */
    const char *path;
    ssize_t n;
    int fd, err, i;

    if (argc != 2) {
        fprintf(stderr, "usage: " PROG " PATH\n");
        return 2;
    }
    path = argv[1];
    if (path[0] == '\0' || strlen(path) > sizeof srv.sun_path - 1) {
        fprintf(stderr, PROG ": socket path must be 1 to %zu bytes long\n",
                sizeof srv.sun_path - 1);
        return 2;
    }

    /* Stop on SIGTERM/SIGINT.  No SA_RESTART: a blocked recv() returns
     * EINTR so that the flag is seen. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0
        || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
        return 1;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return 1;
    }

    /* A socket file left behind by a crashed run would make bind() fail
     * with EADDRINUSE: remove it.  Anything else (a regular file...) is the
     * user's and is never deleted. */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            fprintf(stderr, PROG ": %s exists and is not a socket\n", path);
            close(fd);
            return 1;
        }
        if (unlink(path) < 0) {
            fprintf(stderr, PROG ": unlink %s: %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
    } else if (errno != ENOENT) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }

    memset(&srv, 0, sizeof srv);
    srv.sun_family = AF_UNIX;
    memcpy(srv.sun_path, path, strlen(path) + 1); /* length checked above */

    /* Datagram sockets have no connections: bind, no listen(). */
    if (bind(fd, (const struct sockaddr *)&srv, sizeof srv) < 0) {
        fprintf(stderr, PROG ": bind %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }

    /* From here on every exit removes the socket file. */
    n = -1;
    err = 0;
    while (!stop) {
        n = recv(fd, buf, sizeof buf, 0);
        if (n >= 0)
            break;
        if (errno != EINTR) {
            err = errno;
            break;
        }
    }
    close(fd);
    remove_socket(path);

    if (n < 0) {
        if (err == 0) /* stopped by a signal */
            return 0;
        fprintf(stderr, PROG ": recv: %s\n", strerror(err));
        return 1;
    }

    for (i = 0; i < n; i++)
        printf("%02x ", buf[i]);
    putchar('\n');
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
