#!/usr/bin/env bash
# ctest grpc_node_client: installs the pinned npm packages (package-lock.json,
# npm ci) into WORK_DIR once, then runs client_test.js against a real vouchd.
# Node and npm are required: without them this test FAILS (CI has them).
# Usage: run.sh VOUCHD VOUCHCTL PROTO_DIR TESTDATA_DIR WORK_DIR
set -euo pipefail
vouchd=$1 vouchctl=$2 proto=$3 testdata=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm openssl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is required" >&2; exit 1; }
done
npm_dir="$work/npm"
mkdir -p "$npm_dir"
if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" ||
   [ ! -d "$npm_dir/node_modules/@grpc/grpc-js" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi
cp "$here/client_test.js" "$npm_dir/"
cd "$npm_dir"
exec node client_test.js "$vouchd" "$vouchctl" "$proto" "$testdata" "$work/run"
