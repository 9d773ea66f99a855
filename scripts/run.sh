#!/usr/bin/env bash
# run.sh: runs the four dvcid services in the foreground for development (`make run`).
#   scripts/run.sh CONFIG BINDIR
# Each service runs under its own supervisor loop that restarts it 1 s after an unexpected
# exit; every output line is prefixed with the service's name. Ctrl-C, SIGTERM or SIGHUP
# stops them all: SIGTERM, up to 5 s of grace, then SIGKILL; the script then exits 0.
set -euo pipefail

if (($# != 2)); then
    echo "usage: $0 CONFIG BINDIR" >&2
    exit 2
fi
CONFIG=$1
BINDIR=$2
# Started first to last (the tree's `processes` file): each service's downstream peer is
# up before it.
. "$(dirname "$0")/processes.sh"
SERVICES=("${PROCESSES[@]}")
GRACE_S=5

die() {
    echo "dvcid: $*" >&2
    exit 1
}

[[ -r $CONFIG ]] || die "cannot read config $CONFIG"
for s in "${SERVICES[@]}"; do
    [[ -x $BINDIR/$s ]] || die "$BINDIR/$s is missing: build first (make build)"
done

# Prints the value of [section] key in the INI file, or the default. Follows the loader:
# ';' or '#' starts a comment line, ' ;' starts an inline comment, the last value wins.
ini_get() {
    awk -v want_sec="$2" -v want_key="$3" -v dflt="$4" '
        { line = $0; sub(/^[ \t]+/, "", line) }
        line ~ /^[;#]/ || line == "" { next }
        line ~ /^\[/ { sec = line; gsub(/^\[[ \t]*|[ \t]*\].*$/, "", sec); next }
        sec == want_sec {
            sub(/[ \t]+;.*$/, "", line)
            eq = index(line, "="); if (eq == 0) next
            key = substr(line, 1, eq - 1); val = substr(line, eq + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", key); gsub(/^[ \t]+|[ \t]+$/, "", val)
            if (key == want_key) { found = 1; out = val }
        }
        END { print (found ? out : dflt) }' "$1"
}

listen=$(ini_get "$CONFIG" gateway listen 127.0.0.1:8080)
storage=$(ini_get "$CONFIG" storage dir ./var)
provider=$(ini_get "$CONFIG" sms provider file)
sms_file=$(ini_get "$CONFIG" sms file ./var/sms-outbox.jsonl)
# The services make their own subdirectories; the file provider needs its file's directory.
mkdir -p -- "$storage"
[[ $provider == file ]] && mkdir -p -- "$(dirname -- "$sms_file")"

state=$(mktemp -d "${TMPDIR:-/tmp}/dvcid-run.XXXXXX")
main_pid=$BASHPID
exec 3>&2 # the supervisors' own messages bypass the per-service prefixing

say() {
    printf '%-11s | %s\n' dvcid "$*" >&3
}

# Runs one service forever (in a subshell); its pid is kept in $state/NAME.pid for stop().
supervise() {
    local name=$1 child='' rc pause stopping=0
    set +e
    # Ctrl-C also reaches this subshell; run.sh itself turns it into the orderly stop.
    trap 'stopping=1' INT
    trap 'stopping=1; [[ -n $child ]] && kill -TERM "$child" 2>/dev/null' TERM
    while ((!stopping)); do
        "$BINDIR/$name" --config "$CONFIG" 3>&- &
        child=$!
        echo "$child" >"$state/$name.pid"
        ((stopping)) && kill -TERM "$child" 2>/dev/null # a TERM that came before child= was set
        # wait returns early when a trapped signal arrives; the child may still be running.
        while :; do
            wait "$child"
            rc=$?
            kill -0 "$child" 2>/dev/null || break
        done
        child=
        : >"$state/$name.pid"
        ((stopping)) && break
        sleep 1 &
        pause=$!
        wait "$pause" || kill "$pause" 2>/dev/null
        ((stopping)) && break
        kill -0 "$main_pid" 2>/dev/null || break # run.sh is gone: do not outlive it
        say "restarting $name (exit $rc)"
    done
}

# Ignores the signals so it keeps printing the services' last lines during the stop; it ends
# when the last writer closes the pipe.
prefix() {
    trap '' INT TERM HUP
    exec sed -u "s#^#$(printf '%-11s | ' "$1")#"
}

sup_pids=()
# shellcheck disable=SC2317 # runs from the trap below
stop() {
    trap '' INT TERM HUP
    say "stopping"
    kill -TERM "${sup_pids[@]}" 2>/dev/null || true
    local f pid live i
    for ((i = 0; i < GRACE_S * 10; i++)); do
        live=0
        for f in "$state"/*.pid; do
            read -r pid <"$f" 2>/dev/null || continue
            kill -0 "$pid" 2>/dev/null && live=1
        done
        ((live)) || break
        sleep 0.1
    done
    for s in "${SERVICES[@]}"; do
        read -r pid <"$state/$s.pid" 2>/dev/null || continue
        if kill -0 "$pid" 2>/dev/null; then
            say "$s did not stop in ${GRACE_S} s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait # the supervisors, then the prefixers once their pipes close
    rm -rf -- "$state"
    say "stopped"
    exit 0
}
trap stop INT TERM HUP
trap 'rm -rf -- "$state"' EXIT

if [[ $provider == file ]]; then
    echo "dvcid: http://$listen (SMS in $sms_file)"
else
    echo "dvcid: http://$listen (SMS via $provider)"
fi
for s in "${SERVICES[@]}"; do
    supervise "$s" > >(prefix "$s") 2>&1 &
    sup_pids+=($!)
done

# The supervisors never end on their own: wait returns when a signal runs stop().
wait "${sup_pids[@]}" || true
die "the supervisors ended unexpectedly"
