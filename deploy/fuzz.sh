#!/usr/bin/env bash
# Long coverage-guided fuzz runs of vouch's hostile-input entry points
# (docs/fuzz.md). Never run by CI: the default ctest run only replays the
# committed corpus and reproducers (label `fuzz`).
#
#   deploy/fuzz.sh [--seconds N] [--build-dir DIR] [--no-build] [target...]
#
# Configures DIR (default build-fuzz) with clang and
# -fsanitize=fuzzer-no-link,address,undefined, builds the <target>_fuzz
# binaries, runs each target for N seconds (default 60) on its working corpus
# (DIR/corpus/<target>, seeded from fuzz/corpus/<target> and, when the shared
# test data is there, seeds generated from ../shared), with its dictionary,
# -max_len and -rss_limit_mb, and prints per target: execs, execs/s, cov/ft,
# corpus size and whether anything was found. Crash/leak/timeout/OOM inputs
# land in DIR/artifacts/<target>/; logs in DIR/logs/<target>.log.
# Exit status: 0 when no target found anything, 1 when one did, 2 on misuse.
# Be kind to shared machines: `nice -n 10 deploy/fuzz.sh ...`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL_TARGETS=(passport_submission passport_element sdjwt jwks attest_json mrz
             image aamva config)
SECONDS_PER=60
BUILD_DIR="$ROOT/build-fuzz"
BUILD=1
TARGETS=()

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER="${2:?--seconds needs a value}"; shift 2 ;;
    --build-dir) BUILD_DIR="$(realpath -m "${2:?}")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *)
    echo "fuzz.sh: unknown target $t (known: ${ALL_TARGETS[*]})" >&2; exit 2 ;;
  esac
done
case "$SECONDS_PER" in ''|*[!0-9]*) echo "fuzz.sh: --seconds must be a number" >&2; exit 2 ;; esac

# Per-target input size cap: big enough for the seeds, small enough to stay
# fast (images are kept tiny on purpose; the decoder's limits are the harness's).
max_len() {
  case "$1" in
    image) echo 16384 ;;
    passport_submission|sdjwt) echo 16384 ;;
    aamva) echo 4200 ;;
    mrz) echo 512 ;;
    *) echo 8192 ;;
  esac
}

if [ "$BUILD" = 1 ]; then
  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  LAUNCHER=()
  if command -v ccache >/dev/null 2>&1; then
    LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # -O1 -g without NDEBUG: assertions stay on while fuzzing.
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -DVOUCH_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    "${LAUNCHER[@]}" >/dev/null
  BINARIES=()
  for t in "${TARGETS[@]}"; do BINARIES+=(--target "${t}_fuzz"); done
  cmake --build "$BUILD_DIR" -j"${FUZZ_BUILD_JOBS:-2}" "${BINARIES[@]}" --target fuzz_seeds
fi

# Seeds generated at run time from the shared test data (never committed).
SHARED="${VOUCH_SHARED_DIR:-$ROOT/../shared}"
GENERATED="$BUILD_DIR/generated-seeds"
if [ -d "$SHARED" ] && [ -x "$BUILD_DIR/fuzz/fuzz_seeds" ]; then
  rm -rf "$GENERATED"
  ASAN_OPTIONS=detect_leaks=0 "$BUILD_DIR/fuzz/fuzz_seeds" --shared "$SHARED" --out "$GENERATED" \
    || echo "fuzz.sh: seed generation failed; using the committed corpus only" >&2
fi

status=0
printf '%-20s %8s %10s %8s %7s %7s %7s  %s\n' target seconds execs exec/s cov ft corpus result
SUMMARY=()
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/fuzz/${t}_fuzz"
  [ -x "$bin" ] || { echo "fuzz.sh: $bin not built" >&2; exit 2; }
  work="$BUILD_DIR/corpus/$t"; artifacts="$BUILD_DIR/artifacts/$t"; log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  dirs=("$work" "$ROOT/fuzz/corpus/$t")
  [ -d "$GENERATED/$t" ] && dirs+=("$GENERATED/$t")
  [ -d "$ROOT/fuzz/regressions/$t" ] && dirs+=("$ROOT/fuzz/regressions/$t")
  dict=()
  [ -f "$ROOT/fuzz/dict/$t.dict" ] && dict=(-dict="$ROOT/fuzz/dict/$t.dict")
  before=$(find "$artifacts" -type f | wc -l)
  rc=0
  "$bin" "${dirs[@]}" "${dict[@]}" -max_total_time="$SECONDS_PER" \
    -max_len="$(max_len "$t")" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  after=$(find "$artifacts" -type f | wc -l)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "${last%% *}")
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+' || echo '?')
  ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+' || echo '?')
  corpus=$(echo "$last" | grep -oE 'corp: [0-9]+' | grep -oE '[0-9]+' || echo '?')
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ] || \
     grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log"; then
    result="FOUND (rc=$rc; see $log, $artifacts)"
    status=1
  else
    result="nothing found"
  fi
  line=$(printf '%-20s %8s %10s %8s %7s %7s %7s  %s' "$t" "$SECONDS_PER" "$execs" "$rate" "$cov" "$ft" "$corpus" "$result")
  echo "$line"
  SUMMARY+=("$line")
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
