"""Hostile submissions: each is graded within a bound, gets a clear verdict on
the hostile program, full marks on the other four, and leaves no process."""
import concurrent.futures
import json
import os
import secrets
import shutil
import time

import pytest

from conftest import PROGRAMS, ROOT, run_grader, scores_by_program

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
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == token:
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


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


def secret_prefix():
    secret = ROOT / "reference" / "unix_d_server.c"
    return f'#define SECRET_PATH "{secret}"\n', secret.read_text().splitlines()[0]


def level_available(level):
    proc = run_grader(ROOT / "reference", "--isolation", str(level), "-k", "us.hex_message", "-q")
    return proc.returncode == 0


@pytest.mark.parametrize("level", [1, 2])
def test_hidden_files_cannot_be_read(tmp_path, level):
    if not level_available(level):
        pytest.skip(f"isolation level {level} is not available on this machine")
    prefix, first_line = secret_prefix()
    sub, _ = submission_with(tmp_path, "read_secret", "unix_d_server", prefix=prefix)
    proc, results, _ = grade(sub, tmp_path, "--isolation", str(level), "-k", "us.hex_message")
    out = results["tests"][0]["output"]
    assert "NO-SECRET" in out and first_line not in out and "SECRET /*" not in out
    assert f"isolation: level {level}" in proc.stdout


def test_level_3_says_files_are_not_hidden(tmp_path):
    prefix, first_line = secret_prefix()
    sub, _ = submission_with(tmp_path, "read_secret", "unix_d_server", prefix=prefix)
    proc, results, _ = grade(sub, tmp_path, "--isolation", "3", "-k", "us.hex_message")
    assert "isolation: level 3" in proc.stdout and "files are not hidden" in proc.stdout
    assert first_line in results["tests"][0]["output"]  # the documented weakness of level 3


@pytest.mark.parametrize("level", [1, 2, 3])
def test_reference_full_marks_at_every_level(level):
    if not level_available(level):
        pytest.skip(f"isolation level {level} is not available on this machine")
    proc = run_grader(ROOT / "reference", "--isolation", str(level))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f"isolation: level {level}" in proc.stdout


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
