#!/usr/bin/env bash
# The container image end to end (label `container`, registered only with
# -DVOUCH_CONTAINER_TESTS=ON: it compiles vouch inside the image, minutes):
# builds it with deploy/container/build.sh, starts it, waits for its health
# check, and pushes the demo sample through it: sealed for the container's
# Passport key, submitted over TLS with its "default" service token, VERIFIED.
# Usage: container_test.sh SOURCE_DIR VOUCHCTL VOUCH_SAMPLE
set -euo pipefail
SRC=$(realpath "$1"); VOUCHCTL=$(realpath "$2"); SAMPLE_TOOL=$(realpath "$3")
WORK=$(mktemp -d /tmp/vouch-container-test.XXXXXX)
export TLS_DIR=$WORK/tls PORT=${PORT:-50551}
cleanup() {
  "$SRC/deploy/container/build.sh" stop > /dev/null 2>&1 || true
  podman volume rm -f vouchd-demo-data > /dev/null 2>&1 || true
  podman unshare rm -rf "$WORK" 2>/dev/null || rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; podman logs vouchd-demo 2>&1 | tail -20 >&2 || true; exit 1; }

# VOUCH_CONTAINER_SKIP_BUILD=1 tests the image already built.
[[ ${VOUCH_CONTAINER_SKIP_BUILD:-0} == 1 ]] || nice -n 10 "$SRC/deploy/container/build.sh" build
podman volume rm -f vouchd-demo-data > /dev/null 2>&1 || true
"$SRC/deploy/container/build.sh" run || fail "the container did not become healthy"
podman exec vouchd-demo vouchd --version | grep -q '^vouchd ' || fail "vouchd --version in the image"
[[ $(podman exec vouchd-demo id -u) == 10001 ]] || fail "the container does not run as uid 10001"

podman exec vouchd-demo cat /var/lib/vouchd/data/keys/passport_rsa.pem | openssl pkey -pubout > "$WORK/pub.pem"
podman exec vouchd-demo cat /var/lib/vouchd/data/service-default.token > "$WORK/token"
"$SAMPLE_TOOL" --out "$WORK/sample" --nonce container-nonce \
  --face "$SRC/models/face/samples/astronaut.png" --face-box 120,0,210,273 > /dev/null
"$VOUCHCTL" passport seal --public-key "$WORK/pub.pem" --in "$WORK/sample/PLAIN.json" \
  --files-dir "$WORK/sample" --out-dir "$WORK/sealed" > /dev/null
"$VOUCHCTL" submit --server "127.0.0.1:$PORT" --tls on --ca "$TLS_DIR/ca.pem" --server-name localhost \
  --token-file "$WORK/token" --passport-data "$WORK/sealed/passport_data.json" \
  --files-dir "$WORK/sealed" --nonce container-nonce --aud demo-shop.example --json > "$WORK/result.json"
grep -q '"decision": *"DECISION_VERIFIED"' "$WORK/result.json" ||
  { cat "$WORK/result.json" >&2; fail "sample not VERIFIED by the container"; }
echo "container: OK"
