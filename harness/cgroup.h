/* A cgroup for one box: memory and process count bounded for everything the
   box starts together, and a way to kill all of it. cgroup v2 where its
   memory and pids controllers can be had, else the v1 memory and pids
   hierarchies, else nothing (a container with /sys/fs/cgroup read-only):
   then only the per-process rlimits and the per-uid process limit bound a box. */
#ifndef CGROUP_H
#define CGROUP_H

#include <stddef.h>

#define CGROUP_MAX_DIRS 2

struct cgroup {
	int ndirs;
	char dirs[CGROUP_MAX_DIRS][256]; /* the box's cgroup in each hierarchy */
	int procs_fd[CGROUP_MAX_DIRS];   /* their cgroup.procs, open for a new process to join */
	int v2;
	char what[128];                  /* "cgroup v2: memory 1024 MiB, 512 processes", or "" */
};

/* Writes text to the existing file path (a /proc or /sys knob) in one
   write. 0, or -1 with errno. */
int write_knob(const char *path, const char *text);

/* Makes a cgroup named name beside the caller's own, limited to memory_bytes
   and pids processes. Returns 1 made, 0 none can be made here (cg->what says
   nothing), never fails otherwise. */
int cgroup_make(struct cgroup *cg, const char *name, unsigned long memory_bytes, int pids);

/* In a new process before its exec: joins the box's cgroup (raw system calls,
   shared memory allowed). */
void cgroup_join(const struct cgroup *cg);

/* Kills every process in the cgroup (cgroup.kill where the kernel has it). */
void cgroup_kill(const struct cgroup *cg);

/* Removes the cgroup once it is empty; closes its descriptors. */
void cgroup_remove(struct cgroup *cg);

#endif
