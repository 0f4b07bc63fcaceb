#!/usr/bin/env bash
# Every installed binary works from any directory and fails loudly when
# something it needs is missing (docs/production.md, "Installing
# from source"):
#   1. `cmake --install` into a temporary prefix;
#   2. from / and from an empty directory, with a clean environment (no
#      VOUCH_*, HOME elsewhere): `--version` of vouchd, vouchctl and
#      vouch-verify; `vouchctl ocr read` on a docgen sample page (valid MRZ,
#      models from the prefix); vouchd starts (logging the installed models
#      folder and an absolute data dir) and `vouchctl health` gets SERVING;
#      `vouch-verify` accepts an attestation `vouchctl attest issue` made;
#      the empty directory is still empty afterwards;
#   3. the prefix's models folder removed: vouchd, vouchd --check-config,
#      vouchctl ocr read and ocr face-compare exit 1 naming
#      PREFIX/share/vouch/models and how to point at one;
#   4. a missing config, auth file, TLS certificate, JWKS, key, token file or
#      an unwritable data dir: non-zero exit and an error naming the path.
# Usage: installed_binaries_test.sh BUILD_DIR SOURCE_DIR VOUCH_SAMPLE
set -euo pipefail
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
SAMPLE_TOOL=$(realpath "$3")
WORK=$(mktemp -d /tmp/vouch-install-test.XXXXXX)
chmod 700 "$WORK"
VOUCHD_PID=
cleanup() {
  if [[ -n "$VOUCHD_PID" ]] && kill -0 "$VOUCHD_PID" 2>/dev/null; then
    kill -TERM "$VOUCHD_PID"; wait "$VOUCHD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# How long vouchd may take to start (0.1 s polls).
START_POLLS=600

echo "== 1. cmake --install into $WORK/prefix"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
PREFIX=$WORK/prefix
BIN=$PREFIX/bin
MODELS=$PREFIX/share/vouch/models
for f in vouchd vouchctl vouch-verify; do [[ -x "$BIN/$f" ]] || fail "bin/$f not installed"; done
[[ -s "$SRC/models/face/samples/astronaut.png" ]] || fail "no sample face (models/face/fetch_samples.sh)"
"$SAMPLE_TOOL" --out "$WORK/sample" --nonce install-test-nonce \
  --face "$SRC/models/face/samples/astronaut.png" --face-box 120,0,210,273 > /dev/null
PAGE=$WORK/sample/passport_front.jpg
mkdir -p "$WORK/home"

# Runs a command in directory $1 with a clean environment.
in_dir() {
  local dir=$1; shift
  (cd "$dir" && env -i PATH=/usr/bin:/bin HOME="$WORK/home" "$@")
}

# Starts the installed vouchd from directory $1 with data dir $2; sets ADDR.
start_vouchd() {
  local dir=$1 data=$2
  rm -f "$WORK/ready"
  (cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME="$WORK/home" "$BIN/vouchd" \
     --listen 127.0.0.1:0 --metrics-listen '' --insecure-loopback --workers 1 \
     --data-dir "$data" --ready-file "$WORK/ready") > "$WORK/vouchd.log" 2>&1 &
  VOUCHD_PID=$!
  for _ in $(seq "$START_POLLS"); do
    [[ -s "$WORK/ready" ]] && break
    kill -0 "$VOUCHD_PID" 2>/dev/null || { cat "$WORK/vouchd.log" >&2; fail "vouchd exited at start from $dir"; }
    sleep 0.1
  done
  [[ -s "$WORK/ready" ]] || { cat "$WORK/vouchd.log" >&2; fail "vouchd not ready from $dir"; }
  ADDR=$(sed -n 1p "$WORK/ready")
}

stop_vouchd() {
  kill -TERM "$VOUCHD_PID"
  local rc=0
  wait "$VOUCHD_PID" || rc=$?
  VOUCHD_PID=
  [[ $rc == 0 ]] || { cat "$WORK/vouchd.log" >&2; fail "vouchd exited $rc on SIGTERM"; }
}

EMPTY=$WORK/empty
mkdir "$EMPTY"
n=0
for dir in / "$EMPTY"; do
  n=$((n + 1))
  echo "== 2.$n from $dir"
  for b in vouchd vouchctl vouch-verify; do
    out=$(in_dir "$dir" "$BIN/$b" --version) || fail "$b --version from $dir"
    grep -Eq "^$b [0-9]+\.[0-9]+\.[0-9]+ \(commit " <<< "$out" || fail "$b --version: $out"
  done
  out=$(in_dir "$dir" "$BIN/vouchctl" ocr read --json "$PAGE") || fail "ocr read from $dir"
  grep -q '"verdict":"valid"' <<< "$out" || fail "ocr read from $dir: $out"

  start_vouchd "$dir" "$WORK/data$n"
  grep -q "models dir=$MODELS source=installed loaded=mrz,face" "$WORK/vouchd.log" ||
    { cat "$WORK/vouchd.log" >&2; fail "vouchd from $dir did not use the installed models"; }
  out=$(in_dir "$dir" "$BIN/vouchctl" health --server "$ADDR") ||
    fail "vouchctl health from $dir: $out"
  grep -q "SERVING" <<< "$out" || fail "health from $dir: $out"
  stop_vouchd

  in_dir "$dir" "$BIN/vouchctl" attest keygen --key-dir "$WORK/attest$n" > /dev/null
  echo '{"telegram_user_id": "4242", "age_equal_or_over": {"18": true}}' > "$WORK/claims.json"
  in_dir "$dir" "$BIN/vouchctl" attest issue --key-dir "$WORK/attest$n" --claims "$WORK/claims.json" \
    --aud shop.example --issuer https://vouch.example > "$WORK/token$n"
  in_dir "$dir" "$BIN/vouchctl" attest jwks --key-dir "$WORK/attest$n" > "$WORK/jwks$n.json"
  out=$(in_dir "$dir" "$BIN/vouch-verify" --jwks "$WORK/jwks$n.json" --token "$WORK/token$n" \
        --aud shop.example) || fail "vouch-verify from $dir: $out"
  grep -q '"document_verified": true' <<< "$out" || fail "vouch-verify from $dir: $out"
done
[[ -z "$(ls -A "$EMPTY")" ]] || fail "something was written to the working directory: $(ls -A "$EMPTY")"

# Runs "$@" from / with a clean environment; expects exit $1 and stderr
# containing every further -e PATTERN. Usage: expect_error RC PATTERN... -- CMD...
expect_error() {
  local want=$1; shift
  local patterns=()
  while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
  shift
  local rc=0
  in_dir / "$@" > "$WORK/err.out" 2> "$WORK/err.log" < /dev/null || rc=$?
  [[ $rc == "$want" ]] || { cat "$WORK/err.log" >&2; fail "$* exited $rc, not $want"; }
  for p in "${patterns[@]}"; do
    grep -qF -- "$p" "$WORK/err.log" || { cat "$WORK/err.log" >&2; fail "$*: error lacks '$p'"; }
  done
}

echo "== 3. the models folder removed"
mv "$MODELS" "$MODELS.gone"
expect_error 1 "no models folder found" "installed: $MODELS" "--models-dir" "VOUCH_MODELS_DIR" \
  -- "$BIN/vouchd" --listen 127.0.0.1:0 --metrics-listen '' --insecure-loopback --data-dir "$WORK/data9"
expect_error 1 "no models folder found" "installed: $MODELS" -- "$BIN/vouchd" --insecure-loopback --check-config
[[ ! -e "$WORK/data9" ]] || fail "vouchd created its data dir before failing on the models"
expect_error 1 "no models folder found" "installed: $MODELS" -- "$BIN/vouchctl" ocr read "$PAGE"
[[ ! -s "$WORK/err.out" ]] || fail "ocr read printed a result without its models: $(cat "$WORK/err.out")"
expect_error 1 "no models folder found" "installed: $MODELS" \
  -- "$BIN/vouchctl" ocr face-compare "$WORK/sample/selfie.jpg" "$WORK/sample/selfie.jpg"
mv "$MODELS.gone" "$MODELS"

echo "== 4. other missing inputs name the path"
NOPE=$WORK/does-not-exist
expect_error 2 "$NOPE/vouchd.toml" -- "$BIN/vouchd" --config "$NOPE/vouchd.toml"
expect_error 1 "$NOPE/auth.toml" -- "$BIN/vouchd" --auth-config "$NOPE/auth.toml" \
  --insecure-loopback --listen 127.0.0.1:0 --metrics-listen '' --data-dir "$WORK/data5"
expect_error 1 "$NOPE/cert.pem" -- "$BIN/vouchd" --tls-cert "$NOPE/cert.pem" --tls-key "$NOPE/key.pem" \
  --listen 127.0.0.1:0 --metrics-listen '' --data-dir "$WORK/data6"
expect_error 1 "cannot use --data-dir /proc/vouch-data" -- "$BIN/vouchd" --data-dir /proc/vouch-data \
  --insecure-loopback --listen 127.0.0.1:0 --metrics-listen ''
expect_error 2 "$NOPE/jwks.json" -- "$BIN/vouch-verify" --jwks "$NOPE/jwks.json" --token "$WORK/token1"
expect_error 1 "$NOPE/key.pem" -- "$BIN/vouchctl" passport decrypt --key "$NOPE/key.pem" \
  --passport-data "$NOPE/p.json" --nonce n --out-dir "$WORK/out"
expect_error 1 "$NOPE/token" -- "$BIN/vouchctl" queue list --token-file "$NOPE/token" --server 127.0.0.1:1
expect_error 1 "$NOPE/vouchctl.toml" -- "$BIN/vouchctl" queue list --client-config "$NOPE/vouchctl.toml"
echo "installed binaries: OK"
