"""What a submission controls cannot act on a terminal, break a report's XML or forge
a line of it: compiler messages, program output, reasons and file names reach the
text report, results.json, JUnit XML, the Classroom result and the HTML report
through reports.printable, which shows control characters, bidi overrides and what
XML 1.0 forbids as escapes (\\x1b, \\u202e)."""
import json
import os
import re
import shutil
import subprocess
import sys
import types
import xml.etree.ElementTree as ET

from conftest import ROOT, TOTAL_POINTS

sys.path.insert(0, str(ROOT))
import reports  # noqa: E402

# Written out here rather than taken from reports.py: what no report may carry raw.
# C0 but tab and newline, DEL, C1, bidi overrides and isolates, U+FFFE/U+FFFF, surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")

# An #error carrying a screen clear, a window-title OSC, \x01, a C1 CSI and a cursor
# move to column 1 before a forged total; the CR makes gcc start a new source line
# with another forged total; a bidi override last (gcc warns about it, after the error).
EVIL_SOURCE = (b"#error evil \x1b[2J\x1b]0;pwned\x07 \x01 \xc2\x9b31m x\x1b[1GTotal: 109/109"
               b"\rTotal: 109/109\n// \xe2\x80\xae reversed\n")


def forged_total_lines(text, real=1):
    """The lines of text that start with "Total:", beyond the real ones."""
    return [line for line in text.split("\n") if line.startswith("Total:")][real:]


def test_printable_escapes_what_a_terminal_or_xml_acts_on():
    raw = "a\x00b\x1b[31mc\rd\x7fe\x85f\x9bg\u202eh\u2066i\ud800j\ufffek\uffffl\u2028m"
    shown = reports.printable(raw)
    assert not FORBIDDEN.search(shown)
    assert shown == ("a\\x00b\\x1b[31mc\\rd\\x7fe\\x85f\\x9bg\\u202eh\\u2066i\\ud800j\\ufffek\\uffffl"
                     "\\u2028m")
    assert reports.printable("\u061c\u200e\u200f") == "\\u061c\\u200e\\u200f"  # the bidi marks too
    assert reports.printable("tab\tand\nnewline; é ü → 日本") == "tab\tand\nnewline; é ü → 日本"
    assert reports.printable("one\tline\nonly", one_line=True) == "one\\tline\\nonly"
    assert reports.printable(shown) == shown  # escaping twice changes nothing


def fake_grading(evil):
    """A grading as reports.py reads it, with EVIL in everything a submission controls."""
    case = {"id": "cl.sends_line", "program": "tcp_client", "description": "sends a line",
            "requirement": "sends it", "why": "why", "category": "core", "points": 3,
            "scenario": "tcp_client", "compare": ["stdout"], "hint": "a hint"}
    verdict = {"id": case["id"], "program": "tcp_client", "verdict": "fail", "reason": f"printed {evil}",
               "expected": {"stdout": {"text": "hi\\n", "hex": "68 69 0a"}},
               "observed": {"stdout": {"text": evil, "hex": "1b", "note": evil}},
               "mismatch": ["stdout"], "hint": "a hint", "time_ms": 1.0,
               "transcript": [{"t_ms": 0.1, "who": "program", "what": "stdout", "text": evil, "hex": "1b"}]}
    return types.SimpleNamespace(submission=f"/sub/{evil}", cases=[case], verdicts={case["id"]: verdict},
                                 built={"tcp_client": {"ok": True, "binary": "x", "messages": evil}},
                                 isolation_in_force=lambda: f"level 1 {evil}")


EVIL = "\x1b]0;t\x07\x01\x7f\x85\x9b\u202e\u2069\ud800\ufffe\uffff\r\nTotal: 109/109"


def test_every_report_of_a_fake_grading_is_safe():
    g = fake_grading(EVIL)
    text = reports.text_report(g, 1.0)
    assert not FORBIDDEN.search(text) and "\\x1b]0;t\\x07" in text
    assert not forged_total_lines(text)
    assert not FORBIDDEN.search(reports.failure_text(g.cases[0], g.verdicts[g.cases[0]["id"]]))
    ET.fromstring(reports.junit_xml(g, 1.0))
    for result in (reports.gradescope_results(g, 1.0), reports.classroom_result(g, 1.0),
                   reports.classroom_result(None, 0, fault=EVIL)):
        for t in result["tests"]:
            out = t.get("output", t.get("message"))
            assert not FORBIDDEN.search(out) and not forged_total_lines(out, real=0), out
    html_page = reports.html_report(g, 1.0)
    assert not FORBIDDEN.search(html_page) and "\\u202e" in html_page


def test_colour_codes_of_the_report_itself_stay():
    text = reports.text_report(fake_grading(EVIL), 1.0, colour=True)
    assert reports.COLOUR["fail"] in text and reports.COLOUR["reset"] in text
    for code in reports.COLOUR.values():
        text = text.replace(code, "")
    assert not FORBIDDEN.search(text)


def test_a_hostile_compile_error_and_folder_name_reach_no_report_raw(reference_copy, tmp_path):
    # the folder's name forges a line of its own; #error brings the control bytes
    sub = tmp_path / "sub\nTotal: 109"
    shutil.move(reference_copy, sub)
    (sub / "tcp_client.c").write_bytes(EVIL_SOURCE)
    junit, results, page = tmp_path / "junit.xml", tmp_path / "results.json", tmp_path / "report.html"
    proc = subprocess.run([sys.executable, str(ROOT / "grader.py"), str(sub), "--junit", junit,
                           "--results", results, "--html", page], capture_output=True, timeout=300,
                          stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    stdout = proc.stdout.decode()  # valid UTF-8 too
    assert "DOES NOT COMPILE" in stdout and "#error evil \\x1b[2J\\x1b]0;pwned\\x07 \\x01 \\x9b31m" in stdout
    assert not FORBIDDEN.search(stdout)
    assert not forged_total_lines(stdout), stdout

    ET.parse(junit)
    assert not FORBIDDEN.search(junit.read_text())

    graded = json.loads(results.read_text())
    assert stdout.split("\n")[-2].startswith(f"Total: {graded['score']}/{TOTAL_POINTS} ")
    tests = graded["tests"]
    broken = [t for t in tests if t["tags"][0] == "tcp_client"]
    assert broken and all("\\x1b[2J" in t["output"] for t in broken)
    for t in tests:
        assert not FORBIDDEN.search(t["output"]) and not forged_total_lines(t["output"], real=0), t["output"]
    assert not FORBIDDEN.search(page.read_text())
