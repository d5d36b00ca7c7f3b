"""Reports of a grading: the text report, Gradescope's results.json, and the
helpers that show expected next to observed. grader.py decides the verdicts;
this module only presents them."""
import base64
import html
import json
import re
import xml.etree.ElementTree as ET

SHOW_CHARS = 600  # of a value in a report: a flood is cut, and says so
SHOW_ITEMS = 12   # of a list

# What must not reach a terminal or an XML file as it is: C0 controls but tab and
# newline (ESC starts a terminal's escape sequences, CR rewrites a line), DEL, C1
# controls, the line and paragraph separators, Unicode's bidi controls (overrides,
# isolates, marks), and what XML 1.0 forbids besides (lone surrogates, U+FFFE/FFFF).
UNSAFE = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
          "\ud800-\udfff\ufffe\uffff")
UNSAFE_RE = {False: re.compile(f"[{UNSAFE}]"), True: re.compile(f"[\t\n{UNSAFE}]")}


def printable(text, one_line=False):
    """text as every report shows data (a compiler's message, a program's output, a
    reason, a file name): each character listed in UNSAFE as an escape (\\x1b, \\r,
    \\u202e), and with one_line tabs and newlines too (\\t, \\n). The result holds no
    such character, so applying it again changes nothing."""
    def escape(m):
        c = ord(m.group())
        return {9: "\\t", 10: "\\n", 13: "\\r"}.get(c) or (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}")
    return UNSAFE_RE[one_line].sub(escape, str(text))


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
    """A failed case as the reports show it. Data goes through printable, and every
    line after the first is indented, so nothing in a value can pass for a line of
    the report (a forged "Total: ..." line)."""
    lines = [f"{case['id']} ({v['verdict']}): {case['description']}",
             f"  requirement: {case['requirement']}"]
    if v.get("reason"):
        lines.append(f"  what happened: {v['reason']}")
    for key in sorted(set(v.get("expected", {})) | set(v.get("observed", {}))):
        if key in v.get("mismatch", [key]):
            lines.append(f"  {key}:")
            lines.append(f"    expected: {show(v.get('expected', {}).get(key))}")
            lines.append(f"    observed: {show(v.get('observed', {}).get(key))}")
    if v.get("hint"):
        lines.append(f"  hint: {v['hint']}")
    return "\n".join(printable(line).replace("\n", "\n      ") for line in lines)


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


STATUS_WORD = {"pass": "pass", "fail": "FAIL", "timeout": "TIME", "error": "ERR "}
COLOUR = {"pass": "\x1b[32m", "fail": "\x1b[31m", "timeout": "\x1b[33m", "error": "\x1b[35m",
          "bold": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m"}


def failures_first(cases, verdicts, program):
    """The program's cases that ran, failures first, each in case-file order."""
    ran = [c for c in cases if c["program"] == program and c["id"] in verdicts]
    return sorted(ran, key=lambda c: verdicts[c["id"]]["verdict"] == "pass")


def build_lines(g, bad=str, shown=20):
    """Each program's build as the reports show it: `build X.c: ok`, `MISSING` or
    `DOES NOT COMPILE` (passed through bad), its warning count, and the first SHOWN
    lines of the compiler's messages, indented."""
    out = []
    for p, b in g.built.items():
        if b is None:
            continue
        warn = b["messages"].count("warning:")
        state = "ok" if b["ok"] else bad("MISSING" if b.get("missing") else "DOES NOT COMPILE")
        out.append(f"build {p}.c: {state}" + (f" ({warn} warning{'s' if warn != 1 else ''})" if warn else ""))
        out += ["    " + line for line in printable(b["messages"]).splitlines()[:shown]]
    return out


def text_report(g, elapsed, colour=False):
    """The report a TA or student reads: builds, a compact table per program
    (failures first), the details of every failure, the total."""
    def paint(text, key):
        return f"{COLOUR[key]}{text}{COLOUR['reset']}" if colour else text

    per, got, total = scores(g.cases, g.verdicts)
    out = [f"Grading {printable(g.submission, one_line=True)}", ""]
    if getattr(g, "assignment", None) and g.assignment != "lecture13":
        out[1:1] = [f"Assignment: {printable(g.assignment, one_line=True)}"]
    out += ["  " + line for line in build_lines(g, lambda text: paint(text, "fail"))]
    out.append("")
    for p in per:
        if per[p][1] == 0:
            continue
        full = per[p][0] == per[p][1]
        out.append(paint(f"{p:<20} {per[p][0]:>3}/{per[p][1]}", "bold" if full else "fail"))
        ordered = failures_first(g.cases, g.verdicts, p)
        for c in ordered:
            v = g.verdicts[c["id"]]["verdict"]
            pts = c["points"] if v == "pass" else 0
            out.append(f"  {paint(STATUS_WORD.get(v, v), v)} {pts:>2}/{c['points']:<2} "
                       + printable(f"{c['id']:<28} {c['description']}", one_line=True))
        for c in ordered:
            v = g.verdicts[c["id"]]
            if v["verdict"] != "pass":
                out.append("  " + failure_text(c, v).replace("\n", "\n  "))
        out.append("")
    if g.isolation_in_force():
        out += [paint(f"isolation: {printable(g.isolation_in_force(), one_line=True)}", "dim"), ""]
    out.append(paint(f"Total: {got}/{total}  ({elapsed:.1f} s)", "bold"))
    return "\n".join(out) + "\n"


def graded_cases(g):
    """(case, verdict, passed, feedback) for every case that ran, in case order: what each
    platform's result lists. Feedback is the requirement for a pass, else failure_text."""
    for c in g.cases:
        v = g.verdicts.get(c["id"])
        if v is not None:
            passed = v["verdict"] == "pass"
            yield c, v, passed, printable(c["requirement"]) if passed else failure_text(c, v)


def gradescope_results(g, elapsed):
    """Gradescope's results.json: score, execution_time, tests[]."""
    tests = []
    for c, v, passed, feedback in graded_cases(g):
        t = {"name": printable(f"{c['id']}: {c['description']}", one_line=True), "score": c["points"] if passed else 0,
             "max_score": c["points"], "status": "passed" if passed else "failed",
             "output": feedback, "tags": [c["program"], c["category"]],
             "extra_data": {"verdict": v["verdict"], "time_ms": v.get("time_ms", 0)}}
        if c.get("hidden"):
            t["visibility"] = "after_published"
        tests.append(t)
    _, got, _ = scores(g.cases, g.verdicts)
    # What students see at the top: the build (compiler errors and warnings, which
    # the README promises them), then the isolation. The grader's stdout, the text
    # report, stays hidden: it would show hidden cases before they are published.
    build = build_lines(g)
    if g.isolation_in_force():
        build += ["", printable(f"Graded under isolation {g.isolation_in_force()}.")]
    return {"score": got, "execution_time": round(elapsed, 2), "output": "\n".join(build),
            "output_format": "text", "stdout_visibility": "hidden", "tests": tests}




def junit_xml(g, elapsed):
    """JUnit XML: one testsuite per program, one testcase per case."""
    suites = ET.Element("testsuites", name="sockets", time=f"{elapsed:.3f}")
    per, _, _ = scores(g.cases, g.verdicts)
    for p in per:
        ran = [c for c in g.cases if c["program"] == p and c["id"] in g.verdicts]
        if not ran:
            continue
        bad = [c for c in ran if g.verdicts[c["id"]]["verdict"] != "pass"]
        errors = [c for c in bad if g.verdicts[c["id"]]["verdict"] == "error"]
        suite = ET.SubElement(suites, "testsuite", name=p, tests=str(len(ran)),
                              failures=str(len(bad) - len(errors)), errors=str(len(errors)),
                              time=f"{sum(g.verdicts[c['id']].get('time_ms', 0) for c in ran) / 1000:.3f}")
        for c in ran:
            v = g.verdicts[c["id"]]
            tc = ET.SubElement(suite, "testcase", classname=f"sockets.{p}", name=c["id"],
                               time=f"{v.get('time_ms', 0) / 1000:.3f}")
            ET.SubElement(tc, "properties").extend([
                ET.Element("property", name="points", value=str(c["points"])),
                ET.Element("property", name="category", value=c["category"]),
                ET.Element("property", name="verdict", value=v["verdict"])])
            if v["verdict"] != "pass":
                kind = "error" if v["verdict"] == "error" else "failure"
                ET.SubElement(tc, kind, message=v.get("reason") or v["verdict"],
                              type=v["verdict"]).text = failure_text(c, v)
    for e in suites.iter():  # whatever went in, no attribute or text XML 1.0 forbids
        e.attrib.update((k, printable(x)) for k, x in e.attrib.items())
        e.text = e.text and printable(e.text)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# The reporter receives the base64 result in one environment variable, and Linux
# refuses to start a program with one over 128 KiB: the result is kept under this.
CLASSROOM_LIMIT = 60 * 1024


def classroom_result(g, elapsed, fault=None, max_score=0):
    """The result a GitHub Classroom grader step hands to autograding-grading-reporter
    (version 1, status pass/fail/error, max_score, tests[] with partial credit). For a
    fault of the grader, one error test and max_score given, so that the reporter
    records 0/max_score with the reason. Fitted under CLASSROOM_LIMIT (fit_classroom)."""
    per, got, total = scores(g.cases, g.verdicts) if g else ({}, 0, max_score)
    tests = []
    for c, v, passed, feedback in (graded_cases(g) if g else ()):
        tests.append({"name": printable(f"{c['id']}: {c['description']}", one_line=True),
                      "status": "pass" if passed else "fail",
                      "score": c["points"] if passed else 0, "max_score": c["points"], "message": feedback,
                      "test_code": c["scenario"], "filename": f"{c['program']}.c", "line_no": 0,
                      "duration": int(v.get("time_ms", 0))})
    status = "error" if fault else ("pass" if got == total else "fail")
    result = {"version": 1, "status": status, "max_score": total, "tests": tests}
    if fault:
        result["tests"] = [{"name": "grader", "status": "error", "score": 0, "max_score": max_score,
                            "message": printable(fault, one_line=True) + " (the course staff has been told by the "
                            "job log; this is no judgement of your code)",
                            "test_code": "", "filename": "", "line_no": 0, "duration": 0}]
    return fit_classroom(result)


def encoded_size(result):
    return len(classroom_output_line(result))


def fit_classroom(result, limit=CLASSROOM_LIMIT):
    """RESULT cut until its encoded line fits in LIMIT bytes: failure messages shortened
    (the job log keeps them whole), then, for a case set too large even so, one test per
    program carrying that program's points. Scores never change."""
    cap = 4000
    while encoded_size(result) > limit and cap >= 60:
        for t in result["tests"]:
            if len(t["message"]) > cap:
                t["message"] = t["message"][:cap] + " ... (cut: the whole report is in the job log)"
        cap //= 2
    if encoded_size(result) > limit:
        per = {}
        for t in result["tests"]:
            p = per.setdefault(t["filename"], {"name": t["filename"] or "grader", "status": "pass", "score": 0,
                                               "max_score": 0, "message": "", "test_code": "", "filename": t["filename"],
                                               "line_no": 0, "duration": 0})
            p["score"] += t["score"]
            p["max_score"] += t.get("max_score", 0)
            p["duration"] += t["duration"]
            if t["status"] != "pass":
                p["status"] = t["status"]
        for p in per.values():
            p["message"] = f"{p['score']}/{p['max_score']} points: the cases are listed in the job log"
        result["tests"] = list(per.values())
    return result


def classroom_output_line(result):
    """The line a grader step appends to $GITHUB_OUTPUT."""
    return "result=" + base64.b64encode(json.dumps(result).encode()).decode() + "\n"


# ---------------------------------------------------------------- HTML

def esc(text):
    """Data as HTML text: printable, then html.escape."""
    return html.escape(printable(text))


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
.bar{background:#eee;border-radius:4px;height:14px;width:20em;display:inline-block;vertical-align:middle}
.bar>span{display:block;height:100%;border-radius:4px;background:#2a8a3e}
.bar.partial>span{background:#d08a00}.bar.low>span{background:#c0392b}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
.pass{color:#2a8a3e;font-weight:600}.fail,.error{color:#c0392b;font-weight:600}.timeout{color:#b36b00;font-weight:600}
details{margin:.4em 0 1em 1em;border-left:3px solid #c0392b;padding-left:.8em}
pre{background:#f6f6f6;padding:.4em;white-space:pre-wrap;word-break:break-all;margin:.2em 0}
mark{background:#ffd54f;outline:1px solid #c0392b}
.hint{background:#eef6ff;padding:.4em;border-radius:4px}
.transcript td{font-family:monospace;font-size:.85em}
small{color:#666}
"""


def first_difference(a, b):
    """Where two compared values first differ: (path, byte index) for bytes and
    strings inside them, or None. path is the list index for a list of values."""
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            if i >= len(a) or i >= len(b) or a[i] != b[i]:
                inner = first_difference(a[i], b[i]) if i < len(a) and i < len(b) else None
                return (i, inner[1] if inner else 0)
        return None
    if isinstance(a, dict) and isinstance(b, dict) and "hex" in a and "hex" in b:
        x, y = a["hex"].split(), b["hex"].split()
        for i in range(max(len(x), len(y))):
            if i >= len(x) or i >= len(y) or x[i] != y[i]:
                return (None, i)
        return None
    if isinstance(a, str) and isinstance(b, str) and a != b:
        n = next((i for i, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
        return (None, n)
    return None if a == b else (None, None)


def byte_char(h):
    c = int(h, 16)
    return {10: "\\n", 9: "\\t", 13: "\\r", 92: "\\\\"}.get(c, chr(c) if 32 <= c < 127 else f"\\x{h}")


def html_value(value, mark=None):
    """A compared value as HTML: bytes as text and hex, the byte at index mark highlighted."""
    if isinstance(value, dict) and "hex" in value:
        cells = value["hex"].split()[:2000]
        text = "".join(f"<mark>{esc(byte_char(h))}</mark>" if i == mark else esc(byte_char(h))
                       for i, h in enumerate(cells))
        hexs = " ".join(f"<mark>{h}</mark>" if i == mark else h for i, h in enumerate(cells))
        if mark is not None and mark >= len(cells):
            text += "<mark>&#8709;</mark>"
            hexs += " <mark>(ends)</mark>"
        extra = "".join(f" <small>{esc(k)}: {esc(str(v))}</small>"
                        for k, v in value.items() if k not in ("text", "hex"))
        return f"<pre>text: \"{text}\"\nhex:  {hexs or '-'}</pre>{extra}"
    if isinstance(value, str):
        if mark is not None and mark <= len(value):
            return (f"<pre>{esc(value[:mark])}<mark>{esc(value[mark:mark + 1]) or '&#8709;'}</mark>"
                    f"{esc(value[mark + 1:])}</pre>")
        return f"<pre>{esc(value)}</pre>"
    return f"<pre>{esc(json.dumps(value, indent=1, ensure_ascii=False))}</pre>"


def html_compare(expected, observed):
    """Expected next to observed, the first differing byte marked in both."""
    diff = first_difference(expected, observed)
    if isinstance(expected, list) or isinstance(observed, list):
        rows = []
        e, o = expected or [], observed or []
        for i in range(max(len(e), len(o))):
            m = diff[1] if diff and diff[0] == i else None
            ev = html_value(e[i], m) if i < len(e) else "<pre>(none)</pre>"
            ov = html_value(o[i], m) if i < len(o) else "<pre>(none)</pre>"
            flag = " &#9664; first difference" if diff and diff[0] == i else ""
            rows.append(f"<tr><td>{i + 1}{flag}</td><td>{ev}</td><td>{ov}</td></tr>")
        return "".join(rows)
    m = diff[1] if diff else None
    return f"<tr><td></td><td>{html_value(expected, m)}</td><td>{html_value(observed, m)}</td></tr>"


def html_transcript(events):
    rows = []
    for e in events[:300]:
        text = esc(e.get("text", ""))
        hexs = esc(e.get("hex", ""))
        rows.append(f"<tr><td>{e.get('t_ms', '')}</td><td>{esc(e.get('who', ''))}</td>"
                    f"<td>{esc(e.get('what', ''))}</td><td>{text}</td><td>{hexs}</td></tr>")
    more = f"<tr><td colspan=5>... {len(events) - 300} more events</td></tr>" if len(events) > 300 else ""
    return ("<table class=transcript><tr><th>ms</th><th>who</th><th>what</th><th>text</th><th>hex</th></tr>"
            + "".join(rows) + more + "</table>")


def score_bar(got, total):
    pct = 100 * got / total if total else 0
    kind = "" if got == total else ("partial" if pct >= 50 else "low")
    return f'<span class="bar {kind}" title="{got}/{total}"><span style="width:{pct:.1f}%"></span></span>'


def html_report(g, elapsed):
    """One self-contained HTML page (no scripts, no fetches): a score bar per
    program, every case with its requirement, status and points, and for a failure
    the transcript, expected next to observed with the first differing byte marked,
    and the hint."""
    per, got, total = scores(g.cases, g.verdicts)
    out = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
           f"<title>Sockets grading: {got}/{total}</title><style>{CSS}</style></head><body>",
           f"<h1>Sockets homework: {got}/{total} {score_bar(got, total)}</h1>",
           f"<p><small>{esc(str(g.submission))} &middot; graded in {elapsed:.1f} s"
           + (f" &middot; isolation {esc(g.isolation_in_force())}" if g.isolation_in_force() else "")
           + "</small></p>", "<table>"]
    for p in per:
        if per[p][1]:
            out.append(f'<tr><td><a href="#{p}">{p}</a></td><td>{per[p][0]}/{per[p][1]}</td>'
                       f"<td>{score_bar(*per[p])}</td></tr>")
    out.append("</table>")
    for p in per:
        if not per[p][1]:
            continue
        b = g.built.get(p, {"ok": True, "messages": ""})
        out.append(f'<h2 id="{p}">{p} &nbsp; {per[p][0]}/{per[p][1]} {score_bar(*per[p])}</h2>')
        if b["messages"]:
            out.append(f"<details{' open' if not b['ok'] else ''}><summary>compiler: "
                       f"{'does not compile' if not b['ok'] else 'warnings'}</summary>"
                       f"<pre>{esc(b['messages'])}</pre></details>")
        out.append("<table><tr><th>status</th><th>points</th><th>case</th><th>requirement</th></tr>")
        ordered = failures_first(g.cases, g.verdicts, p)
        for c in ordered:
            v = g.verdicts[c["id"]]
            pts = c["points"] if v["verdict"] == "pass" else 0
            out.append(f'<tr><td class="{v["verdict"]}">{v["verdict"]}</td><td>{pts}/{c["points"]}</td>'
                       f'<td><a href="#{c["id"]}">{esc(c["id"])}</a><br><small>{esc(c["description"])}</small></td>'
                       f"<td>{esc(c['requirement'])}</td></tr>")
        out.append("</table>")
        for c in ordered:
            v = g.verdicts[c["id"]]
            if v["verdict"] == "pass":
                continue
            out.append(f'<details open id="{c["id"]}"><summary><b>{esc(c["id"])}</b> '
                       f'<span class="{v["verdict"]}">{v["verdict"]}</span>: {esc(c["description"])}</summary>')
            out.append(f"<p>{esc(c['requirement'])}</p>")
            if c.get("why"):
                out.append(f"<p><small><b>Why it matters:</b> {esc(c['why'])}</small></p>")
            if v.get("reason"):
                out.append(f"<p><b>What happened:</b> {esc(v['reason'])}</p>")
            for key in v.get("mismatch", sorted(v.get("observed", {}))):
                out.append(f"<p><b>{esc(key)}</b></p><table><tr><th></th><th>expected (reference)</th>"
                           f"<th>observed (yours)</th></tr>"
                           + html_compare(v.get("expected", {}).get(key), v.get("observed", {}).get(key))
                           + "</table>")
            if v.get("hint"):
                out.append(f'<p class="hint"><b>Hint:</b> {esc(v["hint"])}</p>')
            if v.get("transcript"):
                out.append("<details><summary>transcript: who sent what</summary>"
                           + html_transcript(v["transcript"]) + "</details>")
            out.append("</details>")
    out.append("</body></html>\n")
    return "\n".join(out)


def svg_bars(items, width=640, bar=16, label_width=260, colour="#2a8a3e"):
    """Horizontal bars as inline SVG: items are (label, value 0..1, text)."""
    height = bar * len(items) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value, text) in enumerate(items):
        y = i * bar + 2
        w = max(0.0, min(1.0, value)) * (width - label_width - 60)
        out.append(f'<text x="{label_width - 6}" y="{y + bar - 4}" font-size="12" text-anchor="end">'
                   f"{esc(label)}</text>"
                   f'<rect x="{label_width}" y="{y + 2}" width="{w:.1f}" height="{bar - 4}" fill="{colour}"/>'
                   f'<text x="{label_width + w + 4:.1f}" y="{y + bar - 4}" font-size="12">{esc(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def svg_histogram(totals, top, bins=10, width=640, height=180):
    """The class's score distribution as inline SVG columns."""
    counts = [0] * bins
    for t in totals:
        counts[min(bins - 1, int(bins * t / top)) if top else 0] += 1
    peak = max(counts) or 1
    col = (width - 40) / bins
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img">']
    for i, n in enumerate(counts):
        h = (height - 20) * n / peak
        x = 20 + i * col
        lo, hi = round(top * i / bins), round(top * (i + 1) / bins)
        out.append(f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{col - 4:.1f}" height="{h:.1f}" fill="#3b6fb6"/>'
                   f'<text x="{x + col / 2:.1f}" y="{height - h - 4:.1f}" font-size="12" text-anchor="middle">{n}</text>'
                   f'<text x="{x + col / 2:.1f}" y="{height + 16}" font-size="11" text-anchor="middle">{lo}-{hi}</text>')
    out.append("</svg>")
    return "".join(out)


SIMILAR_CSS = """
.side{table-layout:fixed}.side td{width:50%;padding:0 .3em}.side pre{font-size:.8em;tab-size:4}
.side a.run{color:inherit;text-decoration:none}.given{color:#999}.ln{color:#999;user-select:none}
""" + "".join(f".c{i}{{background:{c}}}" for i, c in enumerate(
    ["#ffe08a", "#b5e3ff", "#c8f0c0", "#f8c8dc", "#d9ccff", "#ffd0a8", "#c0ece6", "#e8e8a0"]))
SIMILAR_SHOWN = 100     # flagged pairs per program shown side by side (the rest: listed)
SIMILAR_LINES = 3000    # lines of a file shown


def similar_side(text, spans, given, anchor, other):
    """One file of a flagged pair as the text of a <pre>: numbered lines, those of run K
    (SPANS[K], first and last line) in a link of colour K with the id ANCHOR+K to the same
    run on the other side (OTHER+K), the lines tied to given code grey."""
    owner = {}
    for k, (first, last) in enumerate(spans):
        for n in range(first, last + 1):
            owner.setdefault(n, k)
    lines = text.split("\n")
    out, current, seen = [], None, set()
    for n, line in enumerate(lines[:SIMILAR_LINES], 1):
        k = owner.get(n)
        if k != current:
            if current is not None:
                out.append("</a>")
            if k is not None:
                first = k not in seen
                seen.add(k)
                out.append(f'<a class="run c{k % 8}" href="#{other}{k}"' + (f' id="{anchor}{k}"' if first else "")
                           + f' title="run {k + 1}">')
            current = k
        code = esc(line)
        out.append(f'<span class="ln">{n:4} </span>'
                   + (f'<span class="given">{code}</span>' if n in given else code) + "\n")
    if current is not None:
        out.append("</a>")
    if len(lines) > SIMILAR_LINES:
        out.append(f"[... {len(lines) - SIMILAR_LINES} more lines]")
    return "".join(out)


def similarity_html(result):
    """summary.html's section of --similarity (a similarity.Result): per program the flagged
    pairs, highest first, each opening to the two files side by side, a run of tokens both
    share marked in the same colour on both sides, each side's run linking to the other's."""
    out = [f'<h2 id="similar">Similar pairs (sim_c, threshold {result.threshold:g}%)</h2>']
    if result.error:
        return "\n".join(out + [f"<p>not compared: {esc(result.error)} (the grades stand)</p>"])
    out.append("<p><small>A pair's score: the larger of the two students' shares of their own code (lines tied "
               "to the skeleton or the lecture's code, grey, are not counted) that stands in runs of tokens "
               "the other's file has too. Open a pair to see the runs, each in its colour on both sides.</small></p>")
    index = 0
    for program, pairs in result.pairs.items():
        out.append(f"<h3>{esc(program)}</h3>" + ("" if pairs else "<p>none</p>"))
        for i, p in enumerate(pairs):
            line = (f"<b>{p.score:.0f}%</b> {esc(p.a)} &harr; {esc(p.b)} <small>({esc(p.a)} {p.shares[0]:.0f}%, "
                    f"{esc(p.b)} {p.shares[1]:.0f}% of their own code; {p.shared} tokens)</small>")
            if i >= SIMILAR_SHOWN:
                out.append(f"<p>{line}</p>")
                continue
            index += 1
            a, b = f"sim{index}a", f"sim{index}b"
            out.append(f"<details><summary>{line}</summary><table class=side><tr><th>{esc(p.a)}/{esc(program)}.c</th>"
                       f"<th>{esc(p.b)}/{esc(program)}.c</th></tr><tr><td><pre>"
                       + similar_side(p.texts[0], [r[0:2] for r in p.runs], p.given[0], a, b) + "</pre></td><td><pre>"
                       + similar_side(p.texts[1], [r[2:4] for r in p.runs], p.given[1], b, a)
                       + "</pre></td></tr></table></details>")
        for name, why in result.skipped.get(program, []):
            out.append(f"<p><small>not compared: {esc(name)}/{esc(program)}.c ({esc(why)})</small></p>")
    return "\n".join(out)


def summary_html(batch_dir, rows, failures, cases, similar=None):
    """The class at a glance: the score distribution and every case's pass rate,
    hardest first, as inline SVG (no scripts, no fetches). rows are grades.csv rows;
    SIMILAR, --similarity's similarity.Result, adds its section."""
    graded = [r for r in rows if r[-1] == "graded"]
    top = max((r[2] for r in graded), default=0)
    rates = sorted(((c["id"], 1 - failures.get(c["id"], 0) / len(graded)) for c in cases), key=lambda x: (x[1], x[0])) \
        if graded else []
    out = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Class summary</title>",
           f"<style>{CSS}{SIMILAR_CSS if similar else ''}</style></head><body><h1>Class summary</h1>",
           f"<p><small>{esc(str(batch_dir))} &middot; {len(rows)} submissions, {len(graded)} graded</small></p>",
           "<h2>Score distribution</h2>", svg_histogram([r[1] for r in graded], top),
           "<h2>Pass rate per case (hardest first)</h2>",
           svg_bars([(cid, rate, f"{round(100 * rate)}%") for cid, rate in rates]),
           "<h2>Submissions</h2><table><tr><th>name</th><th>total</th><th>status</th></tr>"]
    for r in rows:
        score = f"{r[1]}/{r[2]} {score_bar(r[1], r[2])}" if r[-1] == "graded" else ""
        out.append(f"<tr><td>{esc(r[0])}</td><td>{score}</td><td>{esc(r[-1])}</td></tr>")
    out.append("</table>")
    if similar:
        out.append(similarity_html(similar))
    out.append("</body></html>\n")
    return "\n".join(out)


def explain_text(case, mistakes):
    """What a case checks, why it matters, and the usual mistakes behind a failure."""
    params = json.dumps(case.get("params", {}), ensure_ascii=False)
    lines = [f"{case['id']}  ({case['program']}, {case['category']}, {case['points']} points)",
             f"  {case['description']}", "",
             "What it checks:", f"  {case['requirement']}", ""]
    if case.get("why"):
        lines += ["Why it matters:", f"  {case['why']}", ""]
    lines += ["How it is checked:",
              f"  scenario {case['scenario']} with {params}; the verdict compares "
              f"{', '.join(case['compare'])} with what the reference programs did in the same scenario (recorded once, then cached).", ""]
    if mistakes:
        lines += ["Usual mistakes behind a failure:"] + [f"  - {m}" for m in mistakes] + [""]
    if case.get("hint"):
        lines += ["Hint:", f"  {case['hint']}"]
    return printable("\n".join(lines) + "\n")
