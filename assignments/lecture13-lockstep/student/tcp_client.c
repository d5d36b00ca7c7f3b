/*
 * tcp_client ADDR PORT
 *
 * TCP client in lock-step: a line from stdin, then the server's reply.
 * See README.md for every requirement.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    (void)argv; /* remove once you use argv */

    if (argc != 3) {
        fprintf(stderr, "usage: tcp_client ADDR PORT\n");
        return 2;
    }

    /* TODO: parse ADDR with inet_pton(AF_INET, ...) and PORT strictly
     *       (digits only, 1..65535); otherwise a message on stderr,
     *       exit 2. */
    /* TODO: ignore SIGPIPE. */
    /* TODO: sock = socket(AF_INET, SOCK_STREAM, 0); connect().  On failure:
     *       "tcp_client: cannot connect to ADDR:PORT: <strerror>" on
     *       stderr, exit 1. */
    /* TODO: repeat:
     *       - getline() one line from stdin; at the end of stdin:
     *         shutdown(sock, SHUT_WR), print what the server still sends
     *         until read() returns 0, exit 0;
     *       - send it, newline included, unless it is just "\n";
     *       - read() the reply (up to 4096 bytes): 0 -> exit 0; error ->
     *         message, exit 1; otherwise write exactly those bytes to
     *         stdout, then "\n", then fflush(stdout). */

    return 1; /* not implemented yet */
}
