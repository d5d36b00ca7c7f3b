"""The batch's verdict cache (verdict_cache.py): a regrade runs only what changed, and
writes exactly what a grading from scratch writes."""
import json
import pathlib
import re
import shutil
import sys

import pytest

from conftest import PROGRAMS, ROOT, build_mutant, run_grader

sys.path.insert(0, str(ROOT))
import verdict_cache  # noqa: E402

HIDDEN_ID = "cl.hidden_second_line"


def make_class(folder):
    """A small class: the reference, the lecture's code, a mutant, one whose tcp_client.c does
    not compile, one without tcp_qq_srver.c, and one whose tcp_client.c includes a header of
    its own (util.h)."""
    folder.mkdir()
    shutil.copytree(ROOT / "reference", folder / "reference")
    shutil.copytree(ROOT / "tests" / "submissions" / "lecture", folder / "lecture")
    mutants = {m["name"]: m for m in json.loads((ROOT / "tests" / "mutants.json").read_text())}
    build_mutant(mutants["us_signed_char_buffer"], folder / "mutant")
    shutil.copytree(ROOT / "reference", folder / "broken_client")
    (folder / "broken_client" / "tcp_client.c").write_text("int main(void) { return undeclared; }\n")
    shutil.copytree(ROOT / "reference", folder / "no_qq")
    (folder / "no_qq" / "tcp_qq_srver.c").unlink()
    shutil.copytree(ROOT / "reference", folder / "split")
    (folder / "split" / "util.h").write_text("/* helpers of tcp_client.c */\n#define CLIENT_HELPERS 1\n")
    client = folder / "split" / "tcp_client.c"
    client.write_text('#include "util.h"\n' + client.read_text())
    return folder


def hidden_cases(folder, points):
    """A TA's case folder holding one tcp_client case worth POINTS (a case added after the deadline)."""
    folder.mkdir(exist_ok=True)
    doc = json.loads((ROOT / "cases" / "tcp_client.json").read_text())
    case = dict(next(c for c in doc["cases"] if c["id"] == "cl.sends_line"), id=HIDDEN_ID, points=points, hidden=True)
    case["params"] = {"steps": [{"stdin": "first\n"}, {"reply": "1\n"}, {"stdin": "and the second\n"},
                                {"reply": "2\n"}]}
    (folder / "tcp_client_hidden.json").write_text(json.dumps({"program": "tcp_client", "cases": [case]}))
    return folder


def batch(klass, out, *extra):
    proc = run_grader("--batch", klass, "--out", out, "--jobs", 2, "-q", *extra)
    assert proc.returncode == 0, proc.stderr
    return proc


def cache_line(proc):
    """(reused, ran, compiled) from the batch's cache line on stderr."""
    m = re.search(r"^cache: (\d+) verdicts reused, (\d+) cases run, (\d+) programs compiled", proc.stderr, re.M)
    assert m, proc.stderr
    return tuple(map(int, m.groups()))


def untimed(path):
    """A file of OUT with the time its grading took taken out (the one thing a regrade from
    kept verdicts cannot reproduce): every other byte must be the same."""
    text = path.read_text()
    text = re.sub(r"(Total: \d+/\d+  \()[\d.]+ s\)", r"\1T s)", text)
    text = re.sub(r"(graded in )[\d.]+ s", r"\1T s", text)
    return re.sub(r'("execution_time": )[\d.]+', r"\1T", text)


def out_files(out):
    return sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts)


def count_cases(program):
    return len(json.loads((ROOT / "cases" / f"{program}.json").read_text())["cases"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    return {"root": root, "class": make_class(root / "class"), "hidden": hidden_cases(root / "hidden", 4),
            "hidden9": hidden_cases(root / "hidden9", 9)}


@pytest.fixture(scope="module")
def scratch(world):
    """The class graded from scratch (--no-cache) with the hidden case: OUT."""
    out = world["root"] / "scratch"
    proc = batch(world["class"], out, "--no-cache", "--cases", world["hidden"])
    assert "cache:" not in proc.stderr and "skipped" not in proc.stderr
    return out


@pytest.fixture(scope="module")
def chain(world):
    """One OUT regraded as a TA would: the cases of the deadline, then a hidden case added,
    then its points changed. {step: (process, a copy of OUT's class files)}."""
    out, steps = world["root"] / "chain", {}
    for step, extra in (("deadline", ()), ("added", ("--cases", world["hidden"])),
                        ("points", ("--cases", world["hidden9"]))):
        proc = batch(world["class"], out, *extra)
        steps[step] = (proc, {f: (out / f).read_bytes() for f in ("grades.csv", "summary.txt", "summary.html")})
    return out, steps


def distinct_programs(klass, programs=PROGRAMS):
    """The programs of the class that are compiled and run once each: two submissions share one
    when the program's file, the names of their .c/.h files and what it includes are the same
    (an untouched reference program in several submissions, a copy)."""
    seen = set()
    for sub in sorted(klass.iterdir()):
        names = tuple(sorted(p.name for p in sub.iterdir() if p.suffix in (".c", ".h")))
        for p in programs:
            if (sub / f"{p}.c").exists():
                seen.add((p, names, (sub / f"{p}.c").read_bytes(), (sub / "util.h").exists() and p == "tcp_client"))
    return seen


def test_adding_a_case_runs_that_case_alone(world, chain, scratch):
    _, steps = chain
    programs = distinct_programs(world["class"])
    compiling = [k for k in programs if b"undeclared" not in k[2]]
    runs = sum(count_cases(k[0]) for k in compiling)
    # the first grading: each distinct program compiled and run once, the others take its verdicts
    reused0, ran0, compiled0 = cache_line(steps["deadline"][0])
    assert (ran0, compiled0) == (runs, len(programs))
    total = sum(count_cases(p) for sub in world["class"].iterdir() for p in PROGRAMS
                if (sub / f"{p}.c").exists() and b"undeclared" not in (sub / f"{p}.c").read_bytes())
    assert reused0 == total - runs > 0
    # the hidden case runs once per distinct tcp_client that compiles (the reference's client in
    # two submissions: once); nothing else runs, nothing is compiled (a failed compile is kept too)
    clients = [k for k in compiling if k[0] == "tcp_client"]
    assert cache_line(steps["added"][0]) == (total + 5 - len(clients), len(clients), 0)
    # and the class files are those of a grading from scratch, byte for byte
    for name, data in steps["added"][1].items():
        assert data == (scratch / name).read_bytes(), name


def test_changing_points_runs_nothing(world, chain, tmp_path):
    _, steps = chain
    reused, _, _ = cache_line(steps["added"][0])
    assert cache_line(steps["points"][0]) == (reused + len([k for k in distinct_programs(world["class"], ["tcp_client"])
                                                            if b"undeclared" not in k[2]]), 0, 0)
    fresh = tmp_path / "fresh"
    batch(world["class"], fresh, "--no-cache", "--cases", world["hidden9"])
    for name, data in steps["points"][1].items():
        assert data == (fresh / name).read_bytes(), name
    assert b"\nreference,147,147," in steps["points"][1]["grades.csv"]  # 138 + the hidden case, now 9 points


def test_reports_from_kept_verdicts_equal_the_grading_that_made_them(world, tmp_path):
    """A grading from scratch keeps its verdicts; a second OUT graded through that cache, first
    without the hidden case and then with it, writes every file byte for byte as the scratch
    grading did, its elapsed times aside."""
    first = tmp_path / "first"
    proc = batch(world["class"], first, "--cases", world["hidden"])
    assert cache_line(proc)[1] > 0  # fresh: its verdicts come from the probe, now
    second = tmp_path / "second"
    batch(world["class"], second, "--cache", first / ".cache")
    proc = batch(world["class"], second, "--cache", first / ".cache", "--cases", world["hidden"])
    assert cache_line(proc)[1:] == (0, 0)  # nothing compiled, nothing run
    assert out_files(second) == out_files(first)
    for rel in out_files(first):
        expected = untimed(first / rel)
        if rel.name != "fingerprint.txt":
            assert expected != "" and untimed(second / rel) == expected, rel
    assert (second / "lecture" / "report.txt").read_text() != (first / "lecture" / "report.txt").read_text(), \
        "the elapsed time differs, or untimed() hides nothing"


def test_a_changed_file_reruns_only_the_programs_that_read_it(world, tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(world["class"], klass)
    out = tmp_path / "out"
    batch(klass, out)
    # util.h is read by split's tcp_client.c alone
    (klass / "split" / "util.h").write_text("/* helpers of tcp_client.c, reworded */\n#define CLIENT_HELPERS 1\n")
    proc = batch(klass, out)
    assert cache_line(proc)[1:] == (count_cases("tcp_client"), 1)
    assert sorted(re.findall(r"skipped \(already graded\): (\S+)", proc.stderr)) == \
        ["broken_client", "lecture", "mutant", "no_qq", "reference"]
    # the lecture's echo server fixed: that program alone is compiled and run again
    fixed = (ROOT / "reference" / "tcp_echo_serverSR.c").read_text() + "/* fixed after the lecture */\n"
    (klass / "lecture" / "tcp_echo_serverSR.c").write_text(fixed)
    proc = batch(klass, out)
    assert cache_line(proc)[1:] == (count_cases("tcp_echo_serverSR"), 1)
    lecture = json.loads((out / "lecture" / "results.json").read_text())
    echo = [t for t in lecture["tests"] if t["tags"][0] == "tcp_echo_serverSR"]
    assert echo and all(t["status"] == "passed" for t in echo)
    # a copy of a program already graded (the reference's, byte for byte) takes its verdicts
    (klass / "lecture" / "tcp_echo_serverSR.c").write_text((ROOT / "reference" / "tcp_echo_serverSR.c").read_text())
    proc = batch(klass, out)
    assert cache_line(proc)[1:] == (0, 0)
    # a new file's name can change what an #include finds: every program of that submission
    # is looked at again (a stdio.h of the student's own would shadow the system's)
    (klass / "reference" / "notes.h").write_text("/* nothing */\n")
    proc = batch(klass, out)
    assert cache_line(proc)[2] == len(PROGRAMS)


def test_no_cache_grades_everything_and_keeps_nothing(world, tmp_path):
    out = tmp_path / "out"
    batch(world["class"], out)
    before = sorted(p for p in (out / ".cache").rglob("*"))
    proc = batch(world["class"], out, "--no-cache")
    assert "skipped" not in proc.stderr and "cache:" not in proc.stderr
    assert sorted(p for p in (out / ".cache").rglob("*")) == before
    assert (out / "grades.csv").read_text().count(",graded") == 6


def test_the_cache_folder_is_hidden_from_submissions(world, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import batch as batch_module
    import grader
    seen = {}

    def fake(submission, files, cases, peers, expected, selected, isolation, hide, *rest):
        seen["hide"] = hide
        raise grader.GraderError("stop here")

    monkeypatch.setattr(grader, "grade_without_pytest", fake)
    args = grader.parse_args(["--batch", str(world["class"]), "--out", str(tmp_path / "out"), "--cache",
                              str(tmp_path / "kept"), "-q", "--jobs", "1"])
    assert batch_module.run(args, grader) == 1
    assert str(tmp_path / "kept") in seen["hide"] and str(tmp_path / "out") in seen["hide"]


def test_dependency_lists_are_read_as_make_writes_them():
    text = "program: tcp_client.c my\\ dir/a\\#b.h \\\n /usr/include/stdio.h cost$$.h\n"
    assert verdict_cache.parse_deps(text) == ["tcp_client.c", "my dir/a#b.h", "/usr/include/stdio.h", "cost$.h"]
    assert verdict_cache.parse_deps("something else\n") is None


def test_a_link_in_a_submission_is_not_followed_and_not_cached(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "tcp_client.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "secret.h").write_text("secret\n")
    (sub / "util.h").symlink_to(tmp_path / "secret.h")
    files, special = verdict_cache.scan_submission(str(sub))
    assert special == "util.h" and list(files) == ["tcp_client.c"]


def test_a_header_outside_the_submission_and_usr_is_never_keyed(tmp_path):
    kept = verdict_cache.VerdictCache(str(tmp_path / "c"), "toolchain", "refs", {}, [])
    sub = verdict_cache.SubmissionCache(kept, {"tcp_client.c": "0" * 64})
    assert sub.dep_hashes(["tcp_client.c", "/etc/passwd"]) is None
    assert sub.dep_hashes(["tcp_client.c", "/usr/include/../../etc/passwd"]) is None
    assert sub.dep_hashes(["tcp_client.c", "other.h"]) is None  # not a file of the submission
    assert sub.dep_hashes(["tcp_client.c", "/usr/include/stdio.h"])["/usr/include/stdio.h"]


def test_a_file_read_from_outside_the_submission_and_usr_is_compiled_every_time(world, tmp_path):
    """gcc may read what the cache cannot hash safely (/etc, a path the box could change at
    level 3): such a build is never kept, so it is compiled again on every regrade."""
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "reference", klass / "etc")
    client = klass / "etc" / "tcp_client.c"
    client.write_text('#if __has_include("/etc/os-release")\n#endif\n#include "/etc/hostname"\n' + client.read_text())
    out = tmp_path / "out"
    assert cache_line(batch(klass, out, "-k", "cl.sends_line or us.hex_message"))[2] == len(PROGRAMS)
    proc = batch(klass, out, "-k", "cl.sends_line or us.hex_message", "--cases", world["hidden"])
    assert cache_line(proc)[2] == 1  # tcp_client alone


def test_a_damaged_entry_is_a_miss_never_a_fault(tmp_path):
    kept = verdict_cache.VerdictCache(str(tmp_path / "c"), "toolchain", "refs", {}, [])
    sub = verdict_cache.SubmissionCache(kept, {"tcp_client.c": "0" * 64})
    (tmp_path / "binary").write_bytes(b"\x7fELF")
    entry = sub.store("tcp_client", {"ok": True, "binary": str(tmp_path / "binary"), "messages": ""},
                      "program: tcp_client.c\n")
    assert entry is not None and sub.lookup("tcp_client").key == entry.key
    (pathlib.Path(entry.dir) / "build.json").write_text('{"ok": "yes"}')
    assert sub.lookup("tcp_client") is None
    (pathlib.Path(entry.dir) / "build.json").write_text('{"ok": true, "messages": ""}')
    assert sub.lookup("tcp_client").key == entry.key
    (pathlib.Path(entry.dir) / "binary").unlink()
    assert sub.lookup("tcp_client") is None
    # another submission whose tcp_client.c differs never takes it
    other = verdict_cache.SubmissionCache(kept, {"tcp_client.c": "1" * 64})
    assert other.lookup("tcp_client") is None


def test_files_past_the_compiles_bound_are_not_read(tmp_path):
    """A submission of huge (here sparse) files is refused by the compile; the scan that keys the
    cache and the fingerprint reads none of it past that bound."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "tcp_client.c").write_text("int main(void) { return 0; }\n")
    with open(sub / "huge.h", "wb") as fh:
        fh.truncate(64 << 30)  # 64 GiB of nothing: reading it would take minutes
    files, special = verdict_cache.scan_submission(str(sub))
    assert special.startswith("more than 8 MiB") and files["huge.h"].startswith("size 68719476736")
    assert files["tcp_client.c"].startswith("size 29")  # past the bound too (huge.h came first)


def test_a_case_file_made_invalid_is_refused_though_nothing_needs_to_run(world, tmp_path):
    """Points of 0 (or a category that is none of the three) record nothing new and run no case,
    but the case file is still validated as the probe validates it: one line, exit 2."""
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "reference", klass / "reference")
    hidden = hidden_cases(tmp_path / "hidden", 4)
    batch(klass, tmp_path / "out", "-k", HIDDEN_ID, "--cases", hidden)
    path = hidden / "tcp_client_hidden.json"
    path.write_text(path.read_text().replace('"points": 4', '"points": 0'))
    for args in (["--batch", klass, "--out", tmp_path / "out"], [klass / "reference"]):
        proc = run_grader(*args, "-k", HIDDEN_ID, "--cases", hidden)
        assert proc.returncode == 2 and proc.stderr.strip().splitlines() == \
            [f'grader: probe: {path}: case {HIDDEN_ID}: "points" must be a positive integer'], proc.stderr
