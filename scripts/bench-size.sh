#!/usr/bin/env bash
# bench-size.sh: does dvcid's cost stay flat as data grows (issue 14)? For each store size N
# in BENCH_SIZES it starts a fresh stack whose account-svc holds N accounts written by
# `dvcctl import` (one real argon2id hash of the bench password, reused; see
# tools/dvcctl/dvcctl_import.c), then measures start, verify and sign-in throughput and p99,
# the bytes each service writes per start (/proc/PID/io write_bytes) and the bytes on disk
# per record of each table (mdb_stat: pages x 4096 / entries), and the same bytes per start
# at a fixed open-loop rate (BENCH_SIZE_RATE starts/s, default 200: a rate where each start
# has commits of its own, as at a quiet hour; the maximum shares commits between many
# starts). Each size's row carries the load average when it began. Run by scripts/bench.sh
# (make bench), or:
#   BENCH_SIZES="0 1000000" scripts/bench-size.sh
# Environment: BENCH_SIZES (default "0 1000000 10000000"), BENCH_BUILD (build/release),
# BENCH_OUT (build/bench), BENCH_DURATION (8), BENCH_WARMUP (1), BENCH_SKIP_BUILD=1,
# BENCH_ARGON2_OPS / BENCH_ARGON2_MEM_MIB (2 / 19). Writes $OUT/size.json and $OUT/size.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/processes.sh"
cd "$root"
BUILD=${BENCH_BUILD:-build/release}
OUT=${BENCH_OUT:-build/bench}
DUR=${BENCH_DURATION:-8}
WARM=${BENCH_WARMUP:-1}
SIZES=${BENCH_SIZES:-0 1000000 10000000}
RATE=${BENCH_SIZE_RATE:-200}
PASSWORD='Tr0ng!Dong2024'
TEST_CODE=246810
CAPTCHA=BENCH
PREFIX=+8430
say() { printf 'bench-size: %s\n' "$*" >&2; }

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "building Release in $BUILD"
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" --target "${PROCESSES[@]}" \
        dvcid-load dvcctl >/dev/null
fi
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$OUT/size"
OUT=$(cd "$OUT" && pwd)
# On the disk of the results (as ./var would be), never a tmpfs.
tmp=$(mktemp -d "$OUT/size-data.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# write_bytes of each service now: "name bytes" lines into $1.
io_snap() {
    for s in "${PROCESSES_STOP[@]}"; do
        echo "$s $(awk '/^write_bytes/ {print $2}' "/proc/${svc_pid[$s]}/io")"
    done >"$1"
}
# Per table: entries and pages (mdb_stat -a) of each service's env, as JSON into $1.
db_stat() {
    python3 - "$tmp/var" >"$1" <<'PY'
import json, os, re, subprocess, sys
out = {}
for svc in sorted(os.listdir(sys.argv[1])):
    d = os.path.join(sys.argv[1], svc)
    if not os.path.isfile(os.path.join(d, "data.mdb")):
        continue
    text = subprocess.run(["mdb_stat", "-a", d], capture_output=True, text=True).stdout
    tables, name = {}, None
    for line in text.splitlines():
        m = re.match(r'Status of (.*)', line.strip())
        if m:
            name = m.group(1)
            tables[name] = {}
            continue
        m = re.match(r'\s*(Branch|Leaf|Overflow) pages: (\d+)', line)
        if m and name:
            tables[name]["pages"] = tables[name].get("pages", 0) + int(m.group(2))
        m = re.match(r'\s*Entries: (\d+)', line)
        if m and name:
            tables[name]["entries"] = int(m.group(1))
    out[svc] = {"file_bytes": os.path.getsize(os.path.join(d, "data.mdb")),
                "disk_bytes": os.stat(os.path.join(d, "data.mdb")).st_blocks * 512,
                "tables": tables}
print(json.dumps(out))
PY
}

run() { # NAME ARGS...: one dvcid-load run, JSON to $OUT/size/NAME.json
    local name=$1
    shift
    say "run $name: dvcid-load $*"
    "$BUILD/dvcid-load" --url "http://127.0.0.1:$port" --test-code "$TEST_CODE" \
        --captcha-answer "$CAPTCHA" --phone-prefix "$PREFIX" --password "$PASSWORD" \
        --duration "$DUR" --warmup "$WARM" --label "$name" --json "$@" \
        >"$OUT/size/$name.json" 2>"$tmp/$name.table" || { cat "$tmp/$name.table" >&2; exit 1; }
    sed 's/^/    /' "$tmp/$name.table" >&2
}

declare -A svc_pid
for n in $SIZES; do
    rm -rf "$tmp/var"
    cut -d' ' -f1-3 /proc/loadavg >"$OUT/size/load_$n.txt"
    ARGON2_OPS=${BENCH_ARGON2_OPS:-2} ARGON2_MEM=${BENCH_ARGON2_MEM_MIB:-19} LVL=warn \
        PREFIX=$PREFIX TEST_CODE=$TEST_CODE CAPTCHA=$CAPTCHA \
        "$root/scripts/bench-stack.sh" config "$tmp" "$port"
    import_s=0
    rm -f "$tmp/accounts.txt"
    if ((n > 0)); then
        say "importing $n accounts"
        t0=$(date +%s%N)
        "$BUILD/dvcctl" --config "$tmp/bench.conf" import "$n" --seed "$RANDOM$RANDOM" \
            --password "$PASSWORD" --phone-prefix "$PREFIX" --accounts "$tmp/accounts.txt" \
            --sample 20000 | tee "$OUT/size/import_$n.txt" >&2
        import_s=$(python3 -c "import sys; print((int(sys.argv[2]) - int(sys.argv[1])) / 1e9)" \
            "$t0" "$(date +%s%N)")
    fi
    db_stat "$OUT/size/db_$n.loaded.json"
    for s in "${PROCESSES[@]}"; do
        "$BUILD/$s" --config "$tmp/bench.conf" >"$tmp/$s.log" 2>&1 &
        svc_pid[$s]=$!
        pids+=("$!")
    done
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
        sleep 0.1
    done
    if ((n == 0)); then # sign-ins need accounts: 50 registered through the API
        "$BUILD/dvcid-load" --url "http://127.0.0.1:$port" --test-code "$TEST_CODE" \
            --captcha-answer "$CAPTCHA" --phone-prefix "$PREFIX" --password "$PASSWORD" \
            --flow login --prepare 50 --accounts "$tmp/accounts.txt" --connections 2 \
            --duration 0.1 >/dev/null 2>&1
    fi
    io_snap "$OUT/size/io_$n.before"
    run "start_$n" --flow start --no-captcha --connections 64
    io_snap "$OUT/size/io_$n.after"
    db_stat "$OUT/size/db_$n.started.json"
    io_snap "$OUT/size/io_$n.rate.before"
    run "rate_$n" --flow start --no-captcha --rate "$RATE"
    io_snap "$OUT/size/io_$n.rate.after"
    run "verify_$n" --flow wrong-code --wrong 20 --no-captcha --connections 64
    run "login_$n" --flow login --accounts "$tmp/accounts.txt" --connections 16
    db_stat "$OUT/size/db_$n.after.json"
    echo "$import_s" >"$OUT/size/import_$n.seconds"
    for s in "${!svc_pid[@]}"; do kill "${svc_pid[$s]}" 2>/dev/null || true; done
    wait "${svc_pid[@]}" 2>/dev/null || true
    pids=()
done

python3 - "$OUT" "$SIZES" "$RATE" <<'PY'
import json, os, sys
out, sizes, rate = sys.argv[1], [int(s) for s in sys.argv[2].split()], sys.argv[3]
d = os.path.join(out, "size")
def flow(name, key):
    j = json.load(open(os.path.join(d, name + ".json")))
    f = j["flows"][key]
    return f["rate"], f["latency_ms"]["p99"], f["done"]
def io(n, what=""):
    a = dict(l.split() for l in open(os.path.join(d, "io_%d%s.before" % (n, what))))
    b = dict(l.split() for l in open(os.path.join(d, "io_%d%s.after" % (n, what))))
    return {s: int(b[s]) - int(a[s]) for s in a}
def per_record(db, svc, table):
    t = db.get(svc, {}).get("tables", {}).get(table, {})
    return (t.get("pages", 0) * 4096 / t["entries"]) if t.get("entries") else None
rows, rows2, res = [], [], {}
load = open("/proc/loadavg").read().split()[:3]
for n in sizes:
    s_rate, s_p99, s_done = flow("start_%d" % n, "start")
    v_rate, v_p99, _ = flow("verify_%d" % n, "wrong-code")
    l_rate, l_p99, _ = flow("login_%d" % n, "login")
    w = io(n)
    wr = io(n, ".rate")
    _, r_p99, r_done = flow("rate_%d" % n, "start")
    size_load = open(os.path.join(d, "load_%d.txt" % n)).read().strip()
    loaded = json.load(open(os.path.join(d, "db_%d.loaded.json" % n)))
    after = json.load(open(os.path.join(d, "db_%d.after.json" % n)))
    imp = float(open(os.path.join(d, "import_%d.seconds" % n)).read())
    r = {"accounts": n, "import_s": imp, "start": [s_rate, s_p99], "verify": [v_rate, v_p99],
         "login": [l_rate, l_p99], "starts": s_done,
         "write_bytes_per_start": {k: v / max(1, s_done) for k, v in w.items()},
         "rate": float(rate), "rate_p99": r_p99, "loadavg_start": size_load,
         "write_bytes_per_start_at_rate": {k: v / max(1, r_done) for k, v in wr.items()},
         "account_bytes": per_record(loaded, "account", "accounts"),
         "registration_bytes": per_record(after, "account", "flows"),  # registrations are flows
         "otp_challenge_bytes": {t: per_record(after, "otp", t)
                                 for t in after.get("otp", {}).get("tables", {})},
         "session_bytes": per_record(after, "account", "sessions"),
         "sms_job_bytes": {t: per_record(after, "sms", t)
                           for t in after.get("sms", {}).get("tables", {})},
         "disk_bytes": {s: v["disk_bytes"] for s, v in after.items()}}
    res[n] = r
    wb = r["write_bytes_per_start"]
    rows.append("| %s | %.0f | %.1f | %.0f | %.1f | %.0f | %.1f | %s | %s |" % (
        "{:,}".format(n), s_rate, s_p99, v_rate, v_p99, l_rate, l_p99,
        " / ".join("%.1f" % (wb[s] / 1024) for s in ("gateway", "account-svc", "otp-svc", "sms-worker")),
        "%.0f B" % r["account_bytes"] if r["account_bytes"] else "-"))
    wb2 = r["write_bytes_per_start_at_rate"]
    b = lambda x: "-" if x is None else "%.0f" % x
    sms = r["sms_job_bytes"]
    rows2.append("| %s | %s | %s | %s | %s | %s | %s / %s | %s |" % (
        "{:,}".format(n), size_load, " / ".join("%.1f" % (wb2[s] / 1024) for s in
                                                ("account-svc", "otp-svc", "sms-worker")),
        "%.1f" % r_p99, b(r["registration_bytes"]), b(r["session_bytes"]),
        b(sms.get("byid")), b(sms.get("done")),
        "%.0f s" % imp if n else "-"))
json.dump({"loadavg": load, "sizes": res}, open(os.path.join(out, "size.json"), "w"), indent=1)
md = ["## Data size (scripts/bench-size.sh; load average %s at the end)\n" % " ".join(load),
      "| accounts | start/s | p99 ms | verify flows/s | p99 ms | sign-ins/s | p99 ms "
      "| KiB written per start (gw / acct / otp / sms) | bytes per account |",
      "|---|---|---|---|---|---|---|---|---|"] + rows + [
      "", "At %s starts/s (open loop), and bytes on disk per record (mdb_stat pages x 4096 / "
      "entries after the runs):\n" % rate,
      "| accounts | load average at its start | KiB written per start at %s/s (acct / otp / sms) "
      "| p99 ms at %s/s | B per live registration | B per sign-in session | B per SMS job "
      "(byid / done) | import |" % (rate, rate),
      "|---|---|---|---|---|---|---|---|"] + rows2
open(os.path.join(out, "size.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
