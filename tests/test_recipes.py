"""The recipes that spread a class over a scheduler (recipes/, docs/CLUSTER.md), checked without
the scheduler: the Slurm scripts run as Slurm would run them, with an sbatch that only records.
Slurm does not run here: recipes/slurm/run-local.sh is the real Slurm run, by hand."""
import os
import stat
import subprocess

import pytest

from conftest import ROOT
from test_shards import K, NAMES, check_merge, check_shard, single, student_stamps  # noqa: F401 (a fixture)

SLURM = ROOT / "recipes" / "slurm"


# ---------------------------------------------------------------- Slurm

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


@pytest.mark.parametrize("grader_exit, task_exit", [(0, 0), (1, 0), (2, 2), (139, 139)])
def test_slurm_task_fails_only_when_its_batch_could_not_run(tmp_path, grader_exit, task_exit):
    """A task's grader exiting 1 (some submission could not be graded: the merge tries it again and
    reports it) is a successful task, so that the merge runs; 2 or a crash fails it, and the merge."""
    fake_root = tmp_path / "grader"
    fake_root.mkdir()
    (fake_root / "grader.py").write_text(f'#!/bin/bash\necho "$@" > {tmp_path}/args\nexit {grader_exit}\n')
    (fake_root / "grader.py").chmod(0o755)
    proc = subprocess.run(["bash", str(SLURM / "grade-shard.sbatch"), str(fake_root), "C", "O", "4", "-k", "x y"],
                          capture_output=True, text=True, env=dict(os.environ, SLURM_ARRAY_TASK_ID="3",
                                                                   SLURM_CPUS_PER_TASK="2"))
    assert proc.returncode == task_exit
    assert (tmp_path / "args").read_text() == "--batch C --out O/.shards/3 --shard 3/4 --jobs 2 -k x y\n"
    assert ("the merge tries them again" in proc.stderr) == (grader_exit == 1)


@pytest.mark.parametrize("args", [[], ["c", "o"], ["c", "o", "0"], ["c", "o", "x"], ["c", "o", "2", "0"],
                                  ["c", "o", "2", "1", "-k"]])
def test_slurm_driver_usage(tmp_path, args):
    (tmp_path / "c").mkdir()
    proc = subprocess.run([str(SLURM / "grade-class.sh"), *args], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("usage: ")

