"""Correct submissions whose servers use threads or processes (tests/submissions/variant_threads,
variant_prefork, variant_pool) get full marks every time: each is graded 20 times, as one batch
of 20 copies (--no-cache: the verdict cache would grade identical copies once), and every
grading must be full marks. A settle or a stuck judgement that missed a
worker thread or process still at work, or never saw a waiting one as waiting, loses points here
in some gradings (a threaded server lost qq.no_fd_leak in about 3 of 10)."""
import csv
import shutil

import pytest

from conftest import TOTAL_POINTS, run_grader, submission_folder

RUNS = 20


@pytest.mark.parametrize("variant", ["variant_threads", "variant_prefork", "variant_pool"])
def test_variant_full_marks_every_time(variant, tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    source = submission_folder(variant, tmp_path)
    for i in range(RUNS):
        shutil.copytree(source, klass / f"{variant}-{i:02d}")
    proc = run_grader("--batch", klass, "--out", tmp_path / "out", "--jobs", "2", "--no-cache", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / "out" / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == RUNS
    short = {r["name"]: r["total"] for r in rows if (r["status"], int(r["total"])) != ("graded", TOTAL_POINTS)}
    for name in short:  # which cases, for the failure message
        print(name, (tmp_path / "out" / name / "report.txt").read_text()[-2000:])
    assert short == {}
