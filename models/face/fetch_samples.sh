#!/usr/bin/env bash
# Fetches the only face photos we may lawfully use here, from Debian
# packages (with apt-get download; nothing is installed):
#   messi5.jpg     opencv-doc (OpenCV sample data, examples/data)
#   astronaut.png  python3-skimage (scikit-image sample data; NASA photo of
#                  Eileen Collins, public domain)
# and OpenCV's error-level-analysis pair (ela_original/ela_modified.jpg).
# They go into DEST (default: models/face/samples), which is not tracked.
# Usage: models/face/fetch_samples.sh [DEST]
set -euo pipefail
DEST=${1:-"$(cd "$(dirname "$0")" && pwd)/samples"}
mkdir -p "$DEST"
if [[ -s "$DEST/messi5.jpg" && -s "$DEST/astronaut.png" ]]; then
  echo "face samples already in $DEST"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"  # apt's download user must be able to write here.
download() { (cd "$tmp" && apt-get download -q opencv-doc python3-skimage >/dev/null 2>&1); }
if ! download; then
  # Package lists may be missing or stale on a fresh machine.
  apt-get update -qq >/dev/null 2>&1 || true
  if ! download; then
    # Not fatal: the model tests that need real faces skip with a message.
    echo "warning: could not download the sample faces; face tests on real faces will skip" >&2
    exit 0
  fi
fi
mkdir -p "$tmp/x"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
data="$tmp/x/usr/share/doc/opencv-doc/examples/data"
install -m 0644 "$data/messi5.jpg" "$data/ela_original.jpg" \
  "$data/ela_modified.jpg" "$DEST/"
install -m 0644 "$tmp/x/usr/lib/python3/dist-packages/skimage/data/astronaut.png" \
  "$DEST/"
echo "installed face samples into $DEST"
