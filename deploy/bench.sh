#!/usr/bin/env bash
# Builds and runs the benchmarks (none of them is part of ctest). Each prints
# its figures beside a baseline measured in the same run.
#
# Usage: deploy/bench.sh [crypto|ocr|checks|load|all] [extra args for crypto or ocr]
#   crypto  passport_bench + attest_bench (Google Benchmark), ~2 min
#   ocr     MRZ automation rate (read exactly AND the right verdict), one
#           row per set: generated levels clean/mild/medium/hard/photo,
#           specimens, mrz_real scans, mrz_real photos, negatives; with the
#           naive tesseract-CLI baseline on the same images. PER_LEVEL pages
#           per generated level (default 100: the full run, ~40 min on one
#           core; PER_LEVEL=25 is the quick run, ~10 min); OCR_SETS selects
#           sets (comma-separated, default all); extra args go to
#           vouch_ocr_bench (e.g. --verbose, --no-baseline)
#   checks  image-check TPR/FPR on labelled sets + timings vs JPEG decode
#   load    N concurrent clients submitting docgen sample passports to a real
#           vouchd (CLIENTS, default 4; SECONDS_, default 30; WORKERS,
#           default 2; SAMPLES, default 4), with the in-process stage costs
#           as baseline and the ocr breakdown of the documents stage
#           (~2 min)
#   all     everything above (default: crypto)
# Environment: BUILD_DIR (default build-bench, a Release build), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
JOBS=${JOBS:-$(nproc)}
what=${1:-crypto}
[ $# -gt 0 ] && shift

bash deploy/install-deps.sh
bash models/face/install.sh >/dev/null && bash models/face/fetch_samples.sh >/dev/null
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null

run_crypto() {
  local benches=(tests/bench/passport_bench attest/bench/attest_bench)
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "${benches[@]##*/}"
  for b in "${benches[@]}"; do
    echo "=== ${b##*/}"
    "$BUILD_DIR/$b" "$@"
  done
}
run_ocr() {
  cmake --build "$BUILD_DIR" -j "$JOBS" --target vouch_ocr_bench
  echo "=== vouch_ocr_bench"
  local sets=()
  [ -n "${OCR_SETS:-}" ] && sets=(--sets "$OCR_SETS")
  # One core: the bench sets OMP_THREAD_LIMIT=1 and one OpenCV thread itself.
  "$BUILD_DIR/tests/bench_ocr/vouch_ocr_bench" --per-level "${PER_LEVEL:-100}" "${sets[@]}" "$@"
}
run_checks() {
  cmake --build "$BUILD_DIR" -j "$JOBS" --target bench_checks
  echo "=== bench_checks"
  "$BUILD_DIR/tests/bench_checks/bench_checks" --n 20 --models models/face \
    --faces models/face/samples
}
run_load() {
  cmake --build "$BUILD_DIR" -j "$JOBS" --target vouchd vouchd_loadbench
  echo "=== vouchd_loadbench"
  "$BUILD_DIR/verifier/server/vouchd_loadbench" \
    --vouchd "$BUILD_DIR/verifier/server/vouchd" \
    --clients "${CLIENTS:-4}" --seconds "${SECONDS_:-30}" --workers "${WORKERS:-2}" \
    --samples "${SAMPLES:-4}" --breakdown
}

case "$what" in
  crypto) run_crypto "$@" ;;
  ocr) run_ocr "$@" ;;
  checks) run_checks ;;
  load) run_load ;;
  all) run_crypto "$@"; run_checks; run_load; run_ocr ;;
  *) echo "usage: deploy/bench.sh [crypto|ocr|checks|load|all]" >&2; exit 2 ;;
esac
