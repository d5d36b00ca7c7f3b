"""Shared helpers for the grader's own tests."""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = ["unix_d_server", "unix_d_send", "tcp_qq_srver", "tcp_client", "tcp_echo_serverSR"]
# the points of every case in cases/*.json: full marks
TOTAL_POINTS = sum(c["points"] for f in (ROOT / "cases").glob("*.json") for c in json.loads(f.read_text())["cases"])


def run_grader(*args, timeout=300):
    """Runs grader.py with this interpreter; returns the CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / "grader.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def grade_json(submission, tmp_path, *extra):
    """Grades a submission with --results; returns (process, results dict)."""
    out = tmp_path / "results.json"
    proc = run_grader(submission, "--results", out, *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(out.read_text())


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
