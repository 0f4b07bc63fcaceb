#!/usr/bin/env bash
# vouchd serves a renewed TLS certificate without a restart: on SIGHUP
# (--tls-reload-seconds 0) a renewed pair replaces the served one; a broken
# certificate file or a key of another pair is refused with its reason in the
# log and the previous pair stays served; with --tls-reload-seconds 1 a
# renewal is picked up without a signal.
# Usage: tls_reload_test.sh VOUCHD VOUCHCTL MODELS_DIR
set -euo pipefail
VOUCHD=$(realpath "$1"); VOUCHCTL=$(realpath "$2"); export VOUCH_MODELS_DIR=$(realpath "$3")
WORK=$(mktemp -d /tmp/vouch-tls-reload.XXXXXX)
VOUCHD_PID=
cleanup() {
  if [[ -n "$VOUCHD_PID" ]] && kill -0 "$VOUCHD_PID" 2>/dev/null; then
    kill -TERM "$VOUCHD_PID"; wait "$VOUCHD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$WORK/log" ]] && tail -20 "$WORK/log" >&2; exit 1; }

# make_pki N: CA N and a server certificate (localhost, 127.0.0.1) it signed.
make_pki() {
  local d=$WORK/pki$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=test-ca-$1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' \
    > "$d/ext"
  openssl x509 -req -days 1 -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
  chmod 600 "$d/server.key"
}
make_pki 1
make_pki 2
mkdir -m 700 "$WORK/live"
cp "$WORK/pki1/server.pem" "$WORK/live/server.pem"
install -m 600 "$WORK/pki1/server.key" "$WORK/live/server.key"

# start_vouchd RELOAD_SECONDS: vouchd on the live files.
start_vouchd() {
  rm -f "$WORK/ready"
  "$VOUCHD" --listen 127.0.0.1:0 --metrics-listen '' --data-dir "$WORK/data" --workers 1 \
    --tls-cert "$WORK/live/server.pem" --tls-key "$WORK/live/server.key" --tls-reload-seconds "$1" \
    --ready-file "$WORK/ready" > "$WORK/log" 2>&1 &
  VOUCHD_PID=$!
  for _ in $(seq 300); do
    [[ -s "$WORK/ready" ]] && break
    kill -0 "$VOUCHD_PID" 2>/dev/null || fail "vouchd exited at start"
    sleep 0.1
  done
  ADDR=$(sed -n 1p "$WORK/ready")
}
stop_vouchd() { kill -TERM "$VOUCHD_PID"; wait "$VOUCHD_PID"; VOUCHD_PID=; }
health() {  # health CA_NUMBER: 0 when a client trusting that CA gets SERVING.
  "$VOUCHCTL" health --server "$ADDR" --tls on --ca "$WORK/pki$1/ca.pem" --server-name localhost \
    --timeout 2 > /dev/null 2>&1
}
# install_pair N: the operator renews: new files renamed into place.
install_pair() {
  install -m 600 "$WORK/pki$1/server.key" "$WORK/live/server.key.new"
  cp "$WORK/pki$1/server.pem" "$WORK/live/server.pem.new"
  mv "$WORK/live/server.key.new" "$WORK/live/server.key"
  mv "$WORK/live/server.pem.new" "$WORK/live/server.pem"
}
wait_for_ca() {  # wait_for_ca N: up to 10 s until CA N's clients are served.
  for _ in $(seq 50); do health "$1" && return 0; sleep 0.2; done
  return 1
}

echo "== SIGHUP only (--tls-reload-seconds 0)"
start_vouchd 0
health 1 || fail "CA 1 client refused at start"
! health 2 || fail "CA 2 client accepted at start"
install_pair 2
sleep 2.5
health 1 || fail "renewed without SIGHUP under --tls-reload-seconds 0"
kill -HUP "$VOUCHD_PID"
wait_for_ca 2 || fail "the renewed certificate was not served after SIGHUP"
! health 1 || fail "the old certificate is still served"
grep -q "tls certificate reloaded trigger=sighup" "$WORK/log" || fail "no reload log line"

echo "== a broken pair is refused, the previous one stays"
echo "not a certificate" > "$WORK/live/server.pem.new"
mv "$WORK/live/server.pem.new" "$WORK/live/server.pem"
kill -HUP "$VOUCHD_PID"
sleep 2.5
health 2 || fail "a broken certificate file replaced the working one"
grep -q "tls certificate not reloaded trigger=sighup reason=the TLS certificate file holds no PEM certificate" \
  "$WORK/log" || fail "the refusal is not logged with its reason"
cp "$WORK/pki1/server.pem" "$WORK/live/server.pem"  # Key of CA 2's pair, certificate of CA 1's.
kill -HUP "$VOUCHD_PID"
sleep 2.5
health 2 || fail "a mismatched key replaced the working pair"
grep -q "reason=the TLS key does not belong to the certificate" "$WORK/log" || fail "mismatch not logged"
kill -0 "$VOUCHD_PID" || fail "vouchd died on a broken certificate file"
stop_vouchd

echo "== polling (--tls-reload-seconds 1)"
install_pair 2
start_vouchd 1
health 2 || fail "CA 2 client refused at start"
install_pair 1
wait_for_ca 1 || fail "the renewed certificate was not served within 10 s of polling"
grep -q "tls certificate reloaded trigger=poll" "$WORK/log" || fail "no poll reload log line"
stop_vouchd
echo "tls reload: OK"
