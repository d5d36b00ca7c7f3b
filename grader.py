#!/usr/bin/env python3
"""Grade a sockets homework submission.

    ./grader.py SUBMISSION_DIR [--results FILE] [--cases DIR] [-k EXPR] [-q]

Builds the five programs with fixed flags, runs every case through pytest (one
parametrized test per case, so -k selects cases), and prints a report: the
score per program and in total, and for each failure the requirement, expected
next to observed, and a hint.

Exit status: 0 every selected case passed, 1 some failed, 2 usage error or a
fault of the grader itself.

Where things live: cases/*.json define the behaviours, harness/ (the probe)
checks them, this file builds, runs and scores. See docs/DESIGN.md.
"""
import os
import sys

PYTEST_FIX = "apt-get install -y python3-pytest python3-pytest-xdist"

try:
    import pytest
except ImportError:  # Debian's pytest installs for /usr/bin/python3, maybe not first on PATH
    system_python = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system_python) and os.access(system_python, os.X_OK) \
            and os.environ.get("GRADER_REEXEC") != "1":
        os.environ["GRADER_REEXEC"] = "1"
        os.execv(system_python, [system_python, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write(f"grader: pytest is missing: run  {PYTEST_FIX}\n")
    sys.exit(2)

import argparse
import concurrent.futures
import glob
import hashlib
import json
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = ["unix_d_server", "unix_d_send", "tcp_qq_srver", "tcp_client", "tcp_echo_serverSR"]
CFLAGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-fdiagnostics-color=never"]
COMPILE_TIMEOUT_S = 60
PROBE_TIMEOUT_S = 600  # a whole program's cases; each wait inside has its own deadline


class GraderError(Exception):
    """A fault of the grader or of its input: exit 2 with this one-line message."""


# ---------------------------------------------------------------- building

def build_dir():
    return os.environ.get("GRADER_BUILD") or os.path.join(ROOT, "build")


def probe_path():
    """The probe binary, built with CMake on first use."""
    probe = os.path.join(build_dir(), "harness", "probe")
    if not os.access(probe, os.X_OK):
        for cmd in (["cmake", "-S", ROOT, "-B", build_dir()], ["cmake", "--build", build_dir(), "--target", "probe"]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                last = (r.stderr.strip().splitlines() or ["?"])[-1]
                raise GraderError(f"building the probe failed ({' '.join(cmd)}): {last}")
    return probe


def compile_program(src_dir, program, out_dir):
    """Compiles SRC_DIR/PROGRAM.c alone into OUT_DIR/PROGRAM.
    Returns {"ok": bool, "binary": path, "messages": compiler output}."""
    src = os.path.join(src_dir, program + ".c")
    binary = os.path.join(out_dir, program)
    if not os.path.isfile(src):
        return {"ok": False, "binary": binary, "messages": f"no {program}.c in the submission"}
    cmd = ["gcc", *CFLAGS, "-I", src_dir, "-o", binary, src]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"ok": False, "binary": binary, "messages": f"the compiler took more than {COMPILE_TIMEOUT_S} s"}
    messages = (r.stdout + r.stderr).replace(src_dir.rstrip("/") + "/", "")
    return {"ok": r.returncode == 0, "binary": binary, "messages": messages.strip()}


def compile_all(src_dir, out_dir):
    """Compiles the five programs in parallel; {program: compile result}."""
    os.makedirs(out_dir, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(len(PROGRAMS)) as pool:
        futures = {p: pool.submit(compile_program, src_dir, p, out_dir) for p in PROGRAMS}
        return {p: f.result() for p, f in futures.items()}


# ---------------------------------------------------------------- cases

def case_files(extra_dirs=()):
    files = sorted(glob.glob(os.path.join(ROOT, "cases", "*.json")))
    for d in extra_dirs:
        if not os.path.isdir(d):
            raise GraderError(f"--cases {d}: not a folder")
        more = sorted(glob.glob(os.path.join(d, "*.json")))
        if not more:
            raise GraderError(f"--cases {d}: no .json case files in it")
        files += more
    return files


def load_cases(files):
    """Every case, in file order, with its program. The probe validates them in full."""
    cases = []
    for f in files:
        try:
            with open(f) as fh:
                doc = json.load(fh)
            for c in doc["cases"]:
                c["program"] = doc["program"]
                cases.append(c)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise GraderError(f"{f}: not a case file ({e})")
    return cases


def run_probe(binary, peers, files, expected=None, ids=None):
    """Runs the probe on one binary; {case id: verdict}."""
    cmd = [probe_path(), "--bin", binary, "--peers", peers]
    if expected:
        cmd += ["--expected", expected]
    for i in ids or []:
        cmd += ["--id", i]
    try:
        r = subprocess.run(cmd + files, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise GraderError(f"the probe did not finish {os.path.basename(binary)} within {PROBE_TIMEOUT_S} s")
    if r.returncode != 0:
        raise GraderError(r.stderr.strip().splitlines()[0] if r.stderr.strip() else f"probe exit {r.returncode}")
    verdicts = {}
    for line in r.stdout.splitlines():
        v = json.loads(line)
        verdicts[v["id"]] = v
    return verdicts


def oracle(files):
    """The reference binaries and their recorded observations, cached by the
    hash of everything they depend on. Returns (bin dir, expected.json path)."""
    h = hashlib.sha256()
    probe = probe_path()
    for f in [probe] + sorted(glob.glob(os.path.join(ROOT, "reference", "*.c"))) + list(files):
        with open(f, "rb") as fh:
            h.update(f.encode() + b"\0" + fh.read())
    cache = os.path.join(build_dir(), "oracle", h.hexdigest()[:16])
    expected = os.path.join(cache, "expected.json")
    if os.path.isfile(expected):
        return cache, expected
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(cache))
    try:
        built = compile_all(os.path.join(ROOT, "reference"), tmp)
        broken = [p for p, b in built.items() if not b["ok"]]
        if broken:
            raise GraderError(f"the reference {broken[0]}.c does not compile: {built[broken[0]]['messages']}")
        observed = {}
        with concurrent.futures.ThreadPoolExecutor(len(PROGRAMS)) as pool:
            for verdicts in pool.map(lambda p: run_probe(os.path.join(tmp, p), tmp, files), PROGRAMS):
                for cid, v in verdicts.items():
                    if v["verdict"] != "recorded" or v.get("reason"):
                        raise GraderError(f"recording the reference on {cid} failed: {v.get('reason')}")
                    observed[cid] = v["observed"]
        with open(os.path.join(tmp, "expected.json"), "w") as fh:
            json.dump(observed, fh, indent=1, sort_keys=True)
        try:
            os.rename(tmp, cache)
        except OSError:  # another grading recorded it meanwhile
            pass
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return cache, expected


# ---------------------------------------------------------------- the pytest plugin

class Grading:
    """One grading: what was built, which cases, their verdicts. Registered as a
    pytest plugin; the tests in this module read it through the `grading` fixture."""

    def __init__(self, submission, files, cases, built, peers, expected):
        self.submission, self.files, self.cases = submission, files, cases
        self.built, self.peers, self.expected = built, peers, expected
        self.selected = []  # case ids pytest kept after -k
        self.verdicts = {}

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", self.cases, ids=[c["id"] for c in self.cases])

    def pytest_collection_finish(self, session):
        self.selected = [item.callspec.params["case"]["id"] for item in session.items
                         if hasattr(item, "callspec")]

    @pytest.fixture(scope="session")
    def grading(self):
        self.run()
        return self

    def run(self):
        """Runs the selected cases, one probe per program, programs in parallel."""
        by_program = {}
        for c in self.cases:
            if c["id"] in self.selected:
                by_program.setdefault(c["program"], []).append(c["id"])
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(len(PROGRAMS)) as pool:
            for program, ids in by_program.items():
                b = self.built.get(program)
                if b and b["ok"]:
                    jobs[program] = pool.submit(run_probe, b["binary"], self.peers, self.files, self.expected, ids)
                else:
                    for cid in ids:
                        self.verdicts[cid] = not_built(cid, program, b)
            for program, job in jobs.items():
                self.verdicts.update(job.result())


def not_built(cid, program, built):
    why = built["messages"] if built else f"{program} was not built"
    return {"id": cid, "program": program, "verdict": "fail", "reason": f"{program}.c does not compile",
            "expected": {}, "observed": {"compiler": why}, "hint": "Fix the compiler's errors first.",
            "time_ms": 0, "transcript": []}


def test_case(case, grading):
    """One case: passes when the probe observed what the reference did."""
    v = grading.verdicts.get(case["id"])
    assert v is not None, f"no verdict for {case['id']}"
    if v["verdict"] != "pass":
        pytest.fail(failure_text(case, v), pytrace=False)


# ---------------------------------------------------------------- reports

def show(value):
    """A compared value as the report prints it: bytes as "text" [hex]."""
    if isinstance(value, dict) and "hex" in value and "text" in value:
        extra = "".join(f", {k}: {value[k]}" for k in value if k not in ("text", "hex"))
        return f"\"{value['text']}\"  [hex {value['hex'] or '-'}]{extra}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def failure_text(case, v):
    lines = [f"{case['id']} ({v['verdict']}): {case['description']}",
             f"  requirement: {case['requirement']}"]
    if v.get("reason"):
        lines.append(f"  why: {v['reason']}")
    for key in sorted(set(v.get("expected", {})) | set(v.get("observed", {}))):
        if key in v.get("mismatch", [key]):
            lines.append(f"  {key}:")
            lines.append(f"    expected: {show(v.get('expected', {}).get(key))}")
            lines.append(f"    observed: {show(v.get('observed', {}).get(key))}")
    if v.get("hint"):
        lines.append(f"  hint: {v['hint']}")
    return "\n".join(lines)


def scores(cases, verdicts):
    """{program: [got, max]} and the total, over the cases that were run."""
    per = {p: [0, 0] for p in PROGRAMS}
    for c in cases:
        v = verdicts.get(c["id"])
        if v is None:
            continue
        s = per.setdefault(c["program"], [0, 0])
        s[1] += c["points"]
        if v["verdict"] == "pass":
            s[0] += c["points"]
    return per, sum(s[0] for s in per.values()), sum(s[1] for s in per.values())


def text_report(g, elapsed):
    per, got, total = scores(g.cases, g.verdicts)
    out = [f"Grading {g.submission}", ""]
    for p in PROGRAMS:
        b = g.built[p]
        warn = b["messages"].count("warning:")
        state = "ok" if b["ok"] else "DOES NOT COMPILE"
        out.append(f"  build {p}.c: {state}" + (f" ({warn} warning{'s' if warn != 1 else ''})" if warn else ""))
        if b["messages"]:
            out += ["      " + line for line in b["messages"].splitlines()[:20]]
    out.append("")
    for p in PROGRAMS:
        if per[p][1] == 0:
            continue
        out.append(f"{p:<20} {per[p][0]:>3}/{per[p][1]}")
        for c in g.cases:
            v = g.verdicts.get(c["id"])
            if c["program"] == p and v and v["verdict"] != "pass":
                out.append("  " + failure_text(c, v).replace("\n", "\n  "))
    out += ["", f"Total: {got}/{total}  ({elapsed:.1f} s)"]
    return "\n".join(out) + "\n"


def gradescope_results(g, elapsed):
    """Gradescope's results.json: score, execution_time, tests[]."""
    tests = []
    for c in g.cases:
        v = g.verdicts.get(c["id"])
        if v is None:
            continue
        passed = v["verdict"] == "pass"
        t = {"name": f"{c['id']}: {c['description']}", "score": c["points"] if passed else 0,
             "max_score": c["points"], "status": "passed" if passed else "failed",
             "output": c["requirement"] if passed else failure_text(c, v),
             "tags": [c["program"], c["category"]]}
        if c.get("hidden"):
            t["visibility"] = "after_published"
        tests.append(t)
    _, got, _ = scores(g.cases, g.verdicts)
    return {"score": got, "execution_time": round(elapsed, 2), "tests": tests}


# ---------------------------------------------------------------- command line

def parse_args(argv):
    ap = argparse.ArgumentParser(prog="grader.py", description="Grade a sockets homework submission.")
    ap.add_argument("submission", help="folder holding the five .c files")
    ap.add_argument("--results", metavar="FILE", help="write Gradescope's results.json here")
    ap.add_argument("--cases", metavar="DIR", action="append", default=[], help="a folder of extra case files")
    ap.add_argument("-k", metavar="EXPR", help="only the cases whose id matches (pytest -k)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the total line")
    return ap.parse_args(argv)


def grade(args):
    """Grades one submission; returns (Grading, elapsed seconds)."""
    t0 = time.monotonic()
    sub = os.path.abspath(args.submission)
    if not os.path.isdir(sub):
        raise GraderError(f"{args.submission}: not a folder")
    files = case_files(args.cases)
    cases = load_cases(files)
    peers, expected = oracle(files)
    work = tempfile.mkdtemp(prefix="grader-")
    try:
        g = Grading(sub, files, cases, compile_all(sub, work), peers, expected)
        pytest_args = [os.path.abspath(__file__), "-q", "-p", "no:cacheprovider", "--no-header",
                       "-o", "python_files=grader.py", "-o", "console_output_style=classic", "--tb=no",
                       "-p", "no:randomly"]
        if args.k:
            pytest_args += ["-k", args.k]
        with open(os.devnull, "w") as devnull:
            stdout = sys.stdout
            sys.stdout = devnull  # pytest's own progress lines are not the report
            try:
                rc = pytest.main(pytest_args, plugins=[g])
            finally:
                sys.stdout = stdout
        if rc not in (0, 1) and not (rc == 5 and not g.selected):
            raise GraderError(f"pytest failed to run the cases (exit {int(rc)})")
        return g, time.monotonic() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        g, elapsed = grade(args)
    except GraderError as e:
        sys.stderr.write(f"grader: {e}\n")
        return 2
    if not g.selected:
        sys.stderr.write("grader: no case matches the selection\n")
        return 2
    per, got, total = scores(g.cases, g.verdicts)
    report = text_report(g, elapsed)
    sys.stdout.write(report.splitlines()[-1] + "\n" if args.quiet else report)
    if args.results:
        with open(args.results, "w") as fh:
            json.dump(gradescope_results(g, elapsed), fh, indent=2)
    return 0 if got == total else 1


if __name__ == "__main__":
    sys.exit(main())
