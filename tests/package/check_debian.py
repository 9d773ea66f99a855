"""check_debian: debian/ agrees with the rest of the tree (issue 18.1). Python 3 standard
library; no build.

  - debian/changelog's version is CMakeLists.txt's project VERSION (the .deb's name and
    the binaries' --version say the same);
  - debian/control's Build-Depends are the libraries and tools of scripts/deps.sh's
    RUN_PKGS (what `make deb` installs through `scripts/deps.sh deb`), no more, no fewer,
    besides debhelper-compat and the packages the package build needs no part of;
  - the maintainer scripts are valid sh and keep the #DEBHELPER# token in no comment.

Run: python3 tests/package/check_debian.py [SRC]; exit 0 when all hold, 1 with one line per
problem.
"""

import os
import re
import subprocess
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DVCID_SRC") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# RUN_PKGS the package build does without: the compiler comes with dpkg-dev's
# build-essential dependency, lmdb-utils and python3 serve make run and the tests.
NOT_BUILD_DEPS = {"build-essential", "lmdb-utils", "python3"}


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def run_pkgs(deps_sh):
    body = deps_sh[deps_sh.index("RUN_PKGS=("):]
    body = body[len("RUN_PKGS=("):body.index("\n)")]
    return {w for line in body.split("\n") for w in line.split("#")[0].split()}


def build_depends(control):
    m = re.search(r"^Build-Depends:(.*?)(?=^\S)", control, re.M | re.S)
    field = re.sub(r"(?m)^#.*\n", "", m.group(1)) if m else ""
    return {re.sub(r"\s*\(.*\)", "", p).strip() for p in field.split(",") if p.strip()}


def check_versions(problems, changelog=None, cmake=None):
    first = (changelog or read("debian/changelog")).split("\n", 1)[0]
    deb = re.match(r"^dvcid \(([^)]+)\)", first)
    version = re.search(r"project\(dvcid VERSION ([0-9.]+)", cmake or read("CMakeLists.txt"))
    if not deb or not version or deb.group(1) != version.group(1):
        problems.append("debian/changelog says %s, CMakeLists.txt %s" % (
            deb.group(1) if deb else "no version", version.group(1) if version else "none"))


def check_build_depends(problems, control=None, deps_sh=None):
    have = build_depends(control or read("debian/control")) - {"debhelper-compat"}
    want = run_pkgs(deps_sh or read("scripts/deps.sh")) - NOT_BUILD_DEPS
    for p in sorted(want - have):
        problems.append("debian/control: Build-Depends lacks %s (scripts/deps.sh RUN_PKGS)" % p)
    for p in sorted(have - want):
        problems.append("debian/control: Build-Depends has %s, which RUN_PKGS has not" % p)


def check_scripts(problems):
    for name in ("dvcid.postinst", "dvcid.prerm"):
        text = read("debian/" + name)
        r = subprocess.run(["sh", "-n", os.path.join(SRC, "debian", name)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0:
            problems.append("debian/%s: %s" % (name, r.stdout.strip()))
        lines = [line for line in text.split("\n") if "#DEBHELPER#" in line]
        if lines != ["#DEBHELPER#"]:
            problems.append("debian/%s: #DEBHELPER# must stand alone on one line (debhelper "
                            "replaces it anywhere, comments included): %r" % (name, lines))


def self_test():
    """Each check finds what it is for."""
    found = []
    check_versions(found, "dvcid (9.9.9) bookworm; urgency=medium\n",
                   "project(dvcid VERSION 0.1.0 LANGUAGES C)")
    assert found and "9.9.9" in found[0], found
    found = []
    check_build_depends(found, "Build-Depends: debhelper-compat (= 13), cmake (>= 3.25),\n"
                        "               libextra-dev\n\nPackage: x\n",
                        "RUN_PKGS=(\n    cmake pkg-config # tools\n    python3\n)\n")
    assert found == ["debian/control: Build-Depends lacks pkg-config (scripts/deps.sh RUN_PKGS)",
                     "debian/control: Build-Depends has libextra-dev, which RUN_PKGS has not"], \
        found


def main():
    self_test()
    problems = []
    check_versions(problems)
    check_build_depends(problems)
    check_scripts(problems)
    for p in problems:
        print(p)
    print("%d problem(s) in debian/" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
