#!/usr/bin/env bash
# bench-sms.sh: the SMS part of `make bench` (issue 7), run by scripts/bench.sh and runnable
# alone. sms-worker is driven alone by `dvcid-load sms` (SmsSend over its ROUTER as otp-svc's
# outbox sends them, many in flight) on a fresh data dir and config of its own each time:
#   (1) with the file provider: SMS/s until every line is written and fdatasync'd (the sink
#       is checked: each message of the run in it once);
#   then against the SMPP simulator of tests/sms-smsc (Node, the one the SMPP tests use):
#   (2) a plain SMPP client (`dvcid-load smpp-ceiling`, bind_transceiver, same window);
#   (3) sms-worker with an smpp provider: SMS/s until every submit_sm is accepted;
#   then (2) and (3) again. Each figure is the higher of its two runs, the ceiling's as the
#   ratio's: other work on a shared machine only ever lowers a figure, and both sides of the
#   ratio get the same chance. (1) runs twice too, each time on a fresh worker.
# The simulator's record of submits is reset between runs, so each starts from the same state.
# Writes OUT/runs/sms_file_{a,b}.json, sms_smpp_{a,b}.json, ceiling_smpp_{a,b}.json, and
# sms_file.json, sms_smpp.json: the better run of each.
#   scripts/bench-sms.sh BUILD_DIR OUT_DIR WORK_DIR
# Environment: BENCH_SMS_COUNT (messages to the file provider, 200000), BENCH_SMPP_COUNT
# (messages over SMPP, 50000), BENCH_SMS_INFLIGHT (SmsSend in flight, 1000),
# BENCH_SMPP_WINDOW (submit_sm awaiting their resp, both clients, 64), BENCH_LOG_LEVEL (info).
set -euo pipefail

(($# == 3)) || {
    echo "usage: $0 BUILD_DIR OUT_DIR WORK_DIR" >&2
    exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
mkdir -p "$2/runs" "$3"
OUT=$(cd "$2" && pwd)
WORK=$(cd "$3" && pwd)
COUNT=${BENCH_SMS_COUNT:-200000}
SMPP_COUNT=${BENCH_SMPP_COUNT:-50000}
INFLIGHT=${BENCH_SMS_INFLIGHT:-1000}
WINDOW=${BENCH_SMPP_WINDOW:-64}
LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
LOAD=$BUILD/dvcid-load
SMSC_DIR=$root/tests/sms-smsc
SYSTEM_ID=dvcid
SMPP_PASSWORD=bench-pw # at most 8 characters (SMPP 3.4)

say() { printf 'bench-sms: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

for b in sms-worker dvcid-load; do
    [[ -x $BUILD/$b ]] || die "$BUILD/$b is missing (build first)"
done

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts sms-worker on a fresh data dir WORK/NAME with the [sms] lines given; sets worker_pid
# and endpoint. dvcid-load waits for it to answer (MetricsGet) before it starts counting.
worker_start() {
    local name=$1 dir=$WORK/$1
    shift
    rm -rf "$dir"
    mkdir -p "$dir/var"
    endpoint=ipc://$dir/sms.ipc
    {
        echo "; written by scripts/bench-sms.sh: sms-worker alone"
        echo "[storage]"
        echo "dir = $dir/var"
        echo "[sms]"
        echo "endpoint = $endpoint"
        printf '%s\n' "$@"
        echo "[log]"
        echo "level = $LOG_LEVEL"
    } >"$dir/sms.conf"
    "$BUILD/sms-worker" --config "$dir/sms.conf" >"$dir/sms-worker.log" 2>&1 &
    worker_pid=$!
    pids+=("$worker_pid")
}

worker_stop() {
    kill -TERM "$worker_pid" 2>/dev/null || true
    wait "$worker_pid" 2>/dev/null || true
}

# Runs dvcid-load with a name: JSON to runs/NAME.json, its summary on the console.
load() {
    local name=$1
    shift
    say "run $name: dvcid-load $*"
    "$LOAD" "$@" --json >"$OUT/runs/$name.json" 2>"$WORK/$name.table" ||
        { cat "$WORK/$name.table" >&2; die "run $name failed"; }
    sed 's/^/    /' "$WORK/$name.table" >&2
}

# Copies the faster of runs/NAME_a.json and NAME_b.json to runs/NAME.json.
best() {
    python3 - "$OUT/runs" "$1" <<'PY'
import json, shutil, sys
d, name = sys.argv[1:]
runs = [(json.load(open("%s/%s_%s.json" % (d, name, x)))["per_second"], x) for x in "ab"]
shutil.copy("%s/%s_%s.json" % (d, name, max(runs)[1]), "%s/%s.json" % (d, name))
PY
}

# --- (1) the file provider ------------------------------------------------------------------
sms_file() {
    worker_start file "provider = file" "file = $WORK/file/var/sms-outbox.jsonl"
    load "sms_file_$1" sms --endpoint "$endpoint" --count "$COUNT" --inflight "$INFLIGHT" \
        --sink "$WORK/file/var/sms-outbox.jsonl"
    worker_stop
    rm -f "$WORK/file/var/sms-outbox.jsonl" # ~50 MB of lines, counted already
}
sms_file a
sms_file b
best sms_file

# --- the SMPP simulator ---------------------------------------------------------------------
node=$(command -v node) || die "node not found: the SMPP runs need Node.js (apt-get install nodejs npm)"
if [[ ! -d $SMSC_DIR/node_modules/smpp ]]; then
    npm=$(command -v npm) || die "npm not found: needed once for tests/sms-smsc (npm ci)"
    say "npm ci in $SMSC_DIR (once)"
    (cd "$SMSC_DIR" && "$npm" ci --no-audit --no-fund >"$WORK/npm.log" 2>&1) ||
        { cat "$WORK/npm.log" >&2; die "npm ci failed"; }
fi
smpp_port=$(free_port)
control=$(free_port)
"$node" "$SMSC_DIR/smsc.js" "$smpp_port" "$control" "$SYSTEM_ID" "$SMPP_PASSWORD" \
    >"$WORK/smsc.log" 2>&1 &
pids+=("$!")
smsc() { # smsc METHOD PATH: one call to the simulator's control port
    python3 - "$control" "$1" "$2" <<'PY'
import sys, urllib.request
port, method, path = sys.argv[1:]
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
                             data=b"{}" if method == "POST" else None, method=method)
urllib.request.urlopen(req, timeout=5).read()
PY
}
for _ in $(seq 200); do
    grep -q 'smsc ready' "$WORK/smsc.log" 2>/dev/null && break
    sleep 0.05
done
grep -q 'smsc ready' "$WORK/smsc.log" || { cat "$WORK/smsc.log" >&2; die "the SMPP simulator did not start"; }

ceiling() {
    smsc POST /reset
    load "ceiling_smpp_$1" smpp-ceiling --host 127.0.0.1 --port "$smpp_port" \
        --system-id "$SYSTEM_ID" --password "$SMPP_PASSWORD" --window "$WINDOW" --count "$SMPP_COUNT"
}

# --- (2) the plain client, (3) sms-worker over SMPP, (4) the plain client again ---------------
# A short run first, not kept: Node compiles the simulator's hot paths during its first
# thousands of PDUs, which would otherwise be charged to whichever run comes first.
smsc POST /reset
"$LOAD" smpp-ceiling --host 127.0.0.1 --port "$smpp_port" --system-id "$SYSTEM_ID" \
    --password "$SMPP_PASSWORD" --window "$WINDOW" --count 10000 >/dev/null 2>&1 ||
    die "the SMPP warm-up run failed"
sms_smpp() {
    smsc POST /reset
    worker_start smpp "provider = smpp" "smpp_host = 127.0.0.1" "smpp_port = $smpp_port" \
        "smpp_system_id = $SYSTEM_ID" "smpp_password = $SMPP_PASSWORD" \
        "smpp_window = $WINDOW" "smpp_tps = 0"
    for _ in $(seq 200); do # bound before the clock starts, as the plain client is
        grep -q 'bound to' "$WORK/smpp/sms-worker.log" 2>/dev/null && break
        sleep 0.05
    done
    grep -q 'bound to' "$WORK/smpp/sms-worker.log" ||
        { tail -20 "$WORK/smpp/sms-worker.log" >&2; die "sms-worker did not bind to the simulator"; }
    load "sms_smpp_$1" sms --endpoint "$endpoint" --count "$SMPP_COUNT" --inflight "$INFLIGHT"
    worker_stop
}
ceiling a
sms_smpp a
ceiling b
sms_smpp b
best sms_smpp
