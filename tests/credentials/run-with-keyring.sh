#!/bin/sh
# Runs a test binary in a throwaway keychain environment (XDG_DATA_HOME, XDG_CONFIG_HOME,
# XDG_RUNTIME_DIR and HOME in a fresh temp dir, removed afterwards):
#   keyring    a private D-Bus session bus and a fresh gnome-keyring unlocked from stdin
#   nokeyring  a private session bus without any Secret Service
#   nobus      no session bus at all
# Usage: run-with-keyring.sh MODE BINARY [ARGS...]. Exit 77 (CTest: skipped) when a tool is
# missing. Everything started here is stopped by its PID.
set -u
mode=$1
shift

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "SKIPPED: $1 not found (Debian package $2)"; exit 77; }
}
case $mode in
    keyring) need dbus-run-session dbus; need dbus-send dbus; need gnome-keyring-daemon gnome-keyring ;;
    nokeyring) need dbus-run-session dbus ;;
    nobus) ;;
    *) echo "run-with-keyring.sh: unknown mode '$mode'" >&2; exit 2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psremote-keyring.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir -m 700 "$tmp/data" "$tmp/config" "$tmp/runtime" "$tmp/home"
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/runtime" HOME="$tmp/home"
export PSREMOTE_KEYRING_DIR="$tmp" PSREMOTE_KEYRING_MODE="$mode"
# Nothing of the caller's desktop session may leak in: no session bus, no autolaunch (DISPLAY).
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL XDG_CURRENT_DESKTOP DESKTOP_SESSION

case $mode in
    nobus) "$@" ;;
    nokeyring)
        # A session bus that can start no service: nothing provides org.freedesktop.secrets.
        cat >"$tmp/session.conf" <<CONF
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp/runtime</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
CONF
        dbus-run-session --config-file="$tmp/session.conf" -- "$@" ;;
    keyring)
        # A throwaway unlock password for the throwaway login keyring.
        PSREMOTE_KEYRING_UNLOCK=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
        export PSREMOTE_KEYRING_UNLOCK
        dbus-run-session -- sh -c '
            printf %s "$PSREMOTE_KEYRING_UNLOCK" | gnome-keyring-daemon --foreground --unlock --components=secrets >"$PSREMOTE_KEYRING_DIR/daemon.log" 2>&1 &
            daemon=$!
            unset PSREMOTE_KEYRING_UNLOCK
            owned=no
            for _ in $(seq 100); do
                if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
                    owned=yes; break
                fi
                kill -0 "$daemon" 2>/dev/null || break
                sleep 0.1
            done
            if [ "$owned" = yes ]; then "$@"; rc=$?; else echo "gnome-keyring-daemon did not start:"; cat "$PSREMOTE_KEYRING_DIR/daemon.log"; rc=1; fi
            kill "$daemon" 2>/dev/null
            wait "$daemon" 2>/dev/null
            exit $rc' sh "$@"
        ;;
esac
