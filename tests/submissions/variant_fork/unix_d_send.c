/*
 * unix_d_send PATH MESSAGE  (test submission "variant_fork")
 *
 * Differences on purpose: connect() then send() instead of sendto(); the
 * socket is still never bound.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un to = { .sun_family = AF_UNIX };
    size_t plen;
    int s;

    if (argc != 3) {
        fputs("usage: unix_d_send PATH MESSAGE\n", stderr);
        return 2;
    }
    plen = strlen(argv[1]);
    if (plen == 0 || plen >= sizeof to.sun_path) {
        fputs("unix_d_send: bad socket path length\n", stderr);
        return 2;
    }
    memcpy(to.sun_path, argv[1], plen);

    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (s == -1) {
        perror("unix_d_send: socket");
        return 1;
    }
    /* For a datagram socket connect() only records the default peer. */
    if (connect(s, (struct sockaddr *)&to, sizeof to) == -1
        || send(s, argv[2], strlen(argv[2]), MSG_NOSIGNAL) == -1) {
        fprintf(stderr, "unix_d_send: cannot send to %s: %s\n", argv[1], strerror(errno));
        close(s);
        return 1;
    }
    if (close(s) == -1) {
        perror("unix_d_send: close");
        return 1;
    }
    return 0;
}
