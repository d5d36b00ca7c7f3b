"""Batch grading (--batch): a class folder in, a gradebook out, resumable, any --jobs."""
import concurrent.futures
import csv
import json
import os
import pty
import re
import shutil
import statistics
import subprocess
import sys

import pytest

from conftest import PROGRAMS, ROOT, TOTAL_POINTS, grade_json, run_grader, scores_by_program

HEADER = ["name", "total", "max", *PROGRAMS, "status"]
NAMES = ["broken_client", "empty", "lecture", "reference"]


def make_class(folder):
    """The class: the reference, the lecture's code, one whose tcp_client.c does not compile,
    an empty folder, and a file that is not a submission."""
    shutil.copytree(ROOT / "reference", folder / "reference")
    shutil.copytree(ROOT / "tests" / "submissions" / "lecture", folder / "lecture")
    shutil.copytree(ROOT / "reference", folder / "broken_client")
    (folder / "broken_client" / "tcp_client.c").write_text("int main(void) { return undeclared; }\n")
    (folder / "empty").mkdir()
    (folder / "notes.txt").write_text("not a submission\n")
    return folder


def read_csv(out):
    with open(out / "grades.csv", newline="") as fh:
        return list(csv.reader(fh))


def verdicts(results):
    """What a results.json decides, without the output text (it names the ports of that run)
    and the time each case took."""
    return [dict({k: v for k, v in t.items() if k not in ("output", "extra_data")},
                 verdict=t["extra_data"]["verdict"]) for t in results["tests"]]


def outline(report):
    """A report's headings, builds, program scores and failed case ids, without the time and the
    observations (they name the ports of that run)."""
    return [line for line in report.splitlines()[:-1] if re.match(r"(\S|  \S)", line)]


def batch(klass, out, *extra):
    return run_grader("--batch", klass, "--out", out, *extra)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded with --jobs 1 and with --jobs 2: (class folder, {jobs: (process, OUT)})."""
    root = tmp_path_factory.mktemp("batch")
    klass = make_class(root / "class")
    return klass, {jobs: (batch(klass, root / f"out{jobs}", "--jobs", jobs), root / f"out{jobs}") for jobs in (1, 2)}


@pytest.fixture(scope="module")
def alone(graded, tmp_path_factory):
    """Each submission graded alone with --results: {name: (process, results)}."""
    klass, _ = graded
    root = tmp_path_factory.mktemp("alone")

    def one(name):
        (root / name).mkdir()
        return name, grade_json(klass / name, root / name)

    with concurrent.futures.ThreadPoolExecutor(len(NAMES)) as pool:
        return dict(pool.map(one, NAMES))


def test_batch_equals_grading_each_alone(graded, alone):
    _, runs = graded
    proc, out = runs[1]
    assert proc.returncode == 0, proc.stderr
    rows = read_csv(out)
    assert rows[0] == HEADER
    assert [r[0] for r in rows[1:]] == NAMES  # sorted, notes.txt ignored
    progress = []
    for row in rows[1:]:
        name = row[0]
        single_proc, single = alone[name]
        per = scores_by_program(single)
        top = sum(t["max_score"] for t in single["tests"])
        assert row == [name, str(single["score"]), str(top), *(str(per[p][0]) for p in PROGRAMS), "graded"]
        results = json.loads((out / name / "results.json").read_text())
        assert results["score"] == single["score"] and verdicts(results) == verdicts(single)
        report = (out / name / "report.txt").read_text()
        assert outline(report) == outline(single_proc.stdout)
        assert report.splitlines()[-1].startswith(f"Total: {single['score']}/{top}  (")
        progress.append(f"{len(progress) + 1}/{len(NAMES)} {name} {single['score']}/{top}")
    # not a terminal: one plain line per submission, then what the verdict cache saved
    assert proc.stderr.splitlines()[:-1] == progress
    assert re.fullmatch(r"cache: \d+ verdicts reused, \d+ cases run, \d+ programs compiled \(.*\.cache\)",
                        proc.stderr.splitlines()[-1])
    assert not (out / "notes.txt").exists()


def test_jobs_1_and_2_give_the_same_grades(graded):
    _, runs = graded
    assert runs[2][0].returncode == 0, runs[2][0].stderr
    assert (runs[1][1] / "grades.csv").read_text() == (runs[2][1] / "grades.csv").read_text()


def test_summary_counts_failed_cases_most_failed_first(graded):
    _, runs = graded
    out = runs[2][1]
    failures = {}
    for name in NAMES:
        for t in json.loads((out / name / "results.json").read_text())["tests"]:
            if t["status"] == "failed":
                failures[t["name"].split(":")[0]] = failures.get(t["name"].split(":")[0], 0) + 1
    summary = (out / "summary.txt").read_text()
    assert runs[2][0].stdout == summary
    totals = [int(r[1]) for r in read_csv(out)[1:]]
    assert "Submissions: 4 (4 graded, 0 could not be graded)" in summary
    assert f"Mean total: {statistics.mean(totals):.1f}/{TOTAL_POINTS}" in summary
    assert f"Median total: {statistics.median(totals):g}/{TOTAL_POINTS}" in summary
    listed = [line.split()[:2] for line in summary.split("most failed first):\n")[1].splitlines()]
    assert sorted(failures.items()) == sorted((cid.rstrip(":"), int(n)) for n, cid in listed)
    counts = [int(n) for n, _ in listed]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3  # the client fails in 3 of 4


def test_resume_regrades_only_missing_or_changed(graded, tmp_path):
    klass, runs = graded
    shutil.copytree(klass, tmp_path / "class")
    shutil.copytree(runs[2][1], tmp_path / "out")
    klass, out = tmp_path / "class", tmp_path / "out"
    shutil.rmtree(out / "reference")
    with open(klass / "broken_client" / "unix_d_server.c", "a") as fh:
        fh.write("/* resubmitted */\n")
    before = {n: (out / n / "fingerprint.txt").stat().st_mtime_ns for n in NAMES if n != "reference"}
    proc = batch(klass, out, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("cache: ")]
    assert sorted(line for line in lines if line.startswith("skipped")) == \
        ["skipped (already graded): empty", "skipped (already graded): lecture"]
    assert sorted(line.split()[1] for line in lines if not line.startswith("skipped")) == ["broken_client", "reference"]
    after = {n: (out / n / "fingerprint.txt").stat().st_mtime_ns for n in NAMES}
    assert [n for n in NAMES if before.get(n) != after[n]] == ["broken_client", "reference"]
    assert read_csv(out) == read_csv(runs[2][1])  # every row, the skipped ones from their results.json


def test_an_ungradable_submission_is_an_error_row_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(ROOT))
    import grader
    for name in ("crashes", "probe_fails", "fine"):
        (tmp_path / "class" / name).mkdir(parents=True)
    real = grader.compile_program

    def compile_program(src, program, out, *box):
        if src.endswith("crashes"):
            raise ZeroDivisionError("division by zero")
        if src.endswith("probe_fails"):
            raise grader.GraderError("the probe did not finish tcp_client within 600 s")
        return real(src, program, out, *box)

    monkeypatch.setattr(grader, "compile_program", compile_program)
    args = ["--batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "-q"]
    assert grader.main(args) == 1
    assert read_csv(tmp_path / "out")[1:] == [
        ["crashes", "", "", "", "", "", "", "", "error: ZeroDivisionError: division by zero"],
        ["fine", "0", str(TOTAL_POINTS), "0", "0", "0", "0", "0", "graded"],
        ["probe_fails", "", "", "", "", "", "", "", "error: the probe did not finish tcp_client within 600 s"]]
    assert "ZeroDivisionError" in (tmp_path / "out" / "crashes" / "error.txt").read_text()
    assert not (tmp_path / "out" / "crashes" / "results.json").exists()
    assert "crashes: ZeroDivisionError" in (tmp_path / "out" / "summary.txt").read_text()
    monkeypatch.setattr(grader, "compile_program", real)  # fixed: a rerun grades what failed, skips the rest
    capsys.readouterr()
    assert grader.main(args) == 0
    assert capsys.readouterr().err.splitlines()[0] == "skipped (already graded): fine"
    assert [r[-1] for r in read_csv(tmp_path / "out")[1:]] == ["graded"] * 3


def test_progress_bar_on_a_terminal(tmp_path):
    shutil.copytree(ROOT / "reference", tmp_path / "class" / "reference")
    controller, terminal = pty.openpty()
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), "--batch", str(tmp_path / "class"),
                           "--out", str(tmp_path / "out"), "-k", "us.hex_message", "-q"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal, timeout=120)
    os.close(terminal)
    err = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        err += chunk
    os.close(controller)
    assert proc.returncode == 0
    err = err.decode()
    assert "\r[##########] 1/1  ETA 0s  last: reference" in err
    assert "1/1 reference 4/4" not in err  # never both


@pytest.mark.parametrize("args, message", [
    (["--batch", "{tmp}/nope", "--out", "{tmp}/out"], "grader: {tmp}/nope: not a folder\n"),
    (["--batch", "{tmp}/class", "--out", "{tmp}/file/out"], "cannot write there"),
    (["--batch", "{tmp}/nothing", "--out", "{tmp}/out"], "no submission folders in it"),
    (["--batch", "{tmp}/class", "--out", "{tmp}/out", "-k", "no_such_case"], "no case matches"),
    (["--batch", "{tmp}/class", "--out", "{tmp}/out", "--jobs", "0"], "--jobs must be at least 1"),
    (["--batch", "{tmp}/class"], "--batch needs --out"),
    (["--batch", "{tmp}/class", "--out", "{tmp}/out", "{tmp}/class/one"], "not both"),
    (["--batch", "{tmp}/class", "--out", "{tmp}/out", "--results", "{tmp}/r.json"], "--results is for one"),
])
def test_a_batch_that_cannot_run_is_exit_2(tmp_path, args, message):
    (tmp_path / "class" / "one").mkdir(parents=True)
    (tmp_path / "nothing").mkdir()
    (tmp_path / "file").write_text("")
    proc = run_grader(*(a.format(tmp=tmp_path) for a in args))
    assert proc.returncode == 2
    assert message.format(tmp=tmp_path) in proc.stderr
    if message.startswith("grader: "):
        assert proc.stderr == message.format(tmp=tmp_path)  # one line
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_summary_html_charts_the_class(graded):
    """summary.html: the score distribution and per-case pass rates as inline SVG,
    the hardest case first, nothing fetched."""
    _, runs = graded
    out = runs[2][1]
    page = (out / "summary.html").read_text()
    assert page.count("<svg") == 2
    for fetch in ("<script", "<link", "src=", "url("):
        assert fetch not in page
    rates = {}
    for name in NAMES:
        for t in json.loads((out / name / "results.json").read_text())["tests"]:
            cid = t["name"].split(":")[0]
            rates.setdefault(cid, []).append(t["status"] == "passed")
    hardest = min(rates, key=lambda c: (sum(rates[c]) / len(rates[c]), c))
    chart = page[page.index("Pass rate per case"):]
    first_label = chart.index(">" + hardest + "<")
    assert all(first_label <= chart.index(">" + c + "<") for c in rates)
    assert f"{round(100 * sum(rates[hardest]) / len(rates[hardest]))}%" in chart
    for name in NAMES:
        assert (out / name / "report.html").read_text().startswith("<!DOCTYPE html>")
