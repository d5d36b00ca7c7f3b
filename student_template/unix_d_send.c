/*
 * unix_d_send PATH MESSAGE
 *
 * Send MESSAGE (its bytes only: no NUL, no newline) as ONE datagram to the
 * Unix domain datagram socket PATH.  See README.md for every requirement.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    (void)argv; /* remove once you use argv */

    if (argc != 3) {
        fprintf(stderr, "usage: unix_d_send PATH MESSAGE\n");
        return 2;
    }

    /* TODO: check that PATH is not empty and fits in sun_path; otherwise a
     *       message on stderr, exit 2. */
    /* TODO: fd = socket(AF_UNIX, SOCK_DGRAM, 0).  Do NOT bind it: PATH is
     *       the server's address, not yours. */
    /* TODO: fill a struct sockaddr_un with PATH. */
    /* TODO: sendto() strlen(MESSAGE) bytes, exactly once (an empty MESSAGE
     *       sends an empty datagram).  On failure:
     *       "unix_d_send: cannot send to PATH: <strerror>" on stderr,
     *       exit 1. */
    /* TODO: close(fd), exit 0. */

    return 1; /* not implemented yet */
}
