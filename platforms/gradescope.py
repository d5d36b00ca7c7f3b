"""Gradescope: the autograder zip (setup.sh, run_autograder, the grader's tree,
a TA's case folders). grader.py --gradescope-package writes it."""
import os

from platforms.common import PACKAGES, SHIPPED, add_file, add_text, add_tree

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
if [ -z "${{AUTOGRADER_SKIP_APT:-}}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq {PACKAGES}
fi
cmake -S "$ROOT/source" -B "$ROOT/source/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$ROOT/source/build" --target probe compile -j2 >/dev/null
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; the scores go to results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
SUB="$ROOT/submission"
# a student may upload the files inside a folder: grade the folder that holds them
found=$(find "$SUB" -maxdepth 3 -name unix_d_server.c -printf '%h\\n' 2>/dev/null | sort | head -n 1)
[ -n "$found" ] && SUB="$found"
EXTRA=()
for d in "$ROOT"/source/cases_extra/*/; do [ -d "$d" ] && EXTRA+=(--cases "$d"); done
# Where Gradescope's container allows no namespaces the grader hides its tree from
# student code by permissions (isolation level 3): nobody but root may enter it.
chmod 700 "$ROOT/source"
cd "$ROOT/source"
python3 grader.py "$SUB" --results "$ROOT/results/results.json" "${EXTRA[@]}"
rc=$?
if [ "$rc" -gt 1 ]; then
  printf '{"score": 0, "output": "The grader itself failed (exit %s). Please tell the course staff."}\\n' "$rc" \\
    > "$ROOT/results/results.json"
fi
exit 0
"""


def gradescope_package(root, out_zip, case_dirs=()):
    """Writes Gradescope's autograder zip: setup.sh and run_autograder at the top,
    the grader's tree beside them, a TA's case folders as cases_extra/N/."""
    import zipfile
    with zipfile.ZipFile(out_zip, "w") as z:
        add_text(z, SETUP_SH, "setup.sh", 0o755)
        add_text(z, RUN_AUTOGRADER, "run_autograder", 0o755)
        add_tree(z, root, SHIPPED)
        for i, d in enumerate(case_dirs):
            for fn in sorted(os.listdir(d)):
                if fn.endswith(".json"):
                    add_file(z, os.path.join(d, fn), f"cases_extra/{i + 1}/{fn}")
