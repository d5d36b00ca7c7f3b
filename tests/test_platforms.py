"""Where courses grade: one grading's results.json, JUnit XML, Classroom result and
HTML agree; the Classroom workflow is valid; the Gradescope zip grades in a
simulated /autograder tree; --explain; colour on a terminal."""
import base64
import json
import os
import pty
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, TOTAL_POINTS, extract_with_modes, run_grader

sys.path.insert(0, str(ROOT))
import platforms  # noqa: E402

LECTURE = ROOT / "tests" / "submissions" / "lecture"


@pytest.fixture(scope="module")
def all_outputs(tmp_path_factory):
    """The lecture graded once with every output: (process, {kind: parsed})."""
    d = tmp_path_factory.mktemp("outputs")
    gho = d / "github_output"
    gho.write_text("earlier=1\n")
    env = dict(os.environ, GITHUB_OUTPUT=str(gho))
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), str(LECTURE), "--classroom",
                           "--results", str(d / "r.json"), "--junit", str(d / "j.xml"), "--html", str(d / "r.html")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr  # Classroom mode: the reporter step fails the run, not us
    lines = gho.read_text().splitlines()
    assert lines[0] == "earlier=1" and lines[1].startswith("result=")  # appended, not overwritten
    classroom = json.loads(base64.b64decode(lines[1][len("result="):]))
    return proc, {"results": json.loads((d / "r.json").read_text()), "junit": ET.parse(d / "j.xml").getroot(),
                  "classroom": classroom, "html": (d / "r.html").read_text()}


def test_outputs_agree_on_cases_and_scores(all_outputs):
    proc, out = all_outputs
    gs = {t["name"].split(":")[0]: t["score"] for t in out["results"]["tests"]}
    cl = {t["name"].split(":")[0]: t["score"] for t in out["classroom"]["tests"]}
    junit = {tc.get("name"): tc.find("failure") is None and tc.find("error") is None
             for tc in out["junit"].iter("testcase")}
    assert gs == cl
    assert set(junit) == set(gs)
    maxes = {t["name"].split(":")[0]: t["max_score"] for t in out["results"]["tests"]}
    assert {cid for cid, ok in junit.items() if ok} == {cid for cid in gs if gs[cid] == maxes[cid]}
    total = out["results"]["score"]
    assert sum(cl.values()) == total and f"Points {total}/{sum(maxes.values())}" in proc.stdout
    assert f"Sockets homework: {total}/{sum(maxes.values())}" in out["html"]
    for cid in gs:
        assert f'id="{cid}"' in out["html"] or f'href="#{cid}"' in out["html"]


def test_classroom_result_is_what_the_reporter_reads(all_outputs):
    """The reporter decodes <ID>_RESULTS, requires tests[] with name and status
    (pass/fail/error), sums tests' score against max_score, and fails the run on
    status fail."""
    r = all_outputs[1]["classroom"]
    assert r["version"] == 1 and r["status"] == "fail" and r["max_score"] == TOTAL_POINTS
    for t in r["tests"]:
        assert t["status"] in ("pass", "fail") and isinstance(t["score"], int) and t["name"] and t["message"]
        assert t["score"] == (t["max_score"] if t["status"] == "pass" else 0)
    assert 0 < sum(t["score"] for t in r["tests"]) < r["max_score"]  # partial credit per case


def test_classroom_without_github_output_is_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), "--classroom", str(ROOT / "reference"),
                           "-k", "us.hex_message"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "GITHUB_OUTPUT is not set" in proc.stderr


def test_junit_counts(all_outputs):
    root = all_outputs[1]["junit"]
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        failed = [tc for tc in cases if tc.find("failure") is not None]
        assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failed)
    hb = next(tc for tc in root.iter("testcase") if tc.get("name") == "us.high_bytes")
    assert "ffffff80" in hb.find("failure").text


def test_html_is_self_contained_and_marks_the_first_difference(all_outputs):
    page = all_outputs[1]["html"]
    for fetch in ("<script", "<link", "src=", "@import", "url(", 'href="http'):
        assert fetch not in page
    # us.high_bytes: the first byte already differs ("8" vs "f")
    section = page[page.index('id="us.high_bytes"'):]
    section = section[:section.index("</details>")]
    assert "<mark>8</mark>" in section and "<mark>f</mark>" in section
    assert "Hint:" in section and "transcript" in section


def test_workflow_is_valid_and_runs_the_grader():
    yaml = pytest.importorskip("yaml")
    wf = yaml.safe_load((ROOT / "student_template" / ".github" / "workflows" / "classroom.yml").read_text())
    steps = wf["jobs"]["run-autograding-tests"]["steps"]
    grade = next(s for s in steps if "--classroom" in s.get("run", ""))
    assert "grader/grader.py --classroom submission" in grade["run"]
    install = next(s for s in steps if "apt-get install" in s.get("run", ""))
    assert platforms.PACKAGES in install["run"]
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"))
    assert reporter["uses"].endswith("@v1")
    runner = reporter["with"]["runners"]
    assert runner == grade["id"]
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == "${{ steps.%s.outputs.result }}" % grade["id"]
    assert [s.get("with", {}).get("path") for s in steps if s.get("uses", "").startswith("actions/checkout")] \
        == ["submission", "grader"]


def test_gradescope_zip_grades_in_a_simulated_autograder(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ta.json").write_text(json.dumps({"program": "tcp_qq_srver", "cases": [{
        "id": "ta.qq_two", "description": "two connections (hidden)", "requirement": "1 then 2.",
        "why": "Counting is the whole job.", "category": "core", "points": 5, "scenario": "tcp_server",
        "params": {"connections": [{"repeat": 2}]}, "compare": ["replies"], "hint": "Count.", "hidden": True}]}))
    zip_path = tmp_path / "autograder.zip"
    proc = run_grader("--gradescope-package", zip_path, "--cases", hidden)
    assert proc.returncode == 0, proc.stderr
    ag = tmp_path / "autograder"
    extract_with_modes(zip_path, ag / "source")
    assert os.access(ag / "source" / "run_autograder", os.X_OK)
    shutil.copytree(LECTURE, ag / "submission" / "my-homework")  # uploaded inside a folder
    env = dict(os.environ, AUTOGRADER_ROOT=str(ag), AUTOGRADER_SKIP_APT="1")
    env.pop("GRADER_BUILD", None)  # the zip builds its own probe
    setup = subprocess.run(["bash", str(ag / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    run = subprocess.run([str(ag / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((ag / "results" / "results.json").read_text())
    lecture = json.loads(subprocess.run([sys.executable, str(ROOT / "grader.py"), str(LECTURE), "--results",
                                         str(tmp_path / "alone.json")], capture_output=True).stdout and
                         (tmp_path / "alone.json").read_text())
    ta = next(t for t in results["tests"] if t["name"].startswith("ta.qq_two"))
    assert ta["visibility"] == "after_published" and ta["score"] == 5
    assert results["score"] == lecture["score"] + 5


def test_explain_names_the_check_the_reason_and_the_usual_mistakes():
    proc = run_grader("--explain", "cl.reply_lengths")
    assert proc.returncode == 0
    for heading in ("What it checks:", "Why it matters:", "How it is checked:", "Usual mistakes", "Hint:"):
        assert heading in proc.stdout
    assert "printf" in proc.stdout


def test_explain_unknown_case_is_exit_2():
    proc = run_grader("--explain", "no.such_case")
    assert proc.returncode == 2 and proc.stderr.startswith("grader: no case no.such_case")


def test_colour_on_a_terminal_only():
    def run_on_pty(env):
        main, sub = pty.openpty()
        p = subprocess.Popen([sys.executable, str(ROOT / "grader.py"), str(LECTURE), "-k", "us."],
                             stdout=sub, stderr=subprocess.DEVNULL, env=env)
        os.close(sub)
        chunks = []
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        p.wait(timeout=120)
        os.close(main)
        return b"".join(chunks).decode()
    coloured = run_on_pty(dict(os.environ))
    assert "\x1b[31m" in coloured and "FAIL" in coloured
    assert "\x1b[" not in run_on_pty(dict(os.environ, NO_COLOR="1"))
    assert "\x1b[" not in run_grader(LECTURE, "-k", "us.").stdout
    # failures first in each program's table
    lines = [ln for ln in run_grader(LECTURE, "-k", "us.").stdout.splitlines() if ln.startswith("  FAIL")
             or ln.startswith("  TIME") or ln.startswith("  pass")]
    assert lines and not any(a.startswith("  pass") and not b.startswith("  pass") for a, b in zip(lines, lines[1:]))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_html_renders_in_headless_chromium(all_outputs, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(all_outputs[1]["html"])
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    total = all_outputs[1]["results"]["score"]
    assert f"Sockets homework: {total}/{TOTAL_POINTS}" in dom and "<mark>" in dom
