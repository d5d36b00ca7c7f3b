/*
 * tcp_echo_serverSR ADDR PORT
 *
 * TCP echo server as a service: a child process per connection reads the
 * whole message, logs it on stdout, sends it back.  See README.md for every
 * requirement.
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
     *       sigaction() (no SA_RESTART) that only set a flag; a SIGCHLD
     *       handler (SA_RESTART) that reaps with waitpid(-1, NULL, WNOHANG). */
    /* TODO: socket(), setsockopt(SO_REUSEADDR), bind() to ADDR:PORT,
     *       listen(fd, 16). */
    /* TODO: loop until the flag is set:
     *       - peersz = sizeof peer; accept(fd, &peer, &peersz)
     *         (on error just go on);
     *       - fork(); the parent closes the connection and accepts the next;
     *       - the child: recv() until it returns 0 into a growing buffer;
     *         on error: message on stderr, close, _exit;
     *         printf("Received %d bytes from %s, port %d\n", ...) with
     *         inet_ntop() and ntohs(), then fflush(stdout); send the whole
     *         message back, close, _exit(0). */
    /* TODO: close the listening socket, exit 0. */

    return 1; /* not implemented yet */
}
