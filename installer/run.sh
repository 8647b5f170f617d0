#!/usr/bin/env bash
# Installs what is missing, builds PSRemote, starts the loopback WinRM endpoint
# (psremote-test-server, the simulator engine: not PowerShell) on 127.0.0.1 and opens the
# desktop application on the saved host "Loopback demo" for it. The saved host is added only
# when absent; other saved hosts are never touched. Idempotent: run it again any time.
#
# The endpoint's password is generated per run and handed to both programs in the environment
# (never written to a file); psremote removes it from its environment at once. The endpoint
# stops when the application exits.
#
#   installer/run.sh                 the demo (PSREMOTE_DEMO_PORT, default 55985)
#   installer/run.sh [ARGS...]       psremote ARGS (e.g. --saved-host NAME, HOST)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

installer/install-deps.sh >&2
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target psremote psremote-cli psremote-test-server >&2
build=.build/default
if [ $# -gt 0 ]; then exec "$build/psremote" "$@"; fi

port=${PSREMOTE_DEMO_PORT:-55985}
password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')

# The endpoint serves until its stdin (a pipe from this script) closes.
coproc ENDPOINT { PSREMOTE_DEMO_PASSWORD="$password" exec "$build/psremote-test-server" \
    --port "$port" --user demo --password-env PSREMOTE_DEMO_PASSWORD; }
endpoint_pid=$ENDPOINT_PID
trap 'kill "$endpoint_pid" 2>/dev/null || true' EXIT
line=
if ! read -r -t 30 line <&"${ENDPOINT[0]}" || [[ $line != listening* ]]; then
    echo "run.sh: the loopback endpoint did not start on 127.0.0.1:$port (port in use? set PSREMOTE_DEMO_PORT)" >&2
    exit 1
fi
echo "run.sh: loopback endpoint ${line#listening } (user demo, password generated for this run)" >&2

PSREMOTE_DEMO_PASSWORD="$password" "$build/psremote" --loopback-demo "$port"
