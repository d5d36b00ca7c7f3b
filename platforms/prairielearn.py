"""PrairieLearn's external grader: the container holds the submission in
/grade/student and expects /grade/results/results.json. `grader.py
--prairielearn` grades there (GRADE_ROOT overrides /grade, as the tests do).

The question's info.json (the course repository holds this grader under
serverFilesCourse/sockets-grader/):

    "externalGradingOptions": {
        "enabled": true,
        "image": "COURSE/sockets-grader",
        "serverFilesCourse": ["sockets-grader/"],
        "entrypoint": "/grade/serverFilesCourse/sockets-grader/platforms/prairielearn_run",
        "timeout": 120
    }

where the image is Debian 12 or Ubuntu 22.04/24.04 with platforms.PACKAGES
installed (docs/PLATFORMS.md has its Dockerfile)."""
import json
import os

from reports import build_lines, graded_cases, printable, scores

DEFAULT_ROOT = "/grade"


def grade_root():
    return os.environ.get("GRADE_ROOT") or DEFAULT_ROOT


def format_errors(submission, programs, missing_program):
    """What makes the submission ungradable: each program file that is not there
    (with the near-miss found instead). Empty when all five are present."""
    errors = []
    for p in programs:
        if not os.path.isfile(os.path.join(submission, p + ".c")):
            errors.append(missing_program(submission, p, "")["messages"])
    return errors


def ungradable(errors):
    """results.json for a submission that cannot be graded: no score is recorded."""
    return {"gradable": False, "format_errors": errors,
            "message": "Not graded, nothing counted: " + "; ".join(errors)}


def results(g, elapsed):
    """results.json for a grading: score 0..1, one test per case, the build on top."""
    _, got, total = scores(g.cases, g.verdicts)
    tests = []
    for c, v, passed, feedback in graded_cases(g):
        tests.append({"name": printable(c["id"], one_line=True),
                      "description": printable(c["description"], one_line=True),
                      "points": c["points"] if passed else 0, "max_points": c["points"],
                      "message": "" if passed else printable(v.get("reason", ""), one_line=True),
                      "output": feedback})
    return {"gradable": True, "score": got / total if total else 0.0,
            "message": f"{got}/{total} points ({elapsed:.1f} s)", "output": "\n".join(build_lines(g)),
            "tests": tests}


def write(result, root=None):
    """Writes ROOT/results/results.json (ROOT: grade_root())."""
    out = os.path.join(root or grade_root(), "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(result, fh, indent=1)
