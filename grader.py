#!/usr/bin/python3
"""Grade a sockets homework submission.

    ./grader.py SUBMISSION_DIR [--results FILE] [--cases DIR] [-k EXPR] [-q]
    ./grader.py --batch DIR --out OUT [--jobs N] [--cases DIR] [-k EXPR] [-q]
                [--similarity [--similarity-threshold PERCENT]]

Builds the five programs with fixed flags, runs every case through pytest (one
parametrized test per case, so -k selects cases), and prints a report: the
score per program and in total, and for each failure the requirement, expected
next to observed, and a hint.

Exit status: 0 every selected case passed, 1 some failed, 2 usage error or a
fault of the grader itself.

--batch grades every subfolder of DIR as one submission, N at a time, in this
one process (pytest only collects, once, to apply -k): OUT/NAME/results.json and
report.txt per submission, OUT/grades.csv and OUT/summary.txt for the class. A
rerun with the same OUT skips the submissions already graded from the same
inputs. --similarity adds to the summaries the pairs of submissions whose code
is alike (sim_c; the code every student was given discounted: similarity.py).
Exit status: 0 every submission graded, 1 some could not be graded, 2 the batch
could not run.

Where things live: cases/*.json define the behaviours, harness/ (the probe)
checks them, this file builds, runs and scores. See docs/DESIGN.md.
"""
import os
import sys
import time

T_START = time.monotonic()  # for the timing breakdown (GRADER_TIMING=1)
PYTEST_FIX = "apt-get update && apt-get install -y python3-pytest  (or: sudo ./grader.py --install-deps)"


def ensure_pytest():
    """Makes sure pytest can be imported: Debian's python3-pytest installs for
    /usr/bin/python3, which may not be the python3 first on PATH, so another
    interpreter re-executes this script under it; exit 2 with the fixing
    command when neither has it."""
    import importlib.util
    if importlib.util.find_spec("pytest"):
        return
    system_python = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system_python) and os.access(system_python, os.X_OK) \
            and os.environ.get("GRADER_REEXEC") != "1":
        os.environ["GRADER_REEXEC"] = "1"
        os.execv(system_python, [system_python, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write(f"grader: pytest is missing: run  {PYTEST_FIX}\n")
    sys.exit(2)


import argparse
import concurrent.futures
import difflib
import glob
import hashlib
import json
import shutil
import subprocess
import tempfile

import assignments  # noqa: E402 -- small, and needed by the command line

ROOT = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = ["unix_d_server", "unix_d_send", "tcp_qq_srver", "tcp_client", "tcp_echo_serverSR"]
CFLAGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-pipe", "-fdiagnostics-color=never"]  # -pipe: no temporary files, same code
COMPILE_TIMEOUT_S = 60
MESSAGES_CAP = 64 * 1024  # bytes of compiler messages kept
PROBE_TIMEOUT_S = 600  # a whole program's cases; each wait inside has its own deadline
SIMILARITY_THRESHOLD = 40.0  # --similarity's default, percent: why 40, README "Similar submissions"


class GraderError(Exception):
    """A fault of the grader or of its input: exit 2 with this one-line message."""


# ---------------------------------------------------------------- building

def build_dir():
    return os.environ.get("GRADER_BUILD") or os.path.join(ROOT, "build")


def tool_path(name):
    """build/harness/NAME (the probe, or compile), built with CMake on first use."""
    tool = os.path.join(build_dir(), "harness", name)
    if not os.access(tool, os.X_OK):
        from platforms import prereqs
        missing = prereqs.missing()
        if missing:
            raise GraderError(f"missing {', '.join(missing)}: {prereqs.fix_text()}")
        sys.stderr.write("grader: building the probe and the sandbox (once)...\n")
        for cmd in (["cmake", "-S", ROOT, "-B", build_dir()],
                    ["cmake", "--build", build_dir(), "--target", "probe", "compile"]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                last = (r.stderr.strip().splitlines() or ["?"])[-1]
                raise GraderError(f"building the probe failed ({' '.join(cmd)}): {last}")
    return tool


def probe_path():
    return tool_path("probe")


class Build:
    """One program's compile, started at once: it runs while Python goes on,
    and result() waits for it. A submission's program is compiled in the box
    the probe runs it in (build/harness/compile: an unprivileged uid, no view
    of the grader's files, a private copy of the submission's regular .c/.h
    files, bounded time, memory, output and disk); the reference (trusted)
    with gcc directly. Messages go to a file, never to a pipe nobody reads
    yet, and are read back cut at MESSAGES_CAP."""

    def __init__(self, src_dir, program, out_dir, isolation="auto", hide=(), trusted=False, deps=False):
        self.src_dir, self.program = src_dir, program
        self.deps = None
        self.binary = os.path.join(out_dir, program)
        self.t0 = time.monotonic()
        self.seconds = 0.0
        self.proc = self.log = self.err = None
        src = os.path.join(src_dir, program + ".c")
        if trusted:
            cmd = ["gcc", *CFLAGS, "-I", src_dir, "-o", self.binary, src]
        else:
            cmd = [tool_path("compile"), "--src", src_dir, "--program", program, "--out", self.binary,
                   "--isolation", str(isolation), "--timeout", str(COMPILE_TIMEOUT_S)]
            for path in hide:
                cmd += ["--hide", path]
            if deps:  # the files gcc read, for the batch's verdict cache
                self.deps = os.path.join(out_dir, program + ".d")
                cmd += ["--deps", self.deps]
            cmd += ["--", *CFLAGS]
        if os.path.lexists(src):  # a link is the box's to refuse: only an absent file is missing
            self.log = open(self.binary + ".log", "w+b")
            if not trusted:  # the box's own one-line faults and refusals, apart from gcc's messages
                self.err = open(self.binary + ".err", "w+b")
            # A session of its own, so cancel() stops the whole compile; a
            # trusted compile's temporary files in out_dir, so they go with it.
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=self.err or subprocess.STDOUT,
                                         start_new_session=True, env=dict(os.environ, TMPDIR=out_dir))

    def result(self):
        """{"ok": bool, "binary": path, "messages": compiler output}. Raises
        GraderError when the sandbox refused the submission or failed."""
        if self.proc is None:
            return missing_program(self.src_dir, self.program, self.binary)
        try:
            rc = self.proc.wait(timeout=max(0.0, COMPILE_TIMEOUT_S + 5 - (time.monotonic() - self.t0)))
            messages = None
        except subprocess.TimeoutExpired:
            self.cancel()
            rc, messages = -1, f"the compiler took more than {COMPILE_TIMEOUT_S} s"
        self.seconds = time.monotonic() - self.t0
        if messages is None:
            self.log.seek(0)
            messages = self.log.read(MESSAGES_CAP + 1).decode(errors="replace")
            if len(messages) > MESSAGES_CAP:
                messages = messages[:MESSAGES_CAP] + "\n[... the compiler's messages are cut here]"
        self.log.close()
        if self.err:
            self.err.seek(0)
            why = self.err.read(4096).decode(errors="replace").strip()
            self.err.close()
            if rc in (2, 3):  # the sandbox's own fault, or a refused submission: no score
                raise GraderError((why.splitlines() or [f"compiling {self.program} failed (exit {rc})"])[0])
        messages = messages.replace(self.src_dir.rstrip("/") + "/", "")
        return {"ok": rc == 0, "binary": self.binary, "messages": messages.strip()}

    def dependencies(self):
        """What the box's compile says gcc read (make's syntax), or None (not asked, failed)."""
        try:
            with open(self.deps, "rb") as fh:
                return fh.read(1 << 20).decode(errors="replace")
        except (OSError, TypeError):
            return None

    def cancel(self):
        """Stops the compiler if it still runs (a grading that ends early)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()


def missing_program(src_dir, program, binary):
    """The compile result of a program whose file is not there, naming the file that
    was probably meant (tcp_qq_server.c for tcp_qq_srver.c)."""
    try:
        names = [n for n in os.listdir(src_dir) if n.endswith(".c") and n[:-2] not in PROGRAMS]
    except OSError:
        names = []
    near = difflib.get_close_matches(program + ".c", names, n=1, cutoff=0.6)
    also = f"; found {near[0]}: the file must be named exactly {program}.c" if near else ""
    return {"ok": False, "missing": True, "binary": binary, "messages": f"no {program}.c in the submission{also}"}


def compile_program(src_dir, program, out_dir, isolation="auto", hide=(), deps=False):
    """Compiles SRC_DIR/PROGRAM.c alone, in the box, into OUT_DIR/PROGRAM; the result of Build,
    with DEPS also "deps": the files gcc read (Build.dependencies, for the verdict cache)."""
    build = Build(src_dir, program, out_dir, isolation, hide, deps=deps)
    result = build.result()
    if deps:
        result["deps"] = build.dependencies()
    return result


def compile_reference(sources, out_dir):
    """Compiles the five reference programs side by side, each from its file in SOURCES
    ({program: path}: an assignment's own or its base's); {program: compile result}."""
    os.makedirs(out_dir, exist_ok=True)
    builds = [Build(os.path.dirname(sources[p]), p, out_dir, trusted=True) for p in PROGRAMS]
    return {b.program: b.result() for b in builds}


def load_assignment(spec):
    """The Assignment that --assignment names (a shipped NAME or a DIR; None: the default)."""
    if isinstance(spec, assignments.Assignment):
        return spec
    try:
        return assignments.resolve(spec)
    except assignments.AssignmentError as e:
        raise GraderError(f"--assignment: {e}")


def hidden_paths(case_dirs, *more, assignment=None):
    """What a submission's code, from its compile on, must never see: the grader's own tree
    (reference sources, cases, tests), the build folder (the oracle: recorded expectations
    and reference binaries), a TA's case folders, the assignment's folders (its references,
    cases and those of its bases), and MORE (other students' submissions, the batch's
    output). A grading's own report files are not among them: they hold nothing of anyone
    else, and are written once every program of the grading is gone."""
    folders = load_assignment(assignment).folders()
    paths = [ROOT, build_dir()] + list(case_dirs) + folders + [m for m in more if m]
    seen = []
    for p in (os.path.abspath(p) for p in paths):
        if p not in seen:
            seen.append(p)
    return seen


# ---------------------------------------------------------------- command line

def output_path_problem(path):
    """Why the grader could not write a report file at PATH (None: it can)."""
    if path is None:
        return None
    if os.path.isdir(path):
        return "is a folder; give a file name"
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        return f"no folder {parent}"
    if not os.access(parent, os.W_OK):
        return f"cannot write in {parent}"
    return None


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="grader.py", description="Grade a sockets homework submission.")
    ap.add_argument("submission", nargs="?", help="folder holding the five .c files")
    ap.add_argument("--results", metavar="FILE", help="write Gradescope's results.json here")
    ap.add_argument("--cases", metavar="DIR", action="append", default=[], help="a folder of extra case files")
    ap.add_argument("-k", metavar="EXPR", help="only the cases whose id matches (pytest -k)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the total line")
    ap.add_argument("--isolation", choices=["auto", "1", "2", "3", "4"], default="auto",
                    help="auto: the strongest the machine allows; a number: exactly that level")
    ap.add_argument("--html", metavar="FILE", help="write a self-contained HTML report here")
    ap.add_argument("--junit", metavar="FILE", help="write JUnit XML here (one testcase per case)")
    ap.add_argument("--classroom", action="store_true",
                    help="GitHub Classroom: append result=<base64 JSON> to $GITHUB_OUTPUT, print Points X/Y")
    ap.add_argument("--explain", metavar="CASE_ID", help="what a case checks, why, and the usual mistakes")
    ap.add_argument("--gradescope-package", metavar="OUT_ZIP", help="write Gradescope's autograder zip")
    ap.add_argument("--prairielearn", action="store_true",
                    help="PrairieLearn's external grader: grade $GRADE_ROOT/student (default /grade), "
                         "write $GRADE_ROOT/results/results.json")
    ap.add_argument("--autolab", action="store_true", help="Autolab: end the output with the scores line")
    ap.add_argument("--autolab-package", metavar="OUT_DIR", help="write Autolab's autograde-Makefile and "
                                                                   "autograde.tar into OUT_DIR")
    ap.add_argument("--batch", metavar="DIR", help="grade every subfolder of DIR (one submission each)")
    ap.add_argument("--out", metavar="OUT", help="with --batch: where the results go")
    ap.add_argument("--jobs", metavar="N", type=int, help="with --batch: submissions graded at once "
                                                          "(default: the number of CPUs)")
    ap.add_argument("--cache", metavar="DIR", help="with --batch: where verdicts are kept for regrades "
                                                    "(default: OUT/.cache)")
    ap.add_argument("--no-cache", action="store_true", help="with --batch: grade every submission from scratch "
                                                            "(no verdict kept or reused, none skipped)")
    ap.add_argument("--shard", metavar="K/N", help="with --batch: grade only the K-th of N shares of the class "
                                                    "(a job of a Slurm array or a CI matrix)")
    ap.add_argument("--similarity", action="store_true",
                    help="with --batch: list in the summaries the pairs of submissions whose code is alike "
                         "(sim_c, the code every student was given discounted)")
    ap.add_argument("--similarity-threshold", metavar="PERCENT", type=float,
                    help=f"with --similarity: flag a pair from this score on "
                         f"(default {SIMILARITY_THRESHOLD:g})")
    ap.add_argument("--install-deps", action="store_true",
                    help="install the Debian/Ubuntu packages a grading needs (as root), then exit")
    ap.add_argument("--assignment", metavar="NAME|DIR",
                    help=f"the version of the homework graded: a shipped one ({', '.join(assignments.shipped())}) "
                         f"or an assignment folder (default: {assignments.DEFAULT})")
    ap.add_argument("--check-assignment", metavar="DIR", help="validate an assignment folder (docs/ASSIGNMENTS.md)")
    ap.add_argument("--student-template", metavar="OUT", help="write the assignment's student folder (README, "
                                                              "skeletons) to OUT")
    args = ap.parse_args(argv)
    for option in ("results", "html", "junit", "gradescope_package"):
        problem = output_path_problem(getattr(args, option))
        if problem:  # one line, before anything is started
            sys.stderr.write(f"grader: --{option.replace('_', '-')} {getattr(args, option)}: {problem}\n")
            sys.exit(2)
    if args.explain or args.gradescope_package or args.autolab_package or args.check_assignment \
            or args.student_template:
        if args.submission is not None or args.batch is not None:
            ap.error("--explain, the --*-package options, --check-assignment and --student-template take no "
                     "submission")
        if args.check_assignment and args.assignment:
            ap.error("--check-assignment names its folder itself: no --assignment")
        return args
    if args.prairielearn:
        if args.submission is not None or args.batch is not None:
            ap.error("--prairielearn grades $GRADE_ROOT/student: give no submission")
        from platforms.prairielearn import grade_root
        args.submission = os.path.join(grade_root(), "student")
    if args.batch is None:
        if args.submission is None:
            ap.error("give a SUBMISSION_DIR, or --batch DIR --out OUT")
        for option in ("out", "jobs", "shard", "cache", "similarity_threshold"):
            if getattr(args, option) is not None:
                ap.error(f"--{option.replace('_', '-')} goes with --batch")
        for flag in ("no_cache", "similarity"):
            if getattr(args, flag):
                ap.error(f"--{flag.replace('_', '-')} goes with --batch")
    else:
        if args.submission is not None:
            ap.error("give either a SUBMISSION_DIR or --batch DIR, not both")
        if args.out is None:
            ap.error("--batch needs --out OUT")
        for option in ("results", "html", "junit"):
            if getattr(args, option) is not None:
                ap.error(f"--{option} is for one submission; a batch writes OUT/NAME/ files")
        if args.classroom:
            ap.error("--classroom grades one submission")
        if args.jobs is None:
            args.jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if args.jobs < 1:
            ap.error("--jobs must be at least 1")
        if args.cache is not None and args.no_cache:
            ap.error("--cache DIR or --no-cache, not both")
        if args.shard is not None:
            k, _, n = args.shard.partition("/")
            if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
                ap.error(f"--shard {args.shard}: give K/N with 1 <= K <= N (e.g. 2/8)")
            args.shard = (int(k), int(n))
        if args.similarity_threshold is None:
            args.similarity_threshold = SIMILARITY_THRESHOLD
        elif not args.similarity:
            ap.error("--similarity-threshold goes with --similarity")
        elif not 0 < args.similarity_threshold <= 100:
            ap.error("--similarity-threshold must be a percentage above 0, at most 100")
    return args


def start_early_builds(args):
    """For a one-submission grading: a folder for the binaries and the five
    compiles, started now, before pytest is imported, so gcc runs while Python
    loads (a fifth of a second here). Returns (submission, work, {program:
    Build}), or None for the other modes."""
    if args.submission is None or args.batch is not None or args.explain or args.gradescope_package \
            or args.autolab_package:
        return None
    sub = os.path.abspath(args.submission)
    if not os.path.isdir(sub):
        return None  # grade() says so
    work = tempfile.mkdtemp(prefix="grader-")
    builds = {}
    try:
        for p in PROGRAMS:
            builds[p] = Build(sub, p, work, args.isolation, hidden_paths(args.cases, assignment=args.assignment))
    except (OSError, GraderError):  # no compiler, a broken assignment: grade() meets it again and reports it
        for b in builds.values():
            b.cancel()
        shutil.rmtree(work, ignore_errors=True)
        return None
    return sub, work, builds


ARGS = EARLY = None
if __name__ == "__main__":
    if "--install-deps" in sys.argv[1:]:  # before anything needs what it installs
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from platforms.prereqs import install
        sys.exit(install())
    ensure_pytest()  # may re-execute: before anything is started
    ARGS = parse_args(sys.argv[1:])  # a usage error ends here
    EARLY = start_early_builds(ARGS)

import pytest  # noqa: E402 -- after the builds have started

import platforms  # noqa: E402
import verdict_cache  # noqa: E402 -- what a case's key leaves out (the oracle is keyed as the batch's cache)
from reports import (classroom_output_line, classroom_result, explain_text, failure_text,  # noqa: E402
                     gradescope_results, html_report, junit_xml, scores, text_report)


# ---------------------------------------------------------------- cases

def case_files(extra_dirs=(), assignment=None):
    """The assignment's case files (merged with its base's: assignments.py), then a TA's."""
    def lecture_order(path):  # the programs in the order the lecture gives them
        name = os.path.basename(path)[:-len(".json")]
        return (PROGRAMS.index(name) if name in PROGRAMS else len(PROGRAMS), name)

    try:
        files = sorted(load_assignment(assignment).case_files(PROGRAMS, build_dir()), key=lecture_order)
    except assignments.AssignmentError as e:
        raise GraderError(str(e))
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


def run_probe(binary, peers, files, expected=None, ids=None, isolation="auto", hide=()):
    """Runs the probe on one binary; {case id: verdict}. isolation: auto or a level
    1-3 (harness/isolate.h); hide: paths the programs must not see."""
    cmd = [probe_path(), "--bin", binary, "--peers", peers, "--isolation", str(isolation)]
    for path in hide:
        cmd += ["--hide", path]
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


def oracle(files, cases, assignment=None):
    """The assignment's reference binaries and their recorded observations, cached by the
    hash of everything they depend on (CASES: load_cases(FILES)). Returns (bin dir,
    expected.json path)."""
    try:
        sources = load_assignment(assignment).references(PROGRAMS)
    except assignments.AssignmentError as e:
        raise GraderError(str(e))
    h = hashlib.sha256()
    for name, f in [("probe", probe_path())] + sorted(sources.items()):
        with open(f, "rb") as fh:
            h.update(name.encode() + b"\0" + hashlib.sha256(fh.read()).digest())
    # the cases as the probe reads them: a change of points or wording records nothing anew
    probed = [[c["program"], {k: v for k, v in c.items() if k not in verdict_cache.SCORING_FIELDS}]
              for c in cases]
    h.update(verdict_cache.canonical(probed).encode())
    cache = os.path.join(build_dir(), "oracle", h.hexdigest()[:16])
    expected = os.path.join(cache, "expected.json")
    if os.path.isfile(expected):
        # Recording had the probe validate the case files in full (points, category, texts);
        # these are not in the key, and kept verdicts may leave it nothing to run: validate them.
        check = subprocess.run([probe_path(), "--check", *files], capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
        if check.returncode != 0:
            raise GraderError((check.stderr.strip().splitlines() or [f"probe --check exit {check.returncode}"])[0])
        return cache, expected
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(cache))
    try:
        built = compile_reference(sources, tmp)
        broken = [p for p, b in built.items() if not b["ok"]]
        if broken:
            lines = built[broken[0]]["messages"].splitlines() or ["?"]
            first = next((ln for ln in lines if "error" in ln), lines[0])
            raise GraderError(f"the reference {broken[0]}.c does not compile ({sources[broken[0]]}): {first}")
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
    pytest plugin; the tests in this module read it through the `grading` fixture.

    Each program is a pipeline of its own: compile, then run its cases in the
    probe as soon as it is built, the five pipelines side by side. start() may
    run before pytest has even collected (when every case is selected), so the
    builds and probes overlap pytest's own start-up."""

    def __init__(self, submission, files, cases, peers, expected, isolation="auto", hide=(), work=None,
                 builds=None):
        self.submission, self.files, self.cases = submission, files, cases
        self.peers, self.expected, self.work = peers, expected, work
        self.builds = builds or {}  # program -> Build already started (start_early_builds)
        self.isolation, self.hide = isolation, list(hide)  # passed on to the probe
        self.built = dict.fromkeys(PROGRAMS)  # program -> compile result, in the lecture's order
        self.selected = []  # case ids pytest kept after -k
        self.verdicts = {}
        self.fault = None
        self.timing = {}  # seconds per phase, for GRADER_TIMING=1 and bench/
        self.assignment = None  # its name, when another than the default (the report says it)
        self.cache = None  # a batch's verdict_cache.SubmissionCache: verdicts kept from earlier gradings
        self._pool = self._futures = None

    def isolation_in_force(self):
        """What the probe said about its isolation (the first verdict that says it)."""
        return next((v["isolation"] for v in self.verdicts.values() if v.get("isolation")), "")

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", self.cases, ids=[c["id"] for c in self.cases])

    def pytest_collection_finish(self, session):
        self.selected = [item.callspec.params["case"]["id"] for item in session.items
                         if hasattr(item, "callspec")]

    @pytest.fixture(scope="session")
    def grading(self):
        try:
            self.run()
        except GraderError as e:  # kept: pytest would report it as a test error, not a fault
            self.fault = str(e)
            raise
        return self

    def start(self, selected, pool=None):
        """Starts the five pipelines (compile, then the program's selected cases), side
        by side, or as workers of pool free up (a batch's --jobs bounds them all)."""
        self.selected = list(selected)
        self.t_start = time.monotonic()
        by_program = {p: [] for p in PROGRAMS}
        for c in self.cases:
            if c["id"] in self.selected:
                by_program.setdefault(c["program"], []).append(c["id"])
        self._own_pool = pool is None
        self._pool = pool or concurrent.futures.ThreadPoolExecutor(len(by_program))
        self._futures = [self._pool.submit(self._pipeline, p, ids) for p, ids in by_program.items()]

    def _pipeline(self, program, ids):
        t0 = time.monotonic()
        if self.cache is not None:
            return self._cached_pipeline(program, ids)
        build = self.builds.get(program)
        b = self.built[program] = build.result() if build else compile_program(self.submission, program, self.work,
                                                                                self.isolation, self.hide)
        self.timing[f"build {program}"] = build.seconds if build else time.monotonic() - t0
        if not ids:
            return {}
        if not b["ok"]:
            return {cid: not_built(cid, program, b) for cid in ids}
        return run_probe(b["binary"], self.peers, self.files, self.expected, ids, self.isolation, self.hide)

    def _cached_pipeline(self, program, ids):
        """_pipeline through the cache: the build and the verdicts kept for exactly these
        sources are taken as they are; only what is missing is compiled or run, and kept."""
        t0 = time.monotonic()
        stats = self.cache.cache.stats
        with self.cache.claim(program):
            entry = self.cache.lookup(program)
            if entry is not None:
                b = {"ok": entry.build["ok"], "binary": os.path.join(self.work, program),
                     "messages": entry.build["messages"]}  # the binary is copied out only to run
            else:
                b = compile_program(self.submission, program, self.work, self.isolation, self.hide, True)
                deps = b.pop("deps", None)
                if not b.get("missing"):
                    stats.add(compiled=1)
                    entry = self.cache.store(program, b, deps)
            self.built[program] = b
            self.timing[f"build {program}"] = time.monotonic() - t0
            if not ids:
                return {}
            if not b["ok"]:
                return {cid: not_built(cid, program, b) for cid in ids}
            known = entry.verdicts(ids) if entry is not None else {}
            todo = [cid for cid in ids if cid not in known]
            fresh = {}
            if todo:
                if not os.path.exists(b["binary"]):
                    entry.binary(b["binary"])
                fresh = run_probe(b["binary"], self.peers, self.files, self.expected, todo, self.isolation,
                                  self.hide)
            if entry is not None:
                entry.keep(fresh)
            stats.add(reused=len(known), ran=len(todo))
            return {**known, **fresh}

    def check_complete(self):
        """A selected case without a verdict is the grader's fault, never a score."""
        missing = [cid for cid in self.selected if cid not in self.verdicts]
        if missing:
            raise GraderError(f"no verdict for {missing[0]} ({len(missing)} cases without one)")

    def run(self):
        """Runs the selected cases (starting the pipelines unless already started) and
        collects their verdicts."""
        if self._futures is None:
            self.start(self.selected)
        try:
            for f in self._futures:
                self.verdicts.update(f.result())
        finally:
            if self._own_pool:
                self._pool.shutdown()
            builds = [v for k, v in self.timing.items() if k.startswith("build ")]
            self.timing["build (longest)"] = max(builds, default=0)
            self.timing["build+cases"] = time.monotonic() - self.t_start


def not_built(cid, program, built):
    why = built["messages"] if built else f"{program} was not built"
    if built and built.get("missing"):
        reason, hint = f"{program}.c is missing", f"Submit the program as a file named exactly {program}.c."
    else:
        reason, hint = f"{program}.c does not compile", "Fix the compiler's errors first."
    return {"id": cid, "program": program, "verdict": "fail", "reason": reason,
            "expected": {}, "observed": {"compiler": why}, "hint": hint, "time_ms": 0, "transcript": []}


def test_case(case, grading):
    """One case: passes when the probe observed what the reference did."""
    v = grading.verdicts.get(case["id"])
    assert v is not None, f"no verdict for {case['id']}"
    if v["verdict"] != "pass":
        pytest.fail(failure_text(case, v), pytrace=False)


# ---------------------------------------------------------------- grading

def prepare(case_dirs, assignment=None):
    """What every grading of the assignment with these case folders shares: (files, cases,
    peers, expected)."""
    files = case_files(case_dirs, assignment)
    cases = load_cases(files)
    peers, expected = oracle(files, cases, assignment)
    return files, cases, peers, expected


def run_pytest(plugin, k, *extra):
    """Runs this module's tests (one per case) with PLUGIN providing the grading; pytest's exit code."""
    # --assert=plain: the one test has no assert worth rewriting, and rewriting
    # this file costs more than running every case's test.
    pytest_args = [os.path.abspath(__file__), "-q", "-p", "no:cacheprovider", "--no-header", "--assert=plain",
                   "-o", "python_files=grader.py", "-o", "console_output_style=classic", "--tb=no",
                   *extra]
    if k:
        pytest_args += ["-k", k]
    # Installed pytest plugins (xdist, ...) have nothing to do here: not loading
    # them saves start-up time, and keeps a grading independent of what is installed.
    autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    with open(os.devnull, "w") as devnull:
        stdout = sys.stdout
        sys.stdout = devnull  # pytest's own progress lines are not the report
        try:
            return pytest.main(pytest_args, plugins=[plugin])
        finally:
            sys.stdout = stdout
            if autoload is None:
                del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload


def grade(args, early=None):
    """Grades one submission through pytest (one test per case), with the builds
    start_early_builds started when given; returns (Grading, elapsed seconds)."""
    t0 = time.monotonic()
    sub = os.path.abspath(args.submission)
    if early and early[0] == sub:
        sub, work, builds = early
        t0 = min(b.t0 for b in builds.values())  # the grading began with them
    else:
        if not os.path.isdir(sub):
            raise GraderError(f"{args.submission}: not a folder")
        work, builds = tempfile.mkdtemp(prefix="grader-"), None
    try:
        t_oracle = time.monotonic()
        files, cases, peers, expected = prepare(args.cases, args.assignment)
        g = Grading(sub, files, cases, peers, expected, args.isolation,
                    hidden_paths(args.cases, assignment=args.assignment), work, builds)
        g.assignment = load_assignment(args.assignment).name if args.assignment else None
        g.timing.update({"start-up": t_oracle - T_START, "oracle": time.monotonic() - t_oracle})
        if not args.k:
            g.start([c["id"] for c in cases])  # every case: no need to wait for pytest's collection
        t_pytest = time.monotonic()
        rc = run_pytest(g, args.k)
        g.timing["pytest (overlapping)"] = time.monotonic() - t_pytest
        if g.fault:
            raise GraderError(g.fault)
        if rc not in (0, 1) and not (rc == 5 and not g.selected):
            raise GraderError(f"pytest failed to run the cases (exit {int(rc)})")
        g.check_complete()
        return g, time.monotonic() - t0
    finally:
        for b in (builds or {}).values():
            b.cancel()  # a grading that failed early leaves no compiler behind
        shutil.rmtree(work, ignore_errors=True)


def select_ids(files, cases, k):
    """The ids of the cases -k keeps, as pytest decides it for one grading (collected once, not run)."""
    if not k:
        return [c["id"] for c in cases]
    g = Grading(None, files, cases, None, None)
    rc = run_pytest(g, k, "--collect-only")
    if rc not in (0, 5):
        raise GraderError(f"pytest failed to collect the cases (exit {int(rc)})")
    return g.selected


def grade_without_pytest(submission, files, cases, peers, expected, selected, isolation="auto", hide=(), pool=None,
                         assignment=None, cache=None):
    """Grades one submission on the case ids SELECTED, as grade() does but without pytest:
    the same builds, the same probe runs, the same verdicts; its pipelines run in pool
    when one is given, through cache (a cache.SubmissionCache) when one is given.
    Returns (Grading, elapsed seconds)."""
    t0 = time.monotonic()
    if not os.path.isdir(submission):
        raise GraderError(f"{submission}: not a folder")
    work = tempfile.mkdtemp(prefix="grader-")
    try:
        g = Grading(submission, files, cases, peers, expected, isolation, hide, work)
        g.assignment = assignment
        g.cache = cache
        g.start(selected, pool)
        g.run()
        g.check_complete()
        return g, time.monotonic() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def assignment_points(case_dirs, assignment=None):
    """The points of every case the grading would have run (0 when the cases cannot be read)."""
    try:
        return sum(c["points"] for c in load_cases(case_files(case_dirs, load_assignment(assignment))))
    except (GraderError, assignments.AssignmentError):
        return 0


def explain(case_id, case_dirs, assignment=None):
    """--explain: the case's text, and the realistic bugs it catches (the mutants of the
    assignment and of its bases: tests/mutants.json for lecture13)."""
    a = load_assignment(assignment)
    cases = {c["id"]: c for c in load_cases(case_files(case_dirs, a))}
    if case_id not in cases:
        raise GraderError(f"no case {case_id} in {a.name} (the ids are in docs/CASES.md)")
    mistakes = []
    for each in a.chain():
        try:
            mistakes += [m["bug"] for m in each.mutants() if case_id in m["catches"] and m["bug"] not in mistakes]
        except (assignments.AssignmentError, KeyError, TypeError):
            pass
    return explain_text(cases[case_id], mistakes)


def check_assignment(folder, isolation="auto"):
    """--check-assignment: the assignment at FOLDER parses, its ids are unique, every case it
    changes or drops exists in its base, its README traces every case (rules.json), its
    mutants apply to its references, and every case records on its references. Returns the
    line to print; raises GraderError with the first problem."""
    try:
        a = assignments.Assignment(folder)
        files = a.case_files(PROGRAMS, build_dir())
        cases = load_cases(files)
        ids = [c["id"] for c in cases]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise GraderError(f"{folder}: case id {twice[0]} is given twice")
        readme, text = a.readme()
        sys.path.insert(0, os.path.join(ROOT, "docs"))
        import make_traceability
        rows = a.rules(text, set(ids))
        problems = make_traceability.problems({"rules": rows}, text, set(ids))
        if problems:
            raise GraderError(f"{readme}: {problems[0]} (rules.json)")
        traced = {cid for r in rows for cid in r.get("cases", [])}
        untraced = [i for i in ids if i not in traced]
        if untraced:
            raise GraderError(f"{readme}: no rule of rules.json traces case {untraced[0]}: the README must say "
                              f"what it checks, and a row quote it")
        sources = a.references(PROGRAMS)
        for m in a.mutants():
            name = m.get("name", "?")
            if m.get("program") not in PROGRAMS or not m.get("edits") or not m.get("catches"):
                raise GraderError(f"{a.paths['mutants']}: mutant {name}: needs program, edits and catches")
            with open(sources[m["program"]]) as fh:
                text = fh.read()
            for e in m["edits"]:
                if text.count(e["find"]) != 1:
                    raise GraderError(f"{a.paths['mutants']}: mutant {name}: {e['find']!r} is not in "
                                      f"{sources[m['program']]} exactly once")
            for cid in m["catches"]:
                if cid not in ids:
                    raise GraderError(f"{a.paths['mutants']}: mutant {name}: no case {cid} in {a.name}")
    except assignments.AssignmentError as e:
        raise GraderError(str(e))
    except (KeyError, TypeError) as e:
        raise GraderError(f"{folder}: malformed ({type(e).__name__}: {e})")
    oracle(files, cases, a)  # every case records on the references, or the first that does not says why
    points = sum(c["points"] for c in cases)
    return f"{a.name}: ok: {len(cases)} cases, {points} points, every case recorded on its references"


def write_student_template(assignment, out):
    """--student-template: the assignment's student folder (its README and skeletons over its
    base's) written to OUT, which must not exist yet."""
    a = load_assignment(assignment)
    if os.path.exists(out):
        raise GraderError(f"{out}: exists already")
    for rel, src in a.student_files().items():
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)


def write_reports(args, g, elapsed):
    """The single-submission outputs the options ask for."""
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    report = text_report(g, elapsed, colour=colour)
    sys.stdout.write(report.splitlines()[-1] + "\n" if args.quiet else report)
    for path, make in ((args.results, lambda: json.dumps(gradescope_results(g, elapsed), indent=2)),
                       (args.html, lambda: html_report(g, elapsed)),
                       (args.junit, lambda: junit_xml(g, elapsed))):
        if path:
            with open(path, "w") as fh:
                fh.write(make())


def main(argv=None):
    args = ARGS if argv is None and ARGS is not None else parse_args(sys.argv[1:] if argv is None else argv)
    early = EARLY if args is ARGS else None
    try:
        if args.check_assignment:
            sys.stdout.write(check_assignment(args.check_assignment, args.isolation) + "\n")
            return 0
        if args.student_template:
            write_student_template(args.assignment, args.student_template)
            sys.stdout.write(f"wrote {args.student_template}\n")
            return 0
        if args.explain:
            sys.stdout.write(explain(args.explain, args.cases, args.assignment))
            return 0
        if args.gradescope_package:
            load_cases(case_files(args.cases, args.assignment))  # a bad case folder stops here, not on Gradescope
            platforms.gradescope_package(ROOT, args.gradescope_package, args.cases, load_assignment(args.assignment))
            sys.stdout.write(f"wrote {args.gradescope_package}\n")
            return 0
        if args.autolab_package:
            from platforms import autolab
            autolab.package(ROOT, args.autolab_package, load_assignment(args.assignment).name)
            sys.stdout.write(f"wrote {args.autolab_package}/autograde-Makefile and autograde.tar\n")
            return 0
        if args.prairielearn:
            from platforms import prairielearn
            errors = prairielearn.format_errors(args.submission, PROGRAMS, missing_program)
            if errors:  # nothing is scored: the student fixes the names and submits again
                prairielearn.write(prairielearn.ungradable(errors))
                sys.stdout.write("not gradable: " + "; ".join(errors) + "\n")
                return 0
        if args.batch is not None:
            import batch  # the class-wide mode: batch.py, given this module's functions
            return batch.run(args, sys.modules[__name__])
        g, elapsed = grade(args, early)
        if not g.selected:
            raise GraderError("no case matches the selection")
    except GraderError as e:
        sys.stderr.write(f"grader: {e}\n")
        if args.classroom:  # the reporter still records 0/max with the reason: exit 0 once written
            try:
                platforms.append_github_output(classroom_output_line(
                    classroom_result(None, 0, fault=str(e), max_score=assignment_points(args.cases, args.assignment))))
                return 0
            except OSError:
                pass
        return 2
    except OSError as e:
        sys.stderr.write(f"grader: {e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}\n")
        return 2
    t_reports = time.monotonic()
    write_reports(args, g, elapsed)
    g.timing["reports"] = time.monotonic() - t_reports
    if os.environ.get("GRADER_TIMING"):
        sys.stderr.write("timing: " + ", ".join(f"{k} {v:.3f} s" for k, v in g.timing.items()) + "\n")
    per, got, total = scores(g.cases, g.verdicts)
    if args.prairielearn:
        from platforms import prairielearn
        prairielearn.write(prairielearn.results(g, elapsed))
        return 0
    if args.autolab:  # last: Autolab reads the final line
        from platforms import autolab
        sys.stdout.write(autolab.scores_line(per, PROGRAMS) + "\n")
        return 0
    if args.classroom:
        try:
            platforms.append_github_output(classroom_output_line(classroom_result(g, elapsed)))
        except OSError as e:
            sys.stderr.write(f"grader: {e}\n")
            return 2
        sys.stdout.write(f"Points {got}/{total}\n")
        return 0  # the reporter step marks the run failed when a case failed
    return 0 if got == total else 1


if __name__ == "__main__":
    sys.exit(main())
