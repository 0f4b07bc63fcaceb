#!/usr/bin/env bash
# The Node side of openid4vci_interop_test.cc: installs the pinned npm
# packages of this folder (package-lock.json, npm ci) into WORK_DIR/npm once
# (later runs reuse them while the lock file is unchanged), then runs
# wallet.mjs with the remaining arguments. Node and npm are required: without
# them this FAILS (CI has them). The caller sets NODE_EXTRA_CA_CERTS.
# Usage: run.sh WORK_DIR issue OFFER_URI_FILE TX_CODE_FILE OUT_DIR | revoked OUT_DIR
set -euo pipefail
work=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm flock; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is required for the interop test" >&2; exit 1; }
done
npm_dir="$work/npm"
mkdir -p "$npm_dir"
(
  flock 9
  if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" ||
     [ ! -d "$npm_dir/node_modules/@openid4vc/openid4vci" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
    (cd "$npm_dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  fi
  cp "$here/wallet.mjs" "$npm_dir/"
) 9>"$work/npm.lock"
cd "$npm_dir"
exec node wallet.mjs "$@"
