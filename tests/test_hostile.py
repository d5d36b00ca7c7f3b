"""Hostile submissions: each is graded within a bound, gets a clear verdict on
the hostile program, full marks on the other four, and leaves no process."""
import concurrent.futures
import json
import os
import pathlib
import secrets
import shutil
import tempfile
import time

import pytest

from conftest import (CORRECT_VARIANTS, NOBODY, PROGRAMS, ROOT, TOTAL_POINTS, processes_named, readable_copy,
                      run_grader, run_grader_copy, scores_by_program, submission_folder)

FIXTURES = ROOT / "tests" / "fixtures" / "hostile"
BOUND_S = 60  # generous: a hung program costs one full wait, then fast-fails

# fixture, the program it replaces, a phrase every failed case of that program shows
HOSTILE = [
    ("hang", "tcp_qq_srver", "did not listen"),
    ("ignore_signals", "unix_d_server", "no socket was bound"),
    ("fork_children", "tcp_echo_serverSR", "did not listen"),
    ("escape", "unix_d_send", ""),
    ("flood", "tcp_client", ""),
    ("segfault", "unix_d_server", "killed by SIGSEGV"),
    ("no_compile", "tcp_client", "does not compile"),
    ("stdin_forever", "tcp_client", ""),
    ("fixed_port", "tcp_qq_srver", ""),
]


def hostile_pids(token):
    """Processes a fixture started: it names itself (and its children) token."""
    return processes_named(token)


def submission_with(tmp_path, fixture, program, name="submission", prefix=""):
    """The reference with one program replaced by a fixture, renamed to a token of its own
    so that parallel tests tell their processes apart. Returns (folder, token)."""
    dest = tmp_path / name
    shutil.copytree(ROOT / "reference", dest)
    token = "h" + secrets.token_hex(4)
    source = (FIXTURES / f"{fixture}.c").read_text().replace('"hostile"', f'"{token}"')
    (dest / f"{program}.c").write_text(prefix + source)
    return dest, token


def grade(submission, tmp_path, *extra, tag="r"):
    out = tmp_path / f"results-{tag}.json"
    t0 = time.monotonic()
    proc = run_grader(submission, "--results", out, *extra, timeout=BOUND_S * 3)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    return proc, json.loads(out.read_text()), elapsed


@pytest.mark.parametrize("fixture, program, phrase", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_submission(tmp_path, fixture, program, phrase):
    sub, token = submission_with(tmp_path, fixture, program)
    proc, results, elapsed = grade(sub, tmp_path)
    assert elapsed < BOUND_S
    per = scores_by_program(results)
    for p in PROGRAMS:
        if p != program:
            assert per[p][0] == per[p][1], f"{p} lost points next to a hostile {program}"
    assert per[program][0] < per[program][1]
    failed = [t for t in results["tests"] if t["tags"][0] == program and t["status"] == "failed"]
    assert failed
    if phrase:
        assert any(phrase in t["output"] for t in failed), failed[0]["output"]
    for t in results["tests"]:
        assert len(t["output"]) < 20000, "a flood must be cut in the feedback"
    assert hostile_pids(token) == [], "the grader left a hostile process running"


def test_flood_is_cut_and_marked(tmp_path):
    _, results, _ = grade(submission_with(tmp_path, "flood", "tcp_client")[0], tmp_path, "-k", "cl.prints_reply")
    out = results["tests"][0]["output"]
    assert "flood flood" in out and "cut" in out


def test_parallel_gradings_on_one_fixed_port_agree(tmp_path):
    """Two gradings of a server hard-wired to one port, at once, score as one alone."""
    subs = [submission_with(tmp_path, "fixed_port", "tcp_qq_srver", name=f"s{i}")[0] for i in range(2)]
    _, alone, _ = grade(subs[0], tmp_path, "-k", "qq.", tag="alone")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda i: grade(subs[i], tmp_path, "-k", "qq.", tag=f"p{i}")[1], range(2)))

    def scores(r):
        return sorted((t["name"], t["score"]) for t in r["tests"])
    assert scores(both[0]) == scores(both[1]) == scores(alone)


def secret_prefix(root=ROOT):
    secret = root / "reference" / "unix_d_server.c"
    return f'#define SECRET_PATH "{secret}"\n', secret.read_text().splitlines()[0]


def grade_at_level(level, submission, tmp_path, private_grader, nobody_grader, *extra):
    """Grades SUBMISSION at isolation LEVEL where this machine can: level 1 from the
    tree as root, level 3 from a copy only root can read, levels 2 and 4 from a copy
    owned by the user nobody, as nobody. Returns (process, results, grader root)."""
    out = tmp_path / f"results-{level}.json"
    if level == 1:
        proc = run_grader(submission, "--results", out, "--isolation", "1", *extra)
        return proc, json.loads(out.read_text()) if out.exists() else None, ROOT
    if level == 3:
        proc = run_grader_copy(private_grader, submission, "--results", out, "--isolation", "3", *extra)
        return proc, json.loads(out.read_text()) if out.exists() else None, private_grader
    shared = pathlib.Path(tempfile.mkdtemp(prefix="nobody-out-"))
    try:
        os.chmod(shared, 0o777)
        sub = readable_copy(submission, shared)
        out = shared / "results.json"
        proc = run_grader_copy(nobody_grader, sub, "--results", out, "--isolation", str(level), *extra,
                               user=NOBODY)
        return proc, json.loads(out.read_text()) if out.exists() else None, nobody_grader
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_hidden_files_cannot_be_read(tmp_path, level, private_grader, nobody_grader):
    """A program that opens the grader's reference source by its absolute path reads nothing."""
    root = {1: ROOT, 2: nobody_grader, 3: private_grader}[level]
    prefix, first_line = secret_prefix(root)
    sub, _ = submission_with(tmp_path, "read_secret", "unix_d_server", prefix=prefix)
    proc, results, _ = grade_at_level(level, sub, tmp_path, private_grader, nobody_grader, "-k", "us.hex_message")
    assert proc.returncode == 1, proc.stderr
    out = results["tests"][0]["output"]
    assert "NO-SECRET" in out and first_line not in out and "SECRET /*" not in out
    assert f"isolation: level {level}" in proc.stdout


def test_level_4_says_files_are_not_hidden(tmp_path, private_grader, nobody_grader):
    prefix, first_line = secret_prefix(nobody_grader)
    sub, _ = submission_with(tmp_path, "read_secret", "unix_d_server", prefix=prefix)
    proc, results, _ = grade_at_level(4, sub, tmp_path, private_grader, nobody_grader, "-k", "us.hex_message")
    assert "isolation: level 4" in proc.stdout and "files are not hidden" in proc.stdout
    assert first_line in results["tests"][0]["output"]  # the documented weakness of level 4


@pytest.mark.parametrize("level, why", [(2, "uid 0"), (3, "readable by other users"), (4, "uid 0")])
def test_levels_that_would_be_weak_as_root_are_refused(level, why):
    """Started as root, level 2 and 4 would run programs as uid 0, and level 3 from a tree
    others can read would show them the grader's files: refused with one line, exit 2."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if level == 3 and os.stat(ROOT).st_mode & 0o005 == 0:
        pytest.skip("this tree is not readable by other users")
    proc = run_grader(ROOT / "reference", "--isolation", str(level), "-k", "us.hex_message")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"isolation level {level} is not available here" in lines[0] and why in lines[0]


@pytest.mark.parametrize("submission", ["reference", *CORRECT_VARIANTS])
@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_correct_submissions_full_marks_at_every_level(tmp_path, level, submission, private_grader,
                                                       nobody_grader):
    path = ROOT / "reference" if submission == "reference" else submission_folder(submission, tmp_path)
    proc, results, _ = grade_at_level(level, path, tmp_path, private_grader, nobody_grader)
    if level == 2 and proc.returncode == 2 and "user namespace" in proc.stderr:
        pytest.skip("unprivileged user namespaces are not allowed here")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert f"isolation: level {level}" in proc.stdout
    assert results["score"] == TOTAL_POINTS


def test_a_program_signalling_everything_spares_parallel_gradings(tmp_path):
    """kill(-1, SIGKILL) reaches only the programs of its own grading (level 1: a uid
    per probe run); a correct submission graded at the same time keeps full marks."""
    if os.geteuid() != 0:
        pytest.skip("needs isolation level 1 (root): elsewhere kill(-1) would reach the grader itself")
    hostile, token = submission_with(tmp_path, "kill_all", "tcp_echo_serverSR", name="hostile")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        bad = pool.submit(grade, hostile, tmp_path, "--isolation", "1", tag="hostile")
        good = pool.submit(run_grader, ROOT / "reference", "--isolation", "1", "-q", timeout=BOUND_S * 3)
        proc = good.result()
        bad.result()
    assert proc.returncode == 0, proc.stdout
    assert hostile_pids(token) == []


def test_a_program_signalling_everything_at_level_2_spares_the_grader(tmp_path, private_grader, nobody_grader):
    """At level 2 programs keep the grader's uid: kill(-1, SIGKILL) would reach the grader
    itself, but the box's processes live in a pid namespace of their own."""
    hostile, token = submission_with(tmp_path, "kill_all", "tcp_echo_serverSR", name="hostile")
    proc, results, _ = grade_at_level(2, hostile, tmp_path, private_grader, nobody_grader)
    if proc.returncode == 2 and "user namespace" in proc.stderr:
        pytest.skip("unprivileged user namespaces are not allowed here")
    assert proc.returncode == 1, proc.stderr
    per = scores_by_program(results)
    assert all(per[p][0] == per[p][1] for p in PROGRAMS if p != "tcp_echo_serverSR"), per
    assert hostile_pids(token) == []
