#!/usr/bin/env bash
# Installs what is missing, builds vouch, and runs the whole test suite
# (unit, model-backed, interop and end-to-end tests) with ctest.
# Usage: deploy/test.sh            (as root or with sudo available)
# Environment: BUILD_DIR (default build), JOBS (default nproc), CTEST_JOBS (default JOBS + 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# Two tests more than cores: the end-to-end tests spend much of their time waiting on servers,
# sleeps and PostgreSQL, so N tests leave cores idle. Measured on 2 idle cores, the same tree
# (349 ctest tests, all passing each way; 2026-12-07): ctest -j 3 349 s, -j 4 311 s. Earlier
# (1103 tests): -j 2 290.6 s, -j 3 236.0 s.
CTEST_JOBS=${CTEST_JOBS:-$((JOBS + 2))}
# ctest starts and removes the throwaway PostgreSQL cluster (fixture vouch_pg); this trap removes it
# also when ctest itself is interrupted.
trap "bash '$PWD/tests/pg/pg_cluster.sh' stop '$(realpath -m "$BUILD_DIR")/pg' >/dev/null 2>&1 || true" EXIT

bash deploy/install-deps.sh
# Formatting first (a git checkout only: it checks the files git tracks or would track):
# seconds, and a clear message (deploy/format.sh fixes it).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  bash deploy/format.sh --check || { echo "test.sh: run deploy/format.sh to format the files above" >&2; exit 1; }
fi
bash models/face/install.sh && bash models/face/fetch_samples.sh  # ocr face tests (label model)
# Ninja (deploy/install-deps.sh installs it) schedules the build's ~380 steps with less overhead
# than make; a build directory configured before keeps its generator.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  export CMAKE_GENERATOR=Ninja
fi
# A from-scratch build, so each target's sources compile in unity batches (cmake/BuildSpeed.cmake).
# No ctest test runs the benchmarks and measuring tools: they are left out (VOUCH_BUILD_BENCHMARKS,
# cmake/BuildSpeed.cmake); deploy/bench.sh builds the one it runs.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOUCH_UNITY_BUILD=ON \
  -DVOUCH_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$CTEST_JOBS" --timeout 600
