/* docker_like: runs a command with the privileges Docker gives a container's
 * process by default, so that the grader's "container" isolation can be tested
 * under them without Docker. x86_64 only; needs root.
 *
 *     docker_like [--no-new-privileges] COMMAND [ARG...]
 *
 * tests/test_docker_like.py compiles it (gcc -O2 -Wall -Wextra -Werror) into a
 * temporary folder. It sets up the following, then execvp(COMMAND) in the same
 * process (same pid, uid 0, same namespaces: only privileges change):
 *
 * Capabilities, as moby's daemon/pkg/oci/caps/defaults.go and oci/defaults.go:
 *   bounding, permitted and effective = Docker's default set (CHOWN, DAC_OVERRIDE,
 *   FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP,
 *   NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE: 0xa80425fb); inheritable and
 *   ambient empty (Docker sets none since CVE-2022-24769). No securebits: root's
 *   execve gives permitted = effective = bounding, so the command keeps exactly
 *   that set (as CapEff in /proc/self/status shows).
 *
 * Seccomp, a raw BPF filter approximating moby's default profile
 * (profiles/seccomp/default.json) for a container without CAP_SYS_ADMIN and
 * CAP_SYS_PTRACE, for the calls that matter to a sandbox:
 *   - EPERM: unshare, setns, mount, umount2, pivot_root, the new mount API
 *     (open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr),
 *     keyctl, add_key, request_key, kcmp, pidfd_getfd, bpf, perf_event_open,
 *     userfaultfd, syslog, open_by_handle_at (the profile allows each only with
 *     a capability the default set lacks, or not at all);
 *   - clone: EPERM when a CLONE_NEW* flag is set (the profile's mask 0x7e020000),
 *     else allowed; clone3: ENOSYS always, so glibc falls back to clone;
 *   - personality: only 0, 8 (PER_LINUX32), 0x20000 (UNAME26), 0x20008 and
 *     0xffffffff (query), compared as 64-bit values; else EPERM;
 *   - ptrace, process_vm_readv, process_vm_writev: allowed, as the profile does
 *     on kernels 4.8 and later;
 *   - anything else: allowed (the profile is an allowlist that refuses what it
 *     does not name with EPERM: this runner does not try to be that exact);
 *   - a call of another architecture (i386 int 0x80) or of the x32 ABI kills
 *     the process (SIGSYS).
 *   The filter is loaded while CAP_SYS_ADMIN is still held, before the
 *   capabilities are dropped, as runc does when no_new_privs is off.
 *
 * no_new_privs: off, as in Docker's default; --no-new-privileges sets it first,
 * as `docker run --security-opt no-new-privileges` does.
 *
 * Not done: namespaces, cgroups, AppArmor/SELinux, masked /proc paths.
 * Exit status: 125 when it cannot set this up (one line on stderr), else the
 * command's; 127 no such command, 126 it could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DOCKER_CAPS                                                                                     \
    ((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_FSETID) | (1ULL << CAP_FOWNER) |   \
     (1ULL << CAP_MKNOD) | (1ULL << CAP_NET_RAW) | (1ULL << CAP_SETGID) | (1ULL << CAP_SETUID) |        \
     (1ULL << CAP_SETFCAP) | (1ULL << CAP_SETPCAP) | (1ULL << CAP_NET_BIND_SERVICE) |                   \
     (1ULL << CAP_SYS_CHROOT) | (1ULL << CAP_KILL) | (1ULL << CAP_AUDIT_WRITE))

/* the profile's clone mask: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NEW_ANY 0x7e020000U

#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define IF_EQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ERRNO(e) RET(SECCOMP_RET_ERRNO | (e))
#define ALLOW RET(SECCOMP_RET_ALLOW)
#define KILL RET(SECCOMP_RET_KILL_PROCESS)
#define EPERM_IF(nr) IF_EQ((nr), 0, 1), ERRNO(EPERM)
#define NR offsetof(struct seccomp_data, nr)
#define ARCH offsetof(struct seccomp_data, arch)
#define ARG0_LO offsetof(struct seccomp_data, args[0]) /* little-endian: the low word first */
#define ARG0_HI (ARG0_LO + 4)

static struct sock_filter filter[] = {
    LOAD(ARCH), IF_EQ(AUDIT_ARCH_X86_64, 1, 0), KILL,
    LOAD(NR), BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1), KILL,
    IF_EQ(__NR_clone3, 0, 1), ERRNO(ENOSYS),
    /* clone: EPERM with any CLONE_NEW* flag (4 instructions) */
    IF_EQ(__NR_clone, 0, 4), LOAD(ARG0_LO), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1),
    ERRNO(EPERM), ALLOW,
    /* personality: the profile's five values, the high word 0 (10 instructions) */
    IF_EQ(__NR_personality, 0, 10), LOAD(ARG0_HI), IF_EQ(0, 0, 6), LOAD(ARG0_LO),
    IF_EQ(0, 5, 0), IF_EQ(8, 4, 0), IF_EQ(0x20000, 3, 0), IF_EQ(0x20008, 2, 0), IF_EQ(0xffffffff, 1, 0),
    ERRNO(EPERM), ALLOW,
    EPERM_IF(__NR_unshare), EPERM_IF(__NR_setns), EPERM_IF(__NR_mount), EPERM_IF(__NR_umount2),
    EPERM_IF(__NR_pivot_root), EPERM_IF(__NR_open_tree), EPERM_IF(__NR_move_mount), EPERM_IF(__NR_fsopen),
    EPERM_IF(__NR_fsconfig), EPERM_IF(__NR_fsmount), EPERM_IF(__NR_fspick), EPERM_IF(__NR_mount_setattr),
    EPERM_IF(__NR_keyctl), EPERM_IF(__NR_add_key), EPERM_IF(__NR_request_key), EPERM_IF(__NR_kcmp),
    EPERM_IF(__NR_pidfd_getfd), EPERM_IF(__NR_bpf), EPERM_IF(__NR_perf_event_open), EPERM_IF(__NR_userfaultfd),
    EPERM_IF(__NR_syslog), EPERM_IF(__NR_open_by_handle_at),
    ALLOW,
};

static void die(const char *what)
{
    fprintf(stderr, "docker_like: %s: %s\n", what, strerror(errno));
    exit(125);
}

int main(int argc, char **argv)
{
    int nnp = argc > 1 && strcmp(argv[1], "--no-new-privileges") == 0;
    if (argc < 2 + nnp) {
        fprintf(stderr, "usage: docker_like [--no-new-privileges] COMMAND [ARG...]\n");
        return 125;
    }
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        die("PR_SET_NO_NEW_PRIVS");
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
        die("seccomp");
    for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) /* EINVAL past the last */
        if (!(DOCKER_CAPS >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
            die("PR_CAPBSET_DROP");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
        die("PR_CAP_AMBIENT_CLEAR_ALL");
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {
        {.effective = (uint32_t)DOCKER_CAPS, .permitted = (uint32_t)DOCKER_CAPS, .inheritable = 0},
        {.effective = DOCKER_CAPS >> 32, .permitted = DOCKER_CAPS >> 32, .inheritable = 0}};
    if (syscall(SYS_capset, &head, data))
        die("capset");
    execvp(argv[1 + nnp], argv + 1 + nnp);
    fprintf(stderr, "docker_like: %s: %s\n", argv[1 + nnp], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
