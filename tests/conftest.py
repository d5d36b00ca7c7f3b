"""Shared helpers for the grader's own tests."""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = ["unix_d_server", "unix_d_send", "tcp_qq_srver", "tcp_client", "tcp_echo_serverSR"]
# correct submissions written differently from the reference (tests/submissions/): each must
# get full marks, every time
CORRECT_VARIANTS = ["variant_fork", "variant_sr", "variant_threads", "variant_prefork", "variant_pool"]
# the points of every case in cases/*.json: full marks
TOTAL_POINTS = sum(c["points"] for f in (ROOT / "cases").glob("*.json") for c in json.loads(f.read_text())["cases"])


def run_grader(*args, timeout=300, env=None):
    """Runs grader.py with this interpreter (and os.environ updated with ENV); returns the
    CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / "grader.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, **(env or {})))


def grade_json(submission, tmp_path, *extra):
    """Grades a submission with --results; returns (process, results dict)."""
    out = tmp_path / "results.json"
    proc = run_grader(submission, "--results", out, *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(out.read_text())


def build_mutant(mutant, folder):
    """FOLDER made a copy of the reference with MUTANT's edits applied to its program (a
    mutant of tests/mutants.json or tests/slow_bugs.json). Returns FOLDER."""
    folder.mkdir()
    for src in (ROOT / "reference").glob("*.c"):
        shutil.copy(src, folder)
    path = folder / f"{mutant['program']}.c"
    text = path.read_text()
    for e in mutant["edits"]:
        assert text.count(e["find"]) == 1, f"{mutant['name']}: find text not there exactly once"
        text = text.replace(e["find"], e["replace"])
    path.write_text(text)
    return folder



def scores_by_program(results):
    """{program: (score, max)} from a results.json."""
    per = {}
    for t in results["tests"]:
        s = per.setdefault(t["tags"][0], [0, 0])
        s[0] += t["score"]
        s[1] += t["max_score"]
    return {p: tuple(v) for p, v in per.items()}


def failed_ids(results):
    return {t["name"].split(":")[0] for t in results["tests"] if t["status"] == "failed"}


@pytest.fixture
def reference_copy(tmp_path):
    """A fresh copy of the reference submission, to break on purpose."""
    dest = tmp_path / "submission"
    shutil.copytree(ROOT / "reference", dest)
    return dest


# What a copy of the grader needs to grade (its build folder gets the two tools only: the
# oracle is recorded anew in the copy).
GRADER_FILES = ["grader.py", "reports.py", "platforms", "batch.py", "verdict_cache.py", "similarity.py", "assignments.py",
                "CMakeLists.txt", "CMakePresets.json", "harness", "reference", "cases", "assignments"]
NOBODY = 65534


def copy_grader(dest, owner=None):
    """A copy of the grader at DEST (its build folder holding the probe and compile tools
    of this build), owned by uid OWNER when given. Returns DEST."""
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True)
    for item in GRADER_FILES:
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / item)
    build = pathlib.Path(os.environ.get("GRADER_BUILD", ROOT / "build"))
    (dest / "build" / "harness").mkdir(parents=True)
    for tool in ("probe", "compile"):
        shutil.copy2(build / "harness" / tool, dest / "build" / "harness" / tool)
    if owner is not None:
        for path in [dest, *dest.rglob("*")]:
            os.lchown(path, owner, owner)
    return dest


@pytest.fixture(scope="session")
def private_grader(tmp_path_factory):
    """A copy of the grader in a folder only root can enter, as isolation level 3 (root
    without namespaces, e.g. in a container) requires: it hides the grader's files from the
    programs by their permissions and refuses to grade when other users could read them."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    base = tmp_path_factory.mktemp("private")
    os.chmod(base, 0o700)
    return copy_grader(base / "grader")


@pytest.fixture(scope="session")
def nobody_grader(tmp_path_factory):
    """A copy of the grader owned by the unprivileged user nobody, to grade as a student
    would on a laptop (isolation levels 2 and 4)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make the copy and take the user")
    base = pathlib.Path(tempfile.mkdtemp(prefix="grader-nobody-"))
    os.chmod(base, 0o755)
    yield copy_grader(base / "grader", owner=NOBODY)
    shutil.rmtree(base, ignore_errors=True)


def run_grader_copy(copy, *args, user=None, wrapper=(), timeout=300):
    """Runs the grader copy COPY (its own build folder), as uid USER when given, under
    WRAPPER (a command prefix, e.g. the Docker-like runner); the CompletedProcess."""
    env = dict(os.environ, GRADER_BUILD=str(copy / "build"), HOME="/nonexistent")
    prefix = list(wrapper)
    if user is not None:
        prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *prefix]
    return subprocess.run([*prefix, "/usr/bin/python3", str(copy / "grader.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env,
                          cwd=str(copy))


def readable_copy(src, parent):
    """A copy of folder SRC in a new folder under PARENT that the user nobody can read (a
    submission for a grading as nobody)."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="sub-", dir=parent))
    os.chmod(base, 0o755)
    dest = base / pathlib.Path(src).name
    shutil.copytree(src, dest)
    for path in [dest, *dest.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return dest


@pytest.fixture(scope="session")
def docker_like(tmp_path_factory):
    """tests/docker_like.c compiled: runs a command with Docker's default capabilities and
    (an approximation of) its default seccomp profile; its path."""
    if os.geteuid() != 0:
        pytest.skip("the runner drops root's capabilities: needs root")
    exe = tmp_path_factory.mktemp("docker_like") / "docker_like"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(exe), str(ROOT / "tests" / "docker_like.c")],
                   check=True, capture_output=True, timeout=120)
    return str(exe)


def processes_named(name):
    """The pids of the processes whose name (/proc/PID/comm) is NAME: a fixture names
    itself (and its children) with a token of its own, so parallel tests tell theirs apart."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == name:
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def extract_with_modes(zip_path, dest):
    """Unzips as Gradescope does, keeping the executable bits."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, dest)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(dest / info.filename, stat.S_IMODE(mode))


def submission_folder(name, parent):
    """tests/submissions/NAME made whole at PARENT/NAME and returned: a variant holds only
    the programs it writes its own way (with its own .h files); the others are the
    reference's."""
    dest = pathlib.Path(parent) / name
    shutil.copytree(ROOT / "reference", dest)
    for f in (ROOT / "tests" / "submissions" / name).iterdir():
        shutil.copy2(f, dest / f.name)
    return dest
