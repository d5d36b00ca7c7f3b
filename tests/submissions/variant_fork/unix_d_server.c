/*
 * unix_d_server PATH  (test submission "variant_fork": a correct solution
 * written differently from the reference)
 *
 * Differences on purpose: recvfrom() with NULL address, a plain char
 * buffer masked to a byte when printing, and the SIGTERM/SIGINT handler
 * itself removes the socket file and _exit()s (both async-signal-safe), so
 * signal() with its SA_RESTART semantics is fine here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *sock_path; /* set once bound; used by the handler */

static void bye(int sig)
{
    (void)sig;
    if (sock_path != NULL)
        unlink(sock_path);
    _exit(0);
}

static void fail(const char *what)
{
    fprintf(stderr, "unix_d_server: %s: %s\n", what, strerror(errno));
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr;
    struct stat st;
    sigset_t block;
    char dgram[16];
    ssize_t got;
    int sock;

    if (argc != 2) {
        fputs("usage: unix_d_server PATH\n", stderr);
        return 2;
    }
    if (*argv[1] == '\0' || strlen(argv[1]) >= sizeof addr.sun_path) {
        fputs("unix_d_server: bad socket path length\n", stderr);
        return 2;
    }

    if (signal(SIGTERM, bye) == SIG_ERR || signal(SIGINT, bye) == SIG_ERR
        || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fail("signal");
        return 1;
    }

    sock = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (sock == -1) {
        fail("socket");
        return 1;
    }

    if (lstat(argv[1], &st) == -1) {
        if (errno != ENOENT) {
            fail(argv[1]);
            return 1;
        }
    } else if (S_ISSOCK(st.st_mode)) {
        if (unlink(argv[1]) == -1) { /* stale socket from an earlier run */
            fail("unlink");
            return 1;
        }
    } else {
        fprintf(stderr, "unix_d_server: %s: not a socket, refusing to remove it\n",
                argv[1]);
        return 1;
    }

    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, argv[1]);

    /* Block the stop signals while bind() and sock_path are not yet in
     * agreement, so the handler never misses or wrongly removes a file. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    if (sigprocmask(SIG_BLOCK, &block, NULL) == -1) {
        fail("sigprocmask");
        return 1;
    }
    if (bind(sock, (struct sockaddr *)&addr, sizeof addr) == -1) {
        fail("bind");
        return 1;
    }
    sock_path = argv[1];
    if (sigprocmask(SIG_UNBLOCK, &block, NULL) == -1) {
        fail("sigprocmask");
        unlink(sock_path);
        return 1;
    }

    got = recvfrom(sock, dgram, sizeof dgram, 0, NULL, NULL);

    /* Received (or failed): a late SIGTERM must not cut the output short. */
    if (sigprocmask(SIG_BLOCK, &block, NULL) == -1)
        fail("sigprocmask");
    if (got == -1) {
        fail("recvfrom");
        close(sock);
        unlink(sock_path);
        return 1;
    }
    close(sock);
    if (unlink(sock_path) == -1)
        fail("unlink");

    for (ssize_t i = 0; i < got; i++)
        printf("%02x ", (unsigned)(dgram[i] & 0xff));
    printf("\n");
    if (fflush(stdout) != 0) {
        fail("stdout");
        return 1;
    }
    return 0;
}
