"""Attacks on the sandbox: each test plays a hostile submission (or a student's
trick) against the grader and asserts that the attack is BLOCKED.

The contract the sandbox keeps (README, "Isolation"): student code, from its
compile on, never runs as root, never reaches the grader's tree, its build
folder (the oracle), a TA's case folders, other submissions of a batch or the
output folder; root never follows a path a program controls; nothing of a
grading outlives it (processes, files in /tmp and /dev/shm, System V IPC);
memory and processes are bounded for the whole grading; a submission holding
a symbolic link, a fifo or a device is refused; reports never carry raw
control characters.

Every fixture lives in tests/fixtures/attacks/ (its header says what it
tries). The tests work in folders under /tmp that anybody may enter (never
under pytest's private tmp_path), so that a file is out of a program's reach
because the grader hides it, not because of where the test happened to put
it. Each grader run goes into a cgroup of the test's own where the machine
has cgroup v1 (a safety net for the host's memory, and a census and a kill
switch for whatever a grading leaves running); nothing here sleeps to
synchronise."""
import contextlib
import csv
import glob
import io
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import PROGRAMS, ROOT, TOTAL_POINTS, build_mutant, extract_with_modes, processes_named

FIXTURES = ROOT / "tests" / "fixtures" / "attacks"
BUILD = Path(os.environ.get("GRADER_BUILD") or ROOT / "build")
BOUND_S = 240  # one grader run, whatever a hostile program does
COMPILE_BOUND_S = 90  # a compile that never ends is cut within this (the grader's 60 s and some slack)
GIB = 1 << 30
IS_ROOT = os.geteuid() == 0
US_FEW = "us.hex_message or us.high_bytes or us.exit_after_one"

needs_root = pytest.mark.skipif(not IS_ROOT, reason="the grader must run as root for this attack (level 1)")


# ---------------------------------------------------------------- helpers

def token(prefix="atk"):
    """A name no parallel test shares; short enough for a process name (15 bytes)."""
    return prefix + secrets.token_hex(4)


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fixture_source(name, **defines):
    """tests/fixtures/attacks/NAME.c with #defines in front (str values as C strings)."""
    head = "".join(f"#define {k} {c_string(v) if isinstance(v, str) else v}\n" for k, v in defines.items())
    return head + (FIXTURES / f"{name}.c").read_text()


def make_submission(dest, replace=None):
    """The reference at DEST with some programs replaced: {program: source text or bytes}."""
    shutil.copytree(ROOT / "reference", dest)
    for program, text in (replace or {}).items():
        path = dest / f"{program}.c"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return dest


def open_dir(path):
    """A folder any uid may enter and list (the attacks must not be stopped by where the test works)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def wait_pids_gone(pids, deadline):
    """Waits (a pidfd per process, readable when it ends) until every process in PIDS has
    ended, or the deadline; a few hundred at a time (descriptors)."""
    pids = list(pids)
    for start in range(0, len(pids), 256):
        fds = []
        for pid in pids[start:start + 256]:
            with contextlib.suppress(OSError):
                fds.append(os.pidfd_open(pid))
        try:
            poller = select.poll()
            for fd in fds:
                poller.register(fd, select.POLLIN)
            pending = set(fds)
            while pending and time.monotonic() < deadline:
                for fd, _ in poller.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                    pending.discard(fd)
                    poller.unregister(fd)
            if pending:
                return False
        finally:
            for fd in fds:
                os.close(fd)
    return True


def kill_named(name, seconds=20):
    """Ends every process named NAME, a fork-hopping chain included: kill all, wait for them, again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = processes_named(name)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_pids_gone(pids, deadline)


def remove_case_folders_linking_to(target):
    """Removes the folders /tmp/*/ holding a link to TARGET: case folders a grader failed to
    remove while an attack kept filling them (nothing runs in them any more)."""
    for link in glob.glob("/tmp/*/[ds][0-9]"):
        with contextlib.suppress(OSError):
            if os.readlink(link) == str(target):
                shutil.rmtree(os.path.dirname(link), ignore_errors=True)


def remove_staged_copies(tok):
    """Removes the probe's staging folders (/tmp/probe-bin-*) holding a program that carries TOK:
    left behind when an attack killed the probe."""
    for path in glob.glob("/tmp/probe-bin-*/*"):
        with contextlib.suppress(OSError):
            if os.path.isfile(path) and tok.encode() in Path(path).read_bytes():
                shutil.rmtree(os.path.dirname(path), ignore_errors=True)


class Jail:
    """A cgroup (v1: freezer, memory, pids) that one test's grader runs are put in:
    a memory ceiling that keeps the host safe when an attack is not blocked, a
    census of the processes a grading left behind, and a way to end them all
    (freeze, kill, thaw). Empty (no controllers) where cgroup v1 is not writable."""

    BASE = Path("/sys/fs/cgroup")

    def __init__(self, memory_limit=3 * GIB):
        self.name = "grader-attack-" + secrets.token_hex(4)
        self.dirs = {}
        if IS_ROOT:
            for ctl in ("freezer", "memory", "pids"):
                base = self.BASE / ctl
                if (base / "cgroup.procs").exists():
                    try:
                        (base / self.name).mkdir()
                        self.dirs[ctl] = base / self.name
                    except OSError:
                        pass
        if "memory" in self.dirs and memory_limit:
            (self.dirs["memory"] / "memory.limit_in_bytes").write_text(str(memory_limit))
        if "pids" in self.dirs:  # a fork bomb the grader does not stop stops here
            (self.dirs["pids"] / "pids.max").write_text("8192")

    @property
    def memory(self):
        return "memory" in self.dirs

    def enter(self):
        """preexec_fn: the starting grader joins the cgroups."""
        for d in self.dirs.values():
            with open(d / "cgroup.procs", "w") as fh:
                fh.write(str(os.getpid()))

    def pids(self):
        """Every process in the cgroups and in any cgroup the grader made below them."""
        found = set()
        for d in self.dirs.values():
            for procs in d.rglob("cgroup.procs"):
                with contextlib.suppress(OSError):
                    found.update(int(p) for p in procs.read_text().split())
        return found

    def max_usage(self):
        return int((self.dirs["memory"] / "memory.max_usage_in_bytes").read_text())

    def kill_all(self, seconds=20):
        deadline = time.monotonic() + seconds
        freezer = self.dirs.get("freezer")
        while self.pids() and time.monotonic() < deadline:
            if freezer:
                (freezer / "freezer.state").write_text("FROZEN")
                while (freezer / "freezer.state").read_text().strip() != "FROZEN" \
                        and time.monotonic() < deadline:
                    os.sched_yield()  # the kernel is freezing them: a few scheduler ticks
            pids = self.pids()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if freezer:
                (freezer / "freezer.state").write_text("THAWED")
            wait_pids_gone(pids, deadline)

    def remove(self):
        self.kill_all()
        for d in self.dirs.values():
            for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                with contextlib.suppress(OSError):
                    sub.rmdir()
            with contextlib.suppress(OSError):
                d.rmdir()


class Outcome:
    """What one grading produced: exit status, stdout/stderr, the results and report files."""

    def __init__(self, proc, elapsed, results_path=None, files=()):
        self.rc = proc.returncode
        self.raw_stdout = proc.stdout
        self.stdout = proc.stdout.decode(errors="replace")
        self.stderr = proc.stderr.decode(errors="replace")
        self.elapsed = elapsed
        self.files = {}
        self.csv = ""
        for f in files:
            if f and Path(f).is_file():
                self.files[str(f)] = Path(f).read_bytes().decode(errors="replace")
        self.results = None
        if results_path and Path(results_path).is_file():
            self.results = json.loads(Path(results_path).read_text())

    def everything(self):
        """All the text a student or TA may see of this grading."""
        return "\n".join([self.stdout, self.stderr, *self.files.values()])

    def graded(self):
        assert self.results is not None and "tests" in self.results, \
            f"the grading did not complete (exit {self.rc}): {self.stderr[-1500:]}\n{self.stdout[-1500:]}"
        return self

    def score(self, program, exclude=()):
        """(got, max) of PROGRAM's cases, those in EXCLUDE left out."""
        tests = [t for t in self.graded().results["tests"] if t["tags"][0] == program
                 and t["name"].split(":")[0] not in exclude]
        return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)

    def outputs(self, program):
        return "\n".join(t["output"] for t in self.graded().results["tests"] if t["tags"][0] == program)


def run_grader_raw(args, jail=None, env=None, timeout=BOUND_S, grader=None):
    """Runs a grader.py (ours, or GRADER for a private copy) with bytes output; (CompletedProcess, seconds)."""
    cmd = [sys.executable, str(grader or ROOT / "grader.py"), *map(str, args)]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout,
                              env=env, preexec_fn=jail.enter if jail and jail.dirs else None)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the grading did not end within {timeout} s: {' '.join(cmd)}\n{(e.stdout or b'')[-2000:]!r}")
    return proc, time.monotonic() - t0


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def work():
    """A fresh folder under /tmp that any uid may enter (tmp_path sits in a root-only folder)."""
    path = open_dir(Path("/tmp") / token("grader-attack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def jail():
    j = Jail()
    yield j
    j.remove()


@pytest.fixture(scope="module")
def module_dir():
    path = open_dir(Path("/tmp") / token("grader-attack-m"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class TA:
    """A TA's hidden case folder. Its one case (of tcp_qq_srver, which the attacks never
    select) carries secrets: in its id (first key of the recorded expected.json, so on its
    second line), its hint and its description; the folder's own name is one too."""

    def __init__(self, base):
        self.folder_secret = token("ta")
        self.id_secret = secrets.token_hex(6)
        self.hint_secret = secrets.token_hex(6)
        self.desc_secret = secrets.token_hex(6)
        self.dir = open_dir(base / self.folder_secret)
        self.case_id = f"a{self.id_secret}.secret"  # sorts before every reference case
        doc = {"program": "tcp_qq_srver", "cases": [{
            "id": self.case_id, "hint": f"hint {self.hint_secret}", "description": f"desc {self.desc_secret}",
            "requirement": "1 then 2.", "why": "Counting is the whole job.", "category": "core", "points": 5,
            "scenario": "tcp_server", "params": {"connections": [{"repeat": 2}]}, "compare": ["replies"],
            "hidden": True}]}
        self.file = self.dir / "ta.json"
        self.file.write_text(json.dumps(doc) + "\n")  # one line: a compiler quoting line 1 quotes it all
        os.chmod(self.file, 0o644)


@pytest.fixture(scope="module")
def ta(module_dir):
    return TA(module_dir)


def find_oracle(marker, build=BUILD):
    """build/oracle/*/expected.json holding MARKER (a TA case id), or None."""
    for path in glob.glob(str(build / "oracle" / "*" / "expected.json")):
        with contextlib.suppress(OSError):
            if marker in Path(path).read_text():
                return Path(path)
    return None


@pytest.fixture(scope="module")
def ta_oracle(ta):
    """The recorded expectations of the reference and the TA's case (the oracle of --cases TA)."""
    proc, _ = run_grader_raw([ROOT / "reference", "--cases", ta.dir, "-k", "us.hex_message", "-q"])
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    path = find_oracle(ta.case_id)
    assert path is not None, f"no {BUILD}/oracle/*/expected.json records the TA's case {ta.case_id}"
    return path


class Autograder:
    """Our Gradescope zip unpacked and set up in a simulated /autograder tree."""

    def __init__(self, root, env):
        self.root, self.env = root, env

    @property
    def source(self):
        return self.root / "source"

    def grade(self, sub, jail=None):
        shutil.rmtree(self.root / "submission", ignore_errors=True)
        shutil.rmtree(self.root / "results", ignore_errors=True)
        shutil.copytree(sub, self.root / "submission" / sub.name, symlinks=True)
        t0 = time.monotonic()
        try:
            proc = subprocess.run([str(self.source / "run_autograder")], capture_output=True, timeout=BOUND_S,
                                  env=self.env, stdin=subprocess.DEVNULL,
                                  preexec_fn=jail.enter if jail and jail.dirs else None)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run_autograder did not end within {BOUND_S} s")
        results = self.root / "results" / "results.json"
        return Outcome(proc, time.monotonic() - t0, results, [results])


@pytest.fixture(scope="module")
def autograder(module_dir, ta):
    zip_path = module_dir / "autograder.zip"
    proc, _ = run_grader_raw(["--gradescope-package", zip_path, "--cases", ta.dir])
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    ag = open_dir(module_dir / "autograder")
    extract_with_modes(zip_path, ag / "source")
    env = dict(os.environ, AUTOGRADER_ROOT=str(ag), AUTOGRADER_SKIP_APT="1")
    env.pop("GRADER_BUILD", None)  # the zip builds its own probe
    setup = subprocess.run(["bash", str(ag / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return Autograder(ag, env)


def grade(mode, sub, work, k=None, cases=(), jail=None, env=None, extra=(), request=None, jobs=None):
    """Grades the submission SUB (a folder work/batch/NAME) in MODE: "single" (with --results,
    --html, --junit), "batch" (--batch work/batch --out work/out-N; the files of NAME),
    "gradescope" (the autograder fixture's run_autograder; -k and --cases do not apply) or
    "level3" (a single grading at --isolation 3 by the level3_tree fixture's grader)."""
    n = secrets.token_hex(3)
    case_args = [a for d in cases for a in ("--cases", d)]
    k_args = ["-k", k] if k else []
    if mode == "single":
        out = open_dir(work / f"out-{n}")
        files = [out / "results.json", out / "report.html", out / "junit.xml"]
        proc, elapsed = run_grader_raw([sub, "--results", files[0], "--html", files[1], "--junit", files[2],
                                        *case_args, *k_args, *extra], jail=jail, env=env)
        return Outcome(proc, elapsed, files[0], files)
    if mode == "batch":
        out = work / f"out-{n}"
        jobs_args = ["--jobs", jobs] if jobs else []
        proc, elapsed = run_grader_raw(["--batch", sub.parent, "--out", out, *case_args, *k_args, *jobs_args,
                                        *extra], jail=jail, env=env)
        mine = out / sub.name
        files = [mine / f for f in ("results.json", "report.txt", "report.html", "error.txt")]
        o = Outcome(proc, elapsed, mine / "results.json", files)
        o.csv = (out / "grades.csv").read_text() if (out / "grades.csv").is_file() else ""
        return o
    if mode == "gradescope":
        return request.getfixturevalue("autograder").grade(sub, jail)
    if mode == "level3":
        tree = request.getfixturevalue("level3_tree")
        return tree.grade(sub, ["--isolation", "3", *case_args, *k_args, *extra], jail)
    raise ValueError(mode)


def student(work, replace=None, name="student"):
    """A submission in work/batch/NAME (a batch of one unless the test adds classmates)."""
    return make_submission(open_dir(work / "batch") / name, replace)


# ---------------------------------------------------------------- 1. full marks with no code of one's own

@pytest.fixture(scope="module")
def free_points(module_dir):
    """The unix_d_server cases a program that does nothing (prints a line, exits 1) passes
    (us.removes_socket_file: it leaves no socket file): an attack blocked scores these."""
    sub = make_submission(module_dir / "nothing", {"unix_d_server": fixture_source(
        "include_reference", P1="/nonexistent/p1.c")})  # includes nothing: prints NO-INCLUDE, exits 1
    out = module_dir / "nothing.json"
    proc, _ = run_grader_raw([sub, "--results", out, "-k", "us."])
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")
    return {t["name"].split(":")[0] for t in json.loads(out.read_text())["tests"] if t["status"] == "passed"}


@pytest.mark.parametrize("mode", ["single", "batch", "gradescope", pytest.param("level3", marks=needs_root)])
def test_exec_of_a_peer_reference_binary_loses_points(mode, work, jail, request, free_points):
    """The program execs the reference binary the probe runs beside it (peers/), or one it
    finds in the folders around it or in the oracle: it must lose every point a program
    doing nothing would lose."""
    tok = token()
    dirs = [BUILD / "oracle", ROOT / "build" / "oracle", ROOT / "build"]
    if mode == "level3":  # not this tree: at level 3 the grader in use is the one to close
        tree = request.getfixturevalue("level3_tree")
        dirs = [tree.build / "oracle", tree.build]
    if mode == "gradescope":
        ag = request.getfixturevalue("autograder")
        dirs += [ag.source / "build" / "oracle", Path("/autograder/source/build/oracle")]
    sub = student(work, {"unix_d_server": fixture_source("exec_peer", TOKEN=tok, PROGRAM="unix_d_server",
                                                         EXTRA_DIRS=":".join(map(str, dirs)))})
    o = grade(mode, sub, work, k=US_FEW, jail=jail, request=request)
    got, top = o.score("unix_d_server", exclude=free_points)
    assert top > 0
    assert got == 0, f"a program that only execs a reference binary got {got}/{top}:\n{o.outputs('unix_d_server')}"


def include_paths(how, sub, targets):
    """Up to four ways to name TARGETS from SUB: absolute, or climbing with ../ from SUB."""
    if how == "absolute":
        return [str(t) for t in targets][:4]
    paths = []
    for t in targets:
        paths.append(os.path.relpath(t, sub))
        paths.append("../" * 24 + str(t).lstrip("/"))
    return paths[:4]


@pytest.mark.parametrize("how, mode", [("absolute", "single"), ("relative", "single"), ("absolute", "batch"),
                                       ("absolute", "gradescope"), ("relative", "gradescope"),
                                       pytest.param("absolute", "level3", marks=needs_root)])
def test_including_the_reference_source_loses_points(how, mode, work, jail, request, free_points):
    """#include of reference/unix_d_server.c (the grader's tree, or the /autograder tree under
    Gradescope): the compile fails or the program loses every point a program doing nothing
    would lose."""
    targets = [ROOT / "reference" / "unix_d_server.c"]
    if mode == "level3":
        targets = [request.getfixturevalue("level3_tree").root / "reference" / "unix_d_server.c"]
    if mode == "gradescope":
        ag = request.getfixturevalue("autograder")
        targets = [ag.source / "reference" / "unix_d_server.c",
                   Path("/autograder/source/reference/unix_d_server.c")] + targets
    graded_at = work / "batch" / "student"
    if mode == "gradescope":
        graded_at = request.getfixturevalue("autograder").root / "submission" / "student"
    paths = include_paths(how, graded_at, targets)
    sub = student(work, {"unix_d_server": fixture_source(
        "include_reference", **{f"P{i + 1}": p for i, p in enumerate(paths)})})
    o = grade(mode, sub, work, k=US_FEW, jail=jail, request=request)
    got, top = o.score("unix_d_server", exclude=free_points)
    assert top > 0
    assert got == 0, f"including {paths} scored {got}/{top}:\n{o.outputs('unix_d_server')}"


def plant_special_file(sub, kind):
    """Puts a symbolic link, a fifo or a device in SUB; returns the name the refusal must give."""
    if kind == "program_symlink":
        (sub / "unix_d_server.c").unlink()
        os.symlink(ROOT / "reference" / "unix_d_server.c", sub / "unix_d_server.c")
        return "unix_d_server.c"
    if kind == "folder_symlink":
        os.symlink(ROOT / "reference", sub / "inc")
        (sub / "unix_d_server.c").write_text('#include "inc/unix_d_server.c"\n')
        return "inc"
    if kind == "nested_symlink":
        (sub / "lib").mkdir()
        os.symlink("/etc/shadow", sub / "lib" / "shadow.h")
        return "shadow.h"
    if kind == "fifo":
        os.mkfifo(sub / "pipe.h")
        return "pipe.h"
    if kind == "device":
        os.mknod(sub / "zero.h", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
        return "zero.h"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["program_symlink", "folder_symlink", "nested_symlink", "fifo",
                                  pytest.param("device", marks=needs_root)])
def test_submission_with_a_special_file_is_refused(kind, work, jail):
    """A symbolic link (to the reference source, to its folder, anywhere below), a fifo or a
    device in the submission: exit 2, one line on stderr naming the file, no results."""
    sub = student(work)
    name = plant_special_file(sub, kind)
    o = grade("single", sub, work, k=US_FEW, jail=jail)
    lines = o.stderr.strip().splitlines()
    assert o.rc == 2, f"exit {o.rc}, expected a refusal (2); stderr: {o.stderr[-1000:]}"
    assert len(lines) == 1 and name in lines[0], f"expected one line naming {name}: {o.stderr!r}"
    assert o.results is None, "a refused submission must get no results.json"


def test_batch_with_a_symlinked_program_gets_an_error_row(work, jail):
    """In a batch the submission holding a link gets an error row naming the file, and no
    results; its classmate is graded."""
    sub = student(work, name="mallory")
    plant_special_file(sub, "program_symlink")
    student(work, name="alice")
    o = grade("batch", sub, work, k=US_FEW, jail=jail)
    rows = {r[0]: r[-1] for r in csv.reader(io.StringIO(o.csv))}
    assert rows.get("mallory", "").startswith("error") and "unix_d_server.c" in rows["mallory"], rows
    assert o.results is None, "the symlinked submission must get no results.json"
    assert rows.get("alice") == "graded", rows
    assert o.rc == 1


def test_gradescope_submission_with_a_symlinked_program_scores_nothing(work, jail, request):
    """Under Gradescope a submission whose unix_d_server.c links to the reference gets no
    point for it."""
    sub = student(work)
    plant_special_file(sub, "program_symlink")
    o = request.getfixturevalue("autograder").grade(sub, jail)
    assert o.results is not None, f"run_autograder wrote no results.json: {o.stderr[-1000:]}"
    got = sum(t["score"] for t in o.results.get("tests", []) if t["tags"][0] == "unix_d_server")
    assert got == 0 and o.results["score"] < TOTAL_POINTS, \
        f"a symlink to the reference scored {got} (total {o.results['score']})"


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_batch_source_including_a_classmates_file_does_not_compile(how, work, jail):
    """In a batch, mallory's unix_d_server.c is #include "../alice/unix_d_server.c" (or its
    absolute path): it does not compile; alice keeps full marks."""
    batch = open_dir(work / "batch")
    alice = make_submission(batch / "alice")
    path = "../alice/unix_d_server.c" if how == "relative" else str(alice / "unix_d_server.c")
    mallory = student(work, {"unix_d_server": fixture_source("include_reference", P1=path, REQUIRE=1)},
                      name="mallory")
    o = grade("batch", mallory, work, k=US_FEW, jail=jail)
    got, top = o.score("unix_d_server")
    assert got == 0 and "does not compile" in o.outputs("unix_d_server"), \
        f"including a classmate's file by {path} compiled and scored {got}/{top}"
    alice_results = json.loads((next(work.glob("out-*")) / "alice" / "results.json").read_text())
    assert alice_results["score"] == sum(t["max_score"] for t in alice_results["tests"])


# ---------------------------------------------------------------- 2. secrets at compile time

def secret_target(target, ta, ta_oracle_path, work):
    """(path the attack reads, secrets that must appear nowhere) for TARGET."""
    if target == "cases_file":  # not the folder's name: the attack names the path itself
        return ta.file, [ta.id_secret, ta.hint_secret, ta.desc_secret]
    if target == "expected_json":
        return ta_oracle_path, [ta.id_secret]
    if target == "root_only":
        secret = secrets.token_hex(6)
        path = work / "private.txt"
        path.write_text(f"rootsecret_{secret} x;\n")  # a line a compiler quotes when it cannot parse it
        os.chmod(path, 0o600)
        return path, [secret]
    raise ValueError(target)


def leak_source(method, path, tok):
    if method == "include":
        return fixture_source("leak_include", SECRET_PATH=str(path))
    return fixture_source("leak_incbin", TOKEN=tok, SECRET_ASM=f'"{path}"')


@pytest.mark.parametrize("target, method, mode", [
    ("cases_file", "include", "single"), ("cases_file", "incbin", "single"),
    ("expected_json", "include", "single"), ("expected_json", "incbin", "single"),
    ("root_only", "include", "single"), ("root_only", "incbin", "single"),
    ("cases_file", "incbin", "batch"), ("expected_json", "include", "batch"),
])
def test_compile_cannot_read_secrets(target, method, mode, work, jail, ta, ta_oracle):
    """#include or .incbin of a TA's hidden case file, of the oracle's expected.json, of a
    root-only file: the secret appears nowhere in what the grading prints or writes."""
    path, hidden = secret_target(target, ta, ta_oracle, work)
    sub = student(work, {"unix_d_server": leak_source(method, path, token())})
    o = grade(mode, sub, work, k="us.hex_message", cases=[ta.dir], jail=jail)
    o.graded()
    seen = [s for s in hidden if s in o.everything()]
    assert not seen, f"{method} of {path} leaked {seen}:\n{o.outputs('unix_d_server')[:2000]}"


@pytest.mark.parametrize("method", ["include", "incbin"])
def test_gradescope_compile_cannot_read_the_hidden_cases(method, work, jail, ta, request):
    """Under Gradescope the TA's cases ship in the zip (source/cases_extra/): a submission
    including them must not see the hint of a hidden case (its id and description are shown
    legitimately, the case being graded)."""
    ag = request.getfixturevalue("autograder")
    path = ag.source / "cases_extra" / "1" / "ta.json"
    assert path.is_file(), "the zip no longer ships the TA's cases where this test looks"
    sub = student(work, {"unix_d_server": leak_source(method, path, token())})
    o = ag.grade(sub, jail)
    o.graded()
    assert ta.hint_secret not in o.everything(), f"{method} of {path} leaked the hidden hint"


# ---------------------------------------------------------------- 3. root acting on program paths

@needs_root
@pytest.mark.parametrize("mode", ["single", "level3"])
def test_root_does_not_follow_a_symlink_at_the_socket_path(mode, work, jail, request):
    """unix_d_server puts a link at its PATH to a socket in a root-only folder instead of
    binding: the grader (root) must not send its datagram through the link."""
    vault = work / "vault"
    vault.mkdir(mode=0o700)
    os.chmod(vault, 0o700)
    target = vault / "s"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(target))
        sub = student(work, {"unix_d_server": fixture_source("symlink_socket", TOKEN=token(), TARGET=str(target))})
        o = grade(mode, sub, work, k="us.hex_message or us.high_bytes or us.interop_reference_sender",
                  jail=jail, request=request)
        o.graded()
        s.setblocking(False)
        received = []
        with contextlib.suppress(BlockingIOError):
            while True:
                received.append(s.recv(65536))
    assert received == [], f"root followed the program's link and sent {received} to a root-only socket"


@needs_root
@pytest.mark.parametrize("mode", ["single", "level3"])
def test_case_folder_removal_does_not_follow_swapped_links(mode, work, jail, request):
    """A program leaves a process that keeps exchanging folders of its case folder with
    links to a root-only folder holding a canary: removing the case folder never removes
    the canary (a race: a few gradings, four cases each), and never begins while a
    process of the program still runs (the program leaves a witness when it sees that:
    a file in /tmp, and a datagram to this test)."""
    vault = work / "vault"
    vault.mkdir(mode=0o700)
    os.chmod(vault, 0o700)
    canary = vault / "canary"
    canary.write_text("alive\n")
    tok = token()
    witness = Path(f"/tmp/{tok}-witness")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ear:
        ear.bind(("127.0.0.1", 0))
        ear.setblocking(False)
        sub = student(work, {"unix_d_server": fixture_source("swap_dir", TOKEN=tok, TARGET=str(vault),
                                                             WITNESS_PORT=ear.getsockname()[1])})
        try:
            for attempt in range(3):
                o = grade(mode, sub, work, k="us.hex_message or us.high_bytes or us.nul_bytes or us.first_16_bytes",
                          jail=jail, request=request)
                jail.kill_all()
                kill_named(tok)
                o.graded()
                heard = []
                with contextlib.suppress(BlockingIOError):
                    while True:
                        heard.append(ear.recv(64))
                assert canary.exists(), f"grading {attempt + 1} removed a root-only file through the program's link"
                assert not witness.exists() and not heard, \
                    f"grading {attempt + 1} removed a case folder while a process of the program still ran in it"
        finally:
            jail.kill_all()
            kill_named(tok)
            remove_case_folders_linking_to(vault)
            with contextlib.suppress(OSError):
                witness.unlink()


# ---------------------------------------------------------------- 4. containment

@pytest.mark.parametrize("mode", ["single", "batch", pytest.param("level3", marks=needs_root)])
def test_no_process_outlives_the_grading(mode, work, jail, request):
    """Daemons (setsid, double fork) and a chain that keeps growing deeper, each process in
    a session of its own, faster than a sweep of the grader's children can take it: none is
    left when the grader has exited."""
    tok = token()
    sub = student(work, {"unix_d_server": fixture_source("escape_chain", TOKEN=tok)})
    try:
        o = grade(mode, sub, work, k="us.hex_message or us.high_bytes", jail=jail, request=request)
        named = processes_named(tok)
        jailed = jail.pids()
        o.graded()
        assert not named and not jailed, \
            f"processes left after the grading: {len(named)} named {tok}, {len(jailed)} in its cgroup"
    finally:
        jail.kill_all()
        kill_named(tok)


@pytest.mark.parametrize("mode", ["single", pytest.param("level3", marks=needs_root)])
def test_no_file_is_left_in_tmp_or_dev_shm(mode, work, jail, request):
    """A program makes a file and a folder in /tmp, a file, a POSIX shared memory object and a
    semaphore in /dev/shm: none of them is there after the grading (never made there, or
    removed)."""
    tok = token()
    sub = student(work, {"unix_d_server": fixture_source("tmp_files", TOKEN=tok)})
    try:
        o = grade(mode, sub, work, k="us.hex_message", jail=jail, request=request)
        left = glob.glob(f"/tmp/*{tok}*") + glob.glob(f"/dev/shm/*{tok}*")
        o.graded()
        assert not left, f"left behind: {left} (the program said {re.findall(r'MADE [0-9]', o.everything())})"
    finally:
        for path in glob.glob(f"/tmp/*{tok}*") + glob.glob(f"/dev/shm/*{tok}*"):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def sysv_keys(kind):
    """The keys of the System V IPC objects of KIND (shm, sem, msg) in this IPC namespace."""
    with open(f"/proc/sysvipc/{kind}") as fh:
        return {int(line.split()[0]) for line in fh.readlines()[1:] if line.strip()}


@pytest.mark.parametrize("mode", ["single", pytest.param("level3", marks=needs_root)])
def test_no_sysv_ipc_is_left(mode, work, jail, request):
    """A program makes a System V shared memory segment, semaphore set and message queue with
    a key of the test's: none of them is left in the machine's IPC namespace."""
    key = 0x1000000 + secrets.randbelow(0xEFFFFFF)
    sub = student(work, {"unix_d_server": fixture_source("sysv_ipc", TOKEN=token(), KEY=key)})
    try:
        o = grade(mode, sub, work, k="us.hex_message", jail=jail, request=request)
        left = [kind for kind in ("shm", "sem", "msg") if key in sysv_keys(kind)]
        o.graded()
        assert not left, f"System V IPC left with key {key}: {left} " \
                         f"(the program said {re.findall(r'IPC [01] [01] [01]', o.everything())})"
    finally:
        for flag in ("-M", "-S", "-Q"):
            subprocess.run(["ipcrm", flag, str(key)], capture_output=True)


def memory_cgroup_usable():
    v1 = Path("/sys/fs/cgroup/memory/cgroup.procs")
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    if v1.exists():
        return os.access(v1.parent, os.W_OK)
    return v2.exists() and "memory" in v2.read_text() and os.access(v2.parent, os.W_OK)


def slow_case_dir(work):
    """A case folder with one unix_d_server case that gives the program 20 s to bind (touching
    memory is slow on small virtual machines); its id is atk.slow_bind."""
    folder = open_dir(work / "slow-cases")
    (folder / "slow.json").write_text(json.dumps({"program": "unix_d_server", "cases": [{
        "id": "atk.slow_bind", "description": "a datagram, with time to spare", "requirement": "hex.",
        "why": "A test of the sandbox.", "category": "core", "points": 1, "scenario": "unix_server",
        "params": {"payload": "Message", "ready_ms": 20000}, "compare": ["stdout"], "hint": "-",
        "hidden": False}]}))
    return folder


def test_memory_is_bounded_for_the_whole_grading(work, jail):
    """Three children of one program each touch 450 MiB (each under the 1 GiB a process may
    have): the grading's 1 GiB stops at least one of them."""
    if not memory_cgroup_usable():
        pytest.skip("no cgroup memory controller this grader could use")
    sub = student(work, {"unix_d_server": fixture_source("memory_hog", TOKEN=token())})
    o = grade("single", sub, work, k="atk.slow_bind", cases=[slow_case_dir(work)], jail=jail)
    said = re.findall(r"MEM ([0-9])", o.outputs("unix_d_server"))
    if said:
        assert int(said[0]) <= 2, f"{said[0]} children held 450 MiB each at once"
    else:  # the program itself was stopped before it could count: blocked too
        assert "killed" in o.outputs("unix_d_server"), o.outputs("unix_d_server")[:2000]


def test_compile_of_dev_zero_is_bounded(work, jail):
    """#include "/dev/zero": the compile ends within its bound, within its memory, and the
    program scores 0 (this test's cgroup caps the host's loss at 3 GiB meanwhile)."""
    if not jail.memory:
        pytest.skip("no memory cgroup to keep the machine safe if the compile is not bounded")
    sub = student(work, {"unix_d_server": fixture_source("dev_zero")})
    o = grade("single", sub, work, k="us.hex_message", jail=jail)
    peak = jail.max_usage()
    got, top = o.score("unix_d_server")
    assert got == 0
    assert o.elapsed < COMPILE_BOUND_S, f"the grading took {o.elapsed:.0f} s"
    assert peak < 2 * GIB, f"the grading used {peak / GIB:.1f} GiB (the compile is not bounded in memory)"


def test_compile_of_a_huge_binary_fails(work, jail):
    """512 MiB of initialised static data in front of a correct program: over the compile's
    disk bound, so it does not compile (and scores 0)."""
    text = (FIXTURES / "big_array.c").read_text() + (ROOT / "reference" / "unix_d_server.c").read_text()
    sub = student(work, {"unix_d_server": text})
    o = grade("single", sub, work, k="us.hex_message", jail=jail)
    got, top = o.score("unix_d_server")
    assert got == 0 and "compile" in o.outputs("unix_d_server"), \
        f"a 512 MiB program compiled and scored {got}/{top}"


# ---------------------------------------------------------------- 5. looking around

@pytest.mark.parametrize("mode", ["single", "batch"])
def test_process_list_shows_no_secret_paths(mode, work, jail, ta, ta_oracle):
    """A program reads every /proc/*/cmdline for a while: the TA's hidden case folder, the
    oracle's folder and (in a batch) the classmates' folder names never show."""
    needles = [ta.folder_secret, ta_oracle.parent.name]
    if mode == "batch":
        for _ in range(3):
            name = token("mate")
            make_submission(open_dir(work / "batch") / name)
            needles.append(name)
    spec = "|".join(needles)[::-1]  # backwards: the source never holds them as such
    sub = student(work, {"unix_d_server": fixture_source("proc_cmdline", TOKEN=token(), NEEDLES=spec, SCAN_MS=700)},
                  name="a-snoop")
    o = grade(mode, sub, work, k="us.hex_message or us.high_bytes or us.nul_bytes", cases=[ta.dir], jail=jail)
    text = o.everything() if mode == "single" else "\n".join(o.files.values())  # a batch's stdout lists the class
    o.graded()
    seen = [n for n in needles if n in text]
    assert not seen, f"seen in the process list: {seen}\n{o.outputs('unix_d_server')[:2000]}"


def test_batch_program_cannot_read_classmates_or_the_out_folder(work, jail):
    """In a batch (2 at a time), z-mallory reads what it can of the --out folder (alice's
    report is there already), the batch folder, and the staged programs of carol, who is
    being graded at the same time: none of their secrets reaches mallory's results."""
    batch = open_dir(work / "batch")
    out = work / "grades"
    a1, a2, c1, c2 = (secrets.token_hex(5) for _ in range(4))
    alice = make_submission(batch / f"a-SECRET-{a1}")
    (alice / "unix_d_server.c").write_text(f"/* SECRET-{a2} */\n" + (alice / "unix_d_server.c").read_text())
    make_submission(batch / f"b-SECRET-{c1}", {"unix_d_server": fixture_source(
        "busy_secret", TOKEN=token(), SECRET=f"SECRET-{c2}")})
    mallory = make_submission(batch / "z-mallory", {"unix_d_server": fixture_source(
        "snoop", TOKEN=token(), OUTDIR=str(out), BATCHDIR=str(batch))})
    proc, _ = run_grader_raw(["--batch", batch, "--out", out, "--jobs", 2,
                              "-k", "us.hex_message or us.high_bytes or us.nul_bytes or us.first_16_bytes"],
                             jail=jail)
    mine = out / mallory.name
    assert (mine / "results.json").is_file(), proc.stderr.decode(errors="replace")[-2000:]
    text = "\n".join(p.read_text(errors="replace") for p in mine.iterdir() if p.is_file())
    seen = [s for s in (a1, a2, c1, c2) if s in text]
    found = re.findall(r"FOUND [^\"\\]*", text)
    assert not seen, f"mallory read classmates' secrets {seen}: {found[:8]}"


# ---------------------------------------------------------------- 6. isolation levels 2 and 3 as root

@needs_root
def test_level_2_is_refused_as_root():
    proc, _ = run_grader_raw([ROOT / "reference", "--isolation", "2", "-k", "us.hex_message"])
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, \
        f"--isolation 2 as root: exit {proc.returncode}, stderr {lines}"


class PrivateTree:
    """A copy of the grader (and its build folder) that only root may enter, as a TA sets it
    up for level 3, where files are hidden by their permissions: an attack on it spoils
    nothing the other tests use."""

    def __init__(self, base):
        self.root = base / "grader"
        shutil.copytree(ROOT, self.root, ignore=shutil.ignore_patterns(".git", "build", "tests", "__pycache__"))
        os.chmod(self.root, 0o700)
        (self.root / "tests").mkdir()
        shutil.copy2(ROOT / "tests" / "mutants.json", self.root / "tests" / "mutants.json")
        shutil.copytree(BUILD, self.root / "build", ignore=shutil.ignore_patterns("oracle", "CMakeFiles"))
        self.build = self.root / "build"
        self.env = dict(os.environ, GRADER_BUILD=str(self.build))
        self.out = base / "private-out"  # the results too are the grader's, not the programs'
        self.out.mkdir(mode=0o700)

    def run(self, args, jail=None):
        proc, elapsed = run_grader_raw(args, jail=jail, env=self.env, grader=self.root / "grader.py")
        return proc, elapsed

    def grade(self, sub, args, jail=None):
        results = self.out / f"results-{secrets.token_hex(3)}.json"
        proc, elapsed = self.run([sub, "--results", results, *args], jail)
        return Outcome(proc, elapsed, results, [results])


@pytest.fixture
def private_tree(work):
    """A private grader for one test (one that may spoil it)."""
    return PrivateTree(work)


@pytest.fixture(scope="module")
def level3_tree(module_dir):
    """A private grader shared by the tests that grade at level 3 and spoil nothing."""
    if not IS_ROOT:
        pytest.skip("level 3 is the level of root without namespaces")
    return PrivateTree(open_dir(module_dir / "level3"))


@needs_root
def test_level_3_programs_are_unprivileged_and_cannot_kill(work, jail, private_tree):
    """At level 3 (no namespaces) a program prints its euid (never 0) and signals its parent
    and every process it may: the grading completes and the other four keep full marks."""
    tok = token()
    sub = student(work, {"unix_d_server": fixture_source("level3_hostile", TOKEN=tok)})
    try:
        o = private_tree.grade(sub, ["--isolation", "3"], jail)
    finally:
        remove_staged_copies(tok)
    said = re.findall(r"EUID ([0-9]+)", o.everything())
    assert said and all(int(u) != 0 for u in said), f"euid seen: {said or 'nothing'}; exit {o.rc}: " \
                                                       f"{o.stderr[-800:]}"
    assert o.rc == 1 and "isolation: level 3" in o.stdout, (o.rc, o.stdout[-1500:], o.stderr[-800:])
    for p in PROGRAMS:
        got, top = o.score(p)
        if p != "unix_d_server":
            assert got == top, f"{p} lost points next to a program that signals everything"


@needs_root
def test_level_3_program_cannot_write_the_oracle(work, jail, private_tree):
    """At level 3 a program opens build/oracle/*/expected.json for writing: the file stays as
    it was, and the reference graded next still gets full marks."""
    first, _ = private_tree.run([ROOT / "reference", "--isolation", "3", "-q"])
    assert first.returncode == 0, first.stderr.decode(errors="replace") + first.stdout.decode(errors="replace")
    oracles = glob.glob(str(private_tree.build / "oracle" / "*" / "expected.json"))
    assert len(oracles) == 1, oracles
    before = Path(oracles[0]).read_bytes()
    sub = student(work, {"unix_d_server": fixture_source("write_oracle", TOKEN=token(), ORACLE=oracles[0])})
    o = private_tree.grade(sub, ["--isolation", "3", "-k", "us.hex_message"], jail)
    after = Path(oracles[0]).read_bytes()
    again, _ = private_tree.run([ROOT / "reference", "--isolation", "3", "-q"])
    said = re.findall(r"WROTE|NO-WRITE [A-Za-z ]*", o.everything())
    assert after == before, f"the program rewrote the oracle (it said {said})"
    assert again.returncode == 0, again.stdout.decode(errors="replace")[-1500:]


@pytest.mark.parametrize("level", ["1", pytest.param("3", marks=needs_root)])
def test_program_cannot_forge_a_kept_verdict(level, work, jail, private_tree):
    """A batch keeps verdicts (OUT/.cache); a student whose unix_d_server failed us.high_bytes
    resubmits with a tcp_client that rewrites that kept verdict as a pass: the kept verdicts
    stay as they were, and the next regrade (a case added) still fails us.high_bytes."""
    klass = work / "private-batch"
    klass.mkdir(mode=0o700)
    out = private_tree.out / "grades"
    mutants = {m["name"]: m for m in json.loads((ROOT / "tests" / "mutants.json").read_text())}
    mallory = build_mutant(mutants["us_signed_char_buffer"], klass / "mallory")
    k = ["-k", "us.high_bytes or cl.sends_line", "--isolation", level]
    first, _ = private_tree.run(["--batch", klass, "--out", out, *k], jail)
    assert first.returncode == 0, first.stderr.decode(errors="replace")[-1500:]
    kept = [p for p in (out / ".cache").rglob("verdicts.json") if b'"us.high_bytes"' in p.read_bytes()]
    assert len(kept) == 1, kept
    before = kept[0].read_bytes()
    forged = {key: dict(v, verdict="pass", reason="", mismatch=[]) for key, v in json.loads(before).items()}
    tok = token()
    (mallory / "tcp_client.c").write_text(fixture_source("write_cache", TOKEN=tok, TARGET=str(kept[0]),
                                                         CONTENT=json.dumps(forged)))
    try:
        attacked, _ = private_tree.run(["--batch", klass, "--out", out, *k], jail)
    finally:
        remove_staged_copies(tok)
    reports = "\n".join(p.read_text(errors="replace") for p in (out / "mallory").iterdir())
    said = re.findall(r"WROTE|NO-WRITE [A-Za-z ]*", reports)
    assert said and "WROTE" not in said, f"the program said {said}: {attacked.stderr.decode(errors='replace')[-800:]}"
    assert kept[0].read_bytes() == before, "the program rewrote a kept verdict"
    ta = TA(work)  # a case added after the deadline: mallory is graded again, through the cache
    os.chmod(ta.dir, 0o700)  # as a TA keeps it at level 3
    again, _ = private_tree.run(["--batch", klass, "--out", out, *k, "--cases", ta.dir], jail)
    assert again.returncode == 0, again.stderr.decode(errors="replace")[-1500:]
    results = json.loads((out / "mallory" / "results.json").read_text())
    assert [t["status"] for t in results["tests"] if t["name"].startswith("us.high_bytes:")] == ["failed"]


@needs_root
@pytest.mark.parametrize("target", ["cases_file", "expected_json"])
def test_level_3_compile_cannot_read_secrets(target, work, jail, private_tree):
    """At level 3 the compile (.incbin) of the TA's case file or the oracle's expected.json,
    both inside the root-only grader tree, leaks nothing."""
    ta = TA(private_tree.root)
    first, _ = private_tree.run([ROOT / "reference", "--isolation", "3", "--cases", ta.dir, "-k",
                                 "us.hex_message", "-q"])
    assert first.returncode == 0, first.stderr.decode(errors="replace")
    path = ta.file if target == "cases_file" else find_oracle(ta.case_id, private_tree.build)
    assert path is not None
    sub = student(work, {"unix_d_server": leak_source("incbin", path, token())})
    o = private_tree.grade(sub, ["--isolation", "3", "--cases", ta.dir, "-k", "us.hex_message"], jail)
    o.graded()
    hidden = [ta.id_secret, ta.hint_secret, ta.desc_secret] if target == "cases_file" else [ta.id_secret]
    seen = [s for s in hidden if s in o.everything()]
    assert not seen, f".incbin of {path} at level 3 leaked {seen}"


# ---------------------------------------------------------------- 7. injection into the reports

INJECT = {"@OSC52@": b"\x1b]52;c;cHduZWQ=\x07", "@CSI@": b"\x1b[2J", "@SOH@": b"\x01", "@CR@": b"\r",
          "@C1@": "\u009b".encode()}


def injected_error_source():
    data = (FIXTURES / "inject_error.c").read_bytes()
    for mark, raw in INJECT.items():
        data = data.replace(mark.encode(), raw)
    return data


def control_characters(text):
    """The raw control characters in TEXT (C0, DEL, C1, and the bytes 0x80-0x9f that are not
    UTF-8, which 8-bit terminals read as C1), newline and tab aside. TEXT is decoded with
    surrogateescape."""
    return sorted({repr(ch) for ch in text if (unicodedata.category(ch) == "Cc" and ch not in "\n\t")
                   or "\udc80" <= ch <= "\udc9f"})


@pytest.mark.parametrize("mode", ["single", "batch"])
def test_reports_carry_no_raw_control_characters(mode, work, jail):
    """A compile error made of escape sequences (OSC 52, a screen clear, 0x01, a carriage
    return before a forged total line, U+009B) and a program printing the same: the text
    report has no raw control character and one total line; the JUnit XML parses."""
    sub = student(work, {"unix_d_server": injected_error_source(),
                         "tcp_client": fixture_source("inject_output", TOKEN=token())})
    env = dict(os.environ, NO_COLOR="1")
    o = grade(mode, sub, work, k="us.hex_message or cl.prints_reply or cl.exits_when_server_closes",
              jail=jail, env=env)
    o.graded()
    if mode == "single":
        report = o.raw_stdout.decode(errors="surrogateescape")
        junit = next(f for f in o.files if f.endswith("junit.xml"))
        try:
            ET.parse(junit)
        except ET.ParseError as e:
            pytest.fail(f"the JUnit XML does not parse: {e}")
    else:
        report = Path(next(f for f in o.files if f.endswith("report.txt"))).read_bytes().decode(
            errors="surrogateescape")
    bad = control_characters(report)
    assert not bad, f"raw control characters in the text report: {bad}"
    totals = [ln for ln in report.splitlines() if ln.startswith("Total:")]
    assert len(totals) == 1 and not totals[0].startswith("Total: 109/109"), totals
