#!/usr/bin/env bash
# Models are always found, or the binaries fail loudly:
#   1. `cmake --install` into a temporary prefix installs the binaries and the
#      models (MRZ glyph model, Tesseract MRZ model, face models when the
#      source tree has them) under share/vouch/models;
#   2. run from /tmp with no flag and no VOUCH_MODELS_DIR, the build tree's
#      and the installed vouchctl read the sample page's MRZ as valid, and the
#      installed vouchd (finding its models beside itself) gets the demo
#      sample VERIFIED;
#   3. a models folder lacking one file makes vouchd refuse to start (exit 1,
#      naming the file) and `vouchctl ocr read` exit 1 naming it;
#      --allow-missing-models face lets vouchd start without the face models.
# Usage: models_install_test.sh BUILD_DIR SOURCE_DIR VOUCH_SAMPLE
set -euo pipefail
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
SAMPLE_TOOL=$(realpath "$3")
WORK=$(mktemp -d /tmp/vouch-models-test.XXXXXX)
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
unset VOUCH_MODELS_DIR

echo "== 1. cmake --install into $WORK/prefix"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
PREFIX=$WORK/prefix
MODELS=$PREFIX/share/vouch/models
for f in bin/vouchd bin/vouchctl bin/vouch-verify; do
  [[ -x "$PREFIX/$f" ]] || fail "$f not installed"
done
for f in mrz/ocrb_glyphs.bin mrz/tesseract/mrz.traineddata; do
  cmp -s "$SRC/models/$f" "$MODELS/$f" || fail "model $f not installed"
done
HAVE_FACE=1
for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
  if [[ -s "$SRC/models/face/$f" ]]; then
    cmp -s "$SRC/models/face/$f" "$MODELS/face/$f" || fail "face model $f not installed"
  else
    HAVE_FACE=0
  fi
done
[[ $HAVE_FACE == 1 ]] || fail "face models missing in $SRC/models/face (models/face/install.sh)"
[[ -s "$SRC/models/face/samples/astronaut.png" ]] || fail "no sample face (models/face/fetch_samples.sh)"

echo "== 2. from /tmp: ocr read with the build tree's and the installed vouchctl"
"$SAMPLE_TOOL" --out "$WORK/sample" --nonce models-test-nonce \
  --face "$SRC/models/face/samples/astronaut.png" --face-box 120,0,210,273 > /dev/null
cd /tmp
for ctl in "$BUILD/verifier/cli/vouchctl" "$PREFIX/bin/vouchctl"; do
  out=$("$ctl" ocr read --json "$WORK/sample/passport_front.jpg")
  grep -q '"verdict":"valid"' <<< "$out" || fail "$ctl ocr read from /tmp: $out"
done
"$PREFIX/bin/vouchd" --version | grep -q '^vouchd ' || fail "vouchd --version"

echo "== 2b. the installed vouchd from /tmp gets the sample VERIFIED"
"$PREFIX/bin/vouchd" --listen 127.0.0.1:0 --metrics-listen '' --data-dir "$WORK/data" \
  --insecure-loopback --workers 1 --ready-file "$WORK/ready" > "$WORK/vouchd.log" 2>&1 &
VOUCHD_PID=$!
for _ in $(seq 300); do
  [[ -s "$WORK/ready" ]] && break
  kill -0 "$VOUCHD_PID" 2>/dev/null || { cat "$WORK/vouchd.log" >&2; fail "vouchd exited at start"; }
  sleep 0.1
done
[[ -s "$WORK/ready" ]] || { cat "$WORK/vouchd.log" >&2; fail "vouchd not ready"; }
grep -q "models dir=$MODELS source=installed loaded=mrz,face" "$WORK/vouchd.log" ||
  { cat "$WORK/vouchd.log" >&2; fail "vouchd did not log the installed models folder"; }
ADDR=$(sed -n 1p "$WORK/ready")
openssl pkey -in "$WORK/data/keys/passport_rsa.pem" -pubout -out "$WORK/pub.pem"
"$PREFIX/bin/vouchctl" passport seal --public-key "$WORK/pub.pem" --in "$WORK/sample/PLAIN.json" \
  --files-dir "$WORK/sample" --out-dir "$WORK/sealed" > /dev/null
"$PREFIX/bin/vouchctl" submit --server "$ADDR" --token-file "$WORK/data/service-default.token" \
  --passport-data "$WORK/sealed/passport_data.json" --files-dir "$WORK/sealed" \
  --nonce models-test-nonce --aud demo-shop.example --json > "$WORK/result.json"
grep -q '"decision": *"DECISION_VERIFIED"' "$WORK/result.json" ||
  { cat "$WORK/result.json" >&2; fail "sample not VERIFIED by the installed vouchd"; }
kill -TERM "$VOUCHD_PID"; wait "$VOUCHD_PID"; VOUCHD_PID=

echo "== 3. a models folder lacking a file: loud failures"
cp -r "$MODELS" "$WORK/partial"
rm "$WORK/partial/mrz/tesseract/mrz.traineddata"
set +e
VOUCH_MODELS_DIR=$WORK/partial "$PREFIX/bin/vouchd" --listen 127.0.0.1:0 --metrics-listen '' \
  --data-dir "$WORK/data2" --insecure-loopback > "$WORK/refused.log" 2>&1
rc=$?
VOUCH_MODELS_DIR=$WORK/partial "$PREFIX/bin/vouchctl" ocr read "$WORK/sample/passport_front.jpg" \
  > "$WORK/ocr.out" 2> "$WORK/ocr.err"
ocr_rc=$?
set -e
[[ $rc == 1 ]] || { cat "$WORK/refused.log" >&2; fail "vouchd started without its MRZ model (rc $rc)"; }
grep -q "error: missing model file $WORK/partial/mrz/tesseract/mrz.traineddata" "$WORK/refused.log" ||
  { cat "$WORK/refused.log" >&2; fail "vouchd's error does not name the missing file"; }
grep -q "from VOUCH_MODELS_DIR" "$WORK/refused.log" || fail "vouchd's error does not name the source"
[[ $ocr_rc == 1 ]] || fail "vouchctl ocr read exited $ocr_rc without its MRZ model"
grep -q "mrz.traineddata" "$WORK/ocr.err" || { cat "$WORK/ocr.err" >&2; fail "ocr read error"; }
[[ ! -s "$WORK/ocr.out" ]] || fail "vouchctl ocr read printed results without its model"

cp "$MODELS/mrz/tesseract/mrz.traineddata" "$WORK/partial/mrz/tesseract/"
rm "$WORK/partial/face/fr_feature.onnx"
set +e
"$PREFIX/bin/vouchd" --models-dir "$WORK/partial" --insecure-loopback --check-config > "$WORK/face.log" 2>&1
rc=$?
set -e
[[ $rc == 1 ]] && grep -q "fr_feature.onnx" "$WORK/face.log" && grep -q "allow-missing-models face" "$WORK/face.log" ||
  { cat "$WORK/face.log" >&2; fail "vouchd without a face model: rc $rc"; }
"$PREFIX/bin/vouchd" --models-dir "$WORK/partial" --allow-missing-models face --insecure-loopback --check-config \
  > "$WORK/allowed.log" 2>&1 || { cat "$WORK/allowed.log" >&2; fail "--allow-missing-models face"; }
grep -q "running without the face models" "$WORK/allowed.log" || fail "no warning for missing face models"
echo "models: OK"
