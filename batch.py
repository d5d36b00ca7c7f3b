"""Grading a whole class: every subfolder of a folder is one submission.

    ./grader.py --batch DIR --out OUT [--jobs N] [--assignment NAME|DIR] [--cases DIR] [-k EXPR] [-q]
                [--shard K/N] [--similarity [--similarity-threshold PERCENT]]

grader.py calls run(args, grader) with itself as `grader`, so that a batch
grades with exactly the functions a single grading uses (and tests that patch
them patch both). Python and pytest start once per batch, the reference's
behaviour is recorded once, and N submissions are graded at once. With --similarity,
similarity.py then compares every pair of the class's files per program (sim_c) and the
summaries list the pairs alike beyond the threshold.
"""
import concurrent.futures
import csv
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback

import similarity
import verdict_cache
from reports import gradescope_results, html_report, scores, summary_html, text_report





def write_atomic(path, text):
    """Writes PATH whole or not at all: a temporary file next to it, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def grading_key(case_files, selected, inputs):
    """What every submission's grading in this batch shares: the case files' bytes, the
    selected case ids, and INPUTS (the probe, the references and what they did:
    references_key and expected.json). Nothing in it names a path of this machine, so the
    shards of a class graded elsewhere merge (docs/CLUSTER.md)."""
    parts = []
    for f in case_files:
        with open(f, "rb") as fh:
            parts += ["cases", os.path.basename(f), fh.read()]
    return verdict_cache.digest(*parts, "selected", "\n".join(selected), "inputs", inputs)


def fingerprint(files, grading):
    """sha256 over what a submission's grading depends on: its .c/.h files (FILES: names and
    sha256, verdict_cache.scan_submission) and the batch's GRADING (grading_key)."""
    parts = []
    for name, sha in sorted(files.items()):
        parts += ["source", name, sha]
    return verdict_cache.digest(*parts, "grading", grading)


def references_key(grader, assignment):
    """The grading's inputs besides the submission and the cases: the probe's and the compile
    tool's bytes, the flags, and the references' sources (the peers and the oracle are built
    from them)."""
    parts = []
    sources = grader.load_assignment(assignment).references(grader.PROGRAMS)
    for path in [grader.probe_path(), grader.tool_path("compile")] + [sources[p] for p in grader.PROGRAMS]:
        with open(path, "rb") as fh:
            parts.append(verdict_cache.sha256_bytes(fh.read()))
    return verdict_cache.digest(*parts, " ".join(grader.CFLAGS))


def one_line(e, fault_type):
    """An exception as the one-line reason of an error row (a fault_type says it in its own words)."""
    text = str(e) if isinstance(e, fault_type) else f"{type(e).__name__}: {e}"
    return (text.strip().splitlines() or [type(e).__name__])[0]


def duration(seconds):
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """Progress on stderr: a bar rewritten in place on a terminal, else one line per submission."""

    def __init__(self, total, stream):
        self.total, self.stream, self.done = total, stream, 0
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        if self.tty and total:
            self.draw("")

    def draw(self, last):
        filled = self.done * 10 // self.total if self.total else 10
        line = f"[{'#' * filled}{'.' * (10 - filled)}] {self.done}/{self.total}"
        if self.done:
            eta = (time.monotonic() - self.t0) / self.done * (self.total - self.done)
            line += f"  ETA {duration(eta)}  last: {last}"
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write("\r" + line[:width] + "\x1b[K")
        self.stream.flush()

    def finished(self, name, outcome):
        self.done += 1
        if self.tty:
            self.draw(name)
        else:
            self.stream.write(f"{self.done}/{self.total} {name} {outcome}\n")
            self.stream.flush()

    def close(self):
        if self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()


def record_error(dest, reason, detail=""):
    """An ungradable submission: no results (a stale one would read as a grade), error.txt says why."""
    try:
        os.makedirs(dest, exist_ok=True)
        for stale in ("results.json", "report.txt", "fingerprint.txt"):
            if os.path.exists(os.path.join(dest, stale)):
                os.unlink(os.path.join(dest, stale))
        write_atomic(os.path.join(dest, "error.txt"), f"could not be graded: {reason}\n{detail}")
    except OSError:
        pass


def csv_row(programs, name, results=None, error=None):
    """One gradebook row: name, total, max, a column per program, status."""
    if error is not None:
        return [name, "", "", *([""] * len(programs)), f"error: {error}"]
    per = {p: 0 for p in programs}
    for t in results["tests"]:
        per[t["tags"][0]] = per.get(t["tags"][0], 0) + t["score"]
    top = sum(t["max_score"] for t in results["tests"])
    return [name, results["score"], top, *(per[p] for p in programs), "graded"]


def class_summary(batch_dir, rows, failures, descriptions):
    graded = [r for r in rows if r[-1] == "graded"]
    errors = [r for r in rows if r[-1] != "graded"]
    out = [f"Batch: {batch_dir}",
           f"Submissions: {len(rows)} ({len(graded)} graded, {len(errors)} could not be graded)"]
    if graded:
        top = max(r[2] for r in graded)
        totals = [r[1] for r in graded]
        out.append(f"Mean total: {statistics.mean(totals):.1f}/{top}")
        out.append(f"Median total: {statistics.median(totals):g}/{top}")
    if errors:
        out += ["", "Could not be graded:"] + [f"  {r[0]}: {r[-1][len('error: '):]}" for r in errors]
    out += ["", "Cases failed by at least one submission (submissions failing it, most failed first):"]
    ranked = sorted(failures.items(), key=lambda kv: (-kv[1], kv[0]))
    out += [f"  {n:>4}  {cid}: {descriptions.get(cid, '')}" for cid, n in ranked] or ["  none"]
    return "\n".join(out) + "\n"


def shard_of(names, shard):
    """The share of the sorted names that shard (K, N) grades: every N-th, from the K-th on,
    so that N shards split any class into parts differing by one at most, each name in
    exactly one; None: all of them."""
    if shard is None:
        return names
    k, n = shard
    return names[k - 1::n]


def run(args, grader):
    """Grades every subfolder of args.batch into args.out; the exit status."""
    sim = None
    if getattr(args, "similarity", False):  # refused before anything is graded
        sim = similarity.find_sim_c()
        if sim is None:
            raise grader.GraderError(similarity.missing_message())
    root, out = os.path.abspath(args.batch), os.path.abspath(args.out)
    if not os.path.isdir(root):
        raise grader.GraderError(f"{args.batch}: not a folder")
    names = sorted(n for n in os.listdir(root)  # OUT may be inside DIR: it is no submission
                   if not n.startswith(".") and os.path.isdir(os.path.join(root, n))
                   and os.path.realpath(os.path.join(root, n)) != os.path.realpath(out))
    if not names:
        raise grader.GraderError(f"{args.batch}: no submission folders in it")
    everyone = names  # --similarity compares the whole class, whatever the shard
    names = shard_of(names, getattr(args, "shard", None))
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise grader.GraderError(f"--out {args.out}: cannot write there ({e.strerror or e})")
    if not names:  # more shards than students: this one has nothing to do, and says so; its
        # OUT is made all the same, empty (a bad --out fails every shard alike, and a recipe
        # that copies or uploads every shard's OUT finds one)
        sys.stderr.write(f"shard {args.shard[0]}/{args.shard[1]}: no submission falls in it\n")
        return 0
    files, cases, peers, expected = grader.prepare(args.cases, args.assignment)
    selected = grader.select_ids(files, cases, args.k)
    if not selected:
        raise grader.GraderError("no case matches the selection")

    use_cache = not getattr(args, "no_cache", False)
    cache_dir = os.path.abspath(getattr(args, "cache", None) or os.path.join(out, ".cache"))
    references = references_key(grader, args.assignment)
    with open(expected, "rb") as fh:
        recorded = fh.read()
    grading = grading_key(files, selected, verdict_cache.digest(references, recorded))
    store = None  # the verdict cache
    if use_cache:
        try:
            toolchain = verdict_cache.toolchain_key(references, args.isolation)
            store = verdict_cache.VerdictCache(cache_dir, toolchain, references, json.loads(recorded), cases)
        except OSError as e:
            raise grader.GraderError(f"--cache {cache_dir}: cannot use it ({e.strerror or e})")

    errors, todo, scans = {}, [], {}
    for name in names:
        dest = os.path.join(out, name)
        try:
            scans[name] = verdict_cache.scan_submission(os.path.join(root, name))
            fp = fingerprint(scans[name][0], grading)
        except OSError as e:
            errors[name] = one_line(e, grader.GraderError)
            record_error(dest, errors[name])
            continue
        try:
            with open(os.path.join(dest, "fingerprint.txt")) as fh:
                done = fh.read().strip() == fp and os.path.isfile(os.path.join(dest, "results.json"))
        except OSError:
            done = False
        if done and use_cache:
            sys.stderr.write(f"skipped (already graded): {name}\n")
        else:
            todo.append((name, fp))

    stop = threading.Event()
    hide = grader.hidden_paths(args.cases, root, out, *([cache_dir] if use_cache else []),
                               assignment=args.assignment)
    assignment_name = grader.load_assignment(args.assignment).name if args.assignment else None

    def grade_one(name, fp):
        """Grades one submission and writes its files; (None, "got/max") or (reason, None)."""
        dest = os.path.join(out, name)
        try:
            submission = os.path.join(root, name)
            kept = store.for_submission(*scans[name]) if store is not None else None
            g, elapsed = grader.grade_without_pytest(submission, files, cases, peers, expected, selected,
                                                     args.isolation, hide, steps, assignment_name, kept)
            if stop.is_set():
                return "interrupted", None
            _, got, total = scores(g.cases, g.verdicts)
            os.makedirs(dest, exist_ok=True)
            if os.path.exists(os.path.join(dest, "error.txt")):
                os.unlink(os.path.join(dest, "error.txt"))
            write_atomic(os.path.join(dest, "report.txt"), text_report(g, elapsed))
            write_atomic(os.path.join(dest, "report.html"), html_report(g, elapsed))
            write_atomic(os.path.join(dest, "results.json"), json.dumps(gradescope_results(g, elapsed), indent=2))
            write_atomic(os.path.join(dest, "fingerprint.txt"), fp + "\n")  # last: it marks the grading done
            return None, f"{got}/{total}"
        except Exception as e:  # one broken submission never stops the batch
            reason = one_line(e, grader.GraderError)
            if not stop.is_set():
                record_error(dest, reason, "" if isinstance(e, grader.GraderError) else traceback.format_exc())
            return reason, None

    progress = Progress(len(todo), sys.stderr)
    # --jobs N as make -j: at most N compiles or probe runs at once, over the whole
    # batch (steps); up to N submissions in flight feed them (pool).
    steps = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    try:
        futures = {pool.submit(grade_one, name, fp): name for name, fp in todo}
        for f in concurrent.futures.as_completed(futures):
            name = futures[f]
            reason, score = f.result()
            if reason is not None:
                errors[name] = reason
            progress.finished(name, score if reason is None else f"error: {reason}")
    except KeyboardInterrupt:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        steps.shutdown(wait=False, cancel_futures=True)
        progress.close()
        sys.stderr.write("grader: interrupted; run the same command again to resume\n")
        return 130
    pool.shutdown()
    steps.shutdown()
    progress.close()

    # the class files, rebuilt from every OUT/NAME/results.json (this run's and earlier runs')
    rows, failures, descriptions = [], {}, {c["id"]: c["description"] for c in cases}
    for name in names:
        if name in errors:
            rows.append(csv_row(grader.PROGRAMS, name, error=errors[name]))
            continue
        try:
            with open(os.path.join(out, name, "results.json")) as fh:
                results = json.load(fh)
            rows.append(csv_row(grader.PROGRAMS, name, results))
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            errors[name] = f"OUT/{name}/results.json unreadable ({one_line(e, grader.GraderError)})"
            rows.append(csv_row(grader.PROGRAMS, name, error=errors[name]))
            continue
        for t in results["tests"]:
            if t["status"] != "passed":
                cid = t["name"].split(":")[0]
                failures[cid] = failures.get(cid, 0) + 1
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["name", "total", "max", *grader.PROGRAMS, "status"])
    writer.writerows(rows)
    write_atomic(os.path.join(out, "grades.csv"), table.getvalue())
    shown = root if getattr(args, "shard", None) is None else f"{root} (shard {args.shard[0]}/{args.shard[1]})"
    summary = class_summary(shown, rows, failures, descriptions)
    similar = None
    if sim:  # sim_c's faults are the section's line, never the batch's
        similar = similarity.compare(root, everyone, grader.PROGRAMS,
                                     grader.load_assignment(args.assignment).given_code(grader.PROGRAMS),
                                     args.similarity_threshold, sim)
        summary += "\n" + "\n".join(similarity.summary_lines(similar)) + "\n"
    write_atomic(os.path.join(out, "summary.txt"), summary)
    write_atomic(os.path.join(out, "summary.html"),
                 summary_html(shown, rows, failures, [c for c in cases if c["id"] in selected], similar))
    if not args.quiet:
        sys.stdout.write(summary)
    if store is not None:
        sys.stderr.write(store.stats.line(cache_dir) + "\n")
    return 1 if errors else 0
