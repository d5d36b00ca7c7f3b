"""Assignments (assignments/NAME/, assignments.py): every shipped variant is graded as the
base is, its references at full marks, a correct submission written differently at full
marks, and its mutants losing exactly their cases; the two variants' reasons to exist are
shown on the base; --check-assignment rejects broken variants with one clear line; every
mode takes --assignment.

    /usr/bin/python3 -m pytest -q tests/test_assignments.py [-n 2]
"""
import json
import os
import shutil
import sys
import zipfile

import pytest

from conftest import PROGRAMS, ROOT, TOTAL_POINTS, failed_ids, run_grader, scores_by_program

sys.path.insert(0, str(ROOT))
import assignments  # noqa: E402

VARIANTS = ["lecture13-lockstep", "lecture13-services"]
TESTS = ROOT / "tests" / "assignments"
# correct submissions written differently, per variant: only the programs that differ from
# the variant's references (tests/assignments/NAME/correct_*/)
CORRECT = [(v, d.name) for v in VARIANTS for d in sorted((TESTS / v).glob("correct_*"))]
MUTANTS = [(v, m) for v in VARIANTS for m in assignments.resolve(v).mutants()]

# What the lecture's own lock-step client cannot do on lecture13: each needs the socket
# watched while the client waits for stdin (poll): the server closing or resetting while
# no line comes, and two lines of one write sent together.
POLL_CASES = {"cl.exits_when_server_closes", "cl.server_reset", "cl.two_lines_one_write"}
# What today's reference echo server (one recv() of 32 bytes, one client at a time) cannot
# do on lecture13-services: the whole message, and a slow client not holding up another
# (which also leaves it no child process whose reaping could be judged).
WHOLE_AND_CONCURRENT = {"echo.whole_message", "echo.concurrent_clients", "echo.reaps_children"}


def submission(folder, assignment, *overrides):
    """FOLDER made a copy of ASSIGNMENT's references, with the .c files of each folder in
    OVERRIDES over them. Returns FOLDER."""
    folder.mkdir()
    for p, src in assignments.resolve(assignment).references(PROGRAMS).items():
        shutil.copy(src, folder / f"{p}.c")
    for d in overrides:
        for src in d.glob("*.c"):
            shutil.copy(src, folder)
    return folder


def graded(folder, tmp_path, *extra):
    out = tmp_path / "results.json"
    proc = run_grader(folder, "--results", out, *extra)
    assert out.is_file(), f"grader exit {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr}"
    return proc, json.loads(out.read_text())


def points_of(assignment):
    a = assignments.resolve(assignment)
    return sum(c["points"] for _, cs in a.cases(PROGRAMS) for c in cs)


def test_three_ship_and_the_default_is_todays():
    assert assignments.shipped() == ["lecture13", "lecture13-lockstep", "lecture13-services"]
    base = assignments.resolve(None)
    assert base.name == "lecture13" and points_of("lecture13") == TOTAL_POINTS == 138
    assert base.references(PROGRAMS) == {p: str(ROOT / "reference" / f"{p}.c") for p in PROGRAMS}
    assert base.own_case_files() == sorted(str(f) for f in (ROOT / "cases").glob("*.json"))


@pytest.mark.parametrize("name", assignments.shipped())
def test_shipped_assignment_checks(name):
    proc = run_grader("--check-assignment", ROOT / "assignments" / name)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{name}: ok: ") and f"{points_of(name)} points" in proc.stdout


@pytest.mark.parametrize("name", VARIANTS)
def test_references_full_marks(name, tmp_path):
    proc, results = graded(submission(tmp_path / "sub", name), tmp_path, "--assignment", name)
    assert (proc.returncode, failed_ids(results)) == (0, set())
    assert results["score"] == points_of(name)
    assert f"Assignment: {name}" in proc.stdout


@pytest.mark.parametrize("name,correct", CORRECT, ids=[f"{v}/{c}" for v, c in CORRECT])
def test_correct_submission_written_differently_full_marks(name, correct, tmp_path):
    sub = submission(tmp_path / "sub", name, TESTS / name / correct)
    proc, results = graded(sub, tmp_path, "--assignment", name)
    assert (proc.returncode, failed_ids(results)) == (0, set())


def test_every_variant_has_a_correct_submission_and_mutants():
    for name in VARIANTS:
        assert any(v == name for v, _ in CORRECT), name
        assert len([m for v, m in MUTANTS if v == name]) >= 5, name


@pytest.mark.parametrize("name,mutant", MUTANTS, ids=[f"{v}/{m['name']}" for v, m in MUTANTS])
def test_mutant_is_caught(name, mutant, tmp_path):
    sub = submission(tmp_path / "sub", name)
    path = sub / f"{mutant['program']}.c"
    text = path.read_text()
    for e in mutant["edits"]:
        assert text.count(e["find"]) == 1, e["find"]
        text = text.replace(e["find"], e["replace"])
    path.write_text(text)
    proc, results = graded(sub, tmp_path, "--assignment", name)
    assert proc.returncode == 1
    assert failed_ids(results) == set(mutant["catches"])
    for program, (score, top) in scores_by_program(results).items():
        assert score < top if program == mutant["program"] else score == top, program


def test_lockstep_client_full_marks_on_lockstep_and_loses_the_poll_cases_on_lecture13(tmp_path):
    lockstep = ROOT / "assignments" / "lecture13-lockstep" / "reference"
    sub = submission(tmp_path / "sub", "lecture13", lockstep)
    (tmp_path / "a").mkdir()
    proc, results = graded(sub, tmp_path / "a", "--assignment", "lecture13-lockstep")
    assert (proc.returncode, failed_ids(results)) == (0, set())
    (tmp_path / "b").mkdir()
    proc, results = graded(sub, tmp_path / "b")  # the default: lecture13
    assert failed_ids(results) == POLL_CASES


def test_sequential_32_byte_server_loses_exactly_whole_message_and_concurrency(tmp_path):
    """Today's reference echo server on lecture13-services; the forking whole-message one
    (the variant's reference) is at full marks in test_references_full_marks."""
    proc, results = graded(ROOT / "reference", tmp_path, "--assignment", "lecture13-services")
    assert proc.returncode == 1
    assert failed_ids(results) == WHOLE_AND_CONCURRENT


# ---------------------------------------------------------------- --check-assignment

def variant(tmp_path, cases=None, readme_edit=None, rules=None, reference=None):
    """A copy of lecture13-lockstep under tmp_path, changed as asked; its folder."""
    dest = tmp_path / "broken"
    shutil.copytree(ROOT / "assignments" / "lecture13-lockstep", dest)
    if isinstance(cases, str):  # the file's text as it is
        (dest / "cases" / "tcp_client.json").write_text(cases)
    elif cases is not None:  # entries added to the variant's own
        doc = json.loads((dest / "cases" / "tcp_client.json").read_text())
        doc["cases"] += cases
        (dest / "cases" / "tcp_client.json").write_text(json.dumps(doc))
    if readme_edit:
        path = dest / "student" / "README.md"
        path.write_text(readme_edit(path.read_text()))
    if rules is not None:
        (dest / "rules.json").write_text(json.dumps(rules))
    if reference is not None:
        (dest / "reference" / "tcp_client.c").write_text(reference)
        (dest / "mutants.json").unlink()  # its edits are for the real reference
    return dest


def cases_with(*entries):
    return list(entries)


NEW_CASE = {"id": "cl.extra", "description": "d", "requirement": "r", "why": "w", "category": "core", "points": 1,
            "scenario": "tcp_client", "params": {"steps": [{"stdin": "a\n"}, {"reply": "b\n"}]}, "compare": ["sent"],
            "hint": "h"}


def rules_tracing(*ids):
    doc = json.loads((ROOT / "assignments" / "lecture13-lockstep" / "rules.json").read_text())
    doc["rules"][0]["cases"] += list(ids)
    return doc


BROKEN = {
    "bad_json": (dict(cases='{"program": "tcp_client", "cases": [}'), "tcp_client.json: not valid JSON"),
    "duplicate_id": (dict(cases=cases_with({"id": "cl.sends_line", "points": 2})),
                     "case id cl.sends_line given twice"),
    "drops_unknown_id": (dict(cases=cases_with({"id": "cl.no_such_case", "drop": True})),
                         "drops cl.no_such_case, which the base lecture13 does not have"),
    "new_case_incomplete": (dict(cases=cases_with({"id": "cl.half", "points": 1})),
                            "new case cl.half lacks description"),
    "does_not_record": (dict(cases=cases_with(dict(NEW_CASE, scenario="no_such_scenario")),
                             rules=rules_tracing("cl.extra")), "no_such_scenario"),
    "readme_misses_a_case": (dict(cases=cases_with(NEW_CASE)), "no rule of rules.json traces case cl.extra"),
    "readme_sentence_untraced": (dict(readme_edit=lambda t: t.replace("- Repeat:", "- Always say please.\n- Repeat:")),
                                 "no row quotes 'Always say please.'"),
    "reference_does_not_compile": (dict(reference="int main(void) { return 0 }\n"),
                                   "the reference tcp_client.c does not compile"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_check_assignment_rejects_a_broken_variant(kind, tmp_path):
    changes, message = BROKEN[kind]
    proc = run_grader("--check-assignment", variant(tmp_path, **changes))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader: ") and message in lines[0], proc.stderr


def test_check_assignment_takes_a_variant_of_ones_own(tmp_path):
    """A variant outside the tree, reweighting, dropping and adding a case, no C written."""
    dest = variant(tmp_path, cases=cases_with({"id": "cl.reply_lengths", "points": 7},
                                              {"id": "cl.bad_addr", "drop": True}, NEW_CASE),
                   rules=rules_tracing("cl.extra"))
    (dest / "reference" / "tcp_client.c").unlink()  # the base's then: still records
    (dest / "mutants.json").unlink()  # its edits were for the lock-step reference
    (dest / "assignment.json").write_text(json.dumps({"name": "my-course", "base": "lecture13"}))
    proc = run_grader("--check-assignment", dest)
    assert proc.returncode == 0, proc.stderr
    cases = {c["id"]: c for _, cs in assignments.Assignment(dest).cases(PROGRAMS) for c in cs}
    assert cases["cl.reply_lengths"]["points"] == 7 and "cl.bad_addr" not in cases and "cl.extra" in cases
    base = {c["id"]: c for c in json.loads((ROOT / "cases" / "tcp_client.json").read_text())["cases"]}
    assert cases["cl.reply_lengths"]["requirement"] == base["cl.reply_lengths"]["requirement"]


def test_unknown_assignment_is_one_line_exit_2(tmp_path):
    proc = run_grader(ROOT / "reference", "--assignment", "no-such-course")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "grader: --assignment: no assignment no-such-course (shipped: lecture13, lecture13-lockstep, "
        "lecture13-services; or give its folder)"]


# ---------------------------------------------------------------- every mode takes --assignment

def test_explain_reads_the_assignment():
    proc = run_grader("--explain", "echo.whole_message", "--assignment", "lecture13-services")
    assert proc.returncode == 0 and "Reads the message with one recv()" in proc.stdout
    assert run_grader("--explain", "echo.whole_message").returncode == 2  # not lecture13's


def test_batch_grades_the_assignment(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copytree(ROOT / "reference", klass / "today")
    submission(klass / "services", "lecture13-services")
    proc = run_grader("--batch", klass, "--out", tmp_path / "out", "--assignment", "lecture13-services", "-q",
                      timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = {r.split(",")[0]: r.split(",") for r in (tmp_path / "out" / "grades.csv").read_text().splitlines()[1:]}
    top = points_of("lecture13-services")
    assert rows["services"][1:3] == [str(top), str(top)]
    assert rows["today"][2] == str(top) and int(rows["today"][1]) < top


def test_student_template_is_the_base_with_the_variants_files(tmp_path):
    out = tmp_path / "template"
    proc = run_grader("--student-template", out, "--assignment", "lecture13-lockstep")
    assert proc.returncode == 0, proc.stderr
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == sorted(["Makefile", "README.md", ".github/workflows/classroom.yml"] + [f"{p}.c" for p in PROGRAMS])
    assert "lock-step" in (out / "README.md").read_text()
    assert (out / "tcp_client.c").read_text() == (ROOT / "assignments" / "lecture13-lockstep" / "student" /
                                                  "tcp_client.c").read_text()
    assert (out / "unix_d_send.c").read_text() == (ROOT / "student_template" / "unix_d_send.c").read_text()


def test_gradescope_package_grades_the_assignment_it_was_built_with(tmp_path):
    own = tmp_path / "my-course"  # a reweighting of lecture13-lockstep: one case file, nothing else
    (own / "cases").mkdir(parents=True)
    (own / "cases" / "tcp_client.json").write_text(json.dumps(
        {"program": "tcp_client", "cases": [{"id": "cl.sends_line", "points": 9}]}))
    (own / "assignment.json").write_text(json.dumps({"name": "my-course", "base": str(ROOT / "assignments" /
                                                                                     "lecture13-lockstep")}))
    assert run_grader("--check-assignment", own).returncode == 0
    zip_path = tmp_path / "autograder.zip"
    proc = run_grader("--gradescope-package", zip_path, "--assignment", own)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
        run = z.read("run_autograder").decode()
        packed = json.loads(z.read("assignments/my-course/assignment.json"))
    assert '--assignment "my-course"' in run
    assert packed["base"] == "lecture13-lockstep"
    assert {"assignments.py", "assignments/lecture13-services/assignment.json", "assignments/my-course/cases/"
            "tcp_client.json", "student_template/README.md"} <= names
    # the default package grades lecture13
    proc = run_grader("--gradescope-package", tmp_path / "default.zip")
    with zipfile.ZipFile(tmp_path / "default.zip") as z:
        assert '--assignment "lecture13"' in z.read("run_autograder").decode()


def test_hidden_paths_hold_an_assignment_of_ones_own(tmp_path):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("GRADER_BUILD", str(ROOT / "build"))
    import grader
    own = variant(tmp_path)
    hidden = grader.hidden_paths([], assignment=str(own))
    assert str(own) in hidden and str(ROOT) in hidden
