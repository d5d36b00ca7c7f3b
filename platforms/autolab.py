"""Autolab: `grader.py --autolab-package DIR` writes DIR/autograde-Makefile and
DIR/autograde.tar for an assessment. Autolab copies both beside the student's
handin (handin.tar, or a single handin.c), runs `make -f autograde-Makefile`
(as `make autograde`), and reads the last line of the output:
{"scores": {"unix_d_server": N, ...}, "scoreboard": [total, per program...]}.
`grader.py --autolab SUBMISSION` prints the report, then that line."""
import io
import json
import os
import tarfile

from platforms.common import shipped_files

MAKEFILE = """# Autolab runs this beside autograde.tar and the student's handin.
# The last line of the output is the scores (platforms/autolab.py).
autograde:
\t@rm -rf grader submission && mkdir -p grader submission
\t@tar xf autograde.tar -C grader
\t@chmod 700 grader
\t@if [ -f handin.tar ]; then tar xf handin.tar -C submission; else cp handin.* submission/ 2>/dev/null || true; fi
\t@sub=$$(find submission -name unix_d_server.c | sort | head -n 1); \\
\t  python3 grader/grader.py --autolab --assignment @ASSIGNMENT@ "$$(dirname "$${sub:-submission/none}")"
"""


def scores_line(per, programs):
    """The line Autolab reads: one score per program, and the scoreboard (total first)."""
    scores = {p: per.get(p, [0, 0])[0] for p in programs}
    return json.dumps({"scores": scores, "scoreboard": [sum(scores.values()), *scores.values()]})


def package(root, out_dir, assignment="lecture13"):
    """Writes OUT_DIR/autograde-Makefile (grading the shipped ASSIGNMENT) and
    OUT_DIR/autograde.tar (the grader's tree)."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "autograde-Makefile"), "w") as fh:
        fh.write(MAKEFILE.replace("@ASSIGNMENT@", assignment))
    with tarfile.open(os.path.join(out_dir, "autograde.tar"), "w") as tar:
        for path, rel in shipped_files(root):
            info = tar.gettarinfo(path, rel)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 1767225600  # 2026-01-01: the same bytes every build
            with open(path, "rb") as fh:
                tar.addfile(info, io.BytesIO(fh.read()))
