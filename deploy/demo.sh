#!/usr/bin/env bash
# The main job: installs what is missing, builds vouch, and runs one
# verification end to end against a real vouchd on the embedded default:
#   1. start vouchd with TLS (a throwaway CA and server certificate made with
#      openssl) on a free loopback port with a fresh --data-dir (it generates
#      its Passport RSA key, attestation keys, an admin token and a "default"
#      service API key on first start),
#   2. make a sample submission with vouch_sample (docgen: a TD3 passport page
#      with a real, public-domain face as portrait, a selfie of the same face,
#      personal details matching the MRZ) and seal it for vouchd's key as the
#      user's Telegram app would (vouchctl passport seal),
#   3. submit it over TLS with the service API key (vouchctl submit, direct
#      attestation for demo-shop.example), print the decision and the checks,
#   4. verify the attestation offline with vouch-verify against vouchd's JWKS
#      and print the disclosed claims,
#   5. check the audit log's hash chain with the admin token (vouchctl audit
#      verify).
# Exits non-zero unless the decision is VERIFIED and vouch-verify accepts.
# Usage: deploy/demo.sh      Environment: BUILD_DIR (default build), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
AUD=demo-shop.example

bash deploy/install-deps.sh
bash models/face/install.sh
bash models/face/fetch_samples.sh
if [[ ! -s models/face/samples/astronaut.png ]]; then
  echo "error: models/face/samples/astronaut.png is missing (models/face/fetch_samples.sh)" >&2
  exit 1
fi
# Ninja (deploy/install-deps.sh installs it) schedules the build's ~380 steps with less overhead
# than make; a build directory configured before keeps its generator.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  export CMAKE_GENERATOR=Ninja
fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOUCH_UNITY_BUILD=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target vouchd vouchctl vouch-verify vouch_sample
VOUCHD="$BUILD_DIR/verifier/server/vouchd"
VOUCHCTL="$BUILD_DIR/verifier/cli/vouchctl"
VERIFY="$BUILD_DIR/attest/vouch-verify"
SAMPLE_TOOL="$BUILD_DIR/tests/docgen/vouch_sample"

WORK=$(mktemp -d)
chmod 700 "$WORK"
VOUCHD_PID=
cleanup() {
  if [[ -n "$VOUCHD_PID" ]] && kill -0 "$VOUCHD_PID" 2>/dev/null; then
    kill -TERM "$VOUCHD_PID" 2>/dev/null || true
    wait "$VOUCHD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
json() {  # json FILE EXPR: prints EXPR (a JS function of the JSON in FILE), with node.
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
           const v = eval(process.argv[2])(r);
           process.stdout.write((typeof v === "string" ? v : JSON.stringify(v, null, 2)) + "\n");' "$1" "$2"
}

echo "== 1. start vouchd with TLS (embedded default policy, data dir $WORK/data)"
mkdir -m 700 "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=vouch-demo-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$WORK/tls/ca.key" -out "$WORK/tls/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$WORK/tls/server.key" -out "$WORK/tls/server.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' \
  > "$WORK/tls/server.ext"
openssl x509 -req -days 1 -in "$WORK/tls/server.csr" -CA "$WORK/tls/ca.pem" -CAkey "$WORK/tls/ca.key" \
  -CAcreateserial -extfile "$WORK/tls/server.ext" -out "$WORK/tls/server.pem" 2>/dev/null
"$VOUCHD" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --data-dir "$WORK/data" \
  --tls-cert "$WORK/tls/server.pem" --tls-key "$WORK/tls/server.key" \
  --ready-file "$WORK/ready" --models-dir models > "$WORK/vouchd.log" 2>&1 &
VOUCHD_PID=$!
for _ in $(seq 300); do
  [[ -s "$WORK/ready" && $(wc -l < "$WORK/ready") -ge 2 ]] && break
  if ! kill -0 "$VOUCHD_PID" 2>/dev/null; then
    echo "error: vouchd exited at start:" >&2; cat "$WORK/vouchd.log" >&2; exit 1
  fi
  sleep 0.1
done
[[ -s "$WORK/ready" ]] || { echo "error: vouchd did not become ready" >&2; cat "$WORK/vouchd.log" >&2; exit 1; }
ADDR=$(sed -n 1p "$WORK/ready")
echo "vouchd (pid $VOUCHD_PID) serves TLS on $ADDR"
# vouchctl's connection settings (client_options.h), from the environment.
export VOUCH_SERVER="$ADDR" VOUCH_CA="$WORK/tls/ca.pem" VOUCH_SERVER_NAME=localhost
echo "credentials made at first start:"
ls -l "$WORK/data/admin.token" "$WORK/data/service-default.token"
openssl pkey -in "$WORK/data/keys/passport_rsa.pem" -pubout > "$WORK/passport.pub.pem"
echo "Passport public key (register with @BotFather /setpublickey):"
cat "$WORK/passport.pub.pem"

echo "== 2. sample submission, sealed for that key"
NONCE="demo-$(openssl rand -hex 8)"
"$SAMPLE_TOOL" --out "$WORK/sample" --nonce "$NONCE"
"$VOUCHCTL" passport seal --public-key "$WORK/passport.pub.pem" \
  --in "$WORK/sample/PLAIN.json" --files-dir "$WORK/sample" --out-dir "$WORK/sealed" >/dev/null
ls -l "$WORK/sealed"

echo "== 3. vouchctl submit (policy default, audience $AUD)"
VOUCH_TOKEN_FILE="$WORK/data/service-default.token" \
"$VOUCHCTL" submit --passport-data "$WORK/sealed/passport_data.json" \
  --files-dir "$WORK/sealed" --nonce "$NONCE" --aud "$AUD" --json > "$WORK/result.json"
DECISION=$(json "$WORK/result.json" 'r => r.decision')
echo "decision: $DECISION"
echo "checks:"
json "$WORK/result.json" 'r => (r.checks || []).map(c => `  ${c.name} [${c.element || ""}] ${c.outcome} score=${c.score ?? 0} threshold=${c.threshold ?? 0}${c.reason ? " (" + c.reason + ")" : ""}`).join("\n")'
if [[ "$DECISION" != "DECISION_VERIFIED" ]]; then
  echo "error: expected DECISION_VERIFIED; errors for the user:" >&2
  json "$WORK/result.json" 'r => r.errors || []' >&2
  exit 1
fi

echo "== 4. offline verification of the attestation (vouch-verify)"
json "$WORK/result.json" 'r => r.attestation.sd_jwt' > "$WORK/attestation.sd-jwt"
"$VOUCHCTL" attest jwks --key-dir "$WORK/data/keys/attest" > "$WORK/jwks.json"
"$VERIFY" --jwks "$WORK/jwks.json" --token - --aud "$AUD" < "$WORK/attestation.sd-jwt" \
  > "$WORK/claims.json"
echo "vouch-verify: accepted; disclosed claims:"
node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")), null, 2) + "\n")' \
  < "$WORK/claims.json"

echo "== 5. audit log (admin token): hash chain"
VOUCH_TOKEN_FILE="$WORK/data/admin.token" "$VOUCHCTL" audit verify

echo "== 6. stop vouchd (SIGTERM)"
kill -TERM "$VOUCHD_PID"
wait "$VOUCHD_PID"
VOUCHD_PID=
echo "demo: VERIFIED, attestation accepted"
