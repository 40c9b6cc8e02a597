#!/usr/bin/env bash
# Runs `make test`'s checks in parallel lanes once everything is built.
#
#   tests/lanes.sh STAGE_LOG "lane-name: target target ..." ["lane-name: target ..."]...
#
# Each lane runs its make targets one after another, in the background, each target's output
# going to a log file ($LANE_DIR/<target>.log). When a target ends, its log is printed whole (one
# block, never interleaved with another lane's) with a status line, and "target start end" is
# appended to STAGE_LOG for the timing summary (tests/stage-times.awk). Every lane runs to the
# end even when another fails, so one run shows every failure; the exit status is 1 if any
# target failed. The checks are mostly waiting (moto, Prometheus, loopback servers, SIGKILL
# loops), so two cores run five lanes in about the time of the longest.
set -uo pipefail

stage_log=$1
shift
lane_dir=${LANE_DIR:-$(dirname "$stage_log")/lanes}
rm -rf "$lane_dir" && mkdir -p "$lane_dir"
print_lock=$lane_dir/.print
: >"$print_lock"
# plain `make` (MAKEFLAGS from the calling make still apply): a recipe line naming $(MAKE) would
# run even under `make -n test`, which the README test does
make_cmd=make

say() {
  # one block at a time on stdout, whichever lane finishes first
  flock "$print_lock" cat
}

secs() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'
}

run_lane() {
  local lane=$1
  shift
  local t start end rc
  for t in "$@"; do
    start=$(date +%s.%N)
    echo "[$lane] $t: started" | say
    $make_cmd --no-print-directory "$t" >"$lane_dir/$t.log" 2>&1
    rc=$?
    end=$(date +%s.%N)
    echo "$t $start $end" >>"$stage_log"
    {
      echo "---- [$lane] $t (log: $lane_dir/$t.log) ----"
      cat "$lane_dir/$t.log"
      if [ $rc -eq 0 ]; then
        echo "[$lane] $t: passed in $(secs "$start" "$end") s"
      else
        echo "[$lane] $t: FAILED (exit $rc) after $(secs "$start" "$end") s"
      fi
    } | say
    [ $rc -eq 0 ] || echo "$t" >>"$lane_dir/.failed"
  done
}

pids=()
for spec in "$@"; do
  name=${spec%%:*}
  # shellcheck disable=SC2086 # the targets are one word each
  run_lane "$name" ${spec#*:} &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

if [ -s "$lane_dir/.failed" ]; then
  echo "make test: failed: $(tr '\n' ' ' <"$lane_dir/.failed")(logs in $lane_dir)"
  exit 1
fi
