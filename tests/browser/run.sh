#!/usr/bin/env bash
# run.sh: the browser end-to-end tests, and the tests that check dvcid's answers with an
# independent library (jose: oidc.test.mjs). Installs playwright-core and jose from the lock
# file (npm ci, only when node_modules is missing or the lock changed since), then runs the
# tests with node's own test runner, one file at a time (each file starts its own four
# processes and chromium; two cores are not enough to run them side by side).
#   tests/browser/run.sh [file.test.mjs ...]     default: every *.test.mjs here
# Environment: DVCID_BIN (the CMake build dir whose binaries are tested; default
# ../../build), DVCID_SCREENSHOTS (where screenshots go; default tests/browser/screenshots),
# DVCID_CHROMIUM (default /usr/bin/chromium, from `scripts/deps.sh test`).
set -euo pipefail
cd "$(dirname "$0")"

chromium=${DVCID_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
    echo "browser tests: $chromium not found; install it with scripts/deps.sh test" >&2
    exit 1
fi

# playwright-core 1.65 needs Node.js 20 or later (Debian 12's own nodejs is 18).
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    echo "browser tests: Node.js $(node --version) is too old; playwright-core needs 20 or later" >&2
    exit 1
fi

# npm ci wipes and reinstalls node_modules, so it runs only when the lock differs from the
# copy saved after the last install.
if [[ ! -d node_modules/playwright-core ]] || ! cmp -s package-lock.json node_modules/.dvcid-lock; then
    npm ci --no-audit --no-fund
    cp package-lock.json node_modules/.dvcid-lock
fi

if (($# == 0)); then
    set -- *.test.mjs
fi
exec node --test --test-concurrency=1 "$@"
