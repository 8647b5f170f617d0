#!/usr/bin/env bash
# The whole test suite, as README.md's Quick start runs it: installs what is missing, builds the
# full configuration and the GUI-free one (-DPSREMOTE_GUI=OFF), and runs every test of both.
# Prints ctest's summary; exits non-zero on any failure. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

installer/install-deps.sh

jobs=$(nproc)
status=0
for preset in ci ci-nogui; do
  echo "== configure and build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
done
for preset in ci ci-nogui; do
  echo "== test: $preset"
  ctest --preset "$preset" -j "$jobs" || status=1
done
exit $status
