/*
 * unix_d_server PATH  (test submission "variant_sr": a correct solution
 * written differently from the reference and from variant_fork)
 *
 * Differences on purpose: small static functions, recvmsg() into a plain
 * char buffer, the hex dump built by hand with a digit table and written
 * with one fputs(), sigaction() for every signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

enum { DGRAM_MAX = 16, EXIT_USAGE = 2, EXIT_RUNTIME = 1 };

static volatile sig_atomic_t g_stop;

static void note_stop(int signo)
{
    (void)signo;
    g_stop = 1;
}

static int install(int signo, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler; /* sa_flags 0: recvmsg() is interrupted */
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

static int complain(const char *what, int err)
{
    fprintf(stderr, "unix_d_server: %s: %s\n", what, strerror(err));
    return EXIT_RUNTIME;
}

/* 0 if PATH is free now; a regular file (or anything not a socket) stays. */
static int clear_stale(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : complain(path, errno);
    if ((st.st_mode & S_IFMT) != S_IFSOCK) {
        fprintf(stderr, "unix_d_server: %s is not a socket; not removing it\n", path);
        return EXIT_RUNTIME;
    }
    return unlink(path) == 0 ? 0 : complain(path, errno);
}

static int open_bound(const char *path, int *out)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    if (fd < 0)
        return complain("socket", errno);
    if (clear_stale(path) != 0) {
        close(fd);
        return EXIT_RUNTIME;
    }
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        int e = errno;
        close(fd);
        return complain("bind", e);
    }
    *out = fd;
    return 0;
}

/* >= 0: bytes received; -1: stopped by a signal; -2: error. */
static ssize_t receive_one(int fd, char *buf, size_t size)
{
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    struct msghdr mh;

    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    for (;;) {
        ssize_t n;

        if (g_stop)
            return -1;
        n = recvmsg(fd, &mh, 0); /* a longer datagram is cut to size */
        if (n >= 0)
            return n;
        if (errno != EINTR) {
            complain("recvmsg", errno);
            return -2;
        }
    }
}

static int dump_hex(const char *buf, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char line[DGRAM_MAX * 3 + 2];
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        line[k++] = digits[b >> 4];
        line[k++] = digits[b & 0x0f];
        line[k++] = ' ';
    }
    line[k++] = '\n';
    line[k] = '\0';
    if (fputs(line, stdout) == EOF || fflush(stdout) == EOF)
        return complain("stdout", errno);
    return 0;
}

int main(int argc, char *argv[])
{
    char buf[DGRAM_MAX];
    ssize_t n;
    int fd, rc;

    if (argc != 2) {
        fprintf(stderr, "usage: unix_d_server PATH\n");
        return EXIT_USAGE;
    }
    if (argv[1][0] == '\0'
        || strnlen(argv[1], sizeof ((struct sockaddr_un *)0)->sun_path)
               == sizeof ((struct sockaddr_un *)0)->sun_path) {
        fprintf(stderr, "unix_d_server: path too long or empty\n");
        return EXIT_USAGE;
    }
    if (install(SIGTERM, note_stop) != 0 || install(SIGINT, note_stop) != 0
        || install(SIGPIPE, SIG_IGN) != 0)
        return complain("sigaction", errno);

    rc = open_bound(argv[1], &fd);
    if (rc != 0)
        return rc;

    n = receive_one(fd, buf, sizeof buf);
    close(fd);
    if (unlink(argv[1]) != 0 && errno != ENOENT)
        complain("unlink", errno);

    if (n == -1)
        return 0; /* SIGTERM / SIGINT */
    if (n < 0)
        return EXIT_RUNTIME;
    return dump_hex(buf, (size_t)n);
}
