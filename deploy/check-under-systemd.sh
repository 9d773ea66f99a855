#!/usr/bin/env bash
# shellcheck disable=SC2317 # the checks are functions called through check()
# check-under-systemd.sh: runs the installed units under a real systemd (PID 1) on a build
# machine that has no systemd of its own (a container), and checks what unit files alone
# cannot show: the services start with the whole sandbox, become ready, run as several
# instances from the templates, serve registrations, reload their config on systemctl
# reload, come back after kill -9 and after a watchdog timeout, and stop cleanly.
#   deploy/check-under-systemd.sh BUILD_DIR      (a Release build: see below) as root
#   deploy/check-under-systemd.sh --probe        exit 0 if systemd can boot here, else 77
#                                                and why (make test runs or skips on it)
#
# How: `cmake --install` into a staging tree (prefix /opt/dvcid), then systemd boots in new
# PID, mount, network, UTS, IPC and cgroup namespaces, on an OVERLAY of the host's root
# whose upper layer is a private tmpfs, with its own /dev, /run, /tmp and a cgroup2 tree.
# Nothing systemd does reaches the host's files (at boot systemd-tmpfiles empties /tmp:
# never boot a systemd on the real root). The script refuses to start systemd unless the
# new root is that overlay, and kills it (SIGKILL to the namespace's PID 1) when done.
# Use a Release build: an ASan build's leak check needs ptrace, which the units' system
# call filter refuses, so those binaries exit 1 at every stop.
set -euo pipefail

if [[ ${1:-} == --inside ]]; then
    # --- in the new namespaces: build the root, then become systemd ------------------
    work=$2
    mount --make-rprivate /
    mkdir -p "$work/ov"
    mount -t tmpfs tmpfs "$work/ov"
    mkdir -p "$work/ov/upper" "$work/ov/work" "$work/ov/root"
    m=$work/ov/root
    mount -t overlay overlay -o "lowerdir=/,upperdir=$work/ov/upper,workdir=$work/ov/work" "$m"
    [[ $(findmnt -n -o FSTYPE "$m") == overlay ]] || exit 90
    mount -t proc proc "$m/proc"
    mount -t tmpfs -o mode=755 tmpfs "$m/dev"
    for n in null zero full random urandom tty; do
        touch "$m/dev/$n"
        mount --bind "/dev/$n" "$m/dev/$n"
    done
    mkdir -p "$m/dev/pts" "$m/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$m/dev/pts"
    ln -s pts/ptmx "$m/dev/ptmx"
    mount -t tmpfs tmpfs "$m/dev/shm"
    touch "$m/dev/console"
    mount --bind "$work/console" "$m/dev/console"
    mount --rbind /sys "$m/sys"
    umount -R "$m/sys/fs/cgroup" 2>/dev/null || umount -l "$m/sys/fs/cgroup"
    mount -o remount,bind,ro "$m/sys"
    mount -t cgroup2 none "$m/sys/fs/cgroup"
    mount -t tmpfs tmpfs "$m/run"
    mount -t tmpfs tmpfs "$m/tmp"
    mount -t tmpfs tmpfs "$m/opt"
    cp -a "$work/stage/opt/dvcid" "$m/opt/"
    # What deploy/README.md tells an /opt install to do.
    mkdir -p "$m/etc/sysusers.d" "$m/etc/tmpfiles.d"
    cp "$m/opt/dvcid/lib/sysusers.d/dvcid.conf" "$m/etc/sysusers.d/dvcid.conf"
    cp "$m/opt/dvcid/lib/tmpfiles.d/dvcid.conf" "$m/etc/tmpfiles.d/dvcid.conf"
    u=$m/etc/systemd/system
    cp "$m"/opt/dvcid/lib/systemd/system/dvcid* "$u/"
    cat >"$u/dvcid-check.target" <<'EOF'
[Unit]
Description=dvcid check boot
Wants=systemd-journald.service
After=systemd-journald.service
EOF
    cd "$m"
    mkdir -p oldroot
    pivot_root . oldroot
    umount -l /oldroot
    [[ $(findmnt -n -o FSTYPE /) == overlay ]] || exit 91
    exec env container=other /lib/systemd/systemd --system --unit=dvcid-check.target \
        --log-target=console --log-level=info
fi

# --- on the host --------------------------------------------------------------------
# Why systemd cannot boot here, or nothing when it can: make test skips the check with
# this reason instead of failing on a machine without the rights (an unprivileged
# container, a non-root user).
cannot_run() {
    ((EUID == 0)) || { echo "needs root (namespaces, mounts)"; return; }
    local tool
    for tool in unshare nsenter pivot_root findmnt python3 curl; do
        command -v "$tool" >/dev/null || { echo "$tool not found"; return; }
    done
    [[ -x /lib/systemd/systemd ]] || { echo "/lib/systemd/systemd not found"; return; }
    # The same namespaces and mounts as the real run, in a throwaway namespace.
    local probe
    probe=$(mktemp -d /tmp/dvcid-sdprobe.XXXXXX)
    if ! unshare --pid --fork --mount --uts --ipc --net --cgroup bash -c '
        set -e
        mount --make-rprivate /
        mount -t tmpfs tmpfs "$1"
        mkdir "$1/u" "$1/w" "$1/r" "$1/c"
        mount -t overlay overlay -o "lowerdir=/,upperdir=$1/u,workdir=$1/w" "$1/r"
        mount -t cgroup2 none "$1/c"
    ' probe "$probe" >/dev/null 2>&1; then
        echo "this machine refuses the namespaces or mounts systemd needs (a container without CAP_SYS_ADMIN?)"
    fi
    rmdir "$probe" 2>/dev/null || true
}
if [[ ${1:-} == --probe ]]; then
    why=$(cannot_run)
    [[ -z $why ]] && exit 0
    echo "$why"
    exit 77
fi
build=${1:?usage: $0 BUILD_DIR (a configured and built Release tree) | --probe}
build=$(cd "$build" && pwd)
why=$(cannot_run)
[[ -z $why ]] || { echo "$0: $why" >&2; exit 2; }

work=$(mktemp -d /tmp/dvcid-sdcheck.XXXXXX)
pid1=
cleanup() {
    [[ -n $pid1 ]] && kill -9 "$pid1" 2>/dev/null
    sleep 0.5
    rm -rf "$work"
}
trap cleanup EXIT
DESTDIR=$work/stage cmake --install "$build" --prefix /opt/dvcid >/dev/null
: >"$work/console"
setsid unshare --pid --fork --mount --uts --ipc --net --cgroup "$0" --inside "$work" \
    >"$work/boot.log" 2>&1 </dev/null &
launcher=$!
for _ in $(seq 100); do
    pid1=$(pgrep -P "$launcher" || true)
    [[ -n $pid1 ]] && [[ $(readlink "/proc/$pid1/exe" 2>/dev/null) == */systemd ]] && break
    pid1=
    sleep 0.1
done
[[ -n $pid1 ]] || { echo "systemd did not start:"; cat "$work/boot.log"; exit 1; }
ns() { nsenter -t "$pid1" -a "$@"; }
for _ in $(seq 100); do
    state=$(ns systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    sleep 0.1
done

failed=0
check() { # check "what" command...
    local what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=1; fi
}
active_all() { # active_all: the four plain units are active
    local s
    for s in sms-worker otp-svc account-svc gateway; do
        [[ $(ns systemctl is-active "dvcid-$s") == active ]] || return 1
    done
}
ready() { # ready PORT: /readyz turns 200 within 5 s (peers reconnect after a restart)
    for _ in $(seq 50); do
        ns curl -sf "http://127.0.0.1:$1/readyz" | grep -q '"ready"' && return 0
        sleep 0.1
    done
    return 1
}
restarted() { # restarted UNIT OLDPID within SECONDS
    for _ in $(seq $(($3 * 10))); do
        local pid
        pid=$(ns systemctl show -p MainPID --value "$1")
        [[ $pid != 0 && $pid != "$2" && $(ns systemctl is-active "$1") == active ]] && return 0
        sleep 0.1
    done
    return 1
}

check "systemd-sysusers creates dvcid" ns systemd-sysusers dvcid.conf
check "systemd-tmpfiles gives the config to group dvcid" ns systemd-tmpfiles --create dvcid.conf
check "config is root:dvcid 0640" \
    test "$(ns stat -c '%U:%G %a' /opt/dvcid/etc/dvcid/dvcid.conf)" = "root:dvcid 640"
# The shipped config leaves the SMS provider to fill in: sms-worker refuses to start and
# says which key. No real provider here: the file provider, test mode, which the units
# refuse unless allowed.
check "no SMS provider: sms-worker refuses to start" \
    bash -c "! nsenter -t $pid1 -a systemctl start dvcid-sms-worker"
check "... and says which key to set" \
    bash -c "nsenter -t $pid1 -a journalctl -b -q --no-pager -u dvcid-sms-worker |
        grep -q 'sms.http_url is empty: set the send URL'"
ns sed -i -e 's#^provider = http #provider = file #' /opt/dvcid/etc/dvcid/dvcid.conf
check "test mode refused under systemd" \
    bash -c "! nsenter -t $pid1 -a systemctl start dvcid-otp-svc"
printf '\n[service]\nallow_test_mode = true\n' | ns tee -a /opt/dvcid/etc/dvcid/dvcid.conf >/dev/null
ns systemctl reset-failed dvcid-otp-svc dvcid-sms-worker 2>/dev/null || true
ns systemctl enable dvcid.target dvcid-sms-worker dvcid-otp-svc dvcid-account-svc \
    dvcid-gateway >/dev/null 2>&1
check "systemctl start dvcid.target" ns systemctl start dvcid.target
check "all four active (READY=1 received)" active_all
check "GET /readyz is 200" ready 8080
check "data dirs are dvcid 0700" \
    test "$(ns stat -c '%U %a' /var/lib/dvcid/account /var/lib/dvcid/otp /var/lib/dvcid/sms |
        sort -u)" = "dvcid 700"
check "watchdog armed (WatchdogUSec=10s)" \
    test "$(ns systemctl show -p WatchdogUSec --value dvcid-otp-svc)" = 10s

# The templates: two otp-svc instances (dvcid-otp-svc@0 and @1) and two of account-svc
# (dvcid-account-svc@0-0 and @0-1: shard 0) in place of the plain units, the instances of
# a service sharing its LMDB, each binding its own entry of the endpoint list; a captcha
# test answer for whole flows.
ns systemctl stop dvcid.target
ns sed -i -e 's#^endpoint = ipc:///run/dvcid/otp/otp.ipc#endpoint = ipc:///run/dvcid/otp/0.ipc, ipc:///run/dvcid/otp/1.ipc#' \
    -e 's#^endpoint = ipc:///run/dvcid/account/account.ipc#endpoint = ipc:///run/dvcid/account/0.ipc, ipc:///run/dvcid/account/1.ipc#' \
    -e 's#^test_answer =.*#test_answer = TEST#' -e 's#^argon2_mem_mib = .*#argon2_mem_mib = 19#' \
    /opt/dvcid/etc/dvcid/dvcid.conf
ns systemctl disable dvcid-otp-svc dvcid-account-svc >/dev/null 2>&1
ns systemctl enable dvcid-otp-svc@0 dvcid-otp-svc@1 dvcid-account-svc@0-0 \
    dvcid-account-svc@0-1 >/dev/null 2>&1
check "dvcid.target starts with the instances" ns systemctl start dvcid.target
check "the instances are active, the plain units not" \
    test "$(ns systemctl is-active dvcid-otp-svc@0 dvcid-otp-svc@1 dvcid-otp-svc \
        dvcid-account-svc@0-0 dvcid-account-svc@0-1 dvcid-account-svc | xargs)" = \
    "active active inactive active active inactive"
check "each instance bound its own socket" ns test -S /run/dvcid/otp/0.ipc -a \
    -S /run/dvcid/otp/1.ipc -a -S /run/dvcid/account/0.ipc -a -S /run/dvcid/account/1.ipc
check "GET /readyz is 200 with the instances" ready 8080
flow() { # flow ID_NUMBER PHONE: a whole registration through the gateway
    ns python3 - "$1" "$2" <<'EOF'
import json, re, sys, time, urllib.error, urllib.request
def call(method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:8080" + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
pw, id_number, phone = "Tr0ng!Dong2024", sys.argv[1], sys.argv[2]
_, c = call("POST", "/v1/captcha")
s, r = call("POST", "/v1/registrations", {"id_number": id_number, "full_name": "Nguyễn Văn An",
    "date_of_birth": "1999-05-12", "phone": phone, "captcha_id": c["captcha_id"],
    "captcha_answer": "TEST"})
assert s == 201, (s, r)
rid, code, to = r["registration_id"], None, "+84" + phone[1:]
for _ in range(100):
    with open("/var/lib/dvcid/sms/outbox.jsonl") as f:
        lines = [json.loads(x) for x in f.read().splitlines() if x]
    mine = [x for x in lines if x["to"] == to]
    if mine:
        code = re.search(r"\d{6,}", mine[-1]["text"]).group(0)
        break
    time.sleep(0.1)
assert code, "no SMS in the sink"
s, r = call("POST", "/v1/registrations/%s/otp/verify" % rid, {"code": code})
assert s == 200, (s, r)
s, r = call("POST", "/v1/registrations/%s/password" % rid,
            {"password": pw, "password_confirm": pw})
assert s == 201, (s, r)
EOF
}
check "a whole registration (captcha, SMS code, password) under the sandbox" \
    flow 001099012345 0912345678
# systemctl reload: ExecReload's SIGHUP makes each process reread the config, keeping its
# PID (RELOADING=1 then READY=1: the unit is active again, not reloading).
reloaded() { # reloaded UNIT OLDPID: the same process logged the reread, and is active
    for _ in $(seq 50); do
        if ns journalctl -b -q --no-pager -u "$1" | grep -q 'configuration reloaded from' &&
            [[ $(ns systemctl show -p MainPID --value "$1") == "$2" &&
                $(ns systemctl is-active "$1") == active ]]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}
units=(dvcid-sms-worker dvcid-otp-svc@0 dvcid-account-svc@0-0 dvcid-gateway)
pids=()
for u in "${units[@]}"; do pids+=("$(ns systemctl show -p MainPID --value "$u")"); done
check "systemctl reload of the four services" ns systemctl reload "${units[@]}"
for i in "${!units[@]}"; do
    check "${units[$i]} reread its config in the same process" reloaded "${units[$i]}" "${pids[$i]}"
done
check "GET /readyz is 200 after the reload" ready 8080
pid=$(ns systemctl show -p MainPID --value dvcid-otp-svc@0)
ns kill -9 "$pid"
check "another registration right after kill -9 of otp-svc@0" flow 001099012346 0912345679
check "kill -9 of otp-svc@0: restarted within 5 s" restarted dvcid-otp-svc@0 "$pid" 5
# The refusals above (no SMS provider, test mode) are ERRORs on purpose; any other is a
# finding.
errors=$(ns journalctl -b -q --no-pager -u 'dvcid-*' | grep -E ' ERROR ' |
    grep -v -e 'refusing to start under systemd in test mode' -e 'sms.http_url is empty' || true)
check "no ERROR line in the services' logs" test -z "$errors"
[[ -z $errors ]] || echo "$errors"

pid=$(ns systemctl show -p MainPID --value dvcid-account-svc@0-1)
ns kill -9 "$pid"
check "another registration right after kill -9 of account-svc@0-1" \
    flow 001099012347 0912345670
check "kill -9 of account-svc@0-1: restarted within 5 s" \
    restarted dvcid-account-svc@0-1 "$pid" 5
check "/readyz 200 again within 5 s" ready 8080
pid=$(ns systemctl show -p MainPID --value dvcid-otp-svc@1)
ns kill -STOP "$pid"
check "SIGSTOP of otp-svc@1: the watchdog restarts it within 25 s" \
    restarted dvcid-otp-svc@1 "$pid" 25
check "systemctl stop dvcid.target" ns systemctl stop dvcid.target
for s in sms-worker otp-svc@0 otp-svc@1 account-svc@0-0 account-svc@0-1 gateway; do
    check "dvcid-$s stopped with exit status 0" \
        test "$(ns systemctl show -p ExecMainStatus --value "dvcid-$s")" = 0
done
exit "$failed"
