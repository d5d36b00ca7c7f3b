/* compile: builds one program of a submission inside the box (isolate.h),
   the same box the probe runs programs in.

   compile --src DIR --program NAME --out FILE [--deps FILE]
           [--isolation auto|1|2|3|4] [--hide PATH ...] [--timeout SECONDS] -- CFLAGS...

   Copies the submission's .c and .h files (regular files only, found
   without following any link) into the box, runs
       gcc CFLAGS -I SRC -o OUT SRC/NAME.c
   there under the box's uid, bounded in time, memory, processes, output and
   disk, and copies the binary out to FILE. The compiler's messages (at most
   MESSAGES_CAP bytes, the box's folder names taken out) go to stdout. With
   --deps, the files the compiler read, for a build it finished whether it
   failed or not (gcc -MD: the submission's as paths
   relative to it, the system's headers as absolute paths) go to that file
   in make's syntax, for the batch's verdict cache (verdict_cache.py).

   Exit 0 built, 1 the compiler failed (or ran out of a bound: the messages
   say which), 2 a usage error or a fault of the box, 3 the submission is
   refused (a link, fifo, socket or device in it, or too large): one line on
   stderr. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolate.h"

/* Paths longer than their buffers are cut, then fail their system call. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define MESSAGES_CAP (64 * 1024)
#define SUBMISSION_FILES 256          /* .c and .h files copied at most */
#define SUBMISSION_BYTES (8ul << 20)  /* their total size */
#define SUBMISSION_ENTRIES 10000      /* entries looked at while walking */
#define SUBMISSION_DEPTH 8
#define BINARY_BYTES (64ul << 20)
#define DEPS_BYTES (1ul << 20)

static struct isolation iso;

struct walk {
	int files, entries;
	unsigned long bytes;
	char refused[PATH_MAX + 128];
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const char *kind_of(mode_t m)
{
	return S_ISLNK(m) ? "a symbolic link" : S_ISFIFO(m) ? "a fifo" : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

/* Copies the regular file name in folder from into folder to (both open
   descriptors), never following a link and re-checking what was opened. */
static int copy_one(int from, int to, const char *name, const char *shown, struct walk *w)
{
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(w->refused, sizeof w->refused, "%s changed while it was copied", shown);
		if (in >= 0)
			close(in);
		return -1;
	}
	w->bytes += (unsigned long)st.st_size;
	if (++w->files > SUBMISSION_FILES || w->bytes > SUBMISSION_BYTES) {
		snprintf(w->refused, sizeof w->refused, "more than %d .c/.h files or %lu MiB in all",
			 SUBMISSION_FILES, SUBMISSION_BYTES >> 20);
		close(in);
		return -1;
	}
	int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (out >= 0 && iso.drop_uid && fchown(out, 0, iso.gid) < 0) {
		close(out);
		out = -1;
	}
	int rc = out >= 0 ? copy_fd(in, out) : -1;
	if (rc < 0)
		snprintf(w->refused, sizeof w->refused, "copying %s: %s", shown, strerror(errno));
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Copies the .c and .h files under folder from into to, recursively. A
   link, fifo, socket or device anywhere refuses the submission; other
   regular files and dot-entries (.git, editor files) are left out. */
static int copy_tree(int from, int to, const char *prefix, int depth, struct walk *w)
{
	DIR *d = fdopendir(from);
	if (!d) {
		close(from);
		snprintf(w->refused, sizeof w->refused, "reading %s: %s", *prefix ? prefix : ".", strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		char shown[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(shown, sizeof shown, "%s%s", prefix, e->d_name);
		if (++w->entries > SUBMISSION_ENTRIES) {
			snprintf(w->refused, sizeof w->refused, "more than %d files and folders", SUBMISSION_ENTRIES);
			rc = -1;
		} else if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(w->refused, sizeof w->refused, "%s: %s", shown, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int subto = -1;
			if (depth >= SUBMISSION_DEPTH) {
				snprintf(w->refused, sizeof w->refused, "folders nested deeper than %d", SUBMISSION_DEPTH);
				rc = -1;
			} else if (sub < 0 || mkdirat(to, e->d_name, 0750) < 0 ||
				   (iso.drop_uid && fchownat(to, e->d_name, 0, iso.gid, AT_SYMLINK_NOFOLLOW) < 0) ||
				   (subto = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				snprintf(w->refused, sizeof w->refused, "%s: %s", shown, strerror(errno));
				rc = -1;
			} else {
				char next[PATH_MAX];
				snprintf(next, sizeof next, "%s/", shown);
				rc = copy_tree(sub, subto, next, depth + 1, w);
				sub = -1; /* copy_tree closed it */
			}
			if (sub >= 0)
				close(sub);
			if (subto >= 0)
				close(subto);
		} else if (!S_ISREG(st.st_mode)) {
			snprintf(w->refused, sizeof w->refused, "%s is %s: submit regular files only", shown,
				 kind_of(st.st_mode));
			rc = -1;
		} else if (ends_with(e->d_name, ".c") || ends_with(e->d_name, ".h")) {
			rc = copy_one(dirfd(d), to, e->d_name, shown, w);
		}
	}
	closedir(d);
	return rc;
}

/* Replaces every occurrence of what in buf (length *len) by nothing. */
static void cut_out(char *buf, size_t *len, const char *what)
{
	size_t k = strlen(what);
	char *p;
	buf[*len] = '\0';
	while (k && (p = memmem(buf, *len, what, k))) {
		memmove(p, p + k, *len - (size_t)(p - buf) - k + 1);
		*len -= k;
	}
}

/* Opens a file the box wrote, once nothing of the box runs: without following
   a link, and only a regular file of at most cap bytes. The fd, or -1. */
static int open_box_file(const char *inside, unsigned long cap)
{
	int in = open(inside, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (in >= 0 && (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || (unsigned long)st.st_size > cap)) {
		close(in);
		in = -1;
	}
	return in;
}

/* Copies the built binary out of the box. */
static int copy_out(const char *inside, const char *out)
{
	int in = open_box_file(inside, BINARY_BYTES);
	if (in < 0)
		return -1;
	unlink(out);
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	int rc = fd >= 0 ? copy_fd(in, fd) : -1;
	close(in);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Writes the dependency list gcc left inside the box to out, the box's
   source folder (prefix) taken out of every path. */
static int deps_out(const char *inside, const char *prefix, const char *out)
{
	static char buf[DEPS_BYTES + 1];
	int in = open_box_file(inside, DEPS_BYTES);
	if (in < 0)
		return -1;
	size_t len = 0;
	ssize_t r;
	while (len < DEPS_BYTES && (r = read(in, buf + len, DEPS_BYTES - len)) > 0)
		len += (size_t)r;
	close(in);
	cut_out(buf, &len, prefix);
	unlink(out);
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = write(fd, buf, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

static void usage_exit(const char *msg)
{
	fprintf(stderr, "compile: %s\n", msg);
	fprintf(stderr, "usage: compile --src DIR --program NAME --out FILE [--deps FILE] "
			"[--isolation auto|1|2|3|4] [--hide PATH ...] [--timeout SECONDS] -- CFLAGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' },       { "program", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },       { "isolation", required_argument, NULL, 'I' },
		{ "hide", required_argument, NULL, 'H' },      { "timeout", required_argument, NULL, 't' },
		{ "deps", required_argument, NULL, 'd' },      { NULL, 0, NULL, 0 },
	};
	char *hide[32];
	int nhide = 0, strongest = 1, exact = 0, timeout_s = 60, o;
	const char *src = NULL, *program = NULL, *out = NULL, *deps = NULL;
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 's': src = optarg; break;
		case 'n': program = optarg; break;
		case 'o': out = optarg; break;
		case 'd': deps = optarg; break;
		case 't': timeout_s = atoi(optarg); break;
		case 'I':
			if (isolation_parse_level(optarg, &strongest, &exact) < 0)
				usage_exit("--isolation takes auto, 1, 2, 3 or 4");
			break;
		case 'H':
			if (nhide == 32)
				usage_exit("at most 32 --hide paths");
			hide[nhide++] = optarg;
			break;
		default: usage_exit("unknown option");
		}
	}
	if (!src || !program || !out || timeout_s <= 0 || strchr(program, '/'))
		usage_exit("--src, --program (a plain name) and --out are required");
	int srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srcfd < 0) {
		fprintf(stderr, "compile: %s: %s\n", src, strerror(errno));
		return 2;
	}
	char err[512];
	if (isolation_setup(&iso, strongest, exact, hide, nhide, err, sizeof err) < 0) {
		fprintf(stderr, "compile: %s\n", err);
		return 2;
	}
	/* /proc/PID/cmdline (visible at level 3) shows none of the paths given;
	   what is used later is copied first */
	static char outpath[PATH_MAX], depspath[PATH_MAX], name[NAME_MAX + 1];
	snprintf(outpath, sizeof outpath, "%s", out);
	if (deps) {
		snprintf(depspath, sizeof depspath, "%s", deps);
		deps = depspath;
	}
	snprintf(name, sizeof name, "%s", program);
	out = outpath;
	program = name;
	for (int i = 1; i < optind; i++)
		memset(argv[i], 0, strlen(argv[i]));
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* whatever the compiler starts stays ours to kill */
	char sdir[PATH_MAX], odir[PATH_MAX], binary[PATH_MAX], source[PATH_MAX + 8], depfile[PATH_MAX + 8];
	snprintf(sdir, sizeof sdir, "%s/src", iso.work);
	snprintf(odir, sizeof odir, "%s/out", iso.work);
	snprintf(binary, sizeof binary, "%s/%s", odir, program);
	snprintf(source, sizeof source, "%s/%s.c", sdir, program);
	snprintf(depfile, sizeof depfile, "%s/deps.d", odir);
	struct walk w = { 0, 0, 0, "" };
	int to = -1, rc = 2;
	/* the sources readable by the box's group only (a concurrent box cannot
	   read them at level 3, where /tmp is shared) */
	if (mkdir(sdir, 0750) < 0 || mkdir(odir, 0700) < 0 || (iso.drop_uid && chown(sdir, 0, iso.gid) < 0) ||
	    (to = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "compile: making the box's folders: %s\n", strerror(errno));
		goto done;
	}
	isolation_give(&iso, odir);
	if (copy_tree(srcfd, to, "", 0, &w) < 0) {
		fprintf(stderr, "submission refused: %s\n", w.refused);
		rc = 3;
		goto done;
	}
	srcfd = -1; /* copy_tree closed it */

	/* the compiler, in the box, its messages through a pipe read here */
	char *cc[96];
	int n = 0;
	cc[n++] = "/usr/bin/gcc";
	for (int i = optind; i < argc && n < 84; i++) /* room for the 11 below */
		cc[n++] = argv[i];
	if (deps) { /* the target's name is fixed: only the prerequisites matter */
		cc[n++] = "-MD";
		cc[n++] = "-MF";
		cc[n++] = depfile;
		cc[n++] = "-MT";
		cc[n++] = "program";
	}
	cc[n++] = "-I";
	cc[n++] = sdir;
	cc[n++] = "-o";
	cc[n++] = binary;
	cc[n++] = source;
	cc[n] = NULL;
	static char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TMPDIR=/tmp", "HOME=/nonexistent", NULL };
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "compile: pipe: %s\n", strerror(errno));
		goto done;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		setsid();
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(pipefd[1], 2) < 0 ||
		    isolation_enter_child(&iso, ROLE_PROGRAM, sdir) != 0)
			_exit(126);
		execve(cc[0], cc, env);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		fprintf(stderr, "compile: fork: %s\n", strerror(errno));
		goto done;
	}
	static char messages[MESSAGES_CAP + 1];
	size_t len = 0;
	unsigned long dropped = 0;
	int status = 0, timed_out = 0, pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	long long deadline_ms = timeout_s * 1000LL;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int open_pipe = 1, running = 1; open_pipe || running;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long long left = deadline_ms - ((t.tv_sec - t0.tv_sec) * 1000LL + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		struct pollfd p[2] = { { open_pipe ? pipefd[0] : -1, POLLIN, 0 }, { running ? pidfd : -1, POLLIN, 0 } };
		if (poll(p, 2, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			char buf[8192];
			ssize_t r = read(pipefd[0], buf, sizeof buf);
			if (r <= 0) {
				open_pipe = 0; /* every process holding it is gone (or closed it) */
			} else {
				size_t keep = (size_t)r < MESSAGES_CAP - len ? (size_t)r : MESSAGES_CAP - len;
				memcpy(messages + len, buf, keep);
				len += keep;
				dropped += (unsigned long)r - keep;
			}
		}
		if (p[1].revents && waitpid(pid, &status, WNOHANG) == pid)
			running = 0;
		/* The compiler is done when it has exited: a process it left behind
		   holding the pipe ends with the box below, never awaited. */
		if (!running)
			open_pipe = 0;
	}
	isolation_kill_all(&iso);
	killpg(pid, SIGKILL); /* level 4: the compiler's session; isolation_close reaps */
	/* file names as the student wrote them; nothing of the box's random name */
	char prefix[PATH_MAX + 1];
	snprintf(prefix, sizeof prefix, "%s/", sdir);
	cut_out(messages, &len, prefix);
	cut_out(messages, &len, iso.base);
	fwrite(messages, 1, len, stdout);
	if (dropped)
		printf("\n[... %lu more bytes of the compiler's messages are cut here]\n", dropped);
	if (timed_out) {
		printf("\nthe compiler took more than %d s\n", timeout_s);
		rc = 1;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && copy_out(binary, out) == 0) {
		rc = 0;
	} else {
		if (WIFSIGNALED(status))
			printf("\nthe compiler was killed by signal %d (a limit of the box: %lu MiB of memory, "
			       "%lu MiB per file, 10 s of CPU)\n", WTERMSIG(status), (1ul << 30) >> 20, 16ul);
		rc = 1;
	}
	/* what gcc read, for a build it finished (its errors depend on those files alone);
	   none for one a bound stopped */
	if (deps && !timed_out && WIFEXITED(status) && deps_out(depfile, prefix, deps) < 0)
		unlink(deps);
done:
	fflush(stdout);
	if (srcfd >= 0)
		close(srcfd);
	if (to >= 0)
		close(to);
	isolation_close(&iso);
	return rc;
}
