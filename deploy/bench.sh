#!/usr/bin/env bash
# Builds and runs every benchmark (Google Benchmark binaries; not part of ctest).
# Each prints its figures and the ratio to a baseline measured in the same run.
# Usage: deploy/bench.sh [benchmark args...]   e.g. --benchmark_repetitions=3
# Environment: BUILD_DIR (default build-bench, a Release build), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
JOBS=${JOBS:-$(nproc)}

bash deploy/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
BENCHES=(tests/bench/passport_bench attest/bench/attest_bench)
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${BENCHES[@]##*/}"
for b in "${BENCHES[@]}"; do
  echo "=== ${b##*/}"
  "$BUILD_DIR/$b" "$@"
done
