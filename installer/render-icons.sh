#!/usr/bin/env bash
# Renders the committed icon files from resources/icons/psremote.svg (the only source):
# hicolor PNGs (16..256), the Windows .ico and the macOS .icns. Run it after changing the SVG and
# commit the results; the build itself needs no SVG renderer.
# Needs rsvg-convert (librsvg2-bin) or gdk-pixbuf-thumbnailer (libgdk-pixbuf2.0-bin with
# librsvg2-common), and python3.
set -euo pipefail
icons=$(cd "$(dirname "${BASH_SOURCE[0]}")/../resources/icons" && pwd)
svg=$icons/psremote.svg

render() { # SIZE OUT
  if command -v rsvg-convert >/dev/null; then
    rsvg-convert -w "$1" -h "$1" -o "$2" "$svg"
  elif command -v gdk-pixbuf-thumbnailer >/dev/null; then
    gdk-pixbuf-thumbnailer -s "$1" "$svg" "$2"
  else
    echo "render-icons: install librsvg2-bin (rsvg-convert) or libgdk-pixbuf2.0-bin" >&2
    exit 1
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in 16 24 32 48 64 128 256; do
  render "$size" "$icons/psremote-$size.png"
done
render 512 "$tmp/psremote-512.png"

# .ico with PNG-compressed entries (Windows Vista and later) and .icns with PNG entries.
python3 - "$icons" "$tmp" <<'PY'
import struct, sys
icons, tmp = sys.argv[1], sys.argv[2]
def png(size):
    folder = tmp if size == 512 else icons
    with open(f"{folder}/psremote-{size}.png", "rb") as f:
        return f.read()

sizes = [16, 24, 32, 48, 64, 128, 256]
images = [png(s) for s in sizes]
offset = 6 + 16 * len(sizes)
ico = struct.pack("<HHH", 0, 1, len(sizes))
for size, data in zip(sizes, images):
    ico += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
    offset += len(data)
with open(f"{icons}/psremote.ico", "wb") as f:
    f.write(ico + b"".join(images))

entries = b""
for kind, size in [(b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512)]:
    data = png(size)
    entries += kind + struct.pack(">I", 8 + len(data)) + data
with open(f"{icons}/psremote.icns", "wb") as f:
    f.write(b"icns" + struct.pack(">I", 8 + len(entries)) + entries)
PY
echo "render-icons: wrote $(ls "$icons" | grep -c -E '\.(png|ico|icns)$') files in $icons"
