#!/usr/bin/env bash
# deb_chroot.sh: runs a command chrooted in a Debian root (the debootstrap of
# test_deb_package.py) in a new mount namespace, with /proc, a few device nodes and
# /dev/pts mounted for it alone: the host's mount table never changes, so the root is
# removed with a plain rm afterwards.
#   deb_chroot.sh [--pid] ROOT COMMAND [ARG...]     as root; the exit status is COMMAND's
# Without --pid every step execs the next, so the caller's child IS the command (a service:
# its SIGTERM and exit status are the caller's to see). --pid adds a PID namespace whose
# PID 1 is the command: whatever it leaves running (a daemon a postinst started) dies
# with it.
set -euo pipefail

if [[ ${1:-} != --inside ]]; then
    pid=()
    if [[ ${1:-} == --pid ]]; then
        # --kill-child: should this process die (a test's timeout), SIGKILL to the
        # namespace's PID 1, and so to everything in it.
        pid=(--pid --fork --kill-child)
        shift
    fi
    root=$(cd "${1:?usage: $0 [--pid] ROOT COMMAND [ARG...]}" && pwd)
    shift
    exec unshare --mount --propagation private "${pid[@]}" "$0" --inside "$root" "$@"
fi
root=$2
shift 2
[[ -d $root/proc && -d $root/dev && -x $root/bin/sh ]] ||
    { echo "$0: $root is not a Debian root" >&2; exit 2; }
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
for n in null zero full random urandom tty; do
    touch "$root/dev/$n"
    mount --bind "/dev/$n" "$root/dev/$n"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
exec chroot "$root" "$@"
