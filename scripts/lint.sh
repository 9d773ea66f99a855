#!/usr/bin/env bash
# lint.sh: the static checks of `make lint` and `make test`: formatting (clang-format),
# cppcheck and clang-tidy over every C file we own (generated code under build/ excluded),
# and scripts/check-names.py (exported symbols carry their file's name).
# Needs a configured and built release tree for compile_commands.json and the generated
# protobuf headers (`make lint` builds it first).
#   scripts/lint.sh          check; exit 1 on any finding
#   scripts/lint.sh --fix    rewrite our .c/.h files with clang-format (`make format`)
# Environment: LINT_BUILD (default build/release), CLANG_FORMAT, CLANG_TIDY, CPPCHECK, JOBS.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${LINT_BUILD:-build/release}
build=$(cd "$build" 2>/dev/null && pwd) || build=$root/${LINT_BUILD:-build/release}
clang_format=${CLANG_FORMAT:-clang-format}
clang_tidy=${CLANG_TIDY:-clang-tidy}
cppcheck=${CPPCHECK:-cppcheck}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# Folders of ours that hold C; a new top-level folder of C code goes here.
own_re='(common|gateway|account-svc|otp-svc|sms-worker|tests|tools)'

# Our .c/.h files, NUL-separated: everything in the tree except build output and vendored
# or generated trees.
own_files() {
    find . \( -path ./.git -o -path './build' -o -path './build-*' -o -path ./var \
        -o -name node_modules -o -path ./.cache \) -prune \
        -o -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z
}

if [[ ${1:-} == --fix ]]; then
    echo "format: clang-format -i on $(own_files | tr -cd '\0' | wc -c) files"
    own_files | xargs -0 -r "$clang_format" -i
    exit 0
elif (($# != 0)); then
    echo "usage: $0 [--fix]" >&2
    exit 2
fi

failed=()

mapfile -d '' files < <(own_files)
echo "lint: clang-format ($("$clang_format" --version | grep -o 'version [0-9.]*')) on ${#files[@]} files"
unformatted=0
for f in "${files[@]}"; do
    if ! "$clang_format" --dry-run --Werror --ferror-limit=1 "$f" >/dev/null 2>&1; then
        echo "${f#./}: not formatted as .clang-format says"
        unformatted=$((unformatted + 1))
    fi
done
if ((unformatted != 0)); then
    echo "lint: $unformatted file(s) to format: run 'make format' (or clang-format --dry-run FILE)"
    failed+=(clang-format)
fi

db=$build/compile_commands.json
if [[ ! -f $db ]]; then
    echo "lint: $db not found: configure and build first (make build)" >&2
    exit 1
fi
# The .c files of the build that are ours (not the generated protobuf or embedded data).
mapfile -t units < <(python3 - "$db" "$root" "$own_re" <<'PY'
import json, os, re, sys
db, root, own = sys.argv[1], os.path.realpath(sys.argv[2]), re.compile(sys.argv[3])
seen = set()
for entry in json.load(open(db)):
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(path, root)
    if rel.startswith("..") or not path.endswith(".c") or path in seen:
        continue
    if own.fullmatch(rel.split(os.sep)[0]):
        seen.add(path)
        print(path)
PY
)
if ((${#units[@]} == 0)); then
    echo "lint: no source files of ours in $db" >&2
    exit 1
fi

echo "lint: cppcheck ($("$cppcheck" --version)) on ${#units[@]} files"
filters=()
for u in "${units[@]}"; do filters+=("--file-filter=$u"); done
# cppcheck does not read system headers; the generated protobuf headers #error without the
# version macros of protobuf-c.h, so that one header is read first.
pb_h=$(pkg-config --variable=includedir libprotobuf-c 2>/dev/null || echo /usr/include)/protobuf-c/protobuf-c.h
pb_include=()
[[ -f $pb_h ]] && pb_include=("--include=$pb_h")
mkdir -p "$build/cppcheck"
if ! "$cppcheck" --project="$db" "${filters[@]}" "${pb_include[@]}" \
    --cppcheck-build-dir="$build/cppcheck" -j "$jobs" --quiet \
    --enable=warning,performance,portability --inline-suppr \
    --suppress=missingIncludeSystem --suppress='*:/usr/include/*' --error-exitcode=1 \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]'; then
    failed+=(cppcheck)
fi

echo "lint: clang-tidy ($("$clang_tidy" --version | grep -o 'version [0-9.]*')) on ${#units[@]} files"
# One file per process, $jobs at a time; headers of ours are checked through them.
# The noise lines (counts of warnings in system headers) are dropped; findings are kept.
set +e
printf '%s\0' "${units[@]}" | xargs -0 -n 1 -P "$jobs" "$clang_tidy" -p "$build" --quiet \
    --header-filter="^$root/$own_re/.*\\.h\$" --extra-arg=-Wno-unknown-warning-option 2>&1 |
    grep -v -E '^[0-9]+ (warning|error)s? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Use -system-headers'
tidy_rc=${PIPESTATUS[1]}
set -e
((tidy_rc == 0)) || failed+=(clang-tidy)

echo "lint: check-names (exported symbols against their file names)"
python3 "$root/scripts/check-names.py" "$build" || failed+=(check-names)

if ((${#failed[@]} != 0)); then
    echo "lint: FAILED: ${failed[*]}"
    exit 1
fi
echo "lint: clean"
