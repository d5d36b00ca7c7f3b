#!/usr/bin/env python3
"""The grading-speed benchmark: prints the machine and the figures of
docs/PERFORMANCE.md, each next to its target.

    python3 bench/run.py [--runs 5] [--batch 100] [--batch-rounds 2] [--only ABCDEFG]

A. A correct submission (the reference) graded end to end (build, every case,
   results.json + HTML + JUnit reports, as a fresh process) against gcc -O2
   compiling its five files one after another, interleaved, medians of --runs.
   Target: grading <= 2x compiling.
B. A submission whose five programs all hang: total time, and every case
   reported as a timeout naming its wait. Target: <= 10 s.
C. A batch of --batch submissions graded with --jobs 1 and with --jobs 2,
   --batch-rounds times each, alternating. Target: --jobs 2 at least 1.7x
   faster (the ratio of the summed times). Next to it, the machine's own
   ceiling for this kind of work: the grader's building blocks alone (gcc on
   the five reference files, then the probe on each, no Python) as two
   streams side by side against one stream doing both streams' rounds,
   interleaved four times.
D. The correct variants whose servers use threads or processes
   (tests/submissions/variant_threads, variant_prefork, variant_pool) and the
   reference, each graded --runs times in turn as a fresh process: the mean
   time of each variant against the reference's. Target: <= 2x.
E. Every slow bug of tests/slow_bugs.json (servers that read first, read to
   end of file, never close), graded --runs times: the longest grading.
   Target: none over 10 s. Next to it, the reference's mean from D.
F. The mutant suite (tests/mutants.json) graded as a class with --batch, and
   as many copies of the reference as a class, alternating, twice each: the
   ratio of the summed times. Target: <= 1.5x.
G. Regrading a class of --batch submissions through the verdict cache
   (verdict_cache.py), every file of every submission its own (no two
   students share a program): graded from scratch (--no-cache), then graded
   once keeping verdicts, then regraded with nothing changed, with one case
   added (a TA's hidden case, new to the oracle too), with that case's points
   changed, and after one student changed one file. Targets: nothing changed
   <= 5% of from scratch, one case added <= 15%.
C and F grade with --no-cache: they measure grading, not the cache (a class
of copies would otherwise be graded once).
Exit 0 when every target selected is met, 1 otherwise.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = ["unix_d_server", "unix_d_send", "tcp_qq_srver", "tcp_client", "tcp_echo_serverSR"]
GRADER = [os.path.join(ROOT, "grader.py")]  # as a user runs it: the shebang picks the interpreter
PROBE = os.path.join(os.environ.get("GRADER_BUILD") or os.path.join(ROOT, "build"), "harness", "probe")
MIX = ["reference", "tests/submissions/variant_fork", "tests/submissions/variant_sr", "tests/submissions/lecture"]
VARIANTS = ["tests/submissions/variant_threads", "tests/submissions/variant_prefork", "tests/submissions/variant_pool"]
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import build_mutant, submission_folder  # noqa: E402  (the tests' own ways to build submissions)


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = open("/proc/loadavg").read().split()[0]
    return (f"{model}, {os.cpu_count()} CPUs, Linux {platform.release()}, {gcc}, "
            f"Python {platform.python_version()}, load average {load} at start")


def timed(cmd, **kw):
    """Runs CMD, saying on stderr what runs and how long it took (a figure takes minutes)."""
    shown = " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in map(str, cmd))
    sys.stderr.write(f"bench: {shown[:100]} ...")
    sys.stderr.flush()
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    sys.stderr.write(f" {time.monotonic() - t0:.1f} s\n")
    return time.monotonic() - t0, proc


def compile_five(src, out):
    for p in PROGRAMS:
        subprocess.run(["gcc", "-std=gnu11", "-O2", "-o", os.path.join(out, p), os.path.join(src, p + ".c")],
                       check=True, capture_output=True)


def figure_a(tmp, runs):
    sub = os.path.join(ROOT, "reference")
    outs = ["--results", os.path.join(tmp, "r.json"), "--html", os.path.join(tmp, "r.html"),
            "--junit", os.path.join(tmp, "r.xml"), "-q"]
    warm, proc = timed(GRADER + [sub] + outs)  # records the oracle once, as any first grading does
    assert proc.returncode == 0, proc.stderr
    compiles, grades, breakdowns = [], [], []
    for _ in range(runs):
        t0 = time.monotonic()
        compile_five(sub, tmp)
        compiles.append(time.monotonic() - t0)
        t, proc = timed(GRADER + [sub] + outs, env=dict(os.environ, GRADER_TIMING="1"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        grades.append(t)
        breakdowns.append(proc.stderr.strip())
    c, g = statistics.median(compiles), statistics.median(grades)
    median_run = sorted(range(runs), key=lambda i: grades[i])[runs // 2]
    return {"compile_s": c, "grade_s": g, "ratio": g / c, "met": g <= 2 * c,
            "compiles": compiles, "grades": grades, "breakdown": breakdowns[median_run]}


def figure_b(tmp):
    sub = os.path.join(tmp, "all_hang")
    os.makedirs(sub)
    for p in PROGRAMS:
        shutil.copy(os.path.join(ROOT, "tests", "fixtures", "hostile", "hang.c"), os.path.join(sub, p + ".c"))
    t, proc = timed(GRADER + [sub, "--results", os.path.join(tmp, "hang.json"), "-q"])
    tests = json.load(open(os.path.join(tmp, "hang.json")))["tests"]
    timeouts = [x for x in tests if x["extra_data"]["verdict"] == "timeout" and " ms" in x["output"]]
    return {"grade_s": t, "cases": len(tests), "timeouts": len(timeouts),
            "met": t <= 10 and len(timeouts) == len(tests)}


def raw_rounds(tmp, tag, rounds):
    """The grader's work without the grader: rounds of compiling the reference's
    five files and running the probe (recording) on each."""
    out = os.path.join(tmp, f"raw-{tag}")
    os.makedirs(out, exist_ok=True)
    for _ in range(rounds):
        compile_five(os.path.join(ROOT, "reference"), out)
        for p in PROGRAMS:
            subprocess.run([PROBE, "--bin", os.path.join(out, p), "--peers", out,
                            os.path.join(ROOT, "cases", p + ".json")], check=True, capture_output=True)


def ceiling(tmp, rounds=2, repeats=4):
    """Two streams of ROUNDS rounds side by side against one stream of 2 * ROUNDS,
    interleaved REPEATS times (the host's own load drifts): how much faster two
    CPUs do the grader's kind of work on this machine. The ratio of the sums."""
    one = two = 0.0
    for _ in range(repeats):
        t0 = time.monotonic()
        raw_rounds(tmp, "one", 2 * rounds)
        one += time.monotonic() - t0
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda tag: raw_rounds(tmp, tag, rounds), ["a", "b"]))
        two += time.monotonic() - t0
    return one / two


def figure_c(tmp, n, rounds):
    """The class graded ROUNDS times at each --jobs, alternating 1, 2, 2, 1, ...
    (the host's load drifts over minutes: alternating spreads it over both)."""
    klass = os.path.join(tmp, "class")
    for i in range(n):
        shutil.copytree(os.path.join(ROOT, MIX[i % len(MIX)]), os.path.join(klass, f"s{i:03d}"))
    times, grades = {1: [], 2: []}, set()
    for r in range(rounds):
        for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
            out = os.path.join(tmp, f"out-{r}-{jobs}")
            t, proc = timed(GRADER + ["--batch", klass, "--out", out, "--jobs", str(jobs), "--no-cache", "-q"])
            assert proc.returncode == 0, proc.stderr[-2000:]
            times[jobs].append(t)
            grades.add(open(os.path.join(out, "grades.csv")).read())
    speedup = sum(times[1]) / sum(times[2])
    return {"jobs1": times[1], "jobs2": times[2], "speedup": speedup, "same_grades": len(grades) == 1,
            "met": speedup >= 1.7 and len(grades) == 1, "ceiling": ceiling(tmp)}


def grade_once(sub, tmp, tag):
    """One grading of SUB as a user types it, with results.json; (seconds, total, max)."""
    out = os.path.join(tmp, f"{tag}.json")
    t, proc = timed(GRADER + [sub, "--results", out, "-q"])
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    tests = json.load(open(out))["tests"]
    return t, sum(x["score"] for x in tests), sum(x["max_score"] for x in tests)


def figure_d(tmp, runs):
    """The reference and each variant graded RUNS times, in turn."""
    subs = ["reference"] + VARIANTS
    folders = {"reference": os.path.join(ROOT, "reference"),
               **{s: str(submission_folder(os.path.basename(s), tmp)) for s in VARIANTS}}
    times = {s: [] for s in subs}
    full = True
    for r in range(runs):
        for s in subs:
            t, score, top = grade_once(folders[s], tmp, f"d-{r}")
            times[s].append(t)
            full &= score == top
    ref = statistics.mean(times["reference"])
    ratios = {s: statistics.mean(times[s]) / ref for s in VARIANTS}
    return {"ref_s": ref, "means": {s: statistics.mean(times[s]) for s in VARIANTS}, "ratios": ratios,
            "full": full, "met": full and max(ratios.values()) <= 2}


def slow_bugs():
    return json.load(open(os.path.join(ROOT, "tests", "slow_bugs.json")))


def figure_e(tmp, runs):
    """Every slow bug graded RUNS times; the longest grading of each."""
    worst = {}
    for bug in slow_bugs():
        folder = build_mutant(bug, pathlib.Path(tmp) / f"slow-{bug['name']}")
        worst[bug["name"]] = max(grade_once(str(folder), tmp, f"e-{bug['name']}-{r}")[0] for r in range(runs))
    return {"worst": worst, "met": max(worst.values()) <= 10}


def figure_f(tmp, rounds=2):
    """The mutant suite as a class against as many reference copies, alternating."""
    mutants = json.load(open(os.path.join(ROOT, "tests", "mutants.json")))
    klass = {"mutants": pathlib.Path(tmp) / "f-mutants", "correct": pathlib.Path(tmp) / "f-correct"}
    klass["mutants"].mkdir()
    for m in mutants:
        build_mutant(m, klass["mutants"] / m["name"])
        shutil.copytree(os.path.join(ROOT, "reference"), klass["correct"] / m["name"])
    times = {"mutants": [], "correct": []}
    for r in range(rounds):
        for kind in (("mutants", "correct") if r % 2 == 0 else ("correct", "mutants")):
            t, proc = timed(GRADER + ["--batch", str(klass[kind]), "--out", os.path.join(tmp, f"f-{kind}-{r}"),
                                      "--no-cache", "-q"])
            assert proc.returncode == 0, proc.stderr[-2000:]
            times[kind].append(t)
    ratio = sum(times["mutants"]) / sum(times["correct"])
    return {"n": len(mutants), "times": times, "ratio": ratio, "met": ratio <= 1.5}


def own_class(tmp, n):
    """N submissions, the mutants of tests/mutants.json and the correct and buggy MIX in turn,
    every .c file marked as its student's own (a real class shares no file byte for byte)."""
    mutants = json.load(open(os.path.join(ROOT, "tests", "mutants.json")))
    klass = pathlib.Path(tmp) / "g-class"
    klass.mkdir()
    for i in range(n):
        dest = klass / f"s{i:03d}"
        if i % 2 == 0 and i // 2 < len(mutants):
            build_mutant(mutants[i // 2], dest)
        else:
            shutil.copytree(os.path.join(ROOT, MIX[(i // 2) % len(MIX)]), dest)
        for f in dest.glob("*.c"):
            f.write_text(f.read_text() + f"/* written by student {i:03d} */\n")
    return klass


def hidden_case(folder, points):
    """A TA's case folder with one tcp_client case the oracle has never recorded (its
    stdin names this run), worth POINTS."""
    folder.mkdir(exist_ok=True)
    doc = json.load(open(os.path.join(ROOT, "cases", "tcp_client.json")))
    case = dict(next(c for c in doc["cases"] if c["id"] == "cl.sends_line"), id="cl.bench_hidden", points=points)
    case["params"] = {"steps": [{"stdin": f"bench run {time.time_ns()}\n"}, {"reply": "ok\n"}]}
    (folder / "tcp_client_hidden.json").write_text(json.dumps({"program": "tcp_client", "cases": [case]}))
    return str(folder)


def figure_g(tmp, n):
    """The class graded from scratch, then through the cache: nothing changed, a case
    added, its points changed, one student's file changed."""
    klass = own_class(tmp, n)
    out, scratch = os.path.join(tmp, "g-out"), os.path.join(tmp, "g-scratch")

    def batch(target, *extra):
        t, proc = timed(GRADER + ["--batch", str(klass), "--out", target, "-q", *extra])
        assert proc.returncode == 0, proc.stderr[-2000:]
        return t, proc.stderr.strip().splitlines()[-1]

    hidden = pathlib.Path(tmp) / "g-hidden"
    times = {"scratch": batch(scratch, "--no-cache")[0], "first": batch(out)[0], "nothing": batch(out)}
    times["added"] = batch(out, "--cases", hidden_case(hidden, 4))
    (hidden / "tcp_client_hidden.json").write_text((hidden / "tcp_client_hidden.json").read_text()
                                                   .replace('"points": 4', '"points": 9'))
    times["points"] = batch(out, "--cases", str(hidden))
    changed = klass / "s001" / "tcp_client.c"
    changed.write_text(changed.read_text() + "/* resubmitted */\n")
    times["one_file"] = batch(out, "--cases", str(hidden))
    share = {k: times[k][0] / times["scratch"] for k in ("nothing", "added", "points", "one_file")}
    return {"n": n, "times": times, "share": share, "met": share["nothing"] <= 0.05 and share["added"] <= 0.15}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--batch-rounds", type=int, default=2, help="gradings of the class at each --jobs")
    ap.add_argument("--only", default="ABCDEFG", help="the figures to take (letters), all by default")
    args = ap.parse_args()
    only = set(args.only.upper())
    met = []
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        if only & set("ABC"):
            met.append(figures_abc(tmp, args, only))
        if "D" in only:
            d = figure_d(tmp, args.runs)
            print(f"D  correct variants, mean of {args.runs} gradings each, against the reference's "
                  f"{d['ref_s']:.2f} s (target <= 2x, full marks every time): "
                  f"{'met' if d['met'] else 'MISSED'}")
            for s in VARIANTS:
                print(f"   {os.path.basename(s)}: {d['means'][s]:.2f} s = {d['ratios'][s]:.2f}x")
            print(f"   full marks in every grading: {d['full']}")
            met.append(d["met"])
        if "E" in only:
            e = figure_e(tmp, args.runs)
            print(f"E  slow bugs, longest of {args.runs} gradings each (target: none over 10 s): "
                  f"{'met' if e['met'] else 'MISSED'}")
            print("   " + ", ".join(f"{name} {t:.2f} s" for name, t in e["worst"].items()))
            met.append(e["met"])
        if "F" in only:
            f = figure_f(tmp)
            each = lambda ts: " + ".join(f"{t:.1f}" for t in ts)  # noqa: E731
            print(f"F  the {f['n']} mutants of tests/mutants.json as a batch {each(f['times']['mutants'])} s, "
                  f"{f['n']} reference copies {each(f['times']['correct'])} s = {f['ratio']:.2f}x "
                  f"(target <= 1.5x): {'met' if f['met'] else 'MISSED'}")
            met.append(f["met"])
        if "G" in only:
            g = figure_g(tmp, args.batch)
            t, share = g["times"], g["share"]
            print(f"G  a class of {g['n']} regraded through the verdict cache: from scratch {t['scratch']:.1f} s, "
                  f"first grading keeping verdicts {t['first']:.1f} s: "
                  f"{'met' if g['met'] else 'MISSED'}")
            for key, what, target in (("nothing", "nothing changed", " (target <= 5%)"),
                                      ("added", "one case added", " (target <= 15%)"),
                                      ("points", "its points changed", ""),
                                      ("one_file", "one student's file changed", "")):
                print(f"   {what}: {t[key][0]:.2f} s = {100 * share[key]:.1f}%{target}; {t[key][1]}")
            met.append(g["met"])
    return 0 if all(met) else 1


def figures_abc(tmp, args, only):
    """Figures A, B and C, those of ONLY; whether every one taken met its target."""
    met = []
    if "A" in only:
        a = figure_a(tmp, args.runs)
        print(f"A  correct submission end to end: {a['grade_s']:.2f} s vs gcc -O2 of its five files "
              f"{a['compile_s']:.2f} s = {a['ratio']:.2f}x (target <= 2x): {'met' if a['met'] else 'MISSED'}")
        print(f"   runs (grade s): {', '.join(f'{x:.2f}' for x in a['grades'])}; "
              f"(compile s): {', '.join(f'{x:.2f}' for x in a['compiles'])}")
        print(f"   breakdown of the median run: {a['breakdown']}")
        met.append(a["met"])
    if "B" in only:
        b = figure_b(tmp)
        print(f"B  five hung programs: {b['grade_s']:.2f} s, {b['timeouts']}/{b['cases']} cases reported as "
              f"timeouts with their wait (target <= 10 s, all reported): {'met' if b['met'] else 'MISSED'}")
        met.append(b["met"])
    if "C" in only:
        c = figure_c(tmp, args.batch, args.batch_rounds)
        each = lambda ts: " + ".join(f"{t:.1f}" for t in ts)  # noqa: E731
        print(f"C  batch of {args.batch}: --jobs 1 {each(c['jobs1'])} s, --jobs 2 {each(c['jobs2'])} s = "
              f"{c['speedup']:.3f}x (target >= 1.7x), grades identical: {c['same_grades']}: "
              f"{'met' if c['met'] else 'MISSED'}")
        print(f"   this machine's ceiling for the same work (gcc and the probe alone, two streams vs one): "
              f"{c['ceiling']:.3f}x")
        met.append(c["met"])
    return all(met)


if __name__ == "__main__":
    sys.exit(main())
