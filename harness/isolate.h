/* The box: where a submission's code runs, for its compile (compile.c) and
   for its programs (probe.c) alike. What the machine allows, strongest first:

   1 namespaces (root): mount, network and IPC namespaces; programs see a root
             of their own holding only /usr, /etc, /bin, /lib*, a minimal /dev,
             private /tmp and /dev/shm, and the box's work folder (no /proc, no
             grader files); they run under a uid of their own, reference peers
             under another; memory and processes bounded for the whole box by
             a cgroup where one can be made.
   2 user namespace (not root): the same namespaces and root through an
             unprivileged user namespace, and a pid namespace whose init kills
             the box at the end of each case; programs keep the grader's uid,
             without capabilities. Refused as root (level 1 or 3 drop the uid).
   3 container (root without namespaces, as under Docker's default
             capabilities and seccomp profile): the uids of level 1, rlimits,
             kill by uid; the grader's files are hidden by their permissions,
             checked before anything runs (the box is refused when the box's
             uid could read one of them).
   4 none (neither root nor user namespaces): sessions and rlimits only.

   Every level: rlimits per process, everything the box started killed at the
   end of each case, the box's files removed without following a link. */
#ifndef ISOLATE_H
#define ISOLATE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"

/* The box of process P runs programs as uid UID_BASE + P and reference peers
   as uid PEER_UID_BASE + P (levels 1 and 3): a uid per box, so the per-uid
   process limit and kill(-1) of one grading cannot reach another, and a
   program cannot signal, trace or read its peers. Both have gid UID_BASE + P,
   so that each can use the other's sockets (umask 002). */
#define UID_BASE 100000
#define PEER_UID_BASE (UID_BASE + 4194304) /* + PID_MAX_LIMIT: never a program uid */

/* Bytes of the box's writable file systems (levels 1 and 2): the work folder
   (binaries, case folders), the programs' /tmp, their /dev/shm. */
#define BOX_WORK_BYTES (64ul << 20)
#define BOX_TMP_BYTES (64ul << 20)
#define BOX_SHM_BYTES (16ul << 20)

/* Whole-box bounds where a cgroup can be made. */
#define BOX_MEMORY_BYTES (1ul << 30)
#define BOX_PIDS 512

enum box_role { ROLE_PROGRAM, ROLE_PEER };

struct isolation {
	int level;           /* 1..4 */
	int drop_uid;        /* programs run as uid, peers as peer_uid (levels 1 and 3) */
	uid_t uid, peer_uid;
	gid_t gid;
	int chroot;          /* programs see root as / (levels 1 and 2) */
	int look_as_uid;     /* no CAP_SYS_PTRACE: look into programs with their uid */
	char base[64];       /* the box's folder: /tmp/grader-box-XXXXXX */
	char root[96];       /* base/root: the programs' / */
	char work[96];       /* base/work: case folders, the same path inside root */
	char priv[96];       /* base/priv: binaries, reached only by their descriptor */
	struct cgroup cg;
	pid_t init;          /* level 2: init of the box's pid namespace, or 0 */
	int init_ack;        /* its acknowledgement of a kill-all */
	char desc[512];      /* what is in force, for the report */
};

/* Parses an --isolation argument: "auto" (the strongest the machine
   allows) or 1..4 (exactly that level). 0, or -1 for anything else. */
int isolation_parse_level(const char *arg, int *strongest, int *exact);

/* Copies everything readable from descriptor in to descriptor out. 0 or -1. */
int copy_fd(int in, int out);

/* Opens the strongest box allowed, no stronger than `strongest` (1..4; with
   exact, exactly that level or an error). hide[]: paths the box must never
   show (the grader's tree, the oracle, a TA's cases, other submissions, the
   batch's output): outside the programs' root at levels 1 and 2, covered if
   they lie inside it; at level 3 checked unreadable by the box's uid. 0, or -1
   with err (one line). */
int isolation_setup(struct isolation *iso, int strongest, int exact, char *const hide[], int nhide,
		    char *err, size_t errlen);

/* In a new process of the box, before its exec: the cgroup, rlimits, umask,
   the root and working folder cwd, then the uid of role (levels 1 and 3), no
   capability and no new privilege. Raw system calls only: it may share the
   caller's memory (proc.c spawn). Returns 0, or an errno. */
int isolation_enter_child(const struct isolation *iso, enum box_role role, const char *cwd);

/* Makes path usable by the programs and their peers, and by nobody else:
   owned by their uid and group, mode 0770 (levels 1 and 3). */
void isolation_give(const struct isolation *iso, const char *path);

/* Kills every process the box started, wherever it went (setsid, double
   fork): by uid at levels 1 and 3 (one kill(-1) as that uid reaches them
   all at once), by the init of its pid namespace at level 2 (likewise),
   through the cgroup where there is one. They stay zombies
   until their parent, the caller (a child subreaper), reaps them. */
void isolation_kill_all(struct isolation *iso);

/* Before the caller looks into process pid (/proc/PID/...): without
   CAP_SYS_PTRACE (level 3 in a container) it takes the file-system uid of
   pid for the look, which is what the kernel's check reads; the real uid
   stays 0. isolation_look_end gives it back. No-ops elsewhere. */
void isolation_look_begin(const struct isolation *iso, pid_t pid);
void isolation_look_end(const struct isolation *iso);

/* Runs fn(arg) with the file-system uid and gid of the box's programs, so
   that a path a program controls (a symlink at a socket path) leads the
   caller nowhere the program could not go itself. Returns fn's value. */
int isolation_as_program(const struct isolation *iso, int (*fn)(void *), void *arg);

/* Removes path and everything below it, following no link and crossing no
   mount: to be called only once nothing of the box runs (nothing can swap a
   folder for a link meanwhile). */
void remove_tree(const char *path);

/* Ends the box: kills what is left, unmounts and removes its folder
   (nothing followed), removes its cgroup. */
void isolation_close(struct isolation *iso);

#endif
