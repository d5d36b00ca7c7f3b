"""The Docker-like runner (tests/docker_like.c) itself: it exists so that the
grader's "container" isolation level can be tested under Docker's default
privileges (its capability set and an approximation of moby's default seccomp
profile) without Docker. These tests check that the runner gives a command
exactly those privileges; tests of the grader then run under it."""
import json
import os
import platform
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, TOTAL_POINTS, run_grader_copy

DOCKER_CAPS = 0x00000000a80425fb

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or platform.machine() != "x86_64",
                                reason="the runner drops root's capabilities: root on x86_64 only")


@pytest.fixture(scope="module")
def runner(docker_like):
    return docker_like


def run(*cmd, timeout=60):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def status(runner, *options):
    """/proc/self/status of a command run under the runner, as {field: value}."""
    proc = run(runner, *options, "cat", "/proc/self/status")
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(":\t", 1) for line in proc.stdout.splitlines() if ":\t" in line)


def test_a_plain_command_runs(runner):
    proc = run(runner, "true")
    assert proc.returncode == 0, proc.stderr
    proc = run(runner, "sh", "-c", "echo $$ ok; exit 3")  # fork and exec work, the status comes back
    assert (proc.returncode, proc.stdout.split()[1]) == (3, "ok"), proc.stderr


def test_capabilities_and_seccomp_are_dockers(runner):
    s = status(runner)
    for field in ("CapEff", "CapPrm", "CapBnd"):
        assert int(s[field], 16) == DOCKER_CAPS, (field, s[field])
    assert int(s["CapInh"], 16) == 0 and int(s["CapAmb"], 16) == 0
    assert s["Seccomp"].strip() == "2"
    assert s["Uid"].split()[:2] == ["0", "0"]
    assert s["NoNewPrivs"].strip() == "0"  # Docker's default
    assert status(runner, "--no-new-privileges")["NoNewPrivs"].strip() == "1"


def test_namespaces_cannot_be_made(runner):
    for cmd in (["unshare", "-n", "true"], ["unshare", "-U", "true"]):  # -U: needs no capability, only seccomp stops it
        proc = run(runner, *cmd)
        assert proc.returncode != 0 and "Operation not permitted" in proc.stderr, (cmd, proc.stderr)


# Each call with what Docker's default profile makes of it: an errno name, or "ok".
# Run as root without the runner, unshare(CLONE_NEWUSER), clone3, kcmp, pidfd_getfd,
# keyctl and the refused personalities would all succeed (clone3 with EINVAL).
SYSCALLS = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *(ctypes.c_ulong(a & (2**64 - 1)) for a in args))
    if r == 0 and nr == 56:  # a clone that went through: the child leaves at once
        os._exit(0)
    if r > 0 and nr == 56:
        os.waitpid(r, 0)
    return "ok" if r >= 0 else errno.errorcode[ctypes.get_errno()]
me = os.getpid()
pidfd = libc.syscall(ctypes.c_long(434), ctypes.c_ulong(me), ctypes.c_ulong(0))
out = {
    "unshare(CLONE_NEWUSER)": call(272, 0x10000000),
    "unshare(CLONE_NEWNET)": call(272, 0x40000000),
    "setns": call(308, 0, 0),
    "mount": call(165, 0, 0, 0, 0, 0),
    "umount2": call(166, 0, 0),
    "pivot_root": call(155, 0, 0),
    "clone(SIGCHLD)": call(56, 17, 0, 0, 0, 0),
    "clone(CLONE_NEWUSER|SIGCHLD)": call(56, 0x10000000 | 17, 0, 0, 0, 0),
    "clone3": call(435, 0, 0),
    "keyctl": call(250, 0, -3, 0),
    "add_key": call(248, 0, 0, 0, 0, 0),
    "request_key": call(249, 0, 0, 0, 0),
    "ptrace(PTRACE_GETREGS, 1)": call(101, 12, 1, 0, 0),
    "process_vm_readv(self, nothing)": call(310, me, 0, 0, 0, 0, 0),
    "process_vm_writev(self, nothing)": call(311, me, 0, 0, 0, 0, 0),
    "kcmp(self, self, KCMP_FILE, 0, 0)": call(312, me, me, 0, 0, 0),
    "pidfd_getfd(self, 0)": call(438, pidfd, 0, 0),
    "personality(query)": call(135, 0xffffffff),
    "personality(PER_LINUX32)": call(135, 8),
    "personality(PER_LINUX)": call(135, 0),
    "personality(ADDR_NO_RANDOMIZE)": call(135, 0x0040000),
    "personality(1 << 32)": call(135, 1 << 32),
}
print(json.dumps(out))
"""

EXPECTED = {
    "unshare(CLONE_NEWUSER)": "EPERM", "unshare(CLONE_NEWNET)": "EPERM", "setns": "EPERM", "mount": "EPERM",
    "umount2": "EPERM", "pivot_root": "EPERM", "clone(SIGCHLD)": "ok", "clone(CLONE_NEWUSER|SIGCHLD)": "EPERM",
    "clone3": "ENOSYS", "keyctl": "EPERM", "add_key": "EPERM", "request_key": "EPERM",
    "ptrace(PTRACE_GETREGS, 1)": "ESRCH",  # allowed: the kernel's own answer for a process not traced
    "process_vm_readv(self, nothing)": "ok", "process_vm_writev(self, nothing)": "ok",
    "kcmp(self, self, KCMP_FILE, 0, 0)": "EPERM", "pidfd_getfd(self, 0)": "EPERM",
    "personality(query)": "ok", "personality(PER_LINUX32)": "ok", "personality(PER_LINUX)": "ok",
    "personality(ADDR_NO_RANDOMIZE)": "EPERM", "personality(1 << 32)": "EPERM",
}


def test_the_filter_answers_as_dockers_default_profile(runner):
    proc = run(runner, sys.executable, "-c", SYSCALLS)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == EXPECTED


def test_other_abis_are_killed(runner, tmp_path):
    # an x32 getpid: whatever the kernel's x32 support, the filter sees it first
    x32 = "import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39); print('survived')"
    proc = run(runner, sys.executable, "-c", x32)
    assert proc.returncode == -signal.SIGSYS, (proc.returncode, proc.stdout, proc.stderr)
    # an i386 getpid through int 0x80, where the kernel runs i386 calls at all
    (tmp_path / "i386.c").write_text('int main(void) { long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L)'
                                     ' : "memory"); return r > 0 ? 0 : 1; }\n')
    subprocess.run(["gcc", "-O2", "-o", str(tmp_path / "i386"), str(tmp_path / "i386.c")], check=True, timeout=120)
    if run(str(tmp_path / "i386")).returncode != 0:
        pytest.skip("this kernel runs no i386 system calls")
    assert run(runner, str(tmp_path / "i386")).returncode == -signal.SIGSYS


# ---------------------------------------------------------------- the grader under it

def test_the_grader_falls_back_to_level_3_and_grades_in_full(runner, private_grader):
    """Under Docker's default privileges no namespace can be made: --isolation auto
    takes level 3, says so, and correct and buggy code score as at level 1."""
    for sub, expected in ((ROOT / "reference", TOTAL_POINTS), (ROOT / "tests" / "submissions" / "variant_fork",
                                                             TOTAL_POINTS)):
        proc = run_grader_copy(private_grader, sub, "-q", wrapper=[runner])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.startswith(f"Total: {expected}/{TOTAL_POINTS}"), proc.stdout
    proc = run_grader_copy(private_grader, ROOT / "tests" / "submissions" / "lecture", wrapper=[runner])
    assert proc.returncode == 1 and "isolation: level 3 (container)" in proc.stdout, proc.stderr
    # Docker's profile refuses personality(ADDR_NO_RANDOMIZE): the lecture's send() after a
    # failed recv() then dies of SIGPIPE or not by where its stack landed; the report says so
    assert "address-space randomisation stays on" in proc.stdout


def test_a_program_cannot_read_the_grader_under_docker_defaults(runner, private_grader, tmp_path):
    secret = private_grader / "reference" / "unix_d_server.c"
    sub = tmp_path / "sub"
    shutil.copytree(ROOT / "reference", sub)
    (sub / "unix_d_server.c").write_text(f'#define SECRET_PATH "{secret}"\n'
                                         + (ROOT / "tests" / "fixtures" / "hostile" / "read_secret.c").read_text())
    out = tmp_path / "r.json"
    proc = run_grader_copy(private_grader, sub, "--results", out, "-k", "us.hex_message", wrapper=[runner])
    assert proc.returncode == 1, proc.stderr
    output = json.loads(out.read_text())["tests"][0]["output"]
    assert "NO-SECRET" in output and secret.read_text().splitlines()[0] not in output
