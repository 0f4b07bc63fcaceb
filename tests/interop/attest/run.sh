#!/usr/bin/env bash
# ctest attest_interop_node: vouch <-> jose 6 / @sd-jwt 0.19 in both
# directions. Installs the pinned npm packages (package-lock.json, npm ci)
# into WORK_DIR once; later runs reuse them while the lock file is unchanged.
# Node and npm are required: without them this test FAILS (CI has them).
# Usage: run.sh VOUCHCTL VOUCH_VERIFY WORK_DIR
set -euo pipefail
vouchctl=$1 verify=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is required for the interop test" >&2; exit 1; }
done

npm_dir="$work/npm"
mkdir -p "$npm_dir"
if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" ||
   [ ! -d "$npm_dir/node_modules/@sd-jwt/sd-jwt-vc" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi
cp "$here/interop.mjs" "$npm_dir/"
rm -rf "$work/run" && mkdir -p "$work/run"
cd "$npm_dir"
node interop.mjs "$vouchctl" "$verify" "$work/run"
