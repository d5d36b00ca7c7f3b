"""The recipes that spread a class over a scheduler (recipes/, docs/CLUSTER.md), checked without
the scheduler: the Slurm scripts run as Slurm would run them, with an sbatch that only records;
the GitHub Actions workflow parsed, and its shell steps run by a small stand-in for the runner
and the artifact actions. Neither Slurm nor GitHub runs here: recipes/slurm/run-local.sh is the
real Slurm run, by hand."""
import os
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import ROOT, copy_grader
from test_shards import K, NAMES, check_merge, check_shard, single_batch, student_stamps

sys.path.insert(0, str(ROOT))
import platforms  # noqa: E402

SLURM = ROOT / "recipes" / "slurm"
WORKFLOW = ROOT / "recipes" / "github-actions" / "grade-class.yml"


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The class of tests/test_shards.py graded as one batch: (class, OUT)."""
    return single_batch(tmp_path_factory)


# ---------------------------------------------------------------- Slurm

def test_slurm_scripts_parse():
    scripts = sorted(SLURM.iterdir())
    assert {p.name for p in scripts} >= {"grade-class.sh", "grade-shard.sbatch", "merge-shards.sbatch",
                                         "run-local.sh"}
    for script in scripts:
        assert os.stat(script).st_mode & stat.S_IXUSR, f"{script.name} is not executable"
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script.name}: {proc.stderr}"


def fake_slurm(bin_dir, log):
    """An sbatch on PATH that records each submission in LOG ("sbatch", its arguments, one per line,
    then a blank line) and answers as --parsable does, job 100 then 101; and a cmake that records its
    arguments the same way and builds nothing (the probe of this build is there: a configure
    here would rewrite the build folder other tests are using)."""
    bin_dir.mkdir()
    for tool, answer in (("sbatch", "echo $((100 + n))"), ("cmake", "")):
        (bin_dir / tool).write_text(
            "#!/bin/bash\n"
            f"n=$(cat {log} 2>/dev/null | grep -cx {tool})\n"
            f"printf '%s\\n' {tool} \"$@\" '' >> {log}\n"
            f"{answer}\n")
        (bin_dir / tool).chmod(0o755)


def test_slurm_driver_submits_the_array_then_the_merge_and_its_scripts_merge(single, tmp_path):
    """grade-class.sh with an sbatch that only records: the probe built, an array of 3 tasks, then
    the merge after every task succeeded, the same grader options to both. Then what Slurm would run, run here
    in turn: the 3 tasks, then the merge; the class files are the single batch's."""
    klass, one = single
    log = tmp_path / "sbatch.log"
    fake_slurm(tmp_path / "bin", log)
    out = tmp_path / "out"
    build = os.environ.get("GRADER_BUILD", str(ROOT / "build"))
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    proc = subprocess.run([str(SLURM / "grade-class.sh"), str(klass), str(out), "3", "2", "--", "-k", K],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "shards: job 100, tasks 1-3" in proc.stdout and "merge: job 101" in proc.stdout
    configure, make, array, merge = [s.splitlines() for s in log.read_text().split("\n\n")[:4]]
    assert configure == ["cmake", "-S", str(ROOT), "-B", build]  # the probe built before anything is submitted
    assert make == ["cmake", "--build", build, "-j", "2", "--target", "probe", "compile"]
    assert array == ["sbatch", "--parsable", "--array=1-3", "--cpus-per-task=2", f"--output={out}/.logs/shard-%a.out",
                     str(SLURM / "grade-shard.sbatch"), str(ROOT), str(klass), str(out), "3", "-k", K]
    assert merge == ["sbatch", "--parsable", "--dependency=afterok:100", "--kill-on-invalid-dep=yes",
                     "--cpus-per-task=2", f"--output={out}/.logs/merge.out", str(SLURM / "merge-shards.sbatch"),
                     str(ROOT), str(klass), str(out), "-k", K]

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


# ---------------------------------------------------------------- GitHub Actions

def load_workflow():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(WORKFLOW.read_text())


def steps_with(job, text):
    return [s for s in job["steps"] if text in s.get("run", "")]


def test_workflow_parses_and_shards_by_its_matrix():
    wf = load_workflow()
    assert set(wf["on"]) == {"workflow_dispatch"}
    jobs = wf["jobs"]
    assert list(jobs) == ["grader", "shard", "merge"]
    assert jobs["shard"]["needs"] == "grader" and jobs["merge"]["needs"] == "shard"
    strategy = jobs["shard"]["strategy"]
    assert strategy["fail-fast"] is False  # one shard failing does not cancel the others
    shards = strategy["matrix"]["shard"]
    assert list(strategy["matrix"]) == ["shard"] and shards == list(range(1, len(shards) + 1))
    grade, = steps_with(jobs["shard"], "--shard")
    assert '--shard "${{ matrix.shard }}/${{ strategy.job-total }}"' in grade["run"]
    merge, = steps_with(jobs["merge"], "--batch")
    assert "--shard" not in merge["run"]
    for job in jobs.values():
        install, = steps_with(job, "apt-get install")
        assert platforms.PACKAGES in install["run"]
        for step in job["steps"]:
            assert "uses" not in step or step["uses"].endswith("@v4")
            assert "${{ inputs." not in step.get("run", "")  # inputs reach a script through env only
    download = next(s for s in jobs["merge"]["steps"] if s.get("with", {}).get("pattern") == "shard-*")
    assert download["with"]["merge-multiple"] is True and "--out " + download["with"]["path"] + " " in merge["run"]
    assert wf["env"] == {"CLASS": "${{ inputs.class || 'submissions' }}",
                         "GRADER_OPTIONS": "${{ inputs.grader_options }}"}


def run_workflow(wf, base, klass, options):
    """Runs the workflow's jobs in order as GitHub would, on this machine: each job (each value of
    the matrix) in a workspace of its own under BASE, the two checkouts as copies (the class at
    class/submissions, this grader and its build at grader), the artifacts as folders under
    BASE/artifacts, each run step in bash -eo pipefail with the workflow's env (GRADER_OPTIONS:
    OPTIONS) and sudo passing through; the apt-get and cmake steps are left out (the packages are
    here, the copy carries this build). Returns the merge step's CompletedProcess and the merge
    job's workspace."""
    artifacts = base / "artifacts"
    env = {k: v for k, v in os.environ.items() if k != "GRADER_BUILD"}  # each job's grader: its own build
    env.update(CLASS="submissions", GRADER_OPTIONS=options)
    last = None
    for job_id, job in wf["jobs"].items():
        matrix = job.get("strategy", {}).get("matrix", {}).get("shard", [None])
        for value in matrix:
            ws = base / f"{job_id}-{value}"
            ws.mkdir()

            def expand(text):
                text = text.replace("${{ matrix.shard }}", str(value))
                text = text.replace("${{ strategy.job-total }}", str(len(matrix)))
                assert "${{" not in text, text
                return text

            for step in job["steps"]:
                uses, with_ = step.get("uses", ""), step.get("with", {})
                if uses.startswith("actions/checkout"):
                    if with_.get("path") == "grader":
                        copy_grader(ws / "grader")
                    else:
                        shutil.copytree(klass, ws / with_["path"] / "submissions")
                elif uses.startswith("actions/upload-artifact"):
                    paths = [ws / p for p in with_["path"].split()]
                    found = [p for p in paths if p.is_file() or (p.is_dir() and any(p.iterdir()))]
                    assert found or with_.get("if-no-files-found") == "ignore", with_["path"]
                    for p in found:  # one folder: its contents; files: each at the top; no dot-entry
                        if p.is_dir():  # (upload-artifact's include-hidden-files: false)
                            shutil.copytree(p, artifacts / expand(with_["name"]), ignore=shutil.ignore_patterns(".*"))
                        else:
                            (artifacts / expand(with_["name"])).mkdir(parents=True, exist_ok=True)
                            shutil.copy2(p, artifacts / expand(with_["name"]) / p.name)
                elif uses.startswith("actions/download-artifact"):
                    dest = ws / with_.get("path", ".")
                    names = [with_["name"]] if "name" in with_ else \
                        sorted(a.name for a in artifacts.glob(with_["pattern"]))
                    assert len(names) == 1 or with_.get("merge-multiple")
                    for name in names:
                        shutil.copytree(artifacts / name, dest, dirs_exist_ok=True)
                elif "run" in step and "apt-get" not in step["run"] and not step["run"].startswith("cmake"):
                    last = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                           'sudo() { "$@"; }\n' + expand(step["run"])],
                                          cwd=ws, env=env, capture_output=True, text=True, timeout=600,
                                          stdin=subprocess.DEVNULL)
                    assert last.returncode == 0, f"{job_id} {value}: {step.get('name')}: {last.stderr}"
                else:
                    assert uses == "" or "apt-get" in step.get("run", "") or "cmake" in step.get("run", ""), step
    return last, ws


def test_workflow_steps_grade_the_class_in_shards_and_merge(single, tmp_path):
    """The workflow's own shell, run here with a stand-in for GitHub (run_workflow): 4 shards of
    the class of 5, each job in a workspace at its own path, then the merge. The grader is built
    once and carried by an artifact, so the merge skips every student although every workspace is
    elsewhere, and its grades.csv is the single batch's. The summaries name the class folder,
    another one here: the rest of them is the same."""
    klass, one = single
    last, ws = run_workflow(load_workflow(), tmp_path, klass, f"-k '{K}'")
    artifacts = tmp_path / "artifacts"
    assert sorted(p.name for p in artifacts.iterdir()) == ["grader", "grades", "reports",
                                                           "shard-1", "shard-2", "shard-3", "shard-4"]
    graded = sorted(p.name for k in (1, 2, 3, 4) for p in (artifacts / f"shard-{k}").iterdir() if p.is_dir())
    assert graded == NAMES
    assert last.stderr.splitlines() == [f"skipped (already graded): {name}" for name in NAMES] + \
        [f"cache: 0 verdicts reused, 0 cases run, 0 programs compiled ({ws / 'out' / '.cache'})"]
    grades = artifacts / "grades"
    assert sorted(p.name for p in grades.iterdir()) == ["grades.csv", "summary.html", "summary.txt"]
    assert (grades / "grades.csv").read_bytes() == (one / "grades.csv").read_bytes()
    merged, alone = ((d / "summary.txt").read_text().split("\n", 1) for d in (grades, one))
    assert merged[0] == f"Batch: {ws / 'class' / 'submissions'}" and merged[1] == alone[1]
    assert (grades / "summary.html").read_text().replace(str(ws / "class" / "submissions"), str(klass)) == \
        (one / "summary.html").read_text()
    assert sorted(p.name for p in (artifacts / "reports").iterdir() if p.is_dir()) == NAMES
