#!/usr/bin/env bash
# deps.sh: installs the Debian 12 packages dvcid needs, and only those that are missing.
# `make run` and `make test` call it every time, so the common case (nothing missing) is one
# dpkg-query and no network.
#   scripts/deps.sh [run|test|bench|deb]
#     run: build and run the services; test: also the test tools; bench: make bench's;
#     deb: make deb's (dpkg-buildpackage of debian/)
set -euo pipefail

# The package lists: the one place to add a dependency.
RUN_PKGS=(
    build-essential cmake pkg-config
    libzmq3-dev libczmq-dev
    liblmdb-dev lmdb-utils
    libprotobuf-c-dev protobuf-c-compiler
    libsodium-dev libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev
    libsystemd-dev libinih-dev libunistring-dev libsmpp34-dev libjemalloc-dev
    python3
)
TEST_PKGS=(
    cppcheck clang-tidy clang-format # lint (Debian 12: clang 14)
    clang libclang-rt-14-dev         # libFuzzer targets
    chromium                         # browser end-to-end tests (playwright-core drives it)
    kannel kannel-extras             # a real SMS gateway and its fake SMSC for the http provider
    curl                             # smoke tests against a running stack
    systemd                          # systemd-analyze verify on the unit files
    iproute2                         # ip netns: the hosts of the multi-host test
    prometheus python3-yaml          # promtool check rules on deploy/prometheus-alerts.yml
    python3-jsonschema               # docs/openapi.yaml checked against real answers
    debootstrap lintian              # test_deb_package: a fresh Debian 12 root, Debian's checks
    groff-base mandoc                # the manual pages' lint (tests/man)
    wrk                              # tests/integration/test_wrk.py (scripts/wrk-dvcid.lua)
)
# make deb (scripts/deb.sh): dpkg-buildpackage and debhelper; the libraries of
# debian/control's Build-Depends are RUN_PKGS'. make test builds the package too.
DEB_PKGS=(
    dpkg-dev debhelper
)

BENCH_PKGS=(
    nginx-light  # the HTTP ceiling of make bench
    gnuplot-nox  # its latency plot
    wrk          # the outside load tester's figure (scripts/wrk-dvcid.lua, issue 15)
)

mode=${1:-run}
case $mode in
run) pkgs=("${RUN_PKGS[@]}") ;;
bench) pkgs=("${RUN_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
test) pkgs=("${RUN_PKGS[@]}" "${TEST_PKGS[@]}" "${DEB_PKGS[@]}") ;;
deb) pkgs=("${RUN_PKGS[@]}" "${DEB_PKGS[@]}") ;;
*)
    echo "usage: $0 [run|test|bench|deb]" >&2
    exit 2
    ;;
esac

# The browser tests run playwright-core on Node.js, and the SMPP tests and the SMPP runs of
# make bench its SMSC simulator (tests/sms-smsc); a machine that has its own node (for
# example from NodeSource) keeps it, any other gets Debian's.
if [[ $mode == test || $mode == bench ]] && ! command -v node >/dev/null; then
    pkgs+=(nodejs npm)
fi

if ! command -v dpkg-query >/dev/null; then
    echo "deps: dpkg-query not found: this script expects Debian 12; install by hand: ${pkgs[*]}" >&2
    exit 1
fi

# Sets `missing` to the packages of `pkgs` that are not fully installed.
find_missing() {
    local -A have=()
    local name status
    # dpkg-query fails for names it has never seen; those simply stay missing.
    while read -r name status; do
        [[ $status == "install ok installed" ]] && have[$name]=1
    done < <(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
    missing=()
    for name in "${pkgs[@]}"; do
        [[ -n ${have[$name]:-} ]] || missing+=("$name")
    done
}

find_missing
if ((${#missing[@]} == 0)); then
    echo "deps: all ${#pkgs[@]} packages present"
    exit 0
fi

echo "deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
sudo=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        echo "deps: not root and no sudo: run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

apt_get() {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -q -o DPkg::Lock::Timeout=300 "$@"
}

# A fresh image has no package lists; otherwise try the lists we have first and update only
# if that fails (stale lists point at versions the mirror no longer has).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt_get update
fi
if ! apt_get install -y --no-install-recommends "${missing[@]}"; then
    echo "deps: install failed; updating the package lists and retrying"
    apt_get update
    apt_get install -y --no-install-recommends "${missing[@]}"
fi

find_missing
if ((${#missing[@]} != 0)); then
    echo "deps: still missing after apt-get install: ${missing[*]}" >&2
    exit 1
fi
echo "deps: installed; all ${#pkgs[@]} packages present"
