"""The verdict cache of a batch: a regrade runs only what its inputs changed.

A verdict is a pure function of the program as compiled (the files gcc read,
the flags, the compiler), the case (as the probe reads it: not its points or
its texts), the probe, and the assignment's references (their sources, and
what the reference did on that case). The cache keeps every verdict under
exactly that key, so a regrade after adding a case runs that case alone, after
changing points runs no case at all, and after a student changed one program's
file runs that program only.

Layout (FOLDER, by default OUT/.cache; nothing in it is ever trusted as code
of ours, and the box never sees it: it is hidden with OUT):

    FOLDER/v1/manifests/KEY.json  for a program's main file: [{"deps": {path: sha256}, "entry": EKEY}]
    FOLDER/v1/programs/EKEY/      one compiled program: build.json (ok, messages),
                                  binary, verdicts.json {case key: verdict}

A manifest's KEY is the toolchain, the program's name, the names of all the
submission's .c/.h files, and its main file's bytes; an entry is found when
every file the compiler read (gcc -MD: the submission's, and the system
headers under /usr) still hashes the same. The names belong to the key because
a file that appears can change what an #include or __has_include finds.
"""
import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import tempfile
import threading

VERSION = "v1"
SCORING_FIELDS = ("points", "description", "requirement", "why", "category", "hidden")  # the probe never reads them
SUBMISSION_DEPTH = 8  # as the box's compile (harness/compile.c)
SUBMISSION_BYTES = 8 << 20  # as the box's compile: past it the submission is refused, and not read here


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def digest(*parts):
    """sha256 over parts (str or bytes), each length-prefixed so no two lists hash alike."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scan_submission(folder):
    """The submission's .c and .h files as the box's compile copies them: {relative path:
    sha256 of the bytes}, found without following a link; dot-entries left out. Returns
    (files, special): special names a link, fifo, socket or device the compile refuses, or
    says the files are too large for it (then nothing of this submission is cached, and
    what is past the compile's bound is named by size and time, never read)."""
    files, special, total = {}, None, 0

    def walk(dir_fd, prefix, depth):
        nonlocal special, total
        for entry in sorted(os.listdir(dir_fd)):
            if entry.startswith("."):
                continue
            st = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
            rel = prefix + entry
            if stat.S_ISDIR(st.st_mode):
                if depth < SUBMISSION_DEPTH:
                    sub = os.open(entry, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
                    try:
                        walk(sub, rel + "/", depth + 1)
                    finally:
                        os.close(sub)
            elif not stat.S_ISREG(st.st_mode):
                special = special or rel
            elif entry.endswith((".c", ".h")):
                total += st.st_size
                if total > SUBMISSION_BYTES:
                    special = special or f"more than {SUBMISSION_BYTES >> 20} MiB of .c/.h files"
                    files[rel] = f"size {st.st_size}, modified {st.st_mtime_ns}"
                    continue
                fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
                with os.fdopen(fd, "rb") as fh:
                    if stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                        files[rel] = sha256_bytes(fh.read(SUBMISSION_BYTES + 1))
                    else:
                        special = special or rel

    top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        walk(top, "", 0)
    finally:
        os.close(top)
    return files, special


def parse_deps(text):
    """The prerequisites of a make rule as gcc -MD writes it ("program: a.c b.h \\"),
    unescaped; None when the text is not such a rule."""
    body = text.replace("\\\n", " ")
    head, sep, rest = body.partition(": ")
    if not sep or head != "program":
        return None
    deps, word, i = [], "", 0
    while i < len(rest):
        ch = rest[i]
        if ch == "\\" and i + 1 < len(rest) and rest[i + 1] in " #\\":
            word += rest[i + 1]
            i += 2
            continue
        if ch == "$" and rest[i + 1:i + 2] == "$":
            word += "$"
            i += 2
            continue
        if ch.isspace():
            if word:
                deps.append(word)
            word = ""
        else:
            word += ch
        i += 1
    if word:
        deps.append(word)
    return deps


def toolchain_key(references, isolation):
    """What every build and verdict of this machine depends on besides the sources and the
    case: REFERENCES (batch.references_key: the probe's and the compile tool's bytes, the
    flags, the references' sources), gcc's version, the C library programs run with, the
    kernel, and the isolation level asked for."""
    try:
        gcc = subprocess.run(["gcc", "-dumpfullversion", "-dumpmachine"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        gcc = "?"
    libc = ""
    for path in ("/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6"):
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                libc = sha256_bytes(fh.read())
            break
    return digest(VERSION, references, gcc, libc, platform.release(), str(isolation))


class Stats:
    """What a batch took from the cache and what it ran (printed at its end, read by tests)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reused = self.ran = self.compiled = 0

    def add(self, reused=0, ran=0, compiled=0):
        with self.lock:
            self.reused += reused
            self.ran += ran
            self.compiled += compiled

    def line(self, folder):
        return (f"cache: {self.reused} verdicts reused, {self.ran} cases run, {self.compiled} programs compiled "
                f"({folder})")


class VerdictCache:
    """The cache folder of a batch, shared by its threads. Entries are written whole
    (a temporary name, then a rename): an interrupted batch leaves no half entry."""

    def __init__(self, folder, toolchain, references, expected, cases):
        self.folder = os.path.join(folder, VERSION)
        self.toolchain = toolchain
        self.stats = Stats()
        self.lock = threading.Lock()
        self.system = {}  # system header path -> sha256 (None: not a file we hash)
        self.claims = {}  # manifest path -> its lock (SubmissionCache.claim)
        # a case's key: what the probe reads of it, and what the references did on it
        self.case_keys = {c["id"]: digest(canonical({k: v for k, v in c.items() if k not in SCORING_FIELDS}),
                                          canonical(expected.get(c["id"])), references)
                          for c in cases}
        # the grader's alone, every level (level 3 refuses a hidden folder others can read)
        for path in (folder, self.folder, os.path.join(self.folder, "manifests"),
                     os.path.join(self.folder, "programs")):
            if not os.path.isdir(path):
                os.makedirs(path, mode=0o700, exist_ok=True)
                os.chmod(path, 0o700)

    def for_submission(self, files, special):
        """The cache as one submission sees it (scan_submission's result), or None when it
        cannot be keyed (a link, fifo or device in it: the compile refuses it anyway)."""
        return None if special else SubmissionCache(self, files)

    def system_hash(self, path):
        """sha256 of a system header the compiler read (under /usr only: nothing a
        submission can write), memoised for the batch; None for any other path."""
        with self.lock:
            if path in self.system:
                return self.system[path]
        value = None
        if os.path.normpath(path).startswith("/usr/") and os.path.isabs(path):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as fh:
                    if stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                        value = sha256_bytes(fh.read())
            except OSError:
                value = None
        with self.lock:
            self.system[path] = value
        return value

    def write_json(self, path, value):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            json.dump(value, fh)
        os.replace(tmp, path)

    def read_json(self, path, default):
        try:
            with open(path) as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return default


class SubmissionCache:
    """One submission's view of the cache: its files' hashes, and for each program the
    entry its sources map to."""

    def __init__(self, cache, files):
        self.cache, self.files = cache, files

    def manifest_path(self, program):
        main = self.files.get(program + ".c")
        if main is None:
            return None
        key = digest(self.cache.toolchain, program, "\n".join(sorted(self.files)), main)
        return os.path.join(self.cache.folder, "manifests", key + ".json")

    def claim(self, program):
        """A lock for this program's sources: two submissions holding the same file (a copy,
        an untouched skeleton) are compiled and run once, the second taking the first's
        entry, so what a batch runs does not depend on which thread came first."""
        path = self.manifest_path(program)
        with self.cache.lock:
            return self.cache.claims.setdefault(path, threading.Lock()) if path else threading.Lock()

    def dep_hashes(self, deps):
        """{path: sha256} of the files gcc read, or None when one is neither a file of
        this submission nor a system header (then the build is not cached)."""
        hashes = {}
        for dep in deps:
            if os.path.isabs(dep):
                value = self.cache.system_hash(dep)
            else:
                dep = os.path.normpath(dep)
                value = self.files.get(dep)
            if value is None:
                return None
            hashes[dep] = value
        return hashes

    def lookup(self, program):
        """The program's cached entry (Entry), or None."""
        path = self.manifest_path(program)
        if path is None:
            return None
        for candidate in self.cache.read_json(path, []):
            deps = candidate.get("deps") if isinstance(candidate, dict) else None
            if not isinstance(deps, dict) or self.dep_hashes(deps) != deps:
                continue
            entry = Entry(self.cache, candidate.get("entry"))
            if entry.build is not None:
                return entry
        return None

    def store(self, program, build, deps_text):
        """Keeps a fresh compile (its result, binary and the files it read); the Entry,
        or None when it cannot be keyed."""
        path = self.manifest_path(program)
        deps = parse_deps(deps_text) if deps_text is not None else None
        hashes = self.dep_hashes(deps) if deps else None
        if path is None or hashes is None or (program + ".c") not in hashes:
            return None
        key = digest(os.path.basename(path), canonical(hashes))
        entry = Entry(self.cache, key)
        tmp = tempfile.mkdtemp(dir=os.path.join(self.cache.folder, "programs"), prefix=".tmp-")
        try:
            if build["ok"]:
                shutil.copyfile(build["binary"], os.path.join(tmp, "binary"))
            self.cache.write_json(os.path.join(tmp, "build.json"),
                                  {"ok": build["ok"], "messages": build["messages"]})
            try:
                os.rename(tmp, entry.dir)
            except OSError:  # another thread kept the same build meanwhile
                pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        with self.cache.lock:
            manifest = [m for m in self.cache.read_json(path, []) if isinstance(m, dict) and m.get("entry") != key]
            self.cache.write_json(path, manifest + [{"deps": hashes, "entry": key}])
        return Entry(self.cache, key)


class Entry:
    """One compiled program in the cache: its build and its verdicts by case key."""

    def __init__(self, cache, key):
        self.cache, self.key = cache, key
        self.dir = os.path.join(cache.folder, "programs", key) if isinstance(key, str) and key.isalnum() else None
        build = cache.read_json(os.path.join(self.dir, "build.json"), None) if self.dir else None
        whole = (isinstance(build, dict) and isinstance(build.get("ok"), bool)
                 and isinstance(build.get("messages"), str)
                 and (not build["ok"] or os.path.isfile(os.path.join(self.dir, "binary"))))
        self.build = build if whole else None  # anything else is a miss, never a fault

    def binary(self, out):
        """Copies the kept binary to OUT (where a fresh compile would have put it)."""
        shutil.copyfile(os.path.join(self.dir, "binary"), out)
        os.chmod(out, 0o755)

    def verdicts(self, ids):
        """{case id: verdict} of the ids whose case key has a kept verdict."""
        kept = self.cache.read_json(os.path.join(self.dir, "verdicts.json"), {})
        found = {}
        for cid in ids:
            v = kept.get(self.cache.case_keys.get(cid, ""))
            if isinstance(v, dict) and v.get("id") == cid:
                found[cid] = v
        return found

    def keep(self, verdicts):
        """Adds fresh verdicts (only those the probe decided: never a grader fault)."""
        fresh = {self.cache.case_keys[cid]: v for cid, v in verdicts.items()
                 if cid in self.cache.case_keys and v.get("verdict") in ("pass", "fail", "timeout")}
        if not fresh:
            return
        path = os.path.join(self.dir, "verdicts.json")
        with self.cache.lock:
            kept = self.cache.read_json(path, {})
            kept.update(fresh)
            self.cache.write_json(path, kept)
