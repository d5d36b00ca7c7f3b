#!/usr/bin/env python3
"""Determinism under load: grades submissions many times while busy loops keep
every CPU loaded, and reports every grading whose per-case results differ from
that submission's first grading.

    python3 bench/stress.py [--runs 200] [--load N] [SUBMISSION ...]

Defaults: 200 gradings split over the reference, the correct variants and the
lecture's buggy code (a buggy program must lose the same cases every run too),
and one busy loop per CPU. Exit 0 when no grading differed, 1 otherwise.
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["reference", "tests/submissions/variant_fork", "tests/submissions/variant_sr",
           "tests/submissions/lecture"]


def busy(stop):
    """One CPU's worth of load until stop is set."""
    while not stop.is_set():
        for _ in range(100000):
            pass


def grade(sub, out):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "grader.py"), sub, "-q", "--results", out],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode not in (0, 1):
        return None, proc.stderr.strip()
    with open(out) as fh:
        results = json.load(fh)
    return {t["name"]: (t["status"], t["score"]) for t in results["tests"]}, proc.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--load", type=int, default=os.cpu_count())
    ap.add_argument("submissions", nargs="*", default=DEFAULT)
    args = ap.parse_args()
    subs = [os.path.join(ROOT, s) if not os.path.isabs(s) else s for s in args.submissions]
    stop = multiprocessing.Event()
    loaders = [multiprocessing.Process(target=busy, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in loaders:
        p.start()
    first, differences, t0 = {}, 0, time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                sub = subs[i % len(subs)]
                got, line = grade(sub, os.path.join(tmp, "r.json"))
                name = os.path.relpath(sub, ROOT)
                if got is None:
                    differences += 1
                    print(f"run {i + 1}: {name}: grader fault: {line}")
                    continue
                if name not in first:
                    first[name] = got
                    print(f"run {i + 1}: {name}: {line}")
                elif got != first[name]:
                    differences += 1
                    changed = sorted(k for k in set(got) | set(first[name]) if got.get(k) != first[name].get(k))
                    print(f"run {i + 1}: {name}: DIFFERS on {', '.join(changed)}")
    finally:
        stop.set()
        for p in loaders:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
    print(f"{args.runs} gradings under {args.load} busy loops on {os.cpu_count()} CPUs in "
          f"{time.monotonic() - t0:.0f} s: {differences} differing")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
