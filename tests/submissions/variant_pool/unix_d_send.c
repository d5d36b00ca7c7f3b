/*
 * unix_d_send PATH MESSAGE
 *
 * Reference solution.  Sends MESSAGE (its bytes, without the terminating NUL
 * and without a newline) as ONE datagram to the Unix domain datagram socket
 * PATH.  An empty MESSAGE sends a zero-length datagram.
 *
 * The sender does not bind: binding PATH (as the lecture's version does)
 * would claim the server's own address.  An unbound datagram socket can
 * send with sendto() just fine.
 *
 * Exit status: 0 on success, 1 on a runtime failure (no server...),
 *              2 on bad arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG "unix_d_send"

int main(int argc, char *argv[])
{
    struct sockaddr_un srv;
    const char *path, *msg;
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: " PROG " PATH MESSAGE\n");
        return 2;
    }
    path = argv[1];
    msg = argv[2];
    if (path[0] == '\0' || strlen(path) > sizeof srv.sun_path - 1) {
        fprintf(stderr, PROG ": socket path must be 1 to %zu bytes long\n",
                sizeof srv.sun_path - 1);
        return 2;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return 1;
    }

    memset(&srv, 0, sizeof srv);
    srv.sun_family = AF_UNIX;
    memcpy(srv.sun_path, path, strlen(path) + 1); /* length checked above */

    /* Exactly one datagram.  No server: ENOENT (no such file) or
     * ECONNREFUSED (a file nobody is bound to). */
    if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
               (const struct sockaddr *)&srv, sizeof srv) < 0) {
        fprintf(stderr, PROG ": cannot send to %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }

    if (close(fd) < 0) {
        fprintf(stderr, PROG ": close: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
