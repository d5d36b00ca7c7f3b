/*
 * tcp_echo_serverSR ADDR PORT
 *
 * TCP echo server, one connection at a time: ONE recv() of up to 32 bytes,
 * a log line on stdout, the bytes sent back, close.  See README.md for
 * every requirement.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    (void)argv; /* remove once you use argv */

    if (argc != 3) {
        fprintf(stderr, "usage: tcp_echo_serverSR ADDR PORT\n");
        return 2;
    }

    /* TODO: parse ADDR with inet_pton(AF_INET, ...) and PORT strictly
     *       (digits only, 1..65535); otherwise a message on stderr,
     *       exit 2. */
    /* TODO: ignore SIGPIPE; install SIGTERM/SIGINT handlers with
     *       sigaction() (no SA_RESTART) that only set a flag. */
    /* TODO: socket(), setsockopt(SO_REUSEADDR), bind() to ADDR:PORT,
     *       listen(fd, 16). */
    /* TODO: loop until the flag is set:
     *       - peersz = sizeof peer; accept(fd, &peer, &peersz)
     *         (on error just go on);
     *       - ONE recv() into a 32-byte buffer; on error: message on
     *         stderr, close, next connection;
     *       - printf("Received %d bytes from %s, port %d\n", ...) with
     *         inet_ntop() and ntohs(), then fflush(stdout);
     *       - send the received bytes back completely, close. */
    /* TODO: close the listening socket, exit 0. */

    return 1; /* not implemented yet */
}
