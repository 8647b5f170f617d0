#!/usr/bin/env bash
# Installs what is missing, builds PSRemote and starts it. Idempotent.
# Until the desktop application exists this starts `psremote-cli --help`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

installer/install-deps.sh >&2
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >&2
if [ $# -eq 0 ]; then set -- --help; fi
exec .build/default/psremote-cli "$@"
