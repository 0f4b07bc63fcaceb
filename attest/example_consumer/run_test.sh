#!/usr/bin/env bash
# ctest attest_example_consumer: installs the attest_verify component into a
# fresh prefix, builds this folder as a separate CMake project against it
# (find_package(vouch)), and verifies a credential issued by vouchctl.
# Usage: run_test.sh BUILD_DIR CONSUMER_SRC_DIR VOUCHCTL
set -euo pipefail
build_dir=$1 src=$2 vouchctl=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --component attest_verify --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/attest/verify.h"
test -f "$work/prefix/lib/cmake/vouch/vouchConfig.cmake"
# Only the verify headers are installed, never the signer's.
test ! -e "$work/prefix/include/attest/issuer.h"

cmake -S "$src" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j2 >/dev/null

"$vouchctl" attest keygen --key-dir "$work/keys" >/dev/null
"$vouchctl" attest jwks --key-dir "$work/keys" >"$work/jwks.json"
printf '%s' '{"telegram_user_id":"7","age_equal_or_over":{"18":true}}' >"$work/claims.json"
"$vouchctl" attest issue --key-dir "$work/keys" --claims "$work/claims.json" \
  --aud https://rp.example >"$work/token"

out=$("$work/build/verify_attestation" "$work/jwks.json" "$work/token" https://rp.example)
[ "$out" = "age_equal_or_over.18=true" ] || { echo "unexpected: $out"; exit 1; }
# And a wrong audience is refused by the installed library.
if "$work/build/verify_attestation" "$work/jwks.json" "$work/token" https://x.example 2>"$work/err"; then
  echo "wrong audience accepted"; exit 1
fi
grep -q "wrong_audience" "$work/err"
echo "example consumer OK"
