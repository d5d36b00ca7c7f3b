"""Mutation tests of the grader: every mutant in mutants.json is the reference
with ONE realistic student bug; grading it must fail exactly the cases in its
`catches` and cost nothing in the other four programs. Plus the lecture's code
(a known set of failures), and full marks for the reference and the variants.

    /usr/bin/python3 -m pytest -q tests/test_mutants.py [-n 2]
"""
import json
import pathlib

import pytest

from conftest import (CORRECT_VARIANTS, PROGRAMS, build_mutant, failed_ids, run_grader, scores_by_program,
                      submission_folder)  # run_grader: 300 s timeout

ROOT = pathlib.Path(__file__).resolve().parent.parent
MUTANTS = json.loads((ROOT / "tests" / "mutants.json").read_text())
CASE_PROGRAM = {c["id"]: doc["program"]
                for f in sorted((ROOT / "cases").glob("*.json"))
                for doc in [json.loads(f.read_text())] for c in doc["cases"]}
SUBMISSIONS = ROOT / "tests" / "submissions"

# The lecture's code verbatim fails exactly these cases, because of:
LECTURE_FAILS = {
    # unix_d_server: a plain (signed) char buffer prints 0x80 as ffffff80; no argc check (crash); removes
    # whatever is at PATH (a user's file too) and binds without checking: a too long or unbindable path
    # still leaves it waiting in recv(); no SIGTERM/SIGINT handler (dies of the signal, file left behind)
    "us.high_bytes", "us.usage", "us.regular_file", "us.path_too_long", "us.runtime_failure", "us.sigterm",
    "us.sigint",
    # unix_d_send: binds the server's own path (creates it, sends to itself, exits 0); no argc check
    "ud.no_server", "ud.stale_path", "ud.usage",
    # tcp_qq_srver: no SO_REUSEADDR and bind() unchecked (listen() takes a random port); atoi and
    # inet_pton unchecked; no argc check; backlog 3; SIGPIPE kills it; no SIGTERM/SIGINT handler
    "qq.restart_time_wait", "qq.port_taken", "qq.bad_port", "qq.bad_addr", "qq.usage", "qq.backlog",
    "qq.abandoned_clients", "qq.sigterm", "qq.sigint",
    # tcp_client: printf("%s") of a stale, unterminated buffer; resends the last line at EOF
    # (fgets unchecked); blocks in fgets so it misses the server closing (and a reset, and a second
    # line in the same write, and the reply while it waits); never flushes stdout; never shuts down
    # its sending side; resends its stale buffer after an unterminated last line; writes to a
    # refused, unconnected socket and dies of SIGPIPE; atoi and inet_pton unchecked; no argc check
    "cl.reply_lengths", "cl.no_resend_at_eof", "cl.exits_when_server_closes", "cl.refused", "cl.usage",
    "cl.two_lines_one_write", "cl.shutdown_at_eof", "cl.server_reset", "cl.bad_port", "cl.bad_addr",
    "cl.reply_flushed", "cl.last_line_at_eof",
    # tcp_echo_serverSR: log line never flushed (stdout is a pipe), so nothing shows whether a reset
    # client is logged; no SO_REUSEADDR, bind unchecked; atoi and inet_pton unchecked; no argc check;
    # backlog 3; SIGPIPE kills it; no SIGTERM/SIGINT handler
    "echo.log_line", "echo.no_log_on_reset", "echo.restart_time_wait", "echo.port_taken", "echo.bad_port",
    "echo.bad_addr", "echo.usage", "echo.backlog", "echo.reset_client", "echo.sigterm", "echo.sigint",
    "echo.sigterm_in_recv",
}


def grade_json(folder, tmp_path):
    """Grades FOLDER with --results; returns (process, results.json)."""
    out = tmp_path / "results.json"
    proc = run_grader(folder, "--results", out)
    assert out.is_file(), f"grader exit {proc.returncode}, no results.json:\n{proc.stdout}{proc.stderr}"
    return proc, json.loads(out.read_text())


def test_mutant_table_is_sane():
    names = [m["name"] for m in MUTANTS]
    assert len(names) == len(set(names)) >= 28
    for program in PROGRAMS:
        assert sum(m["program"] == program for m in MUTANTS) >= 4, program
    for m in MUTANTS:
        assert m["program"] in PROGRAMS and m["bug"] and m["edits"] and m["catches"], m["name"]
        text = (ROOT / "reference" / f"{m['program']}.c").read_text()
        for e in m["edits"]:
            assert text.count(e["find"]) == 1, f"{m['name']}: {e['find']!r}"
        for cid in m["catches"]:
            assert CASE_PROGRAM.get(cid) == m["program"], f"{m['name']}: {cid} is no case of {m['program']}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_mutant_is_caught(mutant, tmp_path):
    proc, results = grade_json(build_mutant(mutant, tmp_path / "submission"), tmp_path)
    assert proc.returncode == 1
    assert failed_ids(results) == set(mutant["catches"])
    for program, (score, top) in scores_by_program(results).items():
        assert score < top if program == mutant["program"] else score == top, program


def test_lecture_submission(tmp_path):
    proc, results = grade_json(SUBMISSIONS / "lecture", tmp_path)
    assert proc.returncode == 1
    assert failed_ids(results) == LECTURE_FAILS


def test_template_stubs_score_nothing(tmp_path):
    """The skeletons students start from check their argument count and return 1: every case
    whose precondition never happens (nothing bound, listened, connected or sent; for an
    error-path case, the control run with valid arguments) scores nothing, so they score 0."""
    proc, results = grade_json(ROOT / "student_template", tmp_path)
    assert proc.returncode == 1
    assert results["score"] == 0
    assert failed_ids(results) == set(CASE_PROGRAM)


def full_marks(folder, tmp_path):
    proc, results = grade_json(folder, tmp_path)
    assert (proc.returncode, failed_ids(results)) == (0, set())
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    return {t["name"]: t["score"] for t in results["tests"]}


def test_reference_full_marks_twice(tmp_path):
    runs = []
    for run in ("1", "2"):
        (tmp_path / run).mkdir()
        runs.append(full_marks(ROOT / "reference", tmp_path / run))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("variant", CORRECT_VARIANTS)
def test_variants_full_marks(variant, tmp_path):
    full_marks(submission_folder(variant, tmp_path), tmp_path)
