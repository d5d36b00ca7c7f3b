/*
 * unix_d_send PATH MESSAGE  (test submission "variant_sr")
 *
 * Differences on purpose: sendmsg() with the destination in msg_name,
 * small static functions.  The socket is never bound.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static int make_address(const char *path, struct sockaddr_un *sun)
{
    size_t len = strlen(path);

    if (len == 0 || len + 1 > sizeof sun->sun_path)
        return -1;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, len);
    return 0;
}

static int send_datagram(int fd, struct sockaddr_un *to, const char *msg)
{
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
    struct msghdr mh;

    memset(&mh, 0, sizeof mh);
    mh.msg_name = to;
    mh.msg_namelen = sizeof *to;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int main(int argc, char *argv[])
{
    struct sockaddr_un to;
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: unix_d_send PATH MESSAGE\n");
        return 2;
    }
    if (make_address(argv[1], &to) != 0) {
        fprintf(stderr, "unix_d_send: path too long or empty\n");
        return 2;
    }
    if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0) {
        fprintf(stderr, "unix_d_send: socket: %s\n", strerror(errno));
        return 1;
    }
    if (send_datagram(fd, &to, argv[2]) != 0) {
        int e = errno;
        close(fd);
        fprintf(stderr, "unix_d_send: cannot send to %s: %s\n", argv[1], strerror(e));
        return 1;
    }
    return close(fd) == 0 ? 0 : 1;
}
