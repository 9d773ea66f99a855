#!/usr/bin/env bash
# bench-pages.sh: what one durable commit of each service writes during registration starts,
# page by page and table by table (issue 14's write amplification). It starts a stack on a
# fresh data dir (scripts/bench-stack.sh's config; with ACCOUNTS > 0 after `dvcctl import
# ACCOUNTS`), runs `dvcid-load --flow start --no-captcha --connections CONN` and, for each of
# account-svc, otp-svc and sms-worker in turn, traces its writes (strace: pwrite64,
# lseek + writev) and SAMPLES times stops it (SIGSTOP) right after a commit, reads its
# data.mdb and attributes that commit's pages to the tables that now hold them
# (scripts/bench-pages.py), then lets it go on. Prints pages per commit per table and the
# items per commit of the same run (/metrics), hence pages per start.
#   scripts/bench-pages.sh [ACCOUNTS]
# Environment: BENCH_BUILD (build/release, built), CONN (64), SAMPLES (6). Needs strace.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/processes.sh"
cd "$root"
B=$(cd "${BENCH_BUILD:-build/release}" && pwd)
N=${1:-0}
CONN=${CONN:-64}
SAMPLES=${SAMPLES:-6}
tmp=$(mktemp -d /tmp/dvcid-pages.XXXXXX)
declare -A pid
cleanup() {
    for p in "${pid[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    [[ -n ${load:-} ]] && kill "$load" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
[[ -n ${KEEP:-} ]] && trap - EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LVL=warn "$root/scripts/bench-stack.sh" config "$tmp" "$port"
((N > 0)) && "$B/dvcctl" --config "$tmp/bench.conf" import "$N" --seed "$RANDOM" >&2
for s in "${PROCESSES[@]}"; do
    "$B/$s" --config "$tmp/bench.conf" >"$tmp/$s.log" 2>&1 &
    pid[$s]=$!
done
for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
done
dur=$((3 + 3 * (SAMPLES + 2)))
"$B/dvcid-load" --url "http://127.0.0.1:$port" --test-code 246810 --captcha-answer BENCH \
    --phone-prefix +8430 --no-captcha --flow start ${LOAD:---connections $CONN} --duration "$dur" \
    --progress >"$tmp/load.out" 2>&1 &
load=$!
sleep 2
commits() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^dvcid_commit_seconds_count/ {
    split($1, a, "\""); print a[2], $2 }'; }
starts() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^dvcid_http_requests_total.*"\/v1\/registrations".*"201"/ {
    n += $2 } END { print n + 0 }'; }
c0=$(commits)
s0=$(starts)
for s in account-svc otp-svc sms-worker; do
    dir=$tmp/var/${s%-*}
    [[ $s == sms-worker ]] && dir=$tmp/var/sms
    strace -f -p "${pid[$s]}" -e trace=lseek,writev,pwrite64 -o "$tmp/$s.strace" 2>/dev/null &
    st=$!
    sleep 1
    for _ in $(seq "$SAMPLES"); do
        kill -STOP "${pid[$s]}"
        sleep 0.1
        python3 "$root/scripts/bench-pages.py" "$dir" "$tmp/$s.strace" 1 --json >>"$tmp/$s.pages"
        kill -CONT "${pid[$s]}"
        sleep 0.6
    done
    kill "$st" 2>/dev/null || true
    wait "$st" 2>/dev/null || true
done
c1=$(commits)
s1=$(starts)
python3 - "$tmp" "$c0" "$c1" "$s0" "$s1" "$N" "$CONN" <<'PY'
import json, sys
tmp, c0, c1, s0, s1, n, conn = sys.argv[1:8]
def parse(t):
    return {l.split()[0]: float(l.split()[1]) for l in t.splitlines() if l.strip()}
a, b = parse(c0), parse(c1)
starts = float(s1) - float(s0)
print("pages written per durable commit during starts (%s accounts, %s connections; "
      "strace slows the traced service, so batches differ from an untraced run)" % (n, conn))
for s in ("account-svc", "otp-svc", "sms-worker"):
    rows = [json.loads(l) for l in open("%s/%s.pages" % (tmp, s)) if l.strip()]
    rows = [r for r in rows if r["commits"]]
    tot = {}
    for r in rows:
        for k, v in r["pages_per_commit"].items():
            tot[k] = tot.get(k, 0) + v / len(rows)
    commits = b.get(s, 0) - a.get(s, 0)
    print("%s: %d commits sampled, %.1f pages per commit; over the run %.1f starts per commit" % (
        s, len(rows), sum(tot.values()), starts / commits if commits else 0))
    for k, v in sorted(tot.items(), key=lambda kv: -kv[1]):
        print("  %-14s %5.1f" % (k, v))
PY
