#!/usr/bin/env bash
# bench-stack.sh: starts the four services with make bench's stack config (scripts/bench.sh:
# test numbers, test code and captcha answer, high send limits, ipc endpoints) on a fresh data
# dir, for measuring one change by hand; stops them with `bench-stack.sh stop DIR`.
#   scripts/bench-stack.sh BUILD_DIR DIR PORT   start; prints /readyz; pids in DIR/*.pid
#   scripts/bench-stack.sh stop DIR             stop
#   scripts/bench-stack.sh config DIR PORT      only write DIR/bench.conf (scripts/bench.sh)
# Environment: ARGON2_OPS (default 2), ARGON2_MEM (MiB, default 19), LVL (log level, default
# info), PREFIX / TEST_CODE / CAPTCHA (the test numbers, code and captcha answer, default
# +8430 / 246810 / BENCH), MAP_MIB (each LMDB map, default 65536: sparse, room for 10 M
# accounts), PRELOAD (an LD_PRELOAD for the services, e.g. another
# allocator). Then, for example:
#   dvcid-load --url http://127.0.0.1:PORT --test-code 246810 --captcha-answer BENCH \
#       --phone-prefix +8430 --no-captcha --flow start --connections 256 --duration 8
set -euo pipefail
. "$(dirname "$0")/processes.sh"

if [[ ${1:-} == stop ]]; then
    for s in "${PROCESSES_STOP[@]}"; do
        [[ -f $2/$s.pid ]] && kill "$(cat "$2/$s.pid")" 2>/dev/null || true
    done
    sleep 0.5
    exit 0
fi
# Writes $1/bench.conf for a gateway on port $2: defaults except what a load run needs.
write_config() {
    local T=$1 P=$2
    mkdir -p "$T/var"
    cat >"$T/bench.conf" <<C
; written by scripts/bench-stack.sh: defaults except what a load run needs
[gateway]
listen = 127.0.0.1:$P
management_listen =
public_metrics = true
[storage]
dir = $T/var
map_size_mib = ${MAP_MIB:-65536}
[account]
endpoint = ipc://$T/account.ipc
argon2_ops = ${ARGON2_OPS:-2}
argon2_mem_mib = ${ARGON2_MEM:-19}
max_registration_starts_per_ip_hour = 100000000
[otp]
endpoint = ipc://$T/otp.ipc
resend_after = 0
max_attempts = 100
max_failures_per_flow = 1000
max_failures_per_phone_hour = 100000
max_sends_per_flow = 100
max_sends_per_phone_hour = 1000000
max_sends_per_ip_hour = 100000000
max_sends_per_prefix_hour = 100000000
test_phone_prefix = ${PREFIX:-+8430}
test_code = ${TEST_CODE:-246810}
[captcha]
test_answer = ${CAPTCHA:-BENCH}
max_per_ip_hour = 100000000
[sms]
endpoint = ipc://$T/sms.ipc
provider = file
file = $T/var/sms-outbox.jsonl
[log]
level = ${LVL:-info}
C
}

if [[ ${1:-} == config ]] && (($# == 3)); then
    write_config "$2" "$3"
    exit 0
fi
(($# == 3)) || {
    echo "usage: $0 BUILD_DIR DIR PORT | $0 stop DIR | $0 config DIR PORT" >&2
    exit 2
}
B=$1 T=$2 P=$3
rm -rf "$T"
write_config "$T" "$P"
for s in "${PROCESSES[@]}"; do
    env LD_PRELOAD="${PRELOAD:-}" "$B/$s" --config "$T/bench.conf" >"$T/$s.log" 2>&1 &
    echo $! >"$T/$s.pid"
done
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$P/readyz" && echo && exit 0
    sleep 0.05
done
echo "bench-stack: not ready (logs in $T)" >&2
exit 1
