"""Assignments: which version of the homework a course grades.

An assignment is a folder, assignments/NAME/ (or any folder given by path), holding
assignment.json and, in the layout below, what differs from its base:

    assignment.json   {"name": NAME, "title": "...", "base": "lecture13"}   (no base: a root)
    reference/P.c     the reference programs whose behaviour differs (the others: the base's)
    cases/P.json      {"program": P, "cases": [...]}: an entry whose id the base has changes
                      that case (the fields it gives replace the base's; params key by key),
                      {"id": ID, "drop": true} drops it, an entry with a new id adds a case
    student/          the students' README.md and the skeletons that differ (the rest: the base's)
    rules.json        which rule of the README each case checks (docs/rules.json's form;
                      "inherit": true takes the base's rows that still fit this README)
    mutants.json      realistic bugs in the references and the cases each must fail (tests)
    given/P.c         code every student was handed besides the skeletons (the lecture's own
                      programs): --similarity discounts it, with the skeletons, in every base too

A root assignment (the default, lecture13) may name its folders instead ("cases":
"../../cases", ...): lecture13 is today's cases/, reference/ and student_template/, and
its given code is the lecture's programs, tests/submissions/lecture/.
Expectations are recorded from the assignment's references by the probe, as for the base.
See docs/ASSIGNMENTS.md.
"""
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
SHIPPED_DIR = os.path.join(ROOT, "assignments")
DEFAULT = "lecture13"
LAYOUT = {"cases": "cases", "reference": "reference", "student": "student", "rules": "rules.json",
          "mutants": "mutants.json", "given": "given"}
CASE_FIELDS = ["id", "description", "requirement", "why", "category", "points", "scenario", "params", "compare",
               "hint"]
CATEGORIES = ("core", "robustness", "hygiene")
ID_FORM = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


class AssignmentError(Exception):
    """A broken assignment folder: one line saying what and where."""


def shipped():
    """The names of the assignments shipped in assignments/."""
    return sorted(n for n in os.listdir(SHIPPED_DIR) if os.path.isfile(os.path.join(SHIPPED_DIR, n, "assignment.json")))


def read_json(path, what):
    try:
        with open(path) as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise AssignmentError(f"{path}: no {what}")
    except (OSError, ValueError) as e:
        raise AssignmentError(f"{path}: not valid JSON ({e})")


class Assignment:
    def __init__(self, folder, _seen=()):
        self.folder = os.path.abspath(folder)
        if not os.path.isdir(self.folder):
            raise AssignmentError(f"{folder}: not a folder")
        self.config = doc = read_json(os.path.join(self.folder, "assignment.json"), "assignment.json")
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"]:
            raise AssignmentError(f"{self.folder}/assignment.json: needs a \"name\"")
        self.name, self.title = doc["name"], doc.get("title", "")
        if self.folder in _seen:
            raise AssignmentError(f"{self.folder}/assignment.json: its bases lead back to itself")
        self.base = resolve(doc["base"], self.folder, _seen + (self.folder,)) if doc.get("base") else None
        self.paths = {k: os.path.normpath(os.path.join(self.folder, doc.get(k, v))) for k, v in LAYOUT.items()}

    # ------------------------------------------------------------ what it is made of

    def chain(self):
        """This assignment and its bases, the root last."""
        return [self] + (self.base.chain() if self.base else [])

    def folders(self):
        """Every folder whose files this assignment reads: what student code must never see."""
        out = []
        for a in self.chain():
            for p in [a.folder] + [a.paths[k] for k in ("cases", "reference", "student")]:
                if p not in out and os.path.exists(p):  # a copy of the grader may lack student_template/
                    out.append(p)
        return out

    def references(self, programs):
        """{program: the reference source graded against}: its own, else its base's."""
        own = self.paths["reference"]
        inherited = self.base.references(programs) if self.base else {}
        out = {}
        for p in programs:
            src = os.path.join(own, p + ".c")
            if os.path.isfile(src):
                out[p] = src
            elif p in inherited:
                out[p] = inherited[p]
            else:
                raise AssignmentError(f"{self.folder}: no reference {p}.c (in {own} or a base)")
        return out

    def own_case_files(self):
        d = self.paths["cases"]
        return sorted(glob.glob(os.path.join(d, "*.json"))) if os.path.isdir(d) else []

    def cases(self, programs):
        """[(program, [case, ...])] in the lecture's order: the base's cases by id, changed,
        dropped or added as this assignment's case files say."""
        if self.base is None:
            files = self.own_case_files()
            if not files:
                raise AssignmentError(f"{self.paths['cases']}: no case files")
            by_program = {}
            for f in files:
                doc = read_json(f, "case file")
                program, entries = case_doc(f, doc)
                by_program.setdefault(program, []).extend(entries)
            return ordered(by_program, programs)
        by_program = {p: [dict(c, params=dict(c.get("params", {}))) for c in cs]
                      for p, cs in self.base.cases(programs)}
        where = {c["id"]: p for p, cs in by_program.items() for c in cs}
        own_ids = set()
        for f in self.own_case_files():
            program, entries = case_doc(f, read_json(f, "case file"))
            for e in entries:
                cid = e.get("id")
                if not isinstance(cid, str) or not cid:
                    raise AssignmentError(f"{f}: a case without an \"id\"")
                if cid in own_ids:
                    raise AssignmentError(f"{f}: case id {cid} given twice")
                own_ids.add(cid)
                if e.get("drop"):
                    if cid not in where:
                        raise AssignmentError(f"{f}: drops {cid}, which the base {self.base.name} does not have")
                    p = where.pop(cid)
                    by_program[p] = [c for c in by_program[p] if c["id"] != cid]
                elif cid in where:
                    if where[cid] != program:
                        raise AssignmentError(f"{f}: {cid} is a case of {where[cid]}, not {program}")
                    for c in by_program[program]:
                        if c["id"] == cid:
                            for k, v in e.items():
                                if k == "params":
                                    c["params"].update(v)
                                else:
                                    c[k] = v
                else:
                    missing = [k for k in CASE_FIELDS if k not in e]
                    if missing:
                        raise AssignmentError(f"{f}: new case {cid} lacks {', '.join(missing)} "
                                              f"(or the base {self.base.name} has no such case to change)")
                    where[cid] = program
                    by_program.setdefault(program, []).append(dict(e))
        return ordered(by_program, programs)

    def case_files(self, programs, out_dir):
        """The case files the probe reads: a root's own files as they are, else the merged cases
        written to OUT_DIR/<hash>/PROGRAM.json (named by their content, so the same cases give
        the same files, and the same recorded oracle)."""
        merged = self.cases(programs)
        for program, cs in merged:
            for c in cs:
                check_case(c, f"{self.name}: {program}")
        if self.base is None:
            return self.own_case_files()
        texts = {p: json.dumps({"program": p, "cases": cs}, indent=1, sort_keys=True) + "\n" for p, cs in merged}
        h = hashlib.sha256("".join(f"{p}\0{t}" for p, t in texts.items()).encode()).hexdigest()[:16]
        dest = os.path.join(out_dir, "assignments", f"{self.name}-{h}")
        if not os.path.isdir(dest):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(dest))
            for p, t in texts.items():
                with open(os.path.join(tmp, p + ".json"), "w") as fh:
                    fh.write(t)
            try:
                os.rename(tmp, dest)
            except OSError:  # written meanwhile by another grading
                shutil.rmtree(tmp, ignore_errors=True)
        return [os.path.join(dest, p + ".json") for p, _ in merged]

    def student_files(self):
        """{relative path: file} of the students' template: the base's, then this one's."""
        out = self.base.student_files() if self.base else {}
        d = self.paths["student"]
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames.sort()
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                out[os.path.relpath(full, d)] = full
        return out

    def given_code(self, programs):
        """{program: [file, ...]}: the code every student was handed for it, which is no
        sign of copying: the skeleton of the students' template, and the given/ files of
        this assignment and of every base (the lecture's programs for lecture13)."""
        skeletons = self.student_files()
        out = {}
        for p in programs:
            files = [skeletons[p + ".c"]] if p + ".c" in skeletons else []
            for a in self.chain():
                path = os.path.join(a.paths["given"], p + ".c")
                if os.path.isfile(path) and path not in files:
                    files.append(path)
            out[p] = files
        return out

    def readme(self):
        path = self.student_files().get("README.md")
        if path is None:
            raise AssignmentError(f"{self.folder}: no student/README.md (in it or a base)")
        with open(path) as fh:
            return path, fh.read()

    def rules(self, readme_text, ids):
        """The rows of docs/rules.json's form tracing this assignment's README: its own rules.json;
        with "inherit": true, first the base's rows whose quotes this README still holds (their
        case lists cut to the cases this assignment has)."""
        path = self.paths["rules"]
        if not os.path.isfile(path):
            if self.base is None:
                raise AssignmentError(f"{self.folder}: no rules.json")
            doc = {"inherit": True, "rules": []}
        else:
            doc = read_json(path, "rules.json")
        if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
            raise AssignmentError(f"{path}: needs a \"rules\" list")
        rows = []
        if doc.get("inherit") and self.base:
            flat = " ".join(readme_text.split())
            for r in self.base.rules(readme_text, None):
                if all(" ".join(q.split()) in flat for q in r["quotes"]):
                    r = dict(r)
                    if r.get("cases") and ids is not None:
                        r["cases"] = [c for c in r["cases"] if c in ids]
                        if not r["cases"]:
                            continue
                    rows.append(r)
        return rows + doc["rules"]

    def mutants(self):
        """This assignment's own mutants (mutants.json), [] when it has none."""
        path = self.paths["mutants"]
        return read_json(path, "mutants.json") if os.path.isfile(path) else []


def case_doc(path, doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("program"), str) or not isinstance(doc.get("cases"), list):
        raise AssignmentError(f"{path}: a case file needs \"program\" and a \"cases\" list")
    for e in doc["cases"]:
        if not isinstance(e, dict):
            raise AssignmentError(f"{path}: a case is not an object")
    return doc["program"], doc["cases"]


def check_case(c, where):
    """The checks the grader can make of a case without the probe (which checks the rest)."""
    if not ID_FORM.match(str(c.get("id", ""))):
        raise AssignmentError(f"{where}: case id {c.get('id')!r} is not <prefix>.<name> in lowercase")
    if not isinstance(c.get("points"), int) or isinstance(c["points"], bool) or c["points"] < 1:
        raise AssignmentError(f"{where}: {c['id']}: points must be a positive integer")
    if c.get("category") not in CATEGORIES:
        raise AssignmentError(f"{where}: {c['id']}: category must be one of {', '.join(CATEGORIES)}")
    if not isinstance(c.get("compare"), list) or not c["compare"]:
        raise AssignmentError(f"{where}: {c['id']}: compare must list the facts that decide the verdict")


def ordered(by_program, programs):
    for p in by_program:
        if p not in programs:
            raise AssignmentError(f"cases for {p}, which is none of the five programs")
    return [(p, by_program[p]) for p in programs if by_program.get(p)]


def resolve(spec, relative_to=None, _seen=()):
    """The Assignment that NAME (shipped in assignments/) or DIR names."""
    spec = spec or DEFAULT
    if os.sep not in spec and not spec.startswith(".") and os.path.isdir(os.path.join(SHIPPED_DIR, spec)):
        return Assignment(os.path.join(SHIPPED_DIR, spec), _seen)
    path = os.path.join(relative_to, spec) if relative_to and not os.path.isabs(spec) else spec
    if not os.path.isdir(path):
        raise AssignmentError(f"no assignment {spec} (shipped: {', '.join(shipped())}; or give its folder)")
    return Assignment(path, _seen)
