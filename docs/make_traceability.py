#!/usr/bin/env python3
"""Writes docs/TRACEABILITY.md from docs/rules.json: every rule of the student README
(student_template/README.md) and the cases that check it, or why it is not checked.

    python3 docs/make_traceability.py > docs/TRACEABILITY.md
tests/test_docs.py fails when the committed table differs from this output, when a case id
in rules.json does not exist, and when a sentence of the README's rules has no row (problems())."""
import glob
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def norm(text):
    return re.sub(r"\s+", " ", text).strip()


def readme_items(text):
    """(section, item text) for every list item of the README's rules: from '## Rules for every
    program' up to '## Checking your work by hand', nested items included, whitespace collapsed."""
    region = text[text.index("## Rules for every program"):text.index("## Checking your work by hand")]
    items, section, cur = [], None, None
    for line in region.splitlines():
        if line.startswith("## "):
            section, cur = line[3:].strip(), None
        elif re.match(r"^\s*- ", line):
            cur = [section, line.strip()[2:]]
            items.append(cur)
        elif line.strip() and cur is not None:
            cur[1] += " " + line.strip()
        else:
            cur = None
    return [(s, norm(t)) for s, t in items]


def sentences(item):
    """(start, end) of each sentence of an item; a bold heading alone ("**Servers.**") is none."""
    spans, start = [], 0
    for m in re.finditer(r"(?<=\.)\s+(?=[A-Z*`(])", item):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(item)))
    return [(a, b) for a, b in spans if not re.fullmatch(r"\*\*[^*]+\*\*", item[a:b])]


def load():
    with open(os.path.join(ROOT, "docs", "rules.json")) as fh:
        return json.load(fh)


def case_ids():
    ids = set()
    for path in glob.glob(os.path.join(ROOT, "cases", "*.json")):
        with open(path) as fh:
            ids.update(c["id"] for c in json.load(fh)["cases"])
    return ids


def problems(doc=None, readme=None, ids=None):
    """What makes the table untrue: an unknown case id, a quote the README does not hold, a row
    neither checked nor explained, a sentence of the README's rules that no row quotes."""
    doc = doc or load()
    if readme is None:
        with open(os.path.join(ROOT, doc["readme"])) as fh:
            readme = fh.read()
    ids = case_ids() if ids is None else ids
    out, whole, items = [], norm(readme), readme_items(readme)
    covered = [set() for _ in items]
    for row in doc["rules"]:
        if bool(row.get("cases")) == bool(row.get("not_checked")):
            out.append(f"rule {row['rule']!r}: give either cases or not_checked (with the reason)")
        for cid in row.get("cases", []):
            if cid not in ids:
                out.append(f"rule {row['rule']!r}: no case {cid}")
        for q in row["quotes"]:
            q = norm(q)
            if q not in whole:
                out.append(f"rule {row['rule']!r}: the README has no {q!r}")
            for k, (_, item) in enumerate(items):
                for m in re.finditer(re.escape(q), item):
                    covered[k].update(range(m.start(), m.end()))
    for k, (section, item) in enumerate(items):
        for a, b in sentences(item):
            if not covered[k] & set(range(a, b)):
                out.append(f"{section}: no row quotes {item[a:b]!r}")
    return out


def cell(text):
    return text.replace("|", "\\|")


def table(doc=None):
    doc = doc or load()
    rows = doc["rules"]
    checked = sum(1 for r in rows if r.get("cases"))
    out = ["# Traceability: the README's rules and the cases that check them", "",
           f"Generated from `docs/rules.json` by `docs/make_traceability.py`; do not edit by hand. Each rule "
           f"of the student contract (`{doc['readme']}`) is checked by the cases listed (see `docs/CASES.md`), "
           "or says why no case can check it. `tests/test_docs.py` fails when a listed case does not exist, "
           "when a sentence of the README's rules has no row, or when this file is stale.", "",
           f"{len(rows)} rules: {checked} checked, {len(rows) - checked} not checked."]
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            out += ["", f"## {section}", "", "| rule | cases | notes |", "|---|---|---|"]
        if r.get("cases"):
            cases, note = ", ".join(f"`{c}`" for c in r["cases"]), r.get("note", "")
        else:
            cases, note = "**not checked**", r["not_checked"]
        out.append(f"| {cell(r['rule'])} | {cases} | {cell(note)} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(table(), end="")
