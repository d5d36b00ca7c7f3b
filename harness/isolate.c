/* Namespaces, uid and rlimits for the programs under test. */
#define _GNU_SOURCE
#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (rc == 0)
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return rc;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A user namespace in which we are root, mapped to our own uid and gid. */
static int enter_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	snprintf(map, sizeof map, "0 %d 1\n", (int)uid);
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	if (write_file("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof map, "0 %d 1\n", (int)gid);
	return write_file("/proc/self/gid_map", map);
}

static int hide_paths(char *const hide[], int nhide, char *err, size_t errlen)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "making mounts private: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < nhide; i++) {
		int inside = 0; /* already hidden with a folder above it */
		for (int j = 0; j < nhide; j++) {
			size_t n = strlen(hide[j]);
			inside |= j != i && strncmp(hide[i], hide[j], n) == 0 && hide[i][n] == '/' &&
				  strlen(hide[i]) > n;
		}
		if (!inside && mount("none", hide[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				     "size=4k,mode=0555") < 0) {
			snprintf(err, errlen, "hiding %s: %s", hide[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void describe(struct isolation *iso, int nhide)
{
	static const char *const what[] = {
		"",
		"level 1 (root): network namespace with loopback only, mount namespace, programs run as a uid of their own, rlimits",
		"level 2 (user namespace): network namespace with loopback only, mount namespace, programs keep the grader's uid, rlimits",
		"level 3 (none): sessions, rlimits and a subreaper only; files are not hidden and parallel gradings share ports",
	};
	snprintf(iso->desc, sizeof iso->desc, "%s", what[iso->level]);
	if (iso->level < 3 && nhide)
		snprintf(iso->desc + strlen(iso->desc), sizeof iso->desc - strlen(iso->desc),
			 "; the grader's files are hidden");
}

int isolation_setup(struct isolation *iso, int strongest, int exact, char *const hide[], int nhide,
		    char *err, size_t errlen)
{
	memset(iso, 0, sizeof *iso);
	for (int level = strongest; level <= 3; level++) {
		int ok = 1;
		if (level == 1)
			ok = geteuid() == 0 && unshare(CLONE_NEWNET | CLONE_NEWNS) == 0;
		else if (level == 2)
			ok = enter_userns() == 0 && unshare(CLONE_NEWNET | CLONE_NEWNS) == 0;
		if (ok && level < 3) {
			if (loopback_up() < 0) {
				snprintf(err, errlen, "bringing loopback up: %s", strerror(errno));
				return -1;
			}
			if (hide_paths(hide, nhide, err, errlen) < 0)
				return -1;
		}
		if (ok) {
			iso->level = level;
			iso->drop_uid = level == 1;
			iso->uid = (uid_t)(UID_BASE + getpid());
			describe(iso, nhide);
			return 0;
		}
		if (exact) {
			snprintf(err, errlen, "isolation level %d is not available here: %s", level, strerror(errno));
			return -1;
		}
	}
	return -1; /* level 3 always succeeds */
}

/* Limits for one program and everything it starts: enough for any correct
   solution (a forking server included), small enough that a runaway one
   cannot hurt the machine. */
void isolation_enter_child(const struct isolation *iso)
{
	static const struct { int resource; rlim_t soft, hard; } limits[] = {
		{ RLIMIT_CORE, 0, 0 },
		{ RLIMIT_CPU, 10, 11 },                     /* seconds of CPU */
		{ RLIMIT_AS, 1ul << 30, 1ul << 30 },        /* 1 GiB of address space */
		{ RLIMIT_FSIZE, 16ul << 20, 16ul << 20 },   /* 16 MiB per file written */
		{ RLIMIT_NOFILE, 256, 256 },
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct rlimit rl = { limits[i].soft, limits[i].hard };
		setrlimit(limits[i].resource, &rl);
	}
	if (iso && iso->drop_uid) {
		/* Processes per uid: this probe's programs only, so a fork bomb stops here. */
		struct rlimit np = { 512, 512 };
		setrlimit(RLIMIT_NPROC, &np);
		/* Raw system calls: glibc's wrappers may signal every thread of the
		   process, and this one still shares the probe's memory (proc.c spawn). */
		if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setgid, (gid_t)iso->uid) < 0 ||
		    syscall(SYS_setuid, iso->uid) < 0)
			_exit(126);
	}
}

void isolation_give(const struct isolation *iso, const char *path)
{
	if (iso && iso->drop_uid && chown(path, iso->uid, (gid_t)iso->uid) < 0)
		chmod(path, 0777);
}
