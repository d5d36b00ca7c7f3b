/*
 * tcp_client ADDR PORT
 *
 * TCP client: prints what the server sends, sends the lines of stdin.
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
    /* TODO: poll() the socket and stdin (fd 0) until the server closes:
     *       - socket readable: read() up to 4096 bytes; 0 -> exit 0;
     *         error -> message, exit 1; otherwise write exactly those bytes
     *         to stdout, then "\n", then fflush(stdout);
     *       - stdin readable: read() (not stdio) into your own buffer; send
     *         every complete line except an empty one ("\n"), newline
     *         included;
     *       - end of stdin: send a last unterminated line if any, then
     *         shutdown(sock, SHUT_WR) and stop polling stdin. */

    return 1; /* not implemented yet */
}
