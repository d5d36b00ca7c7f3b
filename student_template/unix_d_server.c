/*
 * unix_d_server PATH
 *
 * Receive ONE datagram on the Unix domain datagram socket PATH, print its
 * first 16 bytes in hexadecimal ("%02x " per byte, then "\n"), remove the
 * socket file, exit 0.  See README.md for every requirement.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    (void)argv; /* remove once you use argv */

    if (argc != 2) {
        fprintf(stderr, "usage: unix_d_server PATH\n");
        return 2;
    }

    /* TODO: check that PATH is not empty and fits in sun_path (at most
     *       sizeof(sun_path) - 1 bytes); otherwise a message on stderr,
     *       exit 2. */
    /* TODO: install SIGTERM/SIGINT handlers with sigaction() (no
     *       SA_RESTART); the handler only sets a volatile sig_atomic_t
     *       flag. */
    /* TODO: fd = socket(AF_UNIX, SOCK_DGRAM, 0). */
    /* TODO: if something exists at PATH: lstat() it; a socket (left by an
     *       earlier run) is unlink()ed, anything else is an error (exit 1,
     *       never delete it). */
    /* TODO: fill a struct sockaddr_un and bind() it.  No listen():
     *       datagram sockets do not listen. */
    /* TODO: recv() ONE datagram into an unsigned char buffer of 16 bytes
     *       (SIGTERM while waiting: clean up and exit 0). */
    /* TODO: close the socket and unlink(PATH) (on every exit after bind). */
    /* TODO: print each byte with "%02x ", then "\n"; fflush(stdout). */

    return 1; /* not implemented yet */
}
