#!/usr/bin/env bash
# The Node side of tests/e2e/trust_http_e2e_test.cc: stock verifiers against
# vouchd's HTTPS trust plane. Installs the pinned npm packages of this folder
# (package-lock.json, npm ci; shared with attest_interop_node) into
# WORK_DIR/npm once, then runs trust_plane.mjs. Without node/npm it FAILS.
# Usage: run_trust.sh WORK_DIR keygen PREFIX | verify TOKEN PREFIX valid|revoked
set -euo pipefail
work=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm flock; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is required" >&2; exit 1; }
done
npm_dir="$work/npm"
mkdir -p "$npm_dir"
(
  flock 9
  if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" ||
     [ ! -d "$npm_dir/node_modules/@sd-jwt/sd-jwt-vc" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
    (cd "$npm_dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  fi
  cp "$here/trust_plane.mjs" "$npm_dir/"
) 9>"$work/npm.lock"
cd "$npm_dir"
node trust_plane.mjs "$@"
