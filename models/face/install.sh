#!/usr/bin/env bash
# Installs the face models (detector, 68-point landmarks, 512-d embedding)
# into this folder from the npm package faceplugin-face-recognition-js,
# pinned by version and tarball SHA-256. Only the three .onnx files are
# extracted; nothing else from the package is used or run.
# Usage: models/face/install.sh [DEST]   (DEST defaults to this folder)
# Needs: npm (registry access), tar, sha256sum. Idempotent.
set -euo pipefail

PACKAGE="faceplugin-face-recognition-js@0.0.1"
TARBALL="faceplugin-face-recognition-js-0.0.1.tgz"
SHA256="7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba"
FILES=(fr_detect.onnx fr_landmark.onnx fr_feature.onnx)

DEST=${1:-"$(cd "$(dirname "$0")" && pwd)"}
mkdir -p "$DEST"

have_all=1
for f in "${FILES[@]}"; do [[ -s "$DEST/$f" ]] || have_all=0; done
if [[ $have_all == 1 && -f "$DEST/.installed-$SHA256" ]]; then
  echo "face models already installed in $DEST"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null)
actual=$(sha256sum "$tmp/$TARBALL" | cut -d' ' -f1)
if [[ "$actual" != "$SHA256" ]]; then
  echo "error: $TARBALL has SHA-256 $actual, expected $SHA256" >&2
  exit 1
fi
members=()
for f in "${FILES[@]}"; do members+=("package/model/$f"); done
tar -xzf "$tmp/$TARBALL" -C "$tmp" --no-same-owner "${members[@]}"
for f in "${FILES[@]}"; do
  install -m 0644 "$tmp/package/model/$f" "$DEST/$f"
done
touch "$DEST/.installed-$SHA256"
echo "installed ${FILES[*]} into $DEST"
