#!/usr/bin/env bash
# Runs clang-tidy (the repository's .clang-tidy) over vouch's C++ sources.
#
#   deploy/tidy.sh [--build-dir DIR] --all           every tracked .cc in the build's compile database
#   deploy/tidy.sh [--build-dir DIR] [--base REF]    the .cc files changed since REF (default: the
#                                                    merge base with main), committed or not; a
#                                                    changed header brings in the .cc files including it
#   deploy/tidy.sh [--build-dir DIR] FILE.cc...      these files
#
# DIR (default build-clang-tsa, the clang-tsa preset) must be configured and built far enough for
# the generated headers (protobuf/gRPC, build info) to exist; any build of this tree works, its
# compile_commands.json is what clang-tidy reads. Generated and build-tree files are never checked.
# A finding of readability-function-cognitive-complexity on a function listed in
# deploy/tidy-complexity-baseline.txt (older functions waiting to be split) is reported as known
# and does not fail; any other finding does.
# Environment: JOBS (default nproc), CLANG_TIDY (default clang-tidy).
# Exit status: 0 clean, 1 findings, 2 misuse.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD_DIR="$ROOT/build-clang-tsa"
BASE=""
ALL=0
FILES=()
JOBS=${JOBS:-$(nproc)}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
BASELINE="$ROOT/deploy/tidy-complexity-baseline.txt"
# Our source folders (never build trees, whose generated headers sit in build-*/).
SOURCES='(attest|base|ocr|verifier|tests|fuzz)'

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR="$(realpath -m "${2:?--build-dir needs a value}")"; shift 2 ;;
    --base) BASE="${2:?--base needs a value}"; shift 2 ;;
    --all) ALL=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "tidy.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) FILES+=("$1"); shift ;;
  esac
done

DB="$BUILD_DIR/compile_commands.json"
if [ ! -f "$DB" ]; then
  echo "tidy.sh: no $DB; configure and build first (cmake --preset clang-tsa &&" \
       "cmake --build --preset clang-tsa), or pass --build-dir" >&2
  exit 2
fi

# Tracked .cc files that the compile database knows.
mapfile -t IN_DB < <(python3 - "$DB" "$ROOT" <<'PY'
import json, os, sys
root = sys.argv[2]
for e in json.load(open(sys.argv[1])):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(root + "/"):
        print(os.path.relpath(f, root))
PY
)
mapfile -t TRACKED < <(git ls-files -- '*.cc')
mapfile -t CANDIDATES < <(comm -12 <(printf '%s\n' "${IN_DB[@]}" | sort -u) \
                                   <(printf '%s\n' "${TRACKED[@]}" | sort -u))

if [ "$ALL" = 1 ]; then
  FILES=("${CANDIDATES[@]}")
elif [ ${#FILES[@]} -eq 0 ]; then
  if [ -z "$BASE" ]; then
    BASE=$(git merge-base HEAD main 2>/dev/null || git rev-parse HEAD)
  fi
  mapfile -t changed < <({ git diff --name-only "$BASE" -- '*.cc' '*.h';
                          git ls-files --others --exclude-standard -- '*.cc' '*.h'; } | sort -u)
  want=()
  for f in "${changed[@]}"; do
    [ -f "$f" ] || continue
    case "$f" in
      *.cc) want+=("$f") ;;
      *.h) # the .cc files that include this header by its path or its name
        mapfile -t users < <(git grep -l -F "$(basename "$f")\"" -- '*.cc' || true)
        want+=("${users[@]}") ;;
    esac
  done
  mapfile -t FILES < <(comm -12 <(printf '%s\n' "${want[@]}" | sort -u) \
                                <(printf '%s\n' "${CANDIDATES[@]}" | sort -u))
  echo "tidy.sh: ${#FILES[@]} file(s) changed since $(git rev-parse --short "$BASE")" >&2
else
  for f in "${FILES[@]}"; do
    # Not grep -q: it may exit before printf is done, and pipefail then fails on SIGPIPE.
    if ! printf '%s\n' "${CANDIDATES[@]}" | grep -Fx -- "$f" >/dev/null; then
      echo "tidy.sh: $f is not a tracked .cc in $DB" >&2
      exit 2
    fi
  done
fi
[ ${#FILES[@]} -eq 0 ] && { echo "tidy.sh: nothing to check"; exit 0; }

# One output file per source, so parallel runs never interleave their lines.
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export CLANG_TIDY BUILD_DIR OUT FILTER="^$ROOT/$SOURCES/"
printf '%s\0' "${FILES[@]}" | xargs -0 -n 1 -P "$JOBS" sh -c \
  '"$CLANG_TIDY" -p "$BUILD_DIR" --quiet --header-filter="$FILTER" "$1" \
     >"$OUT/$(echo "$1" | tr / _).log" 2>/dev/null || true' sh
LOG="$OUT/all.txt"
cat "$OUT"/*.log >"$LOG"

# One line per finding (a header's finding comes once, however many files include it).
python3 - "$LOG" "$ROOT" "$BASELINE" <<'PY'
import collections, os, re, sys
log, root, baseline_path = sys.argv[1:4]
finding = re.compile(r"^(/[^:]+):(\d+):(\d+): (warning|error): (.*?) \[([\w.,-]+)\]$")
known = set()
if os.path.exists(baseline_path):
    for line in open(baseline_path):
        line = line.split("#", 1)[0].strip()
        if line:
            known.add(tuple(line.split(None, 1)))
seen, new, old = set(), [], []
for line in open(log, errors="replace"):
    m = finding.match(line.rstrip("\n"))
    if not m:
        continue
    path, ln, col, kind, msg, check = m.groups()
    rel = os.path.relpath(path, root)
    key = (rel, ln, col, check)
    if key in seen:
        continue
    seen.add(key)
    text = f"{rel}:{ln}:{col}: {kind}: {msg} [{check}]"
    fn = re.match(r"function '([^']+)' has cognitive complexity", msg)
    if check == "readability-function-cognitive-complexity" and fn and (rel, fn.group(1)) in known:
        old.append(text)
    else:
        new.append((check, text))
for text in old:
    print("known (baseline):", text)
for _, text in new:
    print(text)
by_check = collections.Counter(check for check, _ in new)
for check, n in by_check.most_common():
    print(f"tidy.sh: {n:4d} {check}")
print(f"tidy.sh: {len(new)} finding(s), {len(old)} known complex function(s) in the baseline")
sys.exit(1 if new else 0)
PY
