#!/usr/bin/env python3
"""Writes docs/CASES.md from cases/*.json: the catalogue of every behaviour graded.

    python3 docs/make_catalogue.py > docs/CASES.md
tests/test_docs.py fails when the committed catalogue differs from this output."""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def catalogue():
    out = ["# Case catalogue", "",
           "Generated from `cases/*.json` by `docs/make_catalogue.py`; do not edit by hand.",
           "Expected values are recorded from `reference/`; *compares* names the observed facts",
           "that decide the verdict (see the scenario's comment in `harness/scenario_*.c`).", ""]
    total = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "cases", "*.json"))):
        with open(path) as fh:
            doc = json.load(fh)
        points = sum(c["points"] for c in doc["cases"])
        total += points
        out += [f"## {doc['program']} ({points} points)", "",
                "| id | points | category | requirement | why | scenario | compares |",
                "|---|---|---|---|---|---|---|"]
        for c in doc["cases"]:
            req = c["requirement"].replace("|", "\\|")
            why = c["why"].replace("|", "\\|")
            out.append(f"| `{c['id']}` | {c['points']} | {c['category']} | {req} | {why} | {c['scenario']} "
                       f"| {', '.join(c['compare'])} |")
        out.append("")
    out.append(f"Total: {total} points.")
    return "\n".join(out + variants()) + "\n"


def variants():
    """What each shipped assignment other than the default changes (docs/ASSIGNMENTS.md)."""
    import sys
    sys.path.insert(0, ROOT)
    import assignments
    programs = ["unix_d_server", "unix_d_send", "tcp_qq_srver", "tcp_client", "tcp_echo_serverSR"]
    base = {c["id"]: c for _, cs in assignments.resolve(None).cases(programs) for c in cs}
    out = ["", "# Assignments", "",
           "The cases of the other shipped assignments (`assignments/NAME/`, `--assignment NAME`): the default's, "
           "changed as listed; expected values recorded from each assignment's own references."]
    for name in assignments.shipped():
        a = assignments.resolve(name)
        if a.base is None:
            continue
        cases = {c["id"]: c for _, cs in a.cases(programs) for c in cs}
        out += ["", f"## {name} ({sum(c['points'] for c in cases.values())} points)", "", a.title, "",
                "| id | points | change | requirement |", "|---|---|---|---|"]
        for cid in base:
            if cid not in cases:
                out.append(f"| `{cid}` | - | dropped | |")
        for cid, c in cases.items():
            if cid not in base:
                change = "added"
            else:
                fields = sorted(k for k in c if c[k] != base[cid].get(k))
                if not fields:
                    continue
                change = "changed: " + ", ".join(fields)
            out.append(f"| `{cid}` | {c['points']} | {change} | {c['requirement'].replace('|', chr(92) + '|')} |")
    return out


if __name__ == "__main__":
    print(catalogue(), end="")
