#!/usr/bin/env bash
# Installs the real SDKs that tests/sdks.rs drives, from their pins: a Python virtualenv at
# tests/bots/sdk/.venv from requirements.txt, and node_modules from package-lock.json.
# Run it once before `cargo test` (CI runs it from .ci/run), and again when a pin changes;
# the tests fail with a one-line hint while it has not run.
set -euo pipefail
cd "$(dirname "$0")"

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
cp requirements.txt .venv/installed-requirements.txt  # what tests/sdks.rs compares with

npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/installed-package-lock.json  # likewise
