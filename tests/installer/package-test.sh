#!/usr/bin/env bash
# package-test.sh CPACK BUILD_DIR VERSION gui|nogui APP_ID
# Builds the Debian package of BUILD_DIR with CPack in a temp dir, checks its control data
# (a computed Depends with Qt and OpenSSL), unpacks it into a clean root, checks that every
# installed ELF file resolves every library (ldd) and runs the installed executables.
# Exit 77 (skip) when a Debian packaging tool is absent.
set -euo pipefail
cpack=$1 build=$2 version=$3 gui=$4 app_id=$5

for tool in dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev ldd:libc-bin; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    echo "SKIP: ${tool%%:*} not found; install the Debian package ${tool##*:}"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psremote-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if ! "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
shopt -s nullglob
debs=("$tmp"/out/psremote_*.deb)
if [ ${#debs[@]} -ne 1 ]; then
  cat "$tmp/cpack.log"
  echo "FAIL: expected one psremote_*.deb, found ${#debs[@]}"
  exit 1
fi
deb=${debs[0]}
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

field() { dpkg-deb -f "$deb" "$1"; }
depends=$(field Depends)
echo "Depends: $depends"
[ "$(field Package)" = psremote ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', expected $version"
[ "$(field Section)" = net ] || fail "Section is '$(field Section)'"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
# dpkg-shlibdeps writes versioned entries such as "libqt6core6 (>= 6.4.0)".
expected=('libc6 \(>= ' 'libqt6core6 \(>= ' 'libqt6network6 \(>= ' 'libssl3 \(>= ')
if [ "$gui" = gui ]; then
  expected+=('libqt6widgets6 \(>= ' 'libqt6gui6 \(>= ' 'libqt6keychain1 \(>= ' 'libsecret-1-0')
else
  ! grep -Eq 'libqt6widgets6|libqt6gui6|libsecret' <<<"$depends" || fail "GUI-off package depends on Qt GUI packages"
fi
for entry in "${expected[@]}"; do
  grep -Eq "(^|, )$entry" <<<"$depends" || fail "Depends lacks ${entry//\\/}"
done

dpkg-deb -x "$deb" "$tmp/root"
# Every path belongs under /usr.
outside=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -Ev '^\./(usr(/.*)?)?$' || true)
[ -z "$outside" ] || fail "files outside /usr: $outside"

files=(usr/bin/psremote-cli usr/share/man/man1/psremote-cli.1.gz
       usr/share/doc/psremote/README.md usr/share/doc/psremote/LICENSE)
if [ "$gui" = gui ]; then
  files+=(usr/bin/psremote "usr/share/applications/$app_id.desktop" "usr/share/metainfo/$app_id.metainfo.xml"
          "usr/share/icons/hicolor/scalable/apps/$app_id.svg")
  for size in 16 24 32 48 64 128 256; do
    files+=("usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png")
  done
else
  [ ! -e "$tmp/root/usr/bin/psremote" ] || fail "GUI-off package contains usr/bin/psremote"
  [ ! -e "$tmp/root/usr/share/applications/$app_id.desktop" ] || fail "GUI-off package contains the .desktop file"
fi
for f in "${files[@]}"; do
  [ -s "$tmp/root/$f" ] || fail "missing from the package: /$f"
done
if [ -s "$tmp/root/usr/share/man/man1/psremote-cli.1.gz" ]; then
  gzip -dc "$tmp/root/usr/share/man/man1/psremote-cli.1.gz" | grep -q '^\.TH PSREMOTE-CLI 1' || fail "man page is not psremote-cli(1)"
fi

elves=0
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  elves=$((elves + 1))
  if ! out=$(ldd "$f" 2>&1); then
    fail "ldd ${f#"$tmp/root"}: $out"
  elif grep -q 'not found' <<<"$out"; then
    fail "${f#"$tmp/root"} has unresolved libraries: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
  else
    echo "ldd ${f#"$tmp/root"}: $(grep -c '=>' <<<"$out") libraries, all found"
  fi
done < <(find "$tmp/root" -type f -print0)
expected_elves=1
[ "$gui" = gui ] && expected_elves=2
[ "$elves" -eq "$expected_elves" ] || fail "expected $expected_elves ELF files in the package, found $elves"

out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$tmp/root/usr/bin/psremote-cli" --version 2>&1) || fail "psremote-cli --version failed: $out"
[ "$out" = "psremote-cli $version" ] || fail "installed psremote-cli --version printed '$out'"
echo "installed psremote-cli --version: $out"
if [ "$gui" = gui ]; then
  out=$(env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen "$tmp/root/usr/bin/psremote" --version 2>&1) ||
    fail "psremote --version failed: $out"
  [ "$out" = "psremote $version" ] || fail "installed psremote --version printed '$out'"
  echo "installed psremote --version: $out"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package OK"
