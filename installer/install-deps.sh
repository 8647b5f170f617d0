#!/usr/bin/env bash
# Installs the Debian 12 packages PSRemote needs to build, test and run, and nothing else.
# Idempotent: asks apt only for what is missing. Uses sudo when not run as root.
set -euo pipefail

packages=(
  # toolchain
  cmake ninja-build g++ pkg-config file
  # Qt 6 (Core, Network, Widgets, translations tools) and QtKeychain with its runtime backend
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-translations-l10n
  qtkeychain-qt6-dev libsecret-1-0
  # libraries: OpenSSL 3, GSSAPI (MIT krb5); tests and benchmarks
  libssl-dev libkrb5-dev libgtest-dev libgmock-dev libbenchmark-dev openssl
  # test environment: headless display, a real keychain, a real KDC, NTLM through GSSAPI
  xvfb xauth fonts-dejavu-core imagemagick dbus dbus-x11 gnome-keyring libsecret-tools
  krb5-kdc krb5-admin-server krb5-user gss-ntlmssp
  # packaging checks and terminal tests
  dpkg-dev desktop-file-utils appstream tmux python3
  # third-party peers for tests: a proxy (squid) and Digest authentication (Apache mod_auth_digest)
  squid apache2
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages (${missing[*]}) and no sudo: install them as root" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive # the krb5 packages ask debconf questions otherwise
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
