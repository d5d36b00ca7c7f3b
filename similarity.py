"""Copied code in a class (--batch DIR --out OUT --similarity): every pair of submissions,
program by program, compared with Debian's sim_c (similarity-tester), which matches runs of
C tokens (identifiers, numbers and strings each one token kind, comments and layout ignored),
so renaming, recommenting and reformatting do not hide a copy.

The score of a pair A, B (a percentage) counts only what A wrote itself: A's own tokens are
those on lines that no run of 12 tokens or more ties to the code every student was given
(the assignment's skeleton and given code: Assignment.given_code). Then

    A's share = own tokens of A on lines in runs of 24 tokens or more shared with B
                / all own tokens of A

and the pair's score is the larger of A's share and B's share (a student who copied half of
another's file and wrote as much again has half; the other, whole file is in it). A pair is
flagged when its score reaches the threshold and the own tokens behind that score number 50
at least (two of sim_c's default runs: a short file and one common idiom are no copy). Lines
are sim_c's, so a run counts its first and last lines whole.

Student files are hostile: only regular files no larger than FILE_CAP are read (a link,
fifo or device never is, nor a link as the submission's folder), into a private folder;
sim_c runs as the user nobody when the grader is root, with a deadline and its output
capped. Whatever goes wrong with sim_c is one line in the summary: the grades stand.
"""
import dataclasses
import errno
import os
import pwd
import re
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from reports import printable

INSTALL = "apt-get install -y similarity-tester"
MIN_RUN = 24              # tokens in a run two submissions share (sim_c's own default)
GIVEN_MIN_RUN = 12        # tokens in a run tying a line to given code: shorter echoes count too
MIN_SHARED = 50           # own tokens behind a flagged score
FILE_CAP = 1 << 20        # bytes of a student's file; a larger one is not compared
OUTPUT_CAP = 64 << 20     # bytes of sim_c's output per call
TIMEOUT_S = 300           # for all of sim_c's calls of a batch

RUN = re.compile(r"(\S+): line (\d+)-(\d+)\s*\|(\S+): line (\d+)-(\d+)\s*\[(\d+)\]")
MARK = re.compile(r"line # = (\d+), token # = (\d+):")
STREAM = re.compile(r"File (\S+): showing the token stream")


class SimilarityError(Exception):
    """sim_c could not compare the class: one line saying why."""


@dataclasses.dataclass
class Pair:
    """Two submissions' files of one program and what they share."""
    a: str
    b: str
    score: float                # the larger share, percent
    shares: tuple               # (A's share, B's share), percent
    shared: int                 # own tokens behind the score
    runs: list                  # [(a_first, a_last, b_first, b_last, tokens)], lines from 1
    texts: tuple                # (A's text, B's text)
    given: tuple                # (A's lines tied to given code, B's), sets of line numbers


@dataclasses.dataclass
class Result:
    """What --similarity found: the flagged pairs per program, highest first, or the error."""
    threshold: float
    pairs: dict = dataclasses.field(default_factory=dict)    # {program: [Pair]}
    skipped: dict = dataclasses.field(default_factory=dict)  # {program: [(name, why)]}
    error: str = None


def find_sim_c():
    """The path of sim_c on PATH, or None."""
    return shutil.which("sim_c")


def missing_message():
    """The one line a batch with --similarity stops with where sim_c is missing."""
    return f"--similarity needs sim_c (Debian's similarity-tester): run  {INSTALL}"


def read_regular(root, name, filename, cap=FILE_CAP):
    """(bytes, None) of ROOT/NAME/FILENAME; (None, why) when it is not read: absent (why None),
    a symbolic link (as the file or as NAME), not a regular file, larger than CAP. Never
    follows a link, never blocks on a fifo."""
    try:
        folder = os.open(os.path.join(root, name), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        return None, "the folder is a symbolic link" if e.errno in (errno.ELOOP, errno.ENOTDIR) else e.strerror
    try:
        try:
            st = os.lstat(filename, dir_fd=folder)
        except FileNotFoundError:
            return None, None
        if stat.S_ISLNK(st.st_mode):
            return None, "a symbolic link"
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        fd = os.open(filename, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())  # what was opened, which may have been swapped since lstat
            if not stat.S_ISREG(st.st_mode):
                return None, "not a regular file"
            data = fh.read(cap + 1)
        if len(data) > cap:
            return None, f"larger than {cap >> 20} MiB"
        return data, None
    except OSError as e:
        return None, "a symbolic link" if e.errno == errno.ELOOP else e.strerror
    finally:
        os.close(folder)


def sim_user():
    """subprocess arguments that run sim_c as the user nobody when the grader is root."""
    if os.geteuid() != 0:
        return {}
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        raise SimilarityError("no user nobody to run sim_c as")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def run_sim(sim, args, cwd, limit, cap=OUTPUT_CAP):
    """sim_c's stdout for ARGS, run in CWD as sim_user() says, within LIMIT (a deadline by
    time.monotonic(), and the seconds it stands for), with at most CAP bytes of output;
    SimilarityError otherwise."""
    deadline, seconds = limit
    try:
        proc = subprocess.Popen([sim, *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True,
                                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, **sim_user())
    except OSError as e:
        raise SimilarityError(f"sim_c did not start ({e.strerror or e})")
    out, err = bytearray(), bytearray()
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SimilarityError(f"sim_c did not finish within {seconds:g} s")
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        sel.unregister(key.fileobj)
                    key.data.extend(chunk)
                if len(out) > cap or len(err) > 1 << 16:
                    raise SimilarityError(f"sim_c's output passed {cap >> 20} MiB")
        rc = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise SimilarityError(f"sim_c did not finish within {seconds:g} s")
    finally:
        if proc.poll() is None:  # not reaped yet: its process group is still its own
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if rc != 0:
        why = (err.decode(errors="replace").strip().splitlines() or [""])[0][:200]
        raise SimilarityError(f"sim_c failed (exit {rc}){': ' + why if why else ''}")
    return out.decode(errors="replace")


def token_counts(stream):
    """{file: {line: tokens on it}} from sim_c's token stream (its option --)."""
    counts, marks, name = {}, [], None

    def close():
        if name is not None:
            counts[name] = {line: t2 - t1 for (line, t1), (_, t2) in zip(marks, marks[1:])}

    for line in stream.split("\n"):
        m = STREAM.fullmatch(line)
        if m:
            close()
            name, marks = m.group(1), []
        elif name is not None and MARK.fullmatch(line):
            mark = tuple(map(int, MARK.fullmatch(line).groups()))
            if marks and (mark[0] <= marks[-1][0] or mark[1] < marks[-1][1]):
                raise SimilarityError(f"sim_c's token stream of {name} is out of order")
            marks.append(mark)
    close()
    return counts


def runs(listing):
    """[(file, first, last, other file, first, last, tokens)] from sim_c -n."""
    return [(m[1], int(m[2]), int(m[3]), m[4], int(m[5]), int(m[6]), int(m[7]))
            for m in map(RUN.fullmatch, listing.split("\n")) if m]


def lines_of(spans):
    """The line numbers the (first, last) SPANS cover."""
    return {n for first, last in spans for n in range(first, last + 1)}


def score_pairs(names, counts, given, shared_runs, threshold):
    """The flagged pairs, highest first: NAMES {file: student}, COUNTS {file: {line: tokens}},
    GIVEN {file: set of lines tied to given code}, SHARED_RUNS sim_c's runs between the files."""
    by_pair = {}
    for f, a1, a2, g, b1, b2, n in shared_runs:
        if f == g or f not in names or g not in names:
            continue
        if names[f] > names[g]:
            f, a1, a2, g, b1, b2 = g, b1, b2, f, a1, a2
        by_pair.setdefault((f, g), []).append((a1, a2, b1, b2, n))
    flagged = []
    for (f, g), found in by_pair.items():
        shares = []
        for name, spans in ((f, [r[0:2] for r in found]), (g, [r[2:4] for r in found])):
            own = {n: t for n, t in counts.get(name, {}).items() if n not in given.get(name, set())}
            mine = sum(own.get(n, 0) for n in lines_of(spans))
            shares.append((100 * mine / sum(own.values()) if sum(own.values()) else 0.0, mine))
        share, shared = max(shares)
        if share >= threshold and shared >= MIN_SHARED:
            flagged.append(Pair(names[f], names[g], share, (shares[0][0], shares[1][0]), shared,
                                sorted(found), None, None))
    flagged.sort(key=lambda p: (-p.score, p.a, p.b))
    return flagged


def compare(root, students, programs, given_code, threshold, sim="sim_c", timeout=TIMEOUT_S):
    """Compares the file PROGRAM.c of every folder of ROOT named in STUDENTS with every other,
    per program of PROGRAMS, discounting GIVEN_CODE ({program: [trusted file]}). A Result;
    its error says in one line why sim_c could not (never raises for sim_c's faults)."""
    result = Result(threshold)
    limit = (time.monotonic() + timeout, timeout)
    work = tempfile.mkdtemp(prefix="grader-similarity-")
    try:
        group = sim_user().get("group", os.getegid())
        os.chown(work, os.geteuid(), group)
        os.chmod(work, 0o750)  # sim_c's user reads it, nobody else
        for program in programs:
            result.pairs[program], result.skipped[program] = compare_program(
                root, students, program, given_code.get(program, []), threshold, sim, limit,
                os.path.join(work, program), group)
    except SimilarityError as e:
        result.error = str(e)
    except OSError as e:  # the private folder, a given file
        result.error = f"{e.filename + ': ' if e.filename else ''}{e.strerror or e}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def private_copy(folder, filename, data, group):
    """Writes DATA as FOLDER/FILENAME, readable by GROUP (sim_c's) and its owner only."""
    path = os.path.join(folder, filename)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    with os.fdopen(fd, "wb") as fh:
        os.fchown(fh.fileno(), os.geteuid(), group)
        os.fchmod(fh.fileno(), 0o640)  # whatever the umask
        fh.write(data)


def compare_program(root, students, program, given_files, threshold, sim, limit, folder, group):
    """compare() for one program in its own FOLDER: ([Pair], [(student, why not compared)])."""
    os.mkdir(folder, 0o700)
    os.chown(folder, os.geteuid(), group)
    os.chmod(folder, 0o750)
    names, texts, skipped = {}, {}, []
    for student in students:
        data, why = read_regular(root, student, program + ".c")
        if data is None:
            if why:
                skipped.append((student, why))
            continue
        f = f"s{len(names)}.c"
        private_copy(folder, f, data, group)
        names[f], texts[f] = student, data.decode(errors="replace")
    if len(names) < 2:
        return [], skipped
    given_names = []
    for path in given_files:
        with open(path, "rb") as fh:
            given_names.append(f"g{len(given_names)}.c")
            private_copy(folder, given_names[-1], fh.read(), group)
    files = sorted(names, key=lambda f: int(f[1:-2]))
    total = sum(len(t) for t in texts.values())
    counts = token_counts(run_sim(sim, ["--", *files], folder, limit, cap=OUTPUT_CAP + 64 * total))
    if set(files) - set(counts):  # sim_c says ">>>> cannot open <<<<" and goes on
        raise SimilarityError("sim_c could not read the copies of the files")
    given = {}
    if given_names:
        for f, a1, a2, g, b1, b2, _ in runs(run_sim(sim, ["-e", "-S", "-n", f"-r{GIVEN_MIN_RUN}", *files, "/",
                                                          *given_names], folder, limit)):
            if f in names and g in given_names:
                given.setdefault(f, set()).update(range(a1, a2 + 1))
    shared = runs(run_sim(sim, ["-e", "-s", "-n", f"-r{MIN_RUN}", *files], folder, limit))
    pairs = score_pairs(names, counts, given, shared, threshold)
    by_student = {names[f]: f for f in names}
    for p in pairs:
        fa, fb = by_student[p.a], by_student[p.b]
        p.texts = (texts[fa], texts[fb])
        p.given = (given.get(fa, set()), given.get(fb, set()))
    return pairs, skipped


def summary_lines(result):
    """The section of summary.txt: per program the flagged pairs, highest first, or "none"."""
    def clean(name):
        return printable(name, one_line=True)

    head = f"Similar pairs (sim_c, threshold {result.threshold:g}%):"
    if result.error:
        return [f"{head} not compared: {result.error} (the grades stand)"]
    out = [head]
    for program, pairs in result.pairs.items():
        out.append(f"  {program}:" + ("" if pairs else " none"))
        for p in pairs:
            out.append(f"    {p.score:3.0f}%  {clean(p.a)} ~ {clean(p.b)}  ({clean(p.a)} {p.shares[0]:.0f}%, "
                       f"{clean(p.b)} {p.shares[1]:.0f}% of their own code; {p.shared} tokens)")
        for name, why in result.skipped.get(program, []):
            out.append(f"    not compared: {clean(name)}/{program}.c ({why})")
    return out
