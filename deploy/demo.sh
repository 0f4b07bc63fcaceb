#!/usr/bin/env bash
# The main job (for now): installs what is missing, builds vouch, and shows the
# Telegram Passport round trip:
#   1. generate a provider key pair (what a service registers with @BotFather),
#   2. seal the sample submission in tests/testdata/passport (personal details +
#      passport with front side and selfie) as a user's Telegram app would,
#   3. decrypt it with vouchctl and print the result document.
# Usage: deploy/demo.sh      Environment: BUILD_DIR (default build), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

bash deploy/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target vouchctl
VOUCHCTL="$BUILD_DIR/verifier/cli/vouchctl"
SAMPLE=tests/testdata/passport

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
chmod 700 "$WORK"

echo "== 1. provider key (private key $WORK/provider.pem, mode 0600)"
"$VOUCHCTL" passport keygen --out "$WORK/provider.pem" > "$WORK/provider.pub.pem"
cat "$WORK/provider.pub.pem"

# The nonce the service issued for this request (part of the sample).
NONCE=$(sed -n 's/^ *"nonce": *"\([^"]*\)".*/\1/p' "$SAMPLE/PLAIN.json")
echo "== 2. the user's app seals $SAMPLE/PLAIN.json for that key (nonce $NONCE)"
"$VOUCHCTL" passport seal --public-key "$WORK/provider.pub.pem" \
  --in "$SAMPLE/PLAIN.json" --files-dir "$SAMPLE" --out-dir "$WORK/received" >/dev/null
ls -l "$WORK/received"

echo "== 3. vouch decrypts the submission (Bot API PassportData + getFile downloads)"
"$VOUCHCTL" passport decrypt --key "$WORK/provider.pem" \
  --passport-data "$WORK/received/passport_data.json" --files-dir "$WORK/received" \
  --nonce "$NONCE" --out-dir "$WORK/decrypted" > "$WORK/result.json"
# Pretty-printed with node (installed by install-deps.sh).
node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")), null, 2) + "\n")' < "$WORK/result.json"
echo "== decrypted scans (mode 0600), byte-identical to the originals:"
ls -l "$WORK/decrypted"
for f in "$WORK"/decrypted/*.jpg; do
  for orig in "$SAMPLE"/passport_front.jpg "$SAMPLE"/selfie.jpg; do
    if cmp -s "$f" "$orig"; then echo "  $(basename "$f") == $orig"; fi
  done
done
