"""--shard K/N and the merge (docs/CLUSTER.md): a class graded as N shards into separate OUTs,
the students' folders copied into one OUT and the same batch run there again, gives the
single batch's grades.csv, summary.txt and summary.html without grading anyone again; and the
Slurm recipe's scripts do exactly that, run here without Slurm."""
import os
import shutil
import stat
import subprocess

import pytest

from conftest import ROOT, copy_grader, run_grader, run_grader_copy, submission_folder
from test_batch import batch, make_class, read_csv

# a few cases of every program, some failed by the lecture's code and by the broken client:
# enough for the class files to differ from student to student, and fast
K = "usage or sends_line or hex_message or first_connection"
NAMES = ["broken_client", "empty", "lecture", "reference", "variant_sr"]
CLASS_FILES = ["grades.csv", "summary.txt", "summary.html"]
STUDENT_FILES = ["results.json", "report.txt", "report.html", "fingerprint.txt"]
SLURM = ROOT / "recipes" / "slurm"


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The class (test_batch's, and a correct variant) graded as one batch: (class, OUT)."""
    root = tmp_path_factory.mktemp("shards")
    klass = make_class(root / "class")
    submission_folder("variant_sr", klass)
    proc = batch(klass, root / "single", "-k", K)
    assert proc.returncode == 0, proc.stderr
    assert [r[0] for r in read_csv(root / "single")[1:]] == NAMES
    return klass, root / "single"


def share(k, n):
    """The names shard k of n grades: the i-th of the sorted names (from 0) goes to shard i % n + 1."""
    return [name for i, name in enumerate(NAMES) if i % n == k - 1]


def check_shard(proc, out, k, n):
    """Shard K/N graded exactly its share into OUT; that share."""
    assert proc.returncode == 0, proc.stderr
    mine = share(k, n)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == mine
    if not mine:  # more shards than students: nothing graded, an empty OUT, one line saying so
        assert proc.stderr == f"shard {k}/{n}: no submission falls in it\n"
        assert list(out.iterdir()) == []
        return mine
    assert sorted(line.split()[1] for line in proc.stderr.splitlines()) == mine  # "i/n NAME got/max"
    assert [r[0] for r in read_csv(out)[1:]] == mine  # its class files cover its share only
    assert (out / "summary.txt").read_text().splitlines()[0].endswith(f" (shard {k}/{n})")
    return mine


def check_merge(proc, merged, single, stamps):
    """The merge run on MERGED skipped every student, rewrote none of their files (STAMPS: their
    mtimes before) and wrote the single batch's class files."""
    assert proc.returncode == 0, proc.stderr
    # every student skipped: no compile, no probe run, not one progress line
    assert proc.stderr.splitlines() == [f"skipped (already graded): {name}" for name in NAMES]
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
            for student in (p for p in src.iterdir() if p.is_dir()):
                shutil.copytree(student, merged / student.name)
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
        for student in (p for p in src.iterdir() if p.is_dir()):
            shutil.copytree(student, merged / student.name)
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
    assert proc.stderr.splitlines() == ["1/1 broken_client 12/17"]


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


# ---------------------------------------------------------------- the Slurm recipe, without Slurm

def test_slurm_scripts_parse():
    scripts = sorted(SLURM.iterdir())
    assert {p.name for p in scripts} >= {"grade-class.sh", "grade-shard.sbatch", "merge-shards.sbatch",
                                         "run-local.sh"}
    for script in scripts:
        assert os.stat(script).st_mode & stat.S_IXUSR, f"{script.name} is not executable"
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script.name}: {proc.stderr}"


def fake_sbatch(bin_dir, log):
    """An sbatch on PATH that records each submission (its arguments, one per line, then a blank
    line) and answers as --parsable does, job 100 then 101."""
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(
        "#!/bin/bash\n"
        f"n=$(cat {log} 2>/dev/null | grep -c '^$')\n"
        f"printf '%s\\n' \"$@\" '' >> {log}\n"
        "echo $((100 + n))\n")
    (bin_dir / "sbatch").chmod(0o755)


def test_slurm_driver_submits_the_array_then_the_merge_and_its_scripts_merge(single, tmp_path):
    """grade-class.sh with an sbatch that only records: an array of 3 tasks, then the merge after
    every task succeeded, the same grader options to both. Then what Slurm would run, run here
    in turn: the 3 tasks, then the merge; the class files are the single batch's."""
    klass, one = single
    log = tmp_path / "sbatch.log"
    fake_sbatch(tmp_path / "bin", log)
    out = tmp_path / "out"
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    proc = subprocess.run([str(SLURM / "grade-class.sh"), str(klass), str(out), "3", "2", "--", "-k", K],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "shards: job 100, tasks 1-3" in proc.stdout and "merge: job 101" in proc.stdout
    array, merge = [s.splitlines() for s in log.read_text().split("\n\n")[:2]]
    assert array == ["--parsable", "--array=1-3", "--cpus-per-task=2", f"--output={out}/.logs/shard-%a.out",
                     str(SLURM / "grade-shard.sbatch"), str(ROOT), str(klass), str(out), "3", "-k", K]
    assert merge == ["--parsable", "--dependency=afterok:100", "--kill-on-invalid-dep=yes", "--cpus-per-task=2",
                     f"--output={out}/.logs/merge.out", str(SLURM / "merge-shards.sbatch"), str(ROOT),
                     str(klass), str(out), "-k", K]

    def as_slurm(command, **env):
        """A submitted script run as a job would be (Slurm's variables; no terminal, no stdin)."""
        script, *args = command[command.index(next(a for a in command if a.endswith(".sbatch"))):]
        return subprocess.run(["bash", script, *args], capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL, env=dict(os.environ, SLURM_CPUS_PER_TASK="2", **env))

    for k in (1, 2, 3):
        task = as_slurm(array, SLURM_ARRAY_TASK_ID=str(k))
        check_shard(task, out / ".shards" / str(k), k, 3)
    check_merge(as_slurm(merge), out, one, {})  # the students' files are the shards' copies
    for i, name in enumerate(NAMES):
        assert (out / name / "results.json").read_bytes() == \
            (out / ".shards" / str(i % 3 + 1) / name / "results.json").read_bytes()
    # run again (a merge resubmitted): the same files, nobody graded
    stamps = student_stamps(out)
    check_merge(as_slurm(merge), out, one, stamps)


def test_slurm_task_outside_an_array_says_how_to_submit(tmp_path):
    proc = subprocess.run(["bash", str(SLURM / "grade-shard.sbatch"), str(ROOT), str(tmp_path), str(tmp_path), "3"],
                          capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                               if not k.startswith("SLURM_")})
    assert proc.returncode != 0 and "submit with sbatch --array=1-3" in proc.stderr


@pytest.mark.parametrize("args", [[], ["c", "o"], ["c", "o", "0"], ["c", "o", "x"], ["c", "o", "2", "0"],
                                  ["c", "o", "2", "1", "-k"]])
def test_slurm_driver_usage(tmp_path, args):
    (tmp_path / "c").mkdir()
    proc = subprocess.run([str(SLURM / "grade-class.sh"), *args], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("usage: ")
