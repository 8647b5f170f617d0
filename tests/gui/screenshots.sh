#!/bin/sh
# Screenshots of the desktop application, to check its look by eye, in English and German:
#   main-window.png        the main window with the Hosts panel and two console tabs connected
#                          to the loopback endpoint (simulator), output in the stream colours
#   connection-dialog.png  the connection dialog (New Connection, Ctrl+Shift+T)
#   credential-prompt.png  a credential prompt the remote side asked for (Get-Credential)
#   *-screen.png           the whole Xvfb screen at that moment (dialogs over the window)
#   app-loopback-demo.png  (once) the real `psremote --loopback-demo PORT` of installer/run.sh
#                          against a real psremote-test-server process, grabbed with `import`
# Usage: tests/gui/screenshots.sh [BUILD-DIR] [OUTPUT-DIR]
#   BUILD-DIR defaults to .build/default, OUTPUT-DIR to BUILD-DIR/screenshots (en/, de/).
# Needs xvfb-run (Debian package xvfb), xauth and import (imagemagick); settings, saved hosts and
# keychain are never the user's: everything runs with XDG_* in a temporary directory.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/.build/default}" && pwd)
out=${2:-$build/screenshots}
tool=$build/tests/gui/psremote-screenshots
for need in xvfb-run:xvfb xauth:xauth import:imagemagick; do
    command -v "${need%%:*}" >/dev/null 2>&1 || { echo "screenshots.sh: ${need%%:*} not found (Debian package ${need#*:})" >&2; exit 1; }
done
[ -x "$tool" ] || { echo "screenshots.sh: build it first: cmake --build $build --target psremote psremote-screenshots psremote-test-server" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psremote-shots.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
unset DBUS_SESSION_BUS_ADDRESS QT_QPA_PLATFORM
mkdir -p "$out"

for lang in en de; do
    LANGUAGE=$lang LC_ALL=C.UTF-8 xvfb-run -a -s "-screen 0 1280x800x24" "$tool" "$out/$lang" "$lang"
done

# The real application as installer/run.sh starts it (no keychain here: the password comes from
# the environment, as run.sh hands it over).
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export PSREMOTE_DEMO_PASSWORD="$password"
xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
    mkfifo "$1/in"
    "$2/psremote-test-server" --user demo --password-env PSREMOTE_DEMO_PASSWORD <"$1/in" >"$1/endpoint.out" 2>&1 &
    endpoint=$!
    exec 3>"$1/in"
    for _ in $(seq 100); do grep -q "^listening" "$1/endpoint.out" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n "s|^listening http://127.0.0.1:\([0-9]*\)/.*|\1|p" "$1/endpoint.out")
    "$2/psremote" --loopback-demo "$port" &
    app=$!
    sleep 4
    import -window root "$3/app-loopback-demo.png"
    kill "$app"; wait "$app" 2>/dev/null
    exec 3>&-; kill "$endpoint" 2>/dev/null; wait "$endpoint" 2>/dev/null
    true' sh "$tmp" "$build" "$out"
echo "$out/app-loopback-demo.png"
