/* Isolation: what the machine allows, strongest first.
   1 root:   new network and mount namespaces (loopback only, hidden paths),
             programs run as a uid/gid of their own (UID_BASE + the probe's
             pid: no two probes share one) with rlimits.
   2 userns: the same namespaces through an unprivileged user namespace;
             programs keep the grader's uid, with rlimits.
   3 none:   sessions, rlimits and a subreaper only; paths are not hidden and
             parallel gradings share the ports of the machine. */
#ifndef ISOLATE_H
#define ISOLATE_H

#include <stddef.h>
#include <sys/types.h>

/* Programs of probe P run as uid and gid UID_BASE + P: a uid per probe run, so
   the per-uid process limit of one grading cannot starve another, and a
   program cannot signal the programs of a parallel grading. */
#define UID_BASE 100000

struct isolation {
	int level;       /* 1, 2 or 3 */
	int drop_uid;    /* programs run as uid (and gid) */
	uid_t uid;
	char desc[512];  /* what is in force, for the report */
};

/* Enters the strongest level allowed, but no stronger than `strongest`
   (1..3): new namespaces, loopback up, each of hide[] covered by an empty
   read-only tmpfs. Returns 0, or -1 with err (a level that was asked for
   explicitly and cannot be had). */
int isolation_setup(struct isolation *iso, int strongest, int exact, char *const hide[], int nhide,
		    char *err, size_t errlen);

/* In a freshly forked program, before exec: rlimits, then the uid. */
void isolation_enter_child(const struct isolation *iso);

/* Makes path usable by the programs (owned by their uid when uids are dropped). */
void isolation_give(const struct isolation *iso, const char *path);

#endif
