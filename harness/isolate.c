/* The box: namespaces, a root of its own, uids, limits, kill. See isolate.h. */
#define _GNU_SOURCE
#include "isolate.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Messages and paths here are cut at their buffer on purpose (a path longer
   than the buffer fails its system call with a clear error). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

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

/* A user namespace in which our own uid and gid stay what they are (not 0):
   the programs it starts have no capability once they exec. */
static int enter_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	snprintf(map, sizeof map, "%d %d 1\n", (int)uid, (int)uid);
	if (write_knob("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	if (write_knob("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof map, "%d %d 1\n", (int)gid, (int)gid);
	return write_knob("/proc/self/gid_map", map);
}

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
	snprintf(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "", strerror(errno));
	return -1;
}

/* A tmpfs of bytes at path, mode mode. */
static int mount_tmpfs(const char *path, unsigned long bytes, const char *mode, unsigned long flags)
{
	char opts[96];
	snprintf(opts, sizeof opts, "size=%lu,mode=%s", bytes, mode);
	return mount("box", path, "tmpfs", MS_NOSUID | MS_NODEV | flags, opts);
}

/* Binds host path src read-only at dst, made first as a folder or an empty file. */
static int bind_ro(const char *src, const char *dst, int is_dir)
{
	if (is_dir) {
		if (mkdir(dst, 0755) < 0)
			return -1;
	} else {
		int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	/* In a user namespace the remount may not drop flags the source has
	   locked (EPERM): the binds then stay as writable as the host's files are
	   to the grader's uid, which does not own them. */
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0 && errno != EPERM)
		return -1;
	return 0;
}

/* The programs' root at iso->root: what a C program and gcc need, nothing of
   the grader. Everything else of the machine is simply not there. */
static int build_root(struct isolation *iso, char *const hide[], int nhide, char *err, size_t errlen)
{
	static const char *const system_dirs[] = { "usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
	static const char *const devices[] = { "null", "zero", "full", "random", "urandom" };
	char path[PATH_MAX], host[64];
	if (mkdir(iso->root, 0755) < 0 || mount_tmpfs(iso->root, 1 << 20, "0755", 0) < 0)
		return fail(err, errlen, "making the box's root", iso->root);
	for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++) {
		struct stat st;
		char link[PATH_MAX];
		snprintf(host, sizeof host, "/%s", system_dirs[i]);
		snprintf(path, sizeof path, "%s/%s", iso->root, system_dirs[i]);
		if (lstat(host, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) { /* /bin -> usr/bin on merged-/usr systems: the same link */
			ssize_t n = readlink(host, link, sizeof link - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (symlink(link, path) < 0)
				return fail(err, errlen, "linking", path);
		} else if (S_ISDIR(st.st_mode) && bind_ro(host, path, 1) < 0) {
			return fail(err, errlen, "binding", host);
		}
	}
	snprintf(path, sizeof path, "%s/dev", iso->root);
	if (mkdir(path, 0755) < 0)
		return fail(err, errlen, "making", path);
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		snprintf(host, sizeof host, "/dev/%s", devices[i]);
		snprintf(path, sizeof path, "%s/dev/%s", iso->root, devices[i]);
		if (bind_ro(host, path, 0) < 0 && errno != ENOENT)
			return fail(err, errlen, "binding", host);
	}
	snprintf(path, sizeof path, "%s/dev/shm", iso->root);
	if (mkdir(path, 0755) < 0 || mount_tmpfs(path, BOX_SHM_BYTES, "1777", MS_NOEXEC) < 0)
		return fail(err, errlen, "making", path);
	snprintf(path, sizeof path, "%s/tmp", iso->root);
	if (mkdir(path, 0755) < 0 || mount_tmpfs(path, BOX_TMP_BYTES, "1777", 0) < 0)
		return fail(err, errlen, "making", path);
	/* the work folder at the same path inside as outside: paths the probe
	   hands a program name the same file for both */
	snprintf(path, sizeof path, "%s%s", iso->root, iso->base);
	if (mkdir(path, 0711) < 0)
		return fail(err, errlen, "making", path);
	snprintf(path, sizeof path, "%s%s", iso->root, iso->work);
	if (mkdir(path, 0711) < 0 || mount(iso->work, path, NULL, MS_BIND, NULL) < 0)
		return fail(err, errlen, "binding", iso->work);
	/* anything to hide that lies inside what is bound (a grader installed
	   under /usr/local, say) is covered by an empty file system */
	for (int i = 0; i < nhide; i++) {
		struct stat st;
		snprintf(path, sizeof path, "%s%s", iso->root, hide[i]);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    mount_tmpfs(path, 4096, "0555", MS_RDONLY | MS_NOEXEC) < 0)
			return fail(err, errlen, "hiding", hide[i]);
		else if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
			return fail(err, errlen, "hiding", hide[i]);
	}
	return 0;
}

/* Levels 1 and 2: new namespaces; the box's folder a tmpfs (its size bounds
   the disk a box can fill), its root built in it. */
static int setup_namespaces(struct isolation *iso, char *const hide[], int nhide, char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC) < 0)
		return fail(err, errlen, "unshare", NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(err, errlen, "making mounts private", NULL);
	if (loopback_up() < 0)
		return fail(err, errlen, "bringing loopback up", NULL);
	if (mount_tmpfs(iso->base, BOX_WORK_BYTES + (2ul << 20), "0711", 0) < 0)
		return fail(err, errlen, "mounting the box's folder", iso->base);
	if (mkdir(iso->work, 0711) < 0 || mkdir(iso->priv, 0711) < 0)
		return fail(err, errlen, "making", iso->work);
	iso->chroot = 1;
	return build_root(iso, hide, nhide, err, errlen);
}

static int init_ack = -1; /* in the init: where it says a kill-all is done */

static void on_child(int sig)
{
	(void)sig; /* only wakes pause() */
}

static void on_kill_all(int sig)
{
	(void)sig;
	kill(-1, SIGKILL); /* in a pid namespace's init: every other process of it */
	(void)!write(init_ack, "k", 1);
}

/* Level 2: the box's processes in a pid namespace of their own, whose init
   (forked here) reaps orphans and, on SIGUSR1, kills every other process of
   the namespace at once: programs under the grader's uid can then kill(-1)
   nothing outside it. The init dies with us. 0, or -1. */
static int start_pid_namespace(struct isolation *iso)
{
	int ack[2];
	if (unshare(CLONE_NEWPID) < 0 || pipe2(ack, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		init_ack = ack[1];
		struct sigaction sa = { .sa_handler = on_child };
		sigaction(SIGCHLD, &sa, NULL);
		sa.sa_handler = on_kill_all;
		sigaction(SIGUSR1, &sa, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)!write(ack[1], "r", 1);
		for (;;)
			if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
				pause();
	}
	close(ack[1]);
	char r;
	struct pollfd p = { ack[0], POLLIN, 0 };
	if (pid < 0 || poll(&p, 1, 1000) != 1 || read(ack[0], &r, 1) != 1) {
		close(ack[0]);
		return -1;
	}
	iso->init = pid;
	iso->init_ack = ack[0];
	return 0;
}

/* Level 3: the box's uid must not be able to open any path to hide. A child
   takes the uid and tries; one readable path refuses the level. */
static int check_hidden(const struct isolation *iso, char *const hide[], int nhide, char *err, size_t errlen)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return fail(err, errlen, "pipe", NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (setgroups(0, NULL) < 0 || setgid(iso->gid) < 0 || setuid(iso->uid) < 0)
			_exit(125);
		for (int i = 0; i < nhide; i++) {
			int fd = open(hide[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd >= 0 || errno != EACCES) {
				/* readable, or not even a permission stopped it (ENOENT: nothing to hide) */
				if (fd >= 0 || errno != ENOENT) {
					(void)!write(pipefd[1], &i, sizeof i);
					_exit(1);
				}
			}
		}
		_exit(0);
	}
	close(pipefd[1]);
	int i = -1, st = 0;
	ssize_t n = pid > 0 ? read(pipefd[0], &i, sizeof i) : -1;
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (pid < 0 || (WIFEXITED(st) && WEXITSTATUS(st) == 125))
		return fail(err, errlen, "taking the box's uid", NULL);
	if (n == sizeof i) {
		snprintf(err, errlen, "isolation level 3 hides the grader's files by their permissions, but %s is "
			 "readable by other users: chmod 700 it (or a folder above it), or run where namespaces are "
			 "allowed", hide[i]);
		return -1;
	}
	return 0;
}

/* 1 when cap is in our effective set. */
static int has_capability(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* 1 when a process may turn address-space randomisation off (Docker's
   seccomp profile refuses that personality). Asked in a child: it sticks. */
static int can_fix_addresses(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(personality(ADDR_NO_RANDOMIZE) < 0);
	int st = 1;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void describe(struct isolation *iso)
{
	static const char *const what[] = {
		"",
		"level 1 (namespaces): network, mount and IPC namespaces; programs see only the system's files and "
		"their own case folder (no grader file, no /proc), run under a uid of their own, peers under another",
		"level 2 (user namespace): network, mount and IPC namespaces; programs see only the system's files and "
		"their own case folder, under the grader's uid without capabilities",
		"level 3 (container): programs run under a uid of their own, peers under another; the grader's files "
		"are hidden by their permissions; no network namespace (ports are the machine's), /proc shows other "
		"processes",
		"level 4 (none): sessions only; files are not hidden, programs run under the grader's uid and "
		"parallel gradings share ports",
	};
	snprintf(iso->desc, sizeof iso->desc, "%s; rlimits%s%s%s", what[iso->level], iso->cg.what[0] ? "; " : "",
		 iso->cg.what,
		 can_fix_addresses() ? "" : "; address-space randomisation stays on (refused here), so a program "
					    "with undefined behaviour may score differently from run to run");
}

int isolation_parse_level(const char *arg, int *strongest, int *exact)
{
	if (strcmp(arg, "auto") == 0) {
		*strongest = 1;
		*exact = 0;
		return 0;
	}
	if (strlen(arg) != 1 || arg[0] < '1' || arg[0] > '4')
		return -1;
	*strongest = arg[0] - '0';
	*exact = 1;
	return 0;
}

int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	return n == 0 ? 0 : -1;
}

int isolation_setup(struct isolation *iso, int strongest, int exact, char *const hide[], int nhide,
		    char *err, size_t errlen)
{
	memset(iso, 0, sizeof *iso);
	for (int i = 0; i < CGROUP_MAX_DIRS; i++)
		iso->cg.procs_fd[i] = -1;
	snprintf(iso->base, sizeof iso->base, "/tmp/grader-box-XXXXXX");
	if (!mkdtemp(iso->base) || chmod(iso->base, 0711) < 0)
		return fail(err, errlen, "making the box's folder", iso->base);
	snprintf(iso->root, sizeof iso->root, "%s/root", iso->base);
	snprintf(iso->work, sizeof iso->work, "%s/work", iso->base);
	snprintf(iso->priv, sizeof iso->priv, "%s/priv", iso->base);
	int root = geteuid() == 0;
	iso->uid = (uid_t)(UID_BASE + getpid());
	iso->peer_uid = (uid_t)(PEER_UID_BASE + getpid());
	iso->gid = (gid_t)iso->uid;
	char why[256] = "";
	for (int level = strongest; level <= 4; level++) {
		int ok = 0;
		if (level == 1 && root) {
			ok = setup_namespaces(iso, hide, nhide, why, sizeof why) == 0;
		} else if (level == 1) {
			snprintf(why, sizeof why, "it needs root");
		} else if (level == 2 && root) {
			snprintf(why, sizeof why, "as root it would run programs as uid 0 (levels 1 and 3 drop the uid)");
		} else if (level == 2) {
			ok = enter_userns() == 0 ? setup_namespaces(iso, hide, nhide, why, sizeof why) == 0
						: fail(why, sizeof why, "user namespace", NULL) == 0;
			if (ok && start_pid_namespace(iso) < 0)
				ok = fail(why, sizeof why, "pid namespace", NULL) == 0;
		} else if (level == 3 && root) {
			ok = check_hidden(iso, hide, nhide, why, sizeof why) == 0 &&
			     (mkdir(iso->work, 0711) == 0 && mkdir(iso->priv, 0711) == 0);
		} else if (level == 3) {
			snprintf(why, sizeof why, "it needs root");
		} else if (level == 4 && root) {
			snprintf(why, sizeof why, "as root it would run programs as uid 0 (levels 1 and 3 drop the uid)");
		} else {
			ok = mkdir(iso->work, 0711) == 0 && mkdir(iso->priv, 0711) == 0;
		}
		if (ok) {
			iso->level = level;
			iso->drop_uid = root;
			iso->look_as_uid = root && !has_capability(CAP_SYS_PTRACE);
			if (root) {
				char name[64];
				snprintf(name, sizeof name, "grader-box-%d", (int)getpid());
				cgroup_make(&iso->cg, name, BOX_MEMORY_BYTES, BOX_PIDS);
			}
			describe(iso);
			return 0;
		}
		if (exact || level == 4) {
			snprintf(err, errlen, "isolation level %d is not available here: %s", level, why);
			rmdir(iso->base);
			return -1;
		}
		/* a level that failed half-way may have mounted on base: start over */
		if (level <= 2 && umount2(iso->base, MNT_DETACH) == 0)
			chmod(iso->base, 0711);
	}
	return -1;
}

/* Raw system calls below: the caller may share its memory with ours. */
int isolation_enter_child(const struct isolation *iso, enum box_role role, const char *cwd)
{
	static const struct { int resource; rlim_t soft, hard; } limits[] = {
		{ RLIMIT_CORE, 0, 0 },
		{ RLIMIT_CPU, 10, 11 },                     /* seconds of CPU */
		{ RLIMIT_AS, 1ul << 30, 1ul << 30 },        /* 1 GiB of address space */
		{ RLIMIT_FSIZE, 16ul << 20, 16ul << 20 },   /* 16 MiB per file written */
		{ RLIMIT_NOFILE, 256, 256 },
	};
	if (!iso)
		return 0;
	cgroup_join(&iso->cg);
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct rlimit rl = { limits[i].soft, limits[i].hard };
		syscall(SYS_setrlimit, limits[i].resource, &rl);
	}
	syscall(SYS_umask, 002); /* programs and peers share a group: each may use the other's sockets */
	if (iso->chroot && syscall(SYS_chroot, iso->root) < 0)
		return errno;
	/* never left with a working folder outside the root it was given */
	if (syscall(SYS_chdir, cwd ? cwd : "/") < 0)
		return errno;
	if (iso->drop_uid) {
		/* Processes per uid: this box's only, so a fork bomb stops here. */
		struct rlimit np = { BOX_PIDS, BOX_PIDS };
		syscall(SYS_setrlimit, RLIMIT_NPROC, &np);
		uid_t uid = role == ROLE_PEER ? iso->peer_uid : iso->uid;
		if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, iso->gid, iso->gid, iso->gid) < 0 ||
		    syscall(SYS_setresuid, uid, uid, uid) < 0)
			return errno ? errno : EPERM;
	} else if (iso->level == 2) {
		/* a non-zero uid in the user namespace loses every capability at exec;
		   drop them now too, and the bounding set, so nothing can come back */
		for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
			syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
	}
	syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}

void isolation_give(const struct isolation *iso, const char *path)
{
	/* the box's uids only (peers through the group): a concurrent grading's
	   programs, under other uids, may neither enter nor read it */
	if (iso && iso->drop_uid && chown(path, iso->uid, iso->gid) == 0)
		chmod(path, 0770);
}

/* A process under uid sends SIGKILL to every process it may signal: all of
   that uid's at once (the kernel walks its task list under one lock, so a
   fork cannot slip past), nothing else since no other process has that uid. */
static void kill_as(uid_t uid)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setresuid(uid, uid, uid) == 0)
			kill(-1, SIGKILL);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void isolation_kill_all(struct isolation *iso)
{
	if (!iso)
		return;
	if (iso->init && kill(iso->init, SIGUSR1) == 0) { /* see start_pid_namespace */
		char k;
		struct pollfd p = { iso->init_ack, POLLIN, 0 };
		if (poll(&p, 1, 1000) == 1)
			(void)!read(iso->init_ack, &k, 1);
	}
	cgroup_kill(&iso->cg);
	if (iso->drop_uid) {
		kill_as(iso->uid);
		kill_as(iso->peer_uid);
	}
}

void isolation_look_begin(const struct isolation *iso, pid_t pid)
{
	if (!iso || !iso->look_as_uid)
		return;
	/* /proc/PID/... checks the file-system uid and gid against the target's
	   (and Yama, that we are its ancestor). The real uid stays 0, so no
	   program may signal us meanwhile; pidfd_getfd, which checks the real
	   uid, is then refused and the probe does without it (can_borrow). */
	struct stat st;
	char path[32];
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	setfsgid(iso->gid);
	setfsuid(stat(path, &st) == 0 ? st.st_uid : iso->uid);
}

void isolation_look_end(const struct isolation *iso)
{
	if (!iso || !iso->look_as_uid)
		return;
	setfsuid(0);
	setfsgid(0);
}

int isolation_as_program(const struct isolation *iso, int (*fn)(void *), void *arg)
{
	if (!iso || !iso->drop_uid)
		return fn(arg);
	setfsgid(iso->gid);
	setfsuid(iso->uid);
	int r = fn(arg);
	int e = errno;
	setfsuid(0);
	setfsgid(0);
	errno = e;
	return r;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path); /* FTW_PHYS: a link is removed, never followed */
	return 0;
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Level 3 leaves its files where the machine's are: what the box's uids own
   in the shared temporary folders, and their System V IPC objects, go. */
static void sweep_leftovers(const struct isolation *iso)
{
	static const char *const shared[] = { "/tmp", "/var/tmp", "/dev/shm" };
	for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
		DIR *d = opendir(shared[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d))) {
			struct stat st;
			if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    (st.st_uid != iso->uid && st.st_uid != iso->peer_uid))
				continue;
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/%s", shared[i], e->d_name);
			remove_tree(path);
		}
		closedir(d);
	}
	static const char *const ipc[] = { "/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg" };
	for (int k = 0; k < 3; k++) {
		FILE *f = fopen(ipc[k], "re");
		char line[512];
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			long key, id;
			unsigned long owner = 0;
			/* key id perms ... uid: the uid is the 8th column for shm, 5th for sem, 8th for msg */
			int col = k == 1 ? 5 : 8;
			char *s = line, *end;
			if (sscanf(line, "%ld %ld", &key, &id) != 2)
				continue;
			for (int c = 1; c <= col; c++, s = end)
				owner = strtoul(s, &end, 10);
			if (owner != iso->uid && owner != iso->peer_uid)
				continue;
			if (k == 0)
				shmctl((int)id, IPC_RMID, NULL);
			else if (k == 1)
				semctl((int)id, 0, IPC_RMID);
			else
				msgctl((int)id, IPC_RMID, NULL);
		}
		fclose(f);
	}
}

void isolation_close(struct isolation *iso)
{
	if (!iso->level)
		return;
	isolation_kill_all(iso);
	if (iso->init) {
		/* its death kills the namespace; reap whatever dies meanwhile, so
		   that nothing of the namespace waits on us, until it is gone */
		kill(iso->init, SIGKILL);
		for (pid_t r; (r = waitpid(-1, NULL, 0)) != iso->init && (r > 0 || errno == EINTR);)
			;
		iso->init = 0;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (iso->chroot) {
		umount2(iso->base, MNT_DETACH); /* the tmpfs, with all the box wrote */
		rmdir(iso->base);
	} else {
		remove_tree(iso->base);
	}
	if (iso->level == 3)
		sweep_leftovers(iso);
	cgroup_remove(&iso->cg);
	iso->level = 0;
}
