#!/usr/bin/env bash
# vouchd's configuration file, --version, JSON logs, metrics and health,
# against the real binaries:
#   1. every vouchd option is a documented key of deploy/vouchd.example.toml's
#      [server] table;
#   2. --version on vouchd, vouchctl and vouch-verify names the commit, the
#      build type and the libraries (OpenSSL as `openssl version` reports it);
#   3. the example's [server] keys, uncommented, run vouchd; a flag overrides a
#      key; every stderr line is one JSON object with real fields;
#   4. /metrics has build_info, the review backlog and refused calls by code;
#      `vouchctl health` reports SERVING;
#   4b. SIGHUP: a policy added to the file serves after the signal, a broken
#      file is refused and the policies in force stay;
#   5. an unknown [server] key is refused with its line (exit 2);
#      --check-config exits 0 on a good file and 1 on a bad policy.
# Usage: vouchd_config_test.sh SOURCE_DIR VOUCHD VOUCHCTL VOUCH_VERIFY
set -euo pipefail
SRC=$(realpath "$1"); VOUCHD=$(realpath "$2"); VOUCHCTL=$(realpath "$3"); VERIFY=$(realpath "$4")
EXAMPLE=$SRC/deploy/vouchd.example.toml
WORK=$(mktemp -d /tmp/vouchd-config-test.XXXXXX)
VOUCHD_PID=
cleanup() {
  if [[ -n "$VOUCHD_PID" ]] && kill -0 "$VOUCHD_PID" 2>/dev/null; then
    kill -TERM "$VOUCHD_PID"; wait "$VOUCHD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export VOUCH_MODELS_DIR=$SRC/models

echo "== 1. every option is a documented [server] key"
server_table=$(sed -n '/^\[server\]/,/^\[issuer\]/p' "$EXAMPLE")
options=$("$VOUCHD" --help | grep -oE '^  --[a-z-]+' | sed 's/^  --//' | sort -u)
[[ $(wc -l <<< "$options") -ge 20 ]] || fail "too few options parsed from --help: $options"
for opt in $options; do
  case $opt in help|version|config|check-config) continue ;; esac
  key=${opt//-/_}
  grep -qE "^# $key = " <<< "$server_table" || fail "option --$opt is not documented as '# $key = ' in [server]"
done

echo "== 2. --version"
openssl_version=$(openssl version | awk '{print $2}')
for bin in "$VOUCHD" "$VOUCHCTL" "$VERIFY"; do
  out=$("$bin" --version)
  name=$(basename "$bin")
  grep -qE "^$name [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}(-dirty)?|unknown), [A-Za-z]+, " <<< "$out" ||
    fail "$name --version first line: $out"
  grep -qx "  OpenSSL $openssl_version" <<< "$out" || fail "$name --version: OpenSSL is not $openssl_version: $out"
done
out=$("$VOUCHD" --version)
for lib in gRPC protobuf OpenCV Tesseract SQLite libpq; do
  grep -qE "^  $lib [0-9]" <<< "$out" || fail "vouchd --version lacks $lib: $out"
done

echo "== 3. the example's [server] keys run vouchd; flags override them"
sed -e 's|^# listen = .*|listen = "127.0.0.1:0"|' \
    -e 's|^# insecure_loopback = .*|insecure_loopback = true|' \
    -e "s|^# data_dir = .*|data_dir = \"$WORK/data\"|" \
    -e 's|^# metrics_listen = .*|metrics_listen = "127.0.0.1:0"|' \
    -e 's|^# workers = .*|workers = 1|' \
    -e 's|^# log_format = .*|log_format = "json"|' \
    -e "s|^# ready_file = .*|ready_file = \"$WORK/ready\"|" \
    "$EXAMPLE" > "$WORK/vouchd.toml"
"$VOUCHD" --config "$WORK/vouchd.toml" --check-config > "$WORK/check.out" 2> "$WORK/check.err" ||
  { cat "$WORK/check.err" >&2; fail "--check-config on a good file"; }
grep -q "configuration OK" "$WORK/check.out" || fail "--check-config printed: $(cat "$WORK/check.out")"
[[ ! -e "$WORK/data" ]] || fail "--check-config created the data directory"
"$VOUCHD" --config "$WORK/vouchd.toml" --workers 2 > "$WORK/out" 2> "$WORK/err" &
VOUCHD_PID=$!
for _ in $(seq 300); do
  [[ -s "$WORK/ready" && $(wc -l < "$WORK/ready") -ge 2 ]] && break
  kill -0 "$VOUCHD_PID" 2>/dev/null || { cat "$WORK/err" >&2; fail "vouchd exited at start"; }
  sleep 0.1
done
ADDR=$(sed -n 1p "$WORK/ready"); METRICS=$(sed -n 2p "$WORK/ready")

echo "== 4. health, metrics"
"$VOUCHCTL" health --server "$ADDR" | grep -q ": SERVING$" || fail "vouchctl health"
set +e
"$VOUCHCTL" queue list --server "$ADDR" > /dev/null 2>&1
set -e
exec 3<>"/dev/tcp/${METRICS%:*}/${METRICS##*:}"
printf 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' >&3
metrics=$(cat <&3)
exec 3<&-
for m in 'vouch_build_info{version="' 'vouch_review_oldest_case_age_seconds 0' \
         'vouch_grpc_calls_failed_total{code="UNAUTHENTICATED"} 1' 'vouch_attestations_issued_total 0'; do
  grep -qF "$m" <<< "$metrics" || fail "metrics lack $m"
done

echo "== 4b. SIGHUP reloads the policies; a bad file changes nothing"
openssl pkey -in "$WORK/data/keys/passport_rsa.pem" -pubout -out "$WORK/pub.pem"
"$VOUCHCTL" passport seal --public-key "$WORK/pub.pem" --in "$SRC/tests/testdata/passport/PLAIN.json" \
  --files-dir "$SRC/tests/testdata/passport" --out-dir "$WORK/sealed" > /dev/null
submit_hup() {
  "$VOUCHCTL" submit --server "$ADDR" --token-file "$WORK/data/service-default.token" \
    --passport-data "$WORK/sealed/passport_data.json" --files-dir "$WORK/sealed" \
    --nonce vouch-demo-nonce-7f3a9c --aud shop.example --policy hup_test --json
}
set +e
submit_hup > "$WORK/hup1.out" 2>&1; hup1=$?
set -e
[[ $hup1 == 1 ]] && grep -q UNKNOWN_POLICY "$WORK/hup1.out" || fail "policy hup_test before the reload: $(cat "$WORK/hup1.out")"
printf '\n[policies.hup_test]\nrelying_services = ["*"]\nrequired_elements = ["passport"]\n' >> "$WORK/vouchd.toml"
kill -HUP "$VOUCHD_PID"
for _ in $(seq 50); do grep -q '"event":"policies reloaded"' "$WORK/err" && break; sleep 0.1; done
submit_hup > "$WORK/hup2.out" 2>&1 || fail "policy hup_test after the reload: $(cat "$WORK/hup2.out")"
grep -q '"decision": *"DECISION_' "$WORK/hup2.out" || fail "no decision under the reloaded policy"
echo 'minimum_age = "bad"' >> "$WORK/vouchd.toml"
kill -HUP "$VOUCHD_PID"
for _ in $(seq 50); do grep -q '"event":"policies not reloaded"' "$WORK/err" && break; sleep 0.1; done
grep -q '"event":"policies not reloaded"' "$WORK/err" || fail "a bad policy file was not refused"
submit_hup > /dev/null 2>&1 || fail "a refused reload dropped the policies in force"
kill -TERM "$VOUCHD_PID"; wait "$VOUCHD_PID"; VOUCHD_PID=
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(l => l);
  if (lines.length < 3) throw new Error("too few log lines");
  const events = lines.map(l => JSON.parse(l));  // Throws on any non-JSON line.
  for (const e of events) for (const k of ["time", "level", "event"]) if (!(k in e)) throw new Error(k + " missing: " + JSON.stringify(e));
  const serving = events.find(e => e.event === "serving");
  if (!serving || serving.workers !== 2 || !/^127\.0\.0\.1:\d+$/.test(serving.grpc)) throw new Error("serving: " + JSON.stringify(serving));
  const models = events.find(e => e.event === "models");
  if (!models || models.source !== "VOUCH_MODELS_DIR" || models.loaded !== "mrz,face") throw new Error("models: " + JSON.stringify(models));
' "$WORK/err" || { cat "$WORK/err" >&2; fail "JSON logs"; }

echo "== 5. refused files"
printf '[server]\nlisten = "127.0.0.1:0"\nlisen = "127.0.0.1:1"\n' > "$WORK/typo.toml"
set +e
"$VOUCHD" --config "$WORK/typo.toml" > /dev/null 2> "$WORK/typo.err"; rc=$?
sed 's/^minimum_age = 18$/minimum_age = "eighteen"/' "$WORK/vouchd.toml" > "$WORK/bad-policy.toml"
"$VOUCHD" --config "$WORK/bad-policy.toml" --check-config > /dev/null 2> "$WORK/policy.err"; policy_rc=$?
set -e
[[ $rc == 2 ]] || fail "unknown key: exit $rc"
grep -q "typo.toml: line 3: server.lisen: unknown key" "$WORK/typo.err" || fail "unknown key: $(cat "$WORK/typo.err")"
[[ $policy_rc == 1 ]] || fail "bad policy passed --check-config (exit $policy_rc)"
grep -q "minimum_age" "$WORK/policy.err" || fail "bad policy error: $(cat "$WORK/policy.err")"
echo "vouchd config: OK"
