#!/usr/bin/env bash
# tests/fuzz/run.sh: builds the libFuzzer targets with clang and fuzzes each for a while
# (tests/fuzz/README.md). Each target starts from its seed corpus tests/fuzz/corpus/<t>/ and keeps what
# it finds in <build>/tests/fuzz/scratch/<t>/ (reused by the next run); a crash leaves its input
# in <build>/tests/fuzz/<t>-crash-* and makes the exit status 1.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]    default: 600 seconds, every target
# Environment: FUZZ_BUILD (default build/fuzz), JOBS (targets at once, default 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
src=$root/tests/fuzz
secs=${1:-600}
shift || true
build=${FUZZ_BUILD:-$root/build/fuzz}
jobs=${JOBS:-1}

targets=("$@")
if ((${#targets[@]} == 0)); then
    for f in "$src"/fuzz_*.c; do
        t=$(basename "$f" .c)
        [[ $t == fuzz_util ]] || targets+=("${t#fuzz_}")
    done
fi

CC=${CC:-clang} cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target "${targets[@]/#/fuzz_}" >/dev/null

# One target: fuzz, then print one summary line from libFuzzer's final stats.
run_one() {
    local t=$1 dir=$build/tests/fuzz
    mkdir -p "$dir/scratch/$t"
    local rc=0 extra=() env=()
    # A reported, unfixed leak of a library (fuzz/lsan-<t>.supp): not reported again, and
    # since the leaked memory still grows, jobs in child processes that restart (-fork).
    if [[ -f $src/lsan-$t.supp ]]; then
        env=("LSAN_OPTIONS=suppressions=$src/lsan-$t.supp:print_suppressions=0")
        extra=(-fork=1 -ignore_ooms=1)
    fi
    # -close_fd_mask=2: the code under test logs each input it refuses; crashes still show.
    env "${env[@]}" "$dir/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -close_fd_mask=2 "${extra[@]}" -artifact_prefix="$dir/$t-" \
        "$dir/scratch/$t" "$src/corpus/$t" >"$dir/$t.log" 2>&1 || rc=$?
    local runs execs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log" | tail -1)
    execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$dir/$t.log" | tail -1)
    if [[ -z $runs ]]; then # -fork prints no final stats: its last status line then
        runs=$(sed -n 's/^#\([0-9]*\): cov.*/\1/p' "$dir/$t.log" | tail -1)
        [[ -n $runs ]] && execs=$((runs / secs))
    fi
    if ((rc == 0)); then
        printf '%-14s clean: %s s, %s runs, %s exec/s, %s\n' "$t" "$secs" "${runs:-?}" \
            "${execs:-?}" "${cov:-?}"
    else
        local found=("$dir/$t"-*)
        printf '%-14s CRASH (exit %d): see %s and %s\n' "$t" "$rc" "$dir/$t.log" "${found[0]}"
    fi
    return "$rc"
}

failed=0
running=0
for t in "${targets[@]}"; do
    if ((running >= jobs)); then
        wait -n || failed=1
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
while ((running > 0)); do
    wait -n || failed=1
    running=$((running - 1))
done
exit "$failed"
