#!/usr/bin/env bash
# deb.sh: builds the Debian package of debian/ and puts it in OUT_DIR (build/deb by default):
# `make deb`, and tests/integration/test_deb_package.py into its own folder.
#   scripts/deb.sh [OUT_DIR]      the path of the .deb is the last line it prints
# dpkg-buildpackage writes into the source tree (debian/dvcid/, obj-*/) and puts what it
# builds in the tree's parent folder; so it runs in a copy of the tree under OUT_DIR/src, and
# the checkout stays clean and nothing lands outside build/. Every run builds from scratch
# (dpkg-buildpackage cleans first), with the build dependencies of debian/control
# (scripts/deps.sh deb installs them).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# A make that runs this one (make test, through ctest) must not hand its flags and jobserver
# to the make of debian/rules.
unset MAKEFLAGS MFLAGS MAKELEVEL
out=${1:-$src/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
work=$out/src
tree=$work/dvcid-$version

rm -rf "$work"
mkdir -p "$tree"
# What a clean checkout holds: no build trees, no git, no local data.
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=./var \
    --exclude=node_modules --exclude=__pycache__ -cf - . | tar -C "$tree" -xf -
(cd "$tree" && dpkg-buildpackage -b --no-sign -J"$(nproc)")

# One version in OUT_DIR, so `apt install ./build/deb/dvcid_*.deb` names one file.
rm -f "$out"/dvcid_*.deb "$out"/dvcid-dbgsym_*.deb "$out"/dvcid_*.buildinfo "$out"/dvcid_*.changes
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out/"
rm -rf "$work"
echo "$out/dvcid_${version}_${arch}.deb"
