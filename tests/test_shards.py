"""--shard K/N and the merge (docs/CLUSTER.md): a class graded as N shards into separate OUTs,
the students' folders copied into one OUT and the same batch run there again, gives the
single batch's grades.csv, summary.txt and summary.html without grading anyone again. The
recipes that do this on Slurm and GitHub Actions: tests/test_recipes.py."""
import shutil

import pytest

from conftest import ROOT, copy_grader, run_grader, run_grader_copy, submission_folder
from test_batch import batch, make_class, read_csv

# a few cases of every program, some failed by the lecture's code and by the broken client:
# enough for the class files to differ from student to student, and fast
K = "usage or sends_line or hex_message or first_connection"
NAMES = ["broken_client", "empty", "lecture", "reference", "variant_sr"]
CLASS_FILES = ["grades.csv", "summary.txt", "summary.html"]
STUDENT_FILES = ["results.json", "report.txt", "report.html", "fingerprint.txt"]


def single_batch(tmp_path_factory):
    """The class (test_batch's, and a correct variant) graded as one batch: (class, OUT)."""
    root = tmp_path_factory.mktemp("shards")
    klass = make_class(root / "class")
    submission_folder("variant_sr", klass)
    proc = batch(klass, root / "single", "-k", K)
    assert proc.returncode == 0, proc.stderr
    assert [r[0] for r in read_csv(root / "single")[1:]] == NAMES
    return klass, root / "single"


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    return single_batch(tmp_path_factory)


def share(k, n):
    """The names shard k of n grades: the i-th of the sorted names (from 0) goes to shard i % n + 1."""
    return [name for i, name in enumerate(NAMES) if i % n == k - 1]


def students(out):
    """The student folders of OUT (not its dot-folders: the verdict cache, a recipe's shards)."""
    return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def progress(proc):
    """A batch's stderr but for its last line, the verdict cache's (cache: N verdicts reused, ...)."""
    lines = proc.stderr.splitlines()
    assert lines and lines[-1].startswith("cache: "), proc.stderr
    return lines[:-1]


def check_shard(proc, out, k, n):
    """Shard K/N graded exactly its share into OUT; that share."""
    assert proc.returncode == 0, proc.stderr
    mine = share(k, n)
    assert students(out) == mine
    if not mine:  # more shards than students: nothing graded, an empty OUT, one line saying so
        assert proc.stderr == f"shard {k}/{n}: no submission falls in it\n"
        assert list(out.iterdir()) == []
        return mine
    assert sorted(line.split()[1] for line in progress(proc)) == mine  # "i/n NAME got/max"
    assert [r[0] for r in read_csv(out)[1:]] == mine  # its class files cover its share only
    assert (out / "summary.txt").read_text().splitlines()[0].endswith(f" (shard {k}/{n})")
    return mine


def check_merge(proc, merged, single, stamps):
    """The merge run on MERGED skipped every student, rewrote none of their files (STAMPS: their
    mtimes before) and wrote the single batch's class files."""
    assert proc.returncode == 0, proc.stderr
    # every student skipped: not one progress line, nothing compiled, no case run
    assert proc.stderr.splitlines() == [f"skipped (already graded): {name}" for name in NAMES] + \
        [f"cache: 0 verdicts reused, 0 cases run, 0 programs compiled ({merged / '.cache'})"]
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    for name in NAMES:  # the same inputs, the same fingerprint, whichever run graded them
        assert (merged / name / "fingerprint.txt").read_text() == (single / name / "fingerprint.txt").read_text()
    # Byte for byte, summary.html too: the class files name the class folder ("Batch: PATH"), the
    # same here, and nothing else of a run (no time, no OUT, no shard once merged)
    for f in CLASS_FILES:
        assert (merged / f).read_bytes() == (single / f).read_bytes(), f
    assert proc.stdout == (single / "summary.txt").read_text()


def student_stamps(merged):
    return {p: p.stat().st_mtime_ns for name in NAMES for p in (merged / name / f for f in STUDENT_FILES)}


@pytest.mark.parametrize("n, copy", [(2, "folders"), (3, "whole"), (7, "whole")])
def test_shards_merge_into_the_single_batch(single, tmp_path, n, copy):
    """N shards, disjoint and covering the class (7: two of them empty), merged by copying either
    the students' folders (the documented way) or each shard's whole OUT, class files too: the
    merge overwrites those."""
    klass, one = single
    shares = []
    for k in range(1, n + 1):
        out = tmp_path / "shards" / str(k)
        shares.append(check_shard(batch(klass, out, "--shard", f"{k}/{n}", "-k", K), out, k, n))
    graded = [name for mine in shares for name in mine]
    assert sorted(graded) == NAMES and len(graded) == len(set(graded))  # cover the class, disjoint
    assert max(map(len, shares)) - min(map(len, shares)) <= 1

    merged = tmp_path / "merged"
    merged.mkdir()
    for k in range(1, n + 1):
        src = tmp_path / "shards" / str(k)
        if copy == "whole":
            shutil.copytree(src, merged, dirs_exist_ok=True)
        else:
            for name in students(src):
                shutil.copytree(src / name, merged / name)
    if copy == "whole":  # a shard's class files were copied in: the merge must replace them
        assert "(shard " in (merged / "summary.txt").read_text()
    stamps = student_stamps(merged)
    check_merge(batch(klass, merged, "-k", K), merged, one, stamps)


def test_a_shard_graded_by_a_grader_in_another_folder_merges(single, tmp_path):
    """The fingerprint holds no path: a shard graded by a copy of this grader (the same probe)
    elsewhere, as on another machine, merges without being graded again."""
    klass, one = single
    other = copy_grader(tmp_path / "elsewhere" / "grader")
    first = batch(klass, tmp_path / "s1", "--shard", "1/2", "-k", K)
    second = run_grader_copy(other, "--batch", klass, "--out", tmp_path / "s2", "--shard", "2/2", "-k", K)
    check_shard(first, tmp_path / "s1", 1, 2)
    check_shard(second, tmp_path / "s2", 2, 2)
    merged = tmp_path / "merged"
    for src in (tmp_path / "s1", tmp_path / "s2"):
        for name in students(src):
            shutil.copytree(src / name, merged / name)
    stamps = student_stamps(merged)
    check_merge(batch(klass, merged, "-k", K), merged, one, stamps)


def test_a_changed_selection_is_graded_again_at_the_merge(single, tmp_path):
    """The merge must be run with the shards' options: a student graded with another -k has
    another fingerprint, and is graded again rather than merged."""
    klass, _ = single
    out = tmp_path / "out"
    assert batch(klass, out, "--shard", "1/5", "-k", "usage").returncode == 0
    proc = batch(klass, out, "--shard", "1/5", "-k", K)
    assert proc.returncode == 0, proc.stderr
    assert progress(proc) == ["1/1 broken_client 12/17"]


@pytest.mark.parametrize("shard", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", "1/2/3"])
def test_a_bad_shard_is_a_usage_error(tmp_path, shard):
    (tmp_path / "class" / "one").mkdir(parents=True)
    proc = run_grader("--batch", tmp_path / "class", "--out", tmp_path / "out", f"--shard={shard}")
    assert proc.returncode == 2
    assert f"--shard {shard}: give K/N with 1 <= K <= N" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_shard_goes_with_batch(tmp_path):
    proc = run_grader(ROOT / "reference", "--shard", "1/2")
    assert proc.returncode == 2 and "--shard goes with --batch" in proc.stderr
