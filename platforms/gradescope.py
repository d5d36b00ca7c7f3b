"""Gradescope: the autograder zip (setup.sh, run_autograder, the grader's tree,
a TA's case folders). grader.py --gradescope-package writes it."""
import json
import os

import assignments
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
EXTRA=(--assignment "@ASSIGNMENT@")
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


def gradescope_package(root, out_zip, case_dirs=(), assignment=None):
    """Writes Gradescope's autograder zip: setup.sh and run_autograder at the top,
    the grader's tree beside them (the shipped assignments with it), a TA's case folders
    as cases_extra/N/; run_autograder grades ASSIGNMENT (an assignments.Assignment; the
    default when None). An assignment from a folder of its own travels as
    assignments/NAME/, and so does each base of it that is not shipped."""
    import zipfile
    assignment = assignment or assignments.resolve(None)
    extra = [a for a in assignment.chain() if os.path.dirname(a.folder) != assignments.SHIPPED_DIR]
    for a in extra:
        if a.name in assignments.shipped():
            raise assignments.AssignmentError(f"{a.folder}: its name {a.name} is a shipped assignment's: rename it")
        for key, path in a.paths.items():
            if os.path.exists(path) and os.path.commonpath([path, a.folder]) != a.folder:
                raise assignments.AssignmentError(f"{a.folder}: its {key} ({path}) is outside its folder, "
                                                  "so it cannot travel in the package")
    with zipfile.ZipFile(out_zip, "w") as z:
        add_text(z, SETUP_SH, "setup.sh", 0o755)
        add_text(z, RUN_AUTOGRADER.replace("@ASSIGNMENT@", assignment.name), "run_autograder", 0o755)
        add_tree(z, root, SHIPPED)
        for a in extra:
            for dirpath, dirnames, filenames in os.walk(a.folder):
                dirnames.sort()
                for fn in sorted(filenames):
                    full = os.path.join(dirpath, fn)
                    arc = f"assignments/{a.name}/{os.path.relpath(full, a.folder)}"
                    if full == os.path.join(a.folder, "assignment.json"):  # its base by name in the package
                        add_text(z, json.dumps(dict(a.config, base=a.base.name) if a.base else a.config, indent=2),
                                 arc, 0o644)
                    else:
                        add_file(z, full, arc)
        for i, d in enumerate(case_dirs):
            for fn in sorted(os.listdir(d)):
                if fn.endswith(".json"):
                    add_file(z, os.path.join(d, fn), f"cases_extra/{i + 1}/{fn}")
