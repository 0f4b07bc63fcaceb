#!/usr/bin/env bash
# Runs the shell example of docs/service.md ("vouchctl submit") and the key
# generation of docs/production.md as written,
# from a copy of the source tree's test data, with the built binaries first on
# PATH. Only /tmp/ in the example is moved under a private folder (so parallel
# runs do not collide); the port is the documented default 127.0.0.1:50051.
# Usage: docs_examples_test.sh SOURCE_DIR BIN_DIR...
set -euo pipefail
SRC=$(realpath "$1"); shift
for d in "$@"; do PATH=$(realpath "$d"):$PATH; done
export PATH VOUCH_MODELS_DIR=$SRC/models
WORK=$(mktemp -d /tmp/vouch-docs-test.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
# The ```sh block after "## vouchctl submit", up to its closing fence.
awk '/^## vouchctl submit/{s=1} s&&/^```sh/{b=1;next} b&&/^```/{exit} b{print}' "$SRC/docs/service.md" \
  > "$WORK/example.sh"
[[ $(wc -l < "$WORK/example.sh") -ge 5 ]] || { echo "FAIL: example not found"; exit 1; }
grep -q -- '--insecure-loopback' "$WORK/example.sh" || { echo "FAIL: the example starts vouchd without a transport flag"; exit 1; }
sed -i "s|/tmp/|$WORK/|g" "$WORK/example.sh"
cd "$SRC"
out=$(timeout 120 bash -e "$WORK/example.sh" 2>&1) || { echo "FAIL: the example failed:"; echo "$out"; exit 1; }
grep -qE "^decision +DECISION_(VERIFIED|REJECTED|NEEDS_REVIEW)$" <<< "$out" ||
  { echo "FAIL: no decision printed:"; echo "$out"; exit 1; }
echo "docs/service.md example: OK"

# docs/production.md, "3. Keys": the key-generation block, in a fresh folder.
awk '/^## 3. Keys/{s=1} s&&/^```sh/{b=1;next} b&&/^```/{exit} b{print}' "$SRC/docs/production.md" \
  > "$WORK/keys.sh"
grep -q -- '--data-dir ./vouch-keys' "$WORK/keys.sh" || { echo "FAIL: key example not found"; exit 1; }
mkdir "$WORK/keys" && cd "$WORK/keys"
out=$(timeout 60 bash -e "$WORK/keys.sh" 2>&1) || { echo "FAIL: the key example failed:"; echo "$out"; exit 1; }
for f in keys/passport_rsa.pem keys/pairwise.secret keys/storage.key keys/attest/keys.json; do
  [[ -s "vouch-keys/$f" ]] || { echo "FAIL: the key example made no $f"; exit 1; }
done
grep -q "Register this public key with @BotFather" <<< "$out" || { echo "FAIL: no BotFather hint"; exit 1; }
echo "docs/production.md key example: OK"
