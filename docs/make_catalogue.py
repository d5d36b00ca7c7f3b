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
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(catalogue(), end="")
