/* A cgroup per box: see cgroup.h. */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Messages and paths here are cut at their buffer on purpose (a path longer
   than the buffer fails its system call with a clear error). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

int write_knob(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int write_text(const char *dir, const char *file, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return write_knob(path, text);
}

/* The mount point of the cgroup hierarchy of type fstype ("cgroup2", or
   "cgroup" with option opt) from /proc/self/mountinfo, into mnt. 0 or -1. */
static int find_mount(const char *fstype, const char *opt, char *mnt, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[1024];
	int found = -1;
	while (found < 0 && fgets(line, sizeof line, f)) {
		char point[512], type[64], opts[512];
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %511s", point) != 1 ||
		    sscanf(dash + 3, "%63s %*s %511s", type, opts) != 2 || strcmp(type, fstype) != 0)
			continue;
		if (opt) { /* the controller is one of the comma-separated options */
			int has = 0;
			for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
				has |= strcmp(o, opt) == 0;
			if (!has)
				continue;
		}
		snprintf(mnt, len, "%s", point);
		found = 0;
	}
	fclose(f);
	return found;
}

/* The caller's cgroup path in the hierarchy whose /proc/self/cgroup line
   has controller list ctl ("" for v2). 0 or -1. */
static int own_path(const char *ctl, char *path, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[1024];
	int found = -1;
	while (found < 0 && fgets(line, sizeof line, f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		*b = '\0';
		int match = 0;
		if (!*ctl)
			match = strcmp(line, "0") == 0 && a[1] == '\0';
		else
			for (char *o = strtok(a + 1, ","); o; o = strtok(NULL, ","))
				match |= strcmp(o, ctl) == 0;
		if (match) {
			b[1 + strcspn(b + 1, "\n")] = '\0';
			snprintf(path, len, "%s", b + 1);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* Makes dir mnt/own/name; 0 or -1. */
static int make_dir(const char *mnt, const char *own, const char *name, char *dir, size_t len)
{
	snprintf(dir, len, "%s%s%s/%s", mnt, strcmp(own, "/") ? own : "", "", name);
	return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int add_dir(struct cgroup *cg, const char *dir)
{
	char procs[300];
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(cg->dirs[cg->ndirs], sizeof cg->dirs[0], "%s", dir);
	cg->procs_fd[cg->ndirs++] = fd;
	return 0;
}

static int try_v2(struct cgroup *cg, const char *name, unsigned long mem, int pids)
{
	char mnt[256], own[256], dir[256], num[32];
	if (find_mount("cgroup2", NULL, mnt, sizeof mnt) < 0 || own_path("", own, sizeof own) < 0 ||
	    make_dir(mnt, own, name, dir, sizeof dir) < 0)
		return 0;
	snprintf(num, sizeof num, "%lu", mem);
	int ok = write_text(dir, "memory.max", num) == 0;
	snprintf(num, sizeof num, "%d", pids);
	ok = ok && write_text(dir, "pids.max", num) == 0;
	if (ok)
		write_text(dir, "memory.swap.max", "0"); /* absent without swap accounting */
	if (!ok || add_dir(cg, dir) < 0) {
		rmdir(dir);
		return 0;
	}
	cg->v2 = 1;
	return 1;
}

static int try_v1(struct cgroup *cg, const char *name, unsigned long mem, int pids)
{
	static const char *const ctl[] = { "memory", "pids" };
	for (int i = 0; i < 2; i++) {
		char mnt[256], own[256], dir[256], num[32];
		if (find_mount("cgroup", ctl[i], mnt, sizeof mnt) < 0 || own_path(ctl[i], own, sizeof own) < 0 ||
		    make_dir(mnt, own, name, dir, sizeof dir) < 0)
			break;
		if (i == 0)
			snprintf(num, sizeof num, "%lu", mem);
		else
			snprintf(num, sizeof num, "%d", pids);
		if (write_text(dir, i == 0 ? "memory.limit_in_bytes" : "pids.max", num) < 0 || add_dir(cg, dir) < 0) {
			rmdir(dir);
			break;
		}
		if (i == 0)
			write_text(dir, "memory.memsw.limit_in_bytes", num); /* absent without swap accounting */
	}
	if (cg->ndirs == 2)
		return 1;
	cgroup_remove(cg);
	return 0;
}

int cgroup_make(struct cgroup *cg, const char *name, unsigned long memory_bytes, int pids)
{
	memset(cg, 0, sizeof *cg);
	if (try_v2(cg, name, memory_bytes, pids) || try_v1(cg, name, memory_bytes, pids)) {
		snprintf(cg->what, sizeof cg->what, "cgroup %s: memory %lu MiB, %d processes in all",
			 cg->v2 ? "v2" : "v1", memory_bytes >> 20, pids);
		return 1;
	}
	return 0;
}

void cgroup_join(const struct cgroup *cg)
{
	for (int i = 0; i < cg->ndirs; i++)
		(void)!syscall(SYS_write, cg->procs_fd[i], "0", 1);
}

void cgroup_kill(const struct cgroup *cg)
{
	for (int i = 0; i < cg->ndirs; i++) {
		if (write_text(cg->dirs[i], "cgroup.kill", "1") == 0)
			continue;
		char path[300], buf[4096];
		snprintf(path, sizeof path, "%s/cgroup.procs", cg->dirs[i]);
		for (int round = 0; round < 64; round++) { /* a process forked meanwhile is in the next read */
			int fd = open(path, O_RDONLY | O_CLOEXEC), any = 0;
			ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
			if (fd >= 0)
				close(fd);
			if (n <= 0)
				break;
			buf[n] = '\0';
			for (char *s = buf, *end; *s; s = end) {
				long pid = strtol(s, &end, 10);
				if (end == s)
					break;
				any |= kill((pid_t)pid, SIGKILL) == 0;
			}
			if (!any)
				break;
		}
	}
}

void cgroup_remove(struct cgroup *cg)
{
	for (int i = 0; i < cg->ndirs; i++) {
		close(cg->procs_fd[i]);
		rmdir(cg->dirs[i]); /* EBUSY while a zombie is still counted: the kernel frees it later */
	}
	cg->ndirs = 0;
}
