#!/usr/bin/env bash
# Prints the Secrets deploy/kubernetes/base expects, as YAML for
# `kubectl apply -f -` (nothing is sent anywhere):
#   vouchd-keys      the key directory of DATA_DIR (Passport RSA key,
#                    attestation key set, pairwise secret, storage key);
#                    a leading "attest__" stands for "attest/" in the
#                    Secret's keys (attest__keys.json; only that prefix,
#                    since a kid may contain "__"), the init container
#                    restores it;
#   vouchd-auth      DATA_DIR/auth.toml (or --auth FILE): services, operators;
#   vouchd-database  the PostgreSQL URL (from $VOUCH_DATABASE);
#   vouchd-tls       --tls-cert/--tls-key/--tls-ca files (tls.crt, tls.key,
#                    ca.crt; the certificate must name "vouchd").
# Every replica must get the same keys: make them once (a first start of
# vouchd on an empty --data-dir generates them) and keep DATA_DIR offline.
# Usage: VOUCH_DATABASE=postgresql://... make-secrets.sh DATA_DIR \
#          --tls-cert server.pem --tls-key server.key --tls-ca ca.pem [--auth FILE]
set -euo pipefail
DATA=${1:?usage: make-secrets.sh DATA_DIR --tls-cert F --tls-key F --tls-ca F [--auth F]}
shift
AUTH=$DATA/auth.toml TLS_CERT= TLS_KEY= TLS_CA=
while [[ $# -gt 0 ]]; do
  case $1 in
    --tls-cert) TLS_CERT=$2; shift 2 ;;
    --tls-key) TLS_KEY=$2; shift 2 ;;
    --tls-ca) TLS_CA=$2; shift 2 ;;
    --auth) AUTH=$2; shift 2 ;;
    *) echo "make-secrets.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
: "${VOUCH_DATABASE:?set VOUCH_DATABASE to the postgresql:// URL}"
for f in "$DATA/keys/passport_rsa.pem" "$DATA/keys/pairwise.secret" "$DATA/keys/storage.key" \
         "$DATA/keys/attest/keys.json" "$AUTH" "$TLS_CERT" "$TLS_KEY" "$TLS_CA"; do
  [[ -n "$f" && -s "$f" ]] || { echo "make-secrets.sh: missing ${f:-a --tls-* file}" >&2; exit 1; }
done
key_args=()
for f in "$DATA"/keys/*.pem "$DATA"/keys/*.secret "$DATA"/keys/*.key "$DATA"/keys/*.keys; do
  [[ -f "$f" ]] && key_args+=("--from-file=$(basename "$f")=$f")
done
for f in "$DATA"/keys/attest/*; do
  key_args+=("--from-file=attest__$(basename "$f")=$f")
done
kubectl create secret generic vouchd-keys "${key_args[@]}" --dry-run=client -o yaml
echo ---
kubectl create secret generic vouchd-auth --from-file=auth.toml="$AUTH" --dry-run=client -o yaml
echo ---
kubectl create secret generic vouchd-database --from-literal=url="$VOUCH_DATABASE" \
  --dry-run=client -o yaml
echo ---
kubectl create secret generic vouchd-tls --from-file=tls.crt="$TLS_CERT" \
  --from-file=tls.key="$TLS_KEY" --from-file=ca.crt="$TLS_CA" --dry-run=client -o yaml
