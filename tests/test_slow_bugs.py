"""Common bugs that once made grading slow (a server that reads a request before answering, one
that reads until end of file, servers that never close their connections: 33-42 s a grading, each
wait run out to its deadline). The probe now sees such a program stuck and ends the wait at once;
here each (tests/slow_bugs.json, edits to the reference as in mutants.json) must fail exactly its
cases, each as a timeout naming the call the server waits in, and get exactly the verdicts it gets
with the stuck judgement turned off (PROBE_STUCK=0: every wait runs to its deadline). How long they
take is bench/run.py's figure, not a test's."""
import json

import pytest

from conftest import ROOT, build_mutant, failed_ids, run_grader, scores_by_program

SLOW_BUGS = json.loads((ROOT / "tests" / "slow_bugs.json").read_text())


def per_case(results):
    """{case id: (status, verdict)} of a results.json."""
    return {t["name"].split(":")[0]: (t["status"], t["extra_data"]["verdict"]) for t in results["tests"]}


def test_slow_bug_table_is_sane():
    names = [m["name"] for m in SLOW_BUGS]
    assert len(names) == len(set(names)) == 4
    for m in SLOW_BUGS:
        assert m["bug"] and m["edits"] and m["catches"], m["name"]
        assert all(c.startswith("qq." if m["program"] == "tcp_qq_srver" else "echo.") for c in m["catches"])


@pytest.mark.parametrize("bug", SLOW_BUGS, ids=[m["name"] for m in SLOW_BUGS])
def test_slow_bug_fails_its_cases_as_stuck(bug, tmp_path):
    sub = build_mutant(bug, tmp_path / "submission")
    out = tmp_path / "results.json"
    proc = run_grader(sub, "--results", out)
    assert proc.returncode == 1, proc.stderr
    results = json.loads(out.read_text())
    assert failed_ids(results) == set(bug["catches"])
    for program, (score, top) in scores_by_program(results).items():
        assert score < top if program == bug["program"] else score == top, program
    for t in results["tests"]:
        if t["status"] == "failed":
            assert t["extra_data"]["verdict"] == "timeout", t["name"]
            assert "it waits in " in t["output"] and "for input that never comes" in t["output"], t["output"]


def test_slow_bugs_get_the_deadlines_verdicts(tmp_path):
    """The four graded with the stuck judgement and without it (each wait to its deadline, about
    40 s a submission, hence one batch with the four side by side): the same verdict for every
    case of their servers."""
    klass = tmp_path / "class"
    klass.mkdir()
    for bug in SLOW_BUGS:
        build_mutant(bug, klass / bug["name"])
    runs = {}
    for mode, env in (("stuck", {}), ("deadline", {"PROBE_STUCK": "0"})):
        out = tmp_path / mode
        proc = run_grader("--batch", klass, "--out", out, "--jobs", "4", "-k", "qq. or echo.", env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[mode] = {b["name"]: per_case(json.loads((out / b["name"] / "results.json").read_text()))
                      for b in SLOW_BUGS}
    for bug in SLOW_BUGS:
        assert runs["stuck"][bug["name"]] == runs["deadline"][bug["name"]], bug["name"]
        assert {c for c, (status, _) in runs["deadline"][bug["name"]].items() if status == "failed"} == \
            set(bug["catches"])
