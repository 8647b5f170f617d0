#!/usr/bin/env bash
# Builds tests/server/pwsh-host (real PowerShell as a PSRP stdio server) into OUTDIR with the
# machine's .NET SDK and NuGet source. Idempotent; nothing is written into the source tree.
# Exits 0 in every case where PowerShell is merely unavailable, printing
#   real PowerShell unavailable: <reason>
# so callers fall back to the other endpoint engines. On success prints
#   real PowerShell host: <path>   (set PSREMOTE_PWSH_HOST to that path)
set -u

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" || { echo "real PowerShell unavailable: cannot create $1"; exit 0; }
out=$(cd "$1" && pwd)
host="$out/bin/psremote-pwsh-host"
log="$out/build.log"

unavailable() {
    echo "real PowerShell unavailable: $1"
    rm -f "$host"
    exit 0
}

command -v dotnet >/dev/null 2>&1 || unavailable "dotnet (the .NET SDK) is not installed"
dotnet --list-sdks 2>/dev/null | grep -q '^1[0-9]\.' || unavailable "the .NET 10 SDK is missing (found: $(dotnet --list-sdks 2>/dev/null | tr '\n' ' '))"

# Up to date: the host is newer than every source file.
if [ -x "$host" ] && [ -z "$(find "$here" -newer "$host" -type f -print -quit)" ]; then
    echo "real PowerShell host: $host"
    exit 0
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The SDK leaves empty temporary folders behind: keep them under OUTDIR, not in /tmp.
export TMPDIR="$out/tmp"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
if ! dotnet restore "$here/PwshHost.csproj" --artifacts-path "$out/artifacts" >"$log" 2>&1; then
    reason=$(grep -o 'error NU[0-9]*:[^[]*' "$log" | head -n 1)
    unavailable "restoring System.Management.Automation failed: ${reason:-see $log}"
fi
if ! dotnet publish "$here/PwshHost.csproj" --no-restore -c Release --artifacts-path "$out/artifacts" \
        -o "$out/bin" >>"$log" 2>&1; then
    unavailable "building the host failed: $(grep -m1 -o 'error [A-Z]*[0-9]*:[^[]*' "$log"), see $log"
fi
[ -x "$host" ] || unavailable "the build produced no $host"
version=$("$host" --version 2>>"$log") || unavailable "the host does not run: see $log"
touch "$host"
echo "real PowerShell host: $host (System.Management.Automation $version)"
