#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the committed hicolor PNGs (and the Windows .ico) from the one app icon,
# resources/icons/eventlens.svg. Run it after changing that SVG, then commit the results:
#   packaging/icons/render.sh
# Needs rsvg-convert (Debian: librsvg2-bin) and python3. The build itself never runs this, so
# building the package needs no image tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
svg="$here/../../resources/icons/eventlens.svg"
id=io.github.eventlens.EventLens
for s in 16 32 48 64 128 256; do
    mkdir -p "$here/${s}x${s}"
    rsvg-convert -w "$s" -h "$s" "$svg" -o "$here/${s}x${s}/$id.png"
done
# A Windows icon is a directory of PNGs (Vista+ reads PNG-compressed entries).
python3 - "$here" "$here/../windows/eventlens.ico" <<'PY'
import struct, sys
here, out = sys.argv[1], sys.argv[2]
sizes = [16, 32, 48, 64, 128, 256]
blobs = [open(f"{here}/{s}x{s}/io.github.eventlens.EventLens.png", "rb").read() for s in sizes]
header = struct.pack("<HHH", 0, 1, len(sizes))
offset = 6 + 16 * len(sizes)
entries = b""
for s, b in zip(sizes, blobs):
    entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(b), offset)
    offset += len(b)
open(out, "wb").write(header + entries + b"".join(blobs))
PY
echo "rendered $(ls "$here"/*/"$id".png | wc -l) PNGs and packaging/windows/eventlens.ico"
