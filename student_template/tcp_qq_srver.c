/*
 * tcp_qq_srver ADDR PORT
 *
 * TCP server: the k-th accepted connection gets exactly "Connection k!\n",
 * then it is closed.  See README.md for every requirement.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    (void)argv; /* remove once you use argv */

    if (argc != 3) {
        fprintf(stderr, "usage: tcp_qq_srver ADDR PORT\n");
        return 2;
    }

    /* TODO: parse ADDR with inet_pton(AF_INET, ...) and PORT strictly
     *       (digits only, 1..65535); otherwise a message on stderr,
     *       exit 2. */
    /* TODO: ignore SIGPIPE; install SIGTERM/SIGINT handlers with
     *       sigaction() (no SA_RESTART) that only set a flag. */
    /* TODO: fd = socket(AF_INET, SOCK_STREAM, 0). */
    /* TODO: setsockopt(SO_REUSEADDR) before bind(). */
    /* TODO: bind() to ADDR:PORT, listen(fd, 16). */
    /* TODO: loop until the flag is set: accept() (on error just go on),
     *       send "Connection k!\n" completely (k counts from 1), close the
     *       connection.  Never read from it. */
    /* TODO: close the listening socket, exit 0. */

    return 1; /* not implemented yet */
}
