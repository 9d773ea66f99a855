#!/usr/bin/env bash
# fuzz_test.sh: one ctest entry fuzz/<t> of a clang build (tests/fuzz/CMakeLists.txt).
# Runs the libFuzzer target with the arguments given (seed corpus replayed first, then
# fuzzing for a few seconds), keeps libFuzzer's chatter in <dir>/<t>.test.log, and prints
# one line: the runs and exec/s when clean; when not, the end of the log, then each
# input libFuzzer wrote (crash, leak, timeout, out of memory) with the command that
# replays it. The exit status is the target's.
#   fuzz_test.sh EXE NAME DIR [libFuzzer arguments...]
set -uo pipefail

if (($# < 3)); then
    echo "usage: $0 EXE NAME DIR [libFuzzer arguments...]" >&2
    exit 2
fi
exe=$1 name=$2 dir=$3
shift 3
log=$dir/$name.test.log

"$exe" -print_final_stats=1 "$@" >"$log" 2>&1
rc=$?

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
if ((rc == 0)); then
    printf 'fuzz/%s: clean: %s runs, %s exec/s, %s (log %s)\n' "$name" "$(stat number_of_executed_units)" \
        "$(stat average_exec_per_sec)" "$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)" "$log"
    exit 0
fi

echo "--- the last lines of $log:"
tail -n 60 "$log"
echo "---"
mapfile -t found < <(sed -n 's/.*Test unit written to //p' "$log")
if ((${#found[@]} == 0)); then
    echo "fuzz/$name: FAILED (exit $rc) and wrote no input; the whole output is in $log"
fi
for f in "${found[@]}"; do
    echo "fuzz/$name: FAILED (exit $rc); reproducer: $f"
    echo "fuzz/$name: replay it with: $exe $f"
done
exit "$rc"
