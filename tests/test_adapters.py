"""Where courses grade, beyond the basic outputs (test_platforms.py): Classroom's
failure paths and size limit, Gradescope's visible build, PrairieLearn's external
grader in a simulated /grade tree, Autolab's Makefile in a temporary tree, the
student's `make check`, and a machine missing a prerequisite."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
import types

import pytest

from conftest import PROGRAMS, ROOT, TOTAL_POINTS, run_grader

sys.path.insert(0, str(ROOT))
import reports  # noqa: E402

ENCODED_LIMIT = 64 * 1024  # the bound for the result line (Linux allows 128 KiB)


def classroom_line(env_file):
    lines = env_file.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("result="), lines
    return lines[0]


def test_classroom_all_failing_result_stays_small(tmp_path):
    """The skeletons fail every case: the encoded result is well under the limit."""
    gho = tmp_path / "out"
    gho.write_text("")
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), "--classroom", str(ROOT / "student_template")],
                          capture_output=True, text=True, env=dict(os.environ, GITHUB_OUTPUT=str(gho)), timeout=300)
    assert proc.returncode == 0, proc.stderr
    line = classroom_line(gho)
    assert len(line) < ENCODED_LIMIT
    result = json.loads(base64.b64decode(line[len("result="):]))
    assert result["max_score"] == TOTAL_POINTS and sum(t["score"] for t in result["tests"]) == 0
    assert f"Points 0/{TOTAL_POINTS}" in proc.stdout


def fake_grading(n_cases, message_chars):
    """A grading of N_CASES failing cases, each with a failure of MESSAGE_CHARS characters."""
    cases = [{"id": f"x.case{i}", "description": "d" * 60, "requirement": "r" * 200, "program": PROGRAMS[i % 5],
              "category": "core", "points": 1 + i % 4, "scenario": "tcp_server", "hint": "h" * 100}
             for i in range(n_cases)]
    verdicts = {c["id"]: {"verdict": "fail", "reason": "z" * message_chars, "expected": {}, "observed": {},
                          "time_ms": 1} for c in cases}
    return types.SimpleNamespace(cases=cases, verdicts=verdicts, built={}, submission="s",
                                 isolation_in_force=lambda: "")


@pytest.mark.parametrize("n_cases, message_chars", [(75, 20000), (400, 3000), (3000, 100)])
def test_classroom_result_fits_however_many_cases_fail(n_cases, message_chars):
    """A TA's hundreds of extra cases, each failing with a long message: the result is cut
    to fit, and the scores the reporter adds up stay the same."""
    g = fake_grading(n_cases, message_chars)
    result = reports.classroom_result(g, 1.0)
    assert len(reports.classroom_output_line(result)) <= reports.CLASSROOM_LIMIT < ENCODED_LIMIT
    assert result["max_score"] == sum(c["points"] for c in g.cases)
    assert sum(t["score"] for t in result["tests"]) == 0
    assert sum(t["max_score"] for t in result["tests"]) == result["max_score"]


def test_classroom_grader_fault_is_still_reported(tmp_path):
    """A fault of the grader (here a probe that fails) writes an error result whose
    max_score is the assignment's, and exits 0 so that the reporter step runs and
    records 0/max with the reason."""
    build = tmp_path / "build"
    (build / "harness").mkdir(parents=True)
    real = pathlib_build() / "harness"
    fake = build / "harness" / "probe"
    fake.write_text(f"""#!/bin/sh
case " $* " in *" --expected "*) echo "probe: simulated fault" >&2; exit 2;; esac
exec {real / 'probe'} "$@"
""")
    fake.chmod(0o755)
    shutil.copy2(real / "compile", build / "harness" / "compile")
    gho = tmp_path / "out"
    gho.write_text("")
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), "--classroom", str(ROOT / "reference")],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, GITHUB_OUTPUT=str(gho), GRADER_BUILD=str(build)))
    assert proc.returncode == 0, proc.stderr
    assert "grader: probe: simulated fault" in proc.stderr
    result = json.loads(base64.b64decode(classroom_line(gho)[len("result="):]))
    assert result["status"] == "error" and result["max_score"] == TOTAL_POINTS
    assert result["tests"][0]["status"] == "error" and "simulated fault" in result["tests"][0]["message"]


def pathlib_build():
    import pathlib
    return pathlib.Path(os.environ.get("GRADER_BUILD") or ROOT / "build")


def test_gradescope_results_show_the_build_to_students(tmp_path, reference_copy):
    """Warnings and compiler errors are in the top-level output, which students see; the
    grader's stdout (the text report, hidden cases included) is hidden from them."""
    (reference_copy / "tcp_client.c").write_text("int main(void) { int unused; return 0; }\n")
    (reference_copy / "unix_d_send.c").write_text("int main(void) { return }\n")
    out = tmp_path / "r.json"
    run_grader(reference_copy, "--results", out, "-q")
    r = json.loads(out.read_text())
    assert r["stdout_visibility"] == "hidden" and r["output_format"] == "text"
    assert "build tcp_client.c: ok (1 warning)" in r["output"] and "unused variable" in r["output"]
    assert "build unix_d_send.c: DOES NOT COMPILE" in r["output"] and "error:" in r["output"]


def test_prairielearn_grades_a_simulated_grade_tree(tmp_path):
    grade = tmp_path / "grade"
    shutil.copytree(ROOT / "tests" / "submissions" / "lecture", grade / "student")
    proc = run_grader("--prairielearn", env={"GRADE_ROOT": str(grade)})
    assert proc.returncode == 0, proc.stderr
    r = json.loads((grade / "results" / "results.json").read_text())
    assert r["gradable"] is True and 0 < r["score"] < 1
    assert {"name", "description", "points", "max_points", "message", "output"} <= set(r["tests"][0])
    got = sum(t["points"] for t in r["tests"])
    assert r["score"] == pytest.approx(got / sum(t["max_points"] for t in r["tests"]))
    assert sum(t["max_points"] for t in r["tests"]) == TOTAL_POINTS
    assert "build tcp_client.c" in r["output"]


def test_prairielearn_missing_file_is_not_gradable(tmp_path):
    grade = tmp_path / "grade"
    shutil.copytree(ROOT / "reference", grade / "student")
    (grade / "student" / "tcp_qq_srver.c").rename(grade / "student" / "tcp_qq_server.c")
    proc = run_grader("--prairielearn", env={"GRADE_ROOT": str(grade)})
    assert proc.returncode == 0, proc.stderr
    r = json.loads((grade / "results" / "results.json").read_text())
    assert r["gradable"] is False and "score" not in r
    assert r["format_errors"] == ["no tcp_qq_srver.c in the submission; found tcp_qq_server.c: the file must be "
                                  "named exactly tcp_qq_srver.c"]


def test_prairielearn_entrypoint_is_executable():
    assert os.access(ROOT / "platforms" / "prairielearn_run", os.X_OK)


def test_autolab_makefile_grades_a_handin(tmp_path):
    """autograde-Makefile and autograde.tar, run as Autolab does beside a handin.tar:
    the last line is the scores, one per program, and the scoreboard."""
    pkg, run = tmp_path / "pkg", tmp_path / "run"
    proc = run_grader("--autolab-package", pkg)
    assert proc.returncode == 0, proc.stderr
    run.mkdir()
    for f in ("autograde-Makefile", "autograde.tar"):
        shutil.copy2(pkg / f, run / f)
    with tarfile.open(run / "handin.tar", "w") as tar:  # the files inside a folder, as students upload
        tar.add(ROOT / "tests" / "submissions" / "variant_sr", "mine")
    env = dict(os.environ, GRADER_BUILD=str(pathlib_build()))  # the probe built once, not per test
    proc = subprocess.run(["make", "-f", "autograde-Makefile", "autograde"], cwd=run, capture_output=True,
                          text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(last["scores"]) == set(PROGRAMS)
    assert last["scoreboard"] == [TOTAL_POINTS, *(last["scores"][p] for p in PROGRAMS)]


def test_make_check_from_a_fresh_template(tmp_path):
    """A student's copy of the template: `make check GRADER=...` prints the grader's report
    (the stubs score nothing); without a grader it says how to get one."""
    work = tmp_path / "hw"
    shutil.copytree(ROOT / "student_template", work)
    proc = subprocess.run(["make", "check"], cwd=work, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "make check GRADER=/path/to/grader" in proc.stderr
    proc = subprocess.run(["make", "check", f"GRADER={ROOT}"], cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and f"Total: 0/{TOTAL_POINTS}" in proc.stdout
    for p in PROGRAMS:
        shutil.copy2(ROOT / "reference" / f"{p}.c", work / f"{p}.c")
    proc = subprocess.run(["make", "check", f"GRADER={ROOT / 'grader.py'}"], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and f"Total: {TOTAL_POINTS}/{TOTAL_POINTS}" in proc.stdout, proc.stderr


def test_a_missing_prerequisite_names_the_install_command(tmp_path):
    """No compiler or CMake on PATH and no probe built yet: one line naming what is missing
    and the command that installs it, exit 2."""
    env = dict(os.environ, PATH=str(tmp_path), GRADER_BUILD=str(tmp_path / "build"))
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), str(ROOT / "reference")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader: missing gcc, make, cmake, pkg-config")
    assert "apt-get update && apt-get install -y gcc make cmake pkg-config libjansson-dev" in lines[0]


def test_install_deps_as_a_user_says_it_needs_root():
    if os.geteuid() != 0:
        pytest.skip("needs root to take another user")
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                           str(ROOT / "grader.py"), "--install-deps"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr == "grader: --install-deps needs root: sudo ./grader.py --install-deps\n"


def test_the_first_run_says_it_builds_the_probe(tmp_path):
    """No probe built yet: the grader says what it is doing before the few silent seconds
    of CMake, then grades."""
    proc = run_grader(ROOT / "reference", "-k", "us.hex_message", "-q", env={"GRADER_BUILD": str(tmp_path / "b")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("grader: building the probe and the sandbox (once)...\n")
    assert proc.stdout.startswith("Total: 4/4")
