#!/bin/bash
# Runs the Slurm recipe for real on this one machine and checks it, as docs/CLUSTER.md shows:
# installs Debian's Slurm and munge if they are missing, starts munged, slurmctld and slurmd
# by hand (no systemd) with a private configuration for this one node, grades a class of six
# submissions with grade-class.sh in 3 array tasks, grades the same class as one batch, and
# compares the two grades.csv (and summaries). It stops the daemons it started.
#
#   sudo recipes/slurm/run-local.sh [WORK_DIR]     (default: a new folder under /tmp)
#
# For a throwaway machine or container, as root: the daemons run as root (SlurmUser=root), so
# the jobs do too and the grader takes isolation level 1 (a cluster's jobs run as their user:
# level 2 or 4, see docs/CLUSTER.md). Not part of the test suite or of .ci/run.
# Environment: DEADLINE (seconds for the whole Slurm run, default 600), SHARDS (3), JOBS (1,
# the CPUs of each task), CTLD_PORT/SLURMD_PORT (16817/16818: not a system Slurm's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DEADLINE=${DEADLINE:-600} SHARDS=${SHARDS:-3} JOBS=${JOBS:-1}
CTLD_PORT=${CTLD_PORT:-16817} SLURMD_PORT=${SLURMD_PORT:-16818}

say() { printf '\n== %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
die() { echo "run-local: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"

# --- Slurm and munge from Debian's archive
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
        || ! command -v munged >/dev/null; then
    say "installing slurmctld slurmd slurm-client munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi
say "versions"
dpkg-query -W -f '${Package} ${Version}\n' slurmctld slurmd slurm-client munge

work=${1:-$(mktemp -d /tmp/grader-slurm.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
etc=$work/slurm
rm -rf "$etc" "$work/class" "$work/out-slurm" "$work/out-single"
mkdir -p "$etc/state" "$etc/spool" "$work/munge"
chmod 700 "$work/munge"

started=()  # pid files of the daemons this script started, stopped on exit
stop_daemons() {
    local f pid
    for f in "${started[@]}"; do
        pid=$(cat "$f" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null || continue
        timeout 30 tail --pid="$pid" -f /dev/null || echo "run-local: pid $pid ($f) still running after 30 s" >&2
    done
}
trap stop_daemons EXIT

# waits until FILE has a line matching PATTERN, for SECONDS at most
wait_for_line() {
    local file=$1 pattern=$2 seconds=$3 what=$4
    grep -q -m1 -e "$pattern" < <(timeout "$seconds" tail -n +1 -F "$file" 2>/dev/null) \
        || die "$what: no '$pattern' in $file within $seconds s; its end:$(echo; tail -n 20 "$file" 2>/dev/null)"
}

# --- munge: the package's key, a private socket
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
socket=$work/munge/munge.socket.2
munged --force --socket="$socket" --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
    --seed-file="$work/munge/munged.seed"  # returns once the daemon is ready
started+=("$work/munge/munged.pid")
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null || die "munge: a credential does not decode"

# --- slurm.conf for this one node, as slurmd -C describes it
node=$(slurmd -C | head -n 1)  # NodeName=HOST CPUs=2 Boards=1 ... RealMemory=...
host=$(hostname -s)
[ "${node#NodeName="$host" }" != "$node" ] || die "slurmd -C names another host than $host: $node"
cat > "$etc/slurm.conf" <<EOF
ClusterName=grader-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$etc/state
SlurmdSpoolDir=$etc/spool
SlurmctldPidFile=$etc/slurmctld.pid
SlurmdPidFile=$etc/slurmd.pid
SlurmctldLogFile=$etc/slurmctld.log
SlurmdLogFile=$etc/slurmd.log
# no systemd, no cgroup plugin: processes tracked through /proc, tasks not bound
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
# no slurmdbd here, so no sacct: a line per finished job instead
JobCompType=jobcomp/filetxt
JobCompLoc=$etc/jobcomp.log
$node
PartitionName=grading Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$etc/slurm.conf

say "starting slurmctld and slurmd ($etc)"
slurmctld -c  # -c: a fresh cluster, no state recovered
started+=("$etc/slurmctld.pid")
wait_for_line "$etc/slurmctld.log" "Running as primary controller" 60 slurmctld
slurmd
started+=("$etc/slurmd.pid")
# the node is up once it has run a job: srun waits for it (the deadline says if it never comes)
timeout 60 srun --quiet --job-name=node-up true || die "the node did not run a job within 60 s: $(sinfo -N -l)"
sinfo -N -o "%N %T %c"

# --- the class: six submissions, one that does not compile, one empty folder
say "the class"
class=$work/class
mkdir -p "$class"
for name in reference variant_fork variant_sr; do cp -r "$root/reference" "$class/$name"; done
cp "$root"/tests/submissions/variant_fork/* "$class/variant_fork/"
cp "$root"/tests/submissions/variant_sr/* "$class/variant_sr/"
cp -r "$root/reference" "$class/lecture"
cp "$root"/tests/submissions/lecture/* "$class/lecture/"
cp -r "$root/reference" "$class/broken_client"
echo 'int main(void) { return undeclared; }' > "$class/broken_client/tcp_client.c"
mkdir "$class/empty"
ls "$class"

say "grade-class.sh --wait $class $work/out-slurm $SHARDS $JOBS (deadline $DEADLINE s)"
t0=$(now_ms)
status=0
timeout "$DEADLINE" "$here/grade-class.sh" --wait "$class" "$work/out-slurm" "$SHARDS" "$JOBS" || status=$?
[ "$status" -ne 124 ] || die "the Slurm run did not end within $DEADLINE s: $(squeue)"
echo "grade-class.sh: exit $status after $(seconds_since "$t0")"

say "finished jobs ($etc/jobcomp.log: no slurmdbd here, so no sacct)"
grep -v " Name=node-up " "$etc/jobcomp.log" | tr ' ' '\n' \
    | grep -E '^(JobId|Name|ArrayJobId|ArrayTaskId|JobState|ExitCode|SubmitTime|StartTime|EndTime)=' \
    | paste -sd' ' | sed 's/ JobId=/\nJobId=/g'
first=$(grep -v " Name=node-up " "$etc/jobcomp.log" | grep -o 'SubmitTime=[^ ]*' | cut -d= -f2 | sort | head -n 1)
last=$(grep " Name=grade-merge " "$etc/jobcomp.log" | grep -o 'EndTime=[^ ]*' | cut -d= -f2)
echo "Slurm's span, first submit to the merge's end: $(($(date -d "$last" +%s) - $(date -d "$first" +%s))) s" \
    "(grade-class.sh --wait took longer: sbatch --wait checks the job at growing intervals)"
for log in "$work/out-slurm"/.logs/*.out; do
    say "${log#"$work"/} (the summary's case lines left out)"
    grep -v -E '^ +[0-9]+  [a-z]+\.' "$log"
done

say "the same class as one batch on this machine (--jobs $(nproc), every CPU), for comparison"
t0=$(now_ms)
"$root/grader.py" --batch "$class" --out "$work/out-single" -q
echo "one batch: $(seconds_since "$t0")"

say "merged grades.csv"
cat "$work/out-slurm/grades.csv"
say "comparison with the one batch"
same=0
for f in grades.csv summary.txt summary.html; do
    if cmp -s "$work/out-slurm/$f" "$work/out-single/$f"; then
        echo "$f: identical"
    else
        echo "$f: DIFFERS"
        diff "$work/out-single/$f" "$work/out-slurm/$f" | head -n 20 || true
        same=1
    fi
done
[ "$status" -eq 0 ] || die "grade-class.sh exit $status"
[ "$same" -eq 0 ] || die "the merged class files differ from the one batch's"
echo "run-local: OK ($work)"
