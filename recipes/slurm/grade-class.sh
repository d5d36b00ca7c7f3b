#!/bin/bash
# Grades a class on a Slurm cluster: an array job of SHARDS tasks, task K grading the K-th
# share of CLASS (grader.py --batch --shard K/SHARDS) into OUT/.shards/K, then a merge job,
# started only once every task succeeded (--dependency=afterok), that copies the students'
# folders into OUT and runs the batch there again for the class's grades.csv and summaries.
#
#   recipes/slurm/grade-class.sh [--wait] CLASS OUT SHARDS [JOBS_PER_TASK] [-- GRADER_OPTION...]
#
# JOBS_PER_TASK (default 1): the CPUs each task asks for, and its grader's --jobs.
# GRADER_OPTIONs go to every task and to the merge alike (e.g. -k EXPR, --cases DIR,
# --assignment NAME, --isolation 2). --wait: return when the merge has ended, with its exit
# status. sbatch's own settings come from its environment: SBATCH_PARTITION, SBATCH_ACCOUNT,
# SBATCH_TIMELIMIT, ... Logs: OUT/.logs/shard-K.out and OUT/.logs/merge.out.
#
# CLASS, OUT and this grader must be on a file system the compute nodes share. The probe is
# built here first (cmake, into $GRADER_BUILD or ROOT/build, where the grader looks for it), so
# that the tasks do not all build it at once.
set -euo pipefail
usage() {
    echo "usage: $0 [--wait] CLASS OUT SHARDS [JOBS_PER_TASK] [-- GRADER_OPTION...]" >&2
    exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wait=()
if [ "${1:-}" = --wait ]; then
    wait=(--wait)
    shift
fi
[ $# -ge 3 ] || usage
class=$1 out=$2 shards=$3 jobs=1
shift 3
if [ $# -gt 0 ] && [ "$1" != -- ]; then
    jobs=$1
    shift
fi
if [ $# -gt 0 ]; then
    [ "$1" = -- ] || usage
    shift
fi
case "$shards$jobs" in *[!0-9]*) usage ;; esac
if [ "$shards" -lt 1 ] || [ "$jobs" -lt 1 ]; then
    usage
fi
[ -d "$class" ] || { echo "$0: $class: not a folder" >&2; exit 2; }
class=$(cd "$class" && pwd)
mkdir -p "$out/.logs"
out=$(cd "$out" && pwd)

build=${GRADER_BUILD:-$root/build}  # where the grader looks for its probe
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j "$jobs" --target probe compile >/dev/null

array=$(sbatch --parsable --array="1-$shards" --cpus-per-task="$jobs" --output="$out/.logs/shard-%a.out" \
    "$here/grade-shard.sbatch" "$root" "$class" "$out" "$shards" "$@")
array=${array%%;*}  # --parsable: JOBID or JOBID;CLUSTER
echo "grade-class: shards: job $array, tasks 1-$shards, $jobs CPU(s) each"
merge_args=(--dependency="afterok:$array" --kill-on-invalid-dep=yes --cpus-per-task="$jobs"
            --output="$out/.logs/merge.out" "$here/merge-shards.sbatch" "$root" "$class" "$out" "$@")
if [ ${#wait[@]} -eq 0 ]; then
    merge=$(sbatch --parsable "${merge_args[@]}")
    echo "grade-class: merge: job ${merge%%;*}, once every shard succeeded; then $out/grades.csv"
    exit 0
fi
# --wait: sbatch returns when the job has ended, with its exit status; but a merge cancelled
# because a shard failed (the dependency can never be met) never ran and "exits" 0: its state says
echo "grade-class: merge: once every shard succeeded; waiting for it (sbatch --wait)"
status=0
merge=$(sbatch --parsable --wait "${merge_args[@]}") || status=$?
merge=${merge%%;*}
state=$(scontrol show job -o "$merge" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)
echo "grade-class: merge: job $merge, ${state:-JobState=unknown}, exit $status; $out/grades.csv"
if [ "$status" -eq 0 ] && [ -n "$state" ] && [ "$state" != JobState=COMPLETED ]; then
    echo "grade-class: the merge did not run: a shard failed (see $out/.logs/shard-*.out); grade it again" \
        "with sbatch --array=K $here/grade-shard.sbatch $root $class $out $shards ..., then submit the merge" >&2
    status=1
fi
exit "$status"
