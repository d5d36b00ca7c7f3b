"""Reports of a grading: the text report, Gradescope's results.json, and the
helpers that show expected next to observed. grader.py decides the verdicts;
this module only presents them."""
import json

SHOW_CHARS = 600  # of a value in a report: a flood is cut, and says so
SHOW_ITEMS = 12   # of a list


def cut(text, limit=SHOW_CHARS):
    """text, or its first limit characters and how much was left out."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def show(value):
    """A compared value as the report prints it: bytes as "text" [hex], long values cut."""
    if isinstance(value, dict) and "hex" in value and "text" in value:
        extra = "".join(f", {k}: {value[k]}" for k in value if k not in ("text", "hex"))
        return f"\"{cut(value['text'])}\"  [hex {cut(value['hex']) or '-'}]{extra}"
    if isinstance(value, list):
        more = f", ... ({len(value) - SHOW_ITEMS} more)" if len(value) > SHOW_ITEMS else ""
        return "[" + ", ".join(show(v) for v in value[:SHOW_ITEMS]) + more + "]"
    if isinstance(value, str):
        return cut(value)
    return cut(json.dumps(value))


def failure_text(case, v):
    lines = [f"{case['id']} ({v['verdict']}): {case['description']}",
             f"  requirement: {case['requirement']}"]
    if v.get("reason"):
        lines.append(f"  why: {v['reason']}")
    for key in sorted(set(v.get("expected", {})) | set(v.get("observed", {}))):
        if key in v.get("mismatch", [key]):
            lines.append(f"  {key}:")
            lines.append(f"    expected: {show(v.get('expected', {}).get(key))}")
            lines.append(f"    observed: {show(v.get('observed', {}).get(key))}")
    if v.get("hint"):
        lines.append(f"  hint: {v['hint']}")
    return "\n".join(lines)


def scores(cases, verdicts):
    """{program: [got, max]} and the total, over the cases that were run."""
    per = {c["program"]: [0, 0] for c in cases}  # in the order the case files give
    for c in cases:
        v = verdicts.get(c["id"])
        if v is None:
            continue
        s = per.setdefault(c["program"], [0, 0])
        s[1] += c["points"]
        if v["verdict"] == "pass":
            s[0] += c["points"]
    return per, sum(s[0] for s in per.values()), sum(s[1] for s in per.values())


def text_report(g, elapsed):
    per, got, total = scores(g.cases, g.verdicts)
    out = [f"Grading {g.submission}", ""]
    for p, b in g.built.items():
        warn = b["messages"].count("warning:")
        state = "ok" if b["ok"] else "DOES NOT COMPILE"
        out.append(f"  build {p}.c: {state}" + (f" ({warn} warning{'s' if warn != 1 else ''})" if warn else ""))
        if b["messages"]:
            out += ["      " + line for line in b["messages"].splitlines()[:20]]
    out.append("")
    for p in per:
        if per[p][1] == 0:
            continue
        out.append(f"{p:<20} {per[p][0]:>3}/{per[p][1]}")
        for c in g.cases:
            v = g.verdicts.get(c["id"])
            if c["program"] == p and v and v["verdict"] != "pass":
                out.append("  " + failure_text(c, v).replace("\n", "\n  "))
    if g.isolation_in_force():
        out += ["", f"isolation: {g.isolation_in_force()}"]
    out += ["", f"Total: {got}/{total}  ({elapsed:.1f} s)"]
    return "\n".join(out) + "\n"


def gradescope_results(g, elapsed):
    """Gradescope's results.json: score, execution_time, tests[]."""
    tests = []
    for c in g.cases:
        v = g.verdicts.get(c["id"])
        if v is None:
            continue
        passed = v["verdict"] == "pass"
        t = {"name": f"{c['id']}: {c['description']}", "score": c["points"] if passed else 0,
             "max_score": c["points"], "status": "passed" if passed else "failed",
             "output": c["requirement"] if passed else failure_text(c, v),
             "tags": [c["program"], c["category"]],
             "extra_data": {"verdict": v["verdict"], "time_ms": v.get("time_ms", 0)}}
        if c.get("hidden"):
            t["visibility"] = "after_published"
        tests.append(t)
    _, got, _ = scores(g.cases, g.verdicts)
    results = {"score": got, "execution_time": round(elapsed, 2), "tests": tests}
    if g.isolation_in_force():
        results["output"] = f"Graded under isolation {g.isolation_in_force()}."
    return results


