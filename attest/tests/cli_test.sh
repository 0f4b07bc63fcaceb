#!/usr/bin/env bash
# ctest attest_cli: exit codes and I/O of vouch-verify and vouchctl attest.
# Usage: cli_test.sh VOUCHCTL VOUCH_VERIFY
set -uo pipefail
vouchctl=$1 verify=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; cat "$work/err"; fails=$((fails + 1))
  else
    echo "ok: $what"
  fi
}
has() {  # has FILE REGEX DESCRIPTION
  if grep -Eq "$2" "$work/$1"; then echo "ok: $3"; else
    echo "FAIL: $3 (no /$2/ in $1)"; cat "$work/$1"; fails=$((fails + 1)); fi
}

expect 2 "vouch-verify without flags is a usage error" -- "$verify"
expect 2 "vouch-verify with an unreadable JWKS" -- "$verify" --jwks "$work/none" --token -
expect 2 "vouchctl attest without a subcommand" -- "$vouchctl" attest
expect 1 "jwks of an empty key dir" -- "$vouchctl" attest jwks --key-dir "$work/empty"

expect 1 "issue without a key set" -- "$vouchctl" attest issue --key-dir "$work/empty" --claims /dev/null --aud x
has err "run attest keygen" "issue says to run keygen"
expect 0 "keygen EdDSA" -- "$vouchctl" attest keygen --key-dir "$work/keys" --alg EdDSA
has out " EdDSA active$" "keygen prints kid, alg and state"
kid=$(cut -d' ' -f1 "$work/out")
[ "$(stat -c %a "$work/keys/$kid.pem")" = 600 ] && echo "ok: key file is 0600" ||
  { echo "FAIL: key file mode"; fails=$((fails + 1)); }
expect 0 "keygen again adds a next key" -- "$vouchctl" attest keygen --key-dir "$work/keys"
has out " ES256 next$" "second key is published as next"
expect 0 "jwks" -- "$vouchctl" attest jwks --key-dir "$work/keys"
cp "$work/out" "$work/jwks.json"
has jwks.json "\"kid\":\"$kid\"" "JWKS holds the active key"
if grep -q '"d"' "$work/jwks.json"; then echo "FAIL: JWKS has a private key"; fails=$((fails + 1)); fi

printf '%s' '{"telegram_user_id":"42","given_name":"Anna","age_equal_or_over":{"18":true,"21":false},"nationalities":["DEU","FRA"]}' >"$work/claims.json"
expect 0 "issue direct mode" -- "$vouchctl" attest issue --key-dir "$work/keys" --claims "$work/claims.json" --aud https://rp.example
cp "$work/out" "$work/token"
expect 2 "issue with both --aud and --holder-jwk" -- "$vouchctl" attest issue --key-dir "$work/keys" --claims "$work/claims.json" --aud x --holder-jwk "$work/claims.json"
expect 1 "direct mode longer than 24 h is refused" -- "$vouchctl" attest issue --key-dir "$work/keys" --claims "$work/claims.json" --aud x --lifetime 90000
printf '%s' '{"telegram_user_id":"42","iss":"https://evil"}' >"$work/bad_claims.json"
expect 1 "claims with a reserved member" -- "$vouchctl" attest issue --key-dir "$work/keys" --claims "$work/bad_claims.json" --aud x

expect 0 "vouch-verify reads the token from stdin" -- sh -c "\"$verify\" --jwks \"$work/jwks.json\" --token - --aud https://rp.example < \"$work/token\""
has out '"given_name": "Anna"' "claims printed as JSON"
expect 1 "wrong audience" -- "$verify" --jwks "$work/jwks.json" --token "$work/token" --aud https://other.example
has err "^invalid: wrong_audience" "reason on stderr"
expect 1 "expired at --now" -- "$verify" --jwks "$work/jwks.json" --token "$work/token" --aud https://rp.example --now 4102444800
has err "^invalid: expired" "expired reason"

expect 0 "present age_equal_or_over.18 and nationalities" -- "$vouchctl" attest present --token "$work/token" --disclose age_equal_or_over.18,nationalities
cp "$work/out" "$work/presented"
expect 0 "verify the presentation" -- "$verify" --jwks "$work/jwks.json" --token "$work/presented" --aud https://rp.example
has out '"18": true' "age 18 disclosed"
has out '"FRA"' "nationalities disclosed"
if grep -q 'given_name\|"21"' "$work/out"; then echo "FAIL: undisclosed claim leaked"; fails=$((fails + 1)); else echo "ok: other claims withheld"; fi
expect 1 "--require-kb without a KB-JWT" -- "$verify" --jwks "$work/jwks.json" --token "$work/presented" --aud https://rp.example --require-kb
has err "key_binding_required" "KB required reason"
expect 1 "present an unknown path" -- "$vouchctl" attest present --token "$work/token" --disclose no_such_claim
expect 2 "present --holder-key without --aud/--nonce" -- "$vouchctl" attest present --token "$work/token" --disclose given_name --holder-key "$work/x.pem"

# A tampered token (one signature character changed) is invalid, exit 1.
sig_end=$(awk -F'~' '{print length($1)}' "$work/token")
python3 - "$work/token" "$sig_end" <<'PY'
import sys
p, n = sys.argv[1], int(sys.argv[2])
t = open(p).read().strip()
c = t[n - 3]
t = t[:n - 3] + ('A' if c != 'A' else 'B') + t[n - 2:]
open(p + '.bad', 'w').write(t)
PY
expect 1 "tampered signature" -- "$verify" --jwks "$work/jwks.json" --token "$work/token.bad" --aud https://rp.example
has err "^invalid: bad_signature" "bad signature reason"

# --receipt (docs/erasure.md; a real receipt is checked by tests/e2e/duplicate_e2e_test.cc): a
# credential is no erasure receipt; --token and --receipt exclude each other.
cut -d'~' -f1 "$work/token" >"$work/jwt"
expect 1 "a credential given as a receipt" -- "$verify" --jwks "$work/jwks.json" --receipt "$work/jwt"
has err "^invalid: wrong_type" "wrong typ reason"
expect 2 "--token and --receipt together" -- "$verify" --jwks "$work/jwks.json" --token "$work/jwt" --receipt "$work/jwt"
expect 2 "an unreadable receipt" -- "$verify" --jwks "$work/jwks.json" --receipt "$work/none"
has err "cannot read receipt" "unreadable receipt named"

[ "$fails" -eq 0 ] && echo "attest CLI: all checks passed" || { echo "attest CLI: $fails failed"; exit 1; }
