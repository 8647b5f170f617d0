#!/usr/bin/env bash
# The whole test suite, as README.md's Quick start runs it: installs what is missing, builds the
# full configuration and the GUI-free one (-DPSREMOTE_GUI=OFF), and runs every test of both.
# Builds the real-PowerShell test host when the .NET SDK and NuGet can provide it.
# Prints ctest's summary; exits non-zero on any failure. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

installer/install-deps.sh

# Real PowerShell for the endpoint's first engine: System.Management.Automation from this
# machine's NuGet source, built with its .NET SDK into a small stdio host. Where dotnet or the
# package is missing, the real-PowerShell tests skip and say why; the other engines still run.
pwsh_line=$(tests/server/pwsh-host/build.sh "$root/.build/pwsh-host")
echo "== $pwsh_line"
case "$pwsh_line" in
  "real PowerShell host: "*) export PSREMOTE_PWSH_HOST="$root/.build/pwsh-host/bin/psremote-pwsh-host" ;;
  *) unset PSREMOTE_PWSH_HOST ;;
esac

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
