"""The grader's command line: bad input, compile failures, selection, results.json."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import (PROGRAMS, ROOT, TOTAL_POINTS, failed_ids, grade_json, run_grader, run_grader_copy,
                      scores_by_program)


def test_reference_report_and_exit_0():
    proc = run_grader(ROOT / "reference")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Total: {TOTAL_POINTS}/{TOTAL_POINTS}" in proc.stdout
    for p in PROGRAMS:
        assert f"build {p}.c: ok" in proc.stdout


def test_missing_submission_folder_is_a_usage_error(tmp_path):
    proc = run_grader(tmp_path / "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"grader: {tmp_path / 'nope'}: not a folder"


def test_unknown_option_is_a_usage_error():
    proc = run_grader("--frobnicate", ROOT / "reference")
    assert proc.returncode == 2
    assert "unrecognized arguments: --frobnicate" in proc.stderr


def test_compile_error_costs_only_that_program(reference_copy, tmp_path):
    (reference_copy / "tcp_client.c").write_text("int main(void) { return undeclared; }\n")
    proc, results = grade_json(reference_copy, tmp_path)
    assert proc.returncode == 1
    per = scores_by_program(results)
    assert per["tcp_client"][0] == 0
    for p in PROGRAMS:
        if p != "tcp_client":
            assert per[p][0] == per[p][1], p
    assert "build tcp_client.c: DOES NOT COMPILE" in proc.stdout
    assert "undeclared" in proc.stdout  # the compiler's message is in the feedback
    client_tests = [t for t in results["tests"] if t["tags"][0] == "tcp_client"]
    assert all("does not compile" in t["output"] for t in client_tests)


def test_missing_source_file_costs_only_that_program(reference_copy, tmp_path):
    (reference_copy / "unix_d_send.c").unlink()
    proc, results = grade_json(reference_copy, tmp_path)
    per = scores_by_program(results)
    assert per["unix_d_send"][0] == 0 and per["unix_d_server"] == (per["unix_d_server"][1],) * 2
    assert "no unix_d_send.c in the submission" in proc.stdout


def test_warnings_are_shown(reference_copy):
    src = reference_copy / "unix_d_server.c"
    src.write_text(src.read_text() + "\nstatic int unused_helper(void) { return 1; }\n")
    proc = run_grader(reference_copy, "-k", "us.hex_message")
    assert proc.returncode == 0
    assert "build unix_d_server.c: ok (1 warning)" in proc.stdout
    assert "unused_helper" in proc.stdout


def test_k_selects_cases(tmp_path):
    proc, results = grade_json(ROOT / "reference", tmp_path, "-k", "qq.first_connection or us.nul_bytes")
    assert proc.returncode == 0
    assert sorted(t["name"].split(":")[0] for t in results["tests"]) == ["qq.first_connection", "us.nul_bytes"]


def test_k_matching_nothing_is_a_usage_error():
    proc = run_grader(ROOT / "reference", "-k", "no_such_case_anywhere")
    assert proc.returncode == 2
    assert "no case matches" in proc.stderr


def test_results_json_is_gradescope_shaped(tmp_path):
    _, results = grade_json(ROOT / "tests" / "submissions" / "lecture", tmp_path)
    assert set(results) >= {"score", "execution_time", "tests"}
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert 0 < results["score"] < sum(t["max_score"] for t in results["tests"])
    for t in results["tests"]:
        assert t["status"] in ("passed", "failed")
        assert t["score"] == (t["max_score"] if t["status"] == "passed" else 0)
        assert t["tags"][0] in PROGRAMS and t["tags"][1] in ("core", "robustness", "hygiene")
        assert t["output"]
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    # a failure shows the requirement, expected next to observed, and the hint
    hb = next(t for t in failed if t["name"].startswith("us.high_bytes"))
    assert "requirement:" in hb["output"] and "expected:" in hb["output"] and "observed:" in hb["output"]
    assert "ffffff80" in hb["output"] and "hint:" in hb["output"]


def write_case_file(folder, cases, program="tcp_qq_srver"):
    folder.mkdir(exist_ok=True)
    (folder / "extra.json").write_text(json.dumps({"program": program, "cases": cases}))


HIDDEN_CASE = {
    "id": "ta.qq_three_in_a_row", "description": "three connections in a row (hidden)",
    "requirement": "Connections 1..3 get their numbers.", "why": "A TA's own check.", "category": "core",
    "points": 5,
    "scenario": "tcp_server", "params": {"connections": [{"repeat": 3}]}, "compare": ["replies"],
    "hint": "Count every connection.", "hidden": True,
}


def test_extra_hidden_cases_run_and_are_marked(tmp_path):
    write_case_file(tmp_path / "ta", [HIDDEN_CASE])
    proc, results = grade_json(ROOT / "reference", tmp_path, "--cases", tmp_path / "ta")
    assert proc.returncode == 0
    t = next(t for t in results["tests"] if t["name"].startswith("ta.qq_three_in_a_row"))
    assert t["visibility"] == "after_published" and t["score"] == 5


def test_extra_case_catches_a_bug(reference_copy, tmp_path):
    write_case_file(tmp_path / "ta", [HIDDEN_CASE])
    src = reference_copy / "tcp_qq_srver.c"
    text = src.read_text()
    assert text.count("++count") == 1
    src.write_text(text.replace("++count", "count + 1"))  # every connection gets "Connection 1!"
    _, results = grade_json(reference_copy, tmp_path, "--cases", tmp_path / "ta", "-k", "ta.")
    assert failed_ids(results) == {"ta.qq_three_in_a_row"}


@pytest.mark.parametrize("content, message", [
    ("{not json", "extra.json"),
    (json.dumps({"program": "tcp_qq_srver", "cases": [dict(HIDDEN_CASE, points=0)]}), "points"),
    (json.dumps({"program": "tcp_qq_srver", "cases": [dict(HIDDEN_CASE, scenario="teleport")]}), "teleport"),
    (json.dumps({"program": "tcp_qq_srver", "cases": [dict(HIDDEN_CASE, id="qq.first_connection")]}), "twice"),
])
def test_malformed_case_file_is_one_line_exit_2(tmp_path, content, message):
    (tmp_path / "ta").mkdir()
    (tmp_path / "ta" / "extra.json").write_text(content)
    proc = run_grader(ROOT / "reference", "--cases", tmp_path / "ta")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("grader: ")
    assert message in proc.stderr


def test_cases_folder_missing_is_exit_2(tmp_path):
    proc = run_grader(ROOT / "reference", "--cases", tmp_path / "nothing")
    assert proc.returncode == 2 and "not a folder" in proc.stderr


def test_a_grading_that_fails_early_leaves_no_build_behind(tmp_path):
    """The five compiles start before the arguments are checked against the disk;
    a grading that then fails stops them and removes their folder."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), str(ROOT / "reference"), "--cases",
                           str(tmp_path / "nothing")], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, TMPDIR=str(tmpdir)))
    assert proc.returncode == 2 and "not a folder" in proc.stderr
    assert list(tmpdir.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
@pytest.mark.parametrize("level", ["1", "3"])
def test_without_cap_sys_ptrace_the_probe_looks_with_the_programs_uid(level, private_grader):
    """Root without CAP_SYS_PTRACE (a container drops it) may not look into programs
    running under another uid as root; the probe then looks with their uid (the
    file-system uid, which is what /proc checks) and grades as well as with it."""
    wrapper = ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace"]
    proc = run_grader_copy(private_grader, ROOT / "reference", "--isolation", level, wrapper=wrapper)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith(f"Total: {TOTAL_POINTS}/{TOTAL_POINTS}")


def interpreter_without_pytest():
    for cand in (shutil.which("python3"), "/usr/local/bin/python3", os.path.expanduser("~/.pyenv/shims/python3")):
        if cand and os.access(cand, os.X_OK) and os.path.realpath(cand) != os.path.realpath("/usr/bin/python3"):
            if subprocess.run([cand, "-c", "import pytest"], capture_output=True).returncode != 0:
                return cand
    return None


@pytest.mark.skipif(interpreter_without_pytest() is None, reason="every python3 here has pytest")
def test_python_without_pytest_hands_over_to_one_with_it():
    py = interpreter_without_pytest()
    proc = subprocess.run([py, str(ROOT / "grader.py"), str(ROOT / "reference"), "-k", "us.hex_message", "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Total: 4/4")


@pytest.mark.skipif(interpreter_without_pytest() is None, reason="every python3 here has pytest")
def test_no_pytest_anywhere_names_the_fix():
    py = interpreter_without_pytest()
    env = dict(os.environ, GRADER_REEXEC="1")  # as if /usr/bin/python3 lacked pytest too
    proc = subprocess.run([py, str(ROOT / "grader.py"), str(ROOT / "reference")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == ("grader: pytest is missing: run  apt-get update && apt-get install -y python3-pytest"
                           "  (or: sudo ./grader.py --install-deps)\n")


def test_a_probe_fault_is_exit_2_never_a_score(tmp_path):
    """A probe that records the reference but then fails must not read as 0/0 = full marks."""
    build = tmp_path / "build"
    (build / "harness").mkdir(parents=True)
    real = ROOT / "build" / "harness" / "probe"
    if os.environ.get("GRADER_BUILD"):
        real = pathlib.Path(os.environ["GRADER_BUILD"]) / "harness" / "probe"
    fake = build / "harness" / "probe"
    fake.write_text(f"""#!/bin/sh
case " $* " in *" --expected "*) echo "probe: simulated fault" >&2; exit 2;; esac
exec {real} "$@"
""")
    fake.chmod(0o755)
    shutil.copy2(real.parent / "compile", build / "harness" / "compile")
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), str(ROOT / "reference"), "-k", "us.hex_message"],
                          capture_output=True, text=True, env=dict(os.environ, GRADER_BUILD=str(build)), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "grader: probe: simulated fault\n"


@pytest.mark.parametrize("option, path, why", [("--results", "/tmp", "is a folder; give a file name"),
                                               ("--html", "/nonexistent/r.html", "no folder /nonexistent"),
                                               ("--gradescope-package", "/tmp", "is a folder; give a file name")])
def test_a_bad_output_path_is_one_line_and_exit_2(option, path, why):
    args = [option, path] if option == "--gradescope-package" else [ROOT / "reference", option, path]
    proc = run_grader(*args)
    assert proc.returncode == 2 and proc.stderr == f"grader: {option} {path}: {why}\n"


def test_a_misspelled_file_is_named(reference_copy, tmp_path):
    (reference_copy / "tcp_qq_srver.c").rename(reference_copy / "tcp_qq_server.c")
    proc, results = grade_json(reference_copy, tmp_path, "-k", "qq.first_connection or us.hex_message")
    assert "build tcp_qq_srver.c: MISSING" in proc.stdout
    assert "found tcp_qq_server.c: the file must be named exactly tcp_qq_srver.c" in proc.stdout
    qq = next(t for t in results["tests"] if t["name"].startswith("qq."))
    assert "tcp_qq_srver.c is missing" in qq["output"] and "DOES NOT COMPILE" not in proc.stdout
