"""What the platform modules share: the packages a grading needs, what a packaged
grader carries, and deterministic zip members."""
import os
import stat

# The Debian packages a grading needs: the README's prerequisites line, .ci/run,
# the Gradescope setup.sh, the Classroom workflow and --install-deps install these
# (tests/test_docs.py keeps them equal).
PACKAGES = "gcc make cmake pkg-config libjansson-dev python3 python3-pytest"
# Needed only by --batch --similarity (sim_c), never by a grading: not in PACKAGES, so
# --install-deps, Gradescope and Classroom leave it out; a batch with --similarity that
# lacks it stops at once naming the install command (similarity.INSTALL); .ci/run installs
# it for tests/test_similarity.py.
SIMILARITY_PACKAGES = "similarity-tester"

# What a packaged grader carries of this tree (relative paths; folders whole).
SHIPPED = ["grader.py", "reports.py", "batch.py", "verdict_cache.py", "similarity.py", "platforms", "assignments.py",
           "CMakeLists.txt", "CMakePresets.json", "harness", "reference", "cases", "assignments", "student_template"]


def _info(arcname, mode):
    import zipfile
    info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))  # the same bytes every build
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def add_text(z, text, arcname, mode=0o644):
    """Adds TEXT to zip Z as ARCNAME with MODE."""
    z.writestr(_info(arcname, mode), text)


def add_file(z, src, arcname, mode=0o644):
    """Adds file SRC to zip Z as ARCNAME with MODE."""
    with open(src, "rb") as fh:
        z.writestr(_info(arcname, mode), fh.read())


def shipped_files(root, items=SHIPPED):
    """(path, relative name) of every file of ITEMS under ROOT, sorted, without build
    folders and caches."""
    out = []
    for item in items:
        path = os.path.join(root, item)
        if os.path.isfile(path):
            out.append((path, item))
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in ("build", "__pycache__"))
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                out.append((full, os.path.relpath(full, root)))
    return out


def add_tree(z, root, items=SHIPPED, prefix=""):
    """Adds the files of ITEMS under ROOT to zip Z, under PREFIX."""
    for path, rel in shipped_files(root, items):
        add_file(z, path, prefix + rel, 0o755 if os.access(path, os.X_OK) else 0o644)
