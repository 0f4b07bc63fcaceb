#!/usr/bin/env bash
# Formats vouch's C++ sources with clang-format and the repository's .clang-format.
#
#   deploy/format.sh                 format every C++ file of the checkout in place
#   deploy/format.sh --check         list the files that are not formatted; exit 1 if any
#   deploy/format.sh [--check] FILE  only these files (each must be one of those C++ files)
#
# The files are the *.cc and *.h that git tracks or would track (git ls-files --cached
# --others --exclude-standard): a new file is formatted before its first commit, while build
# trees and generated code (protobuf/gRPC output lives in the build tree), which .gitignore
# names, are never touched; paths matching EXCLUDE (third-party code copied into the tree) are
# skipped too.
# Environment: CLANG_FORMAT (default clang-format; CI uses Debian 12's clang-format 14, and
# other major versions may format some lines differently), JOBS (default nproc).
# Exit status: 0 formatted (or nothing to change), 1 --check found unformatted files, 2 misuse.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
JOBS=${JOBS:-$(nproc)}
EXPECTED_MAJOR=14
# Extended regex over repository paths; none today (nothing third-party is vendored).
EXCLUDE='(^|/)(third_party|vendor)/'

usage() { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

CHECK=0
FILES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) CHECK=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "format.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) FILES+=("$1"); shift ;;
  esac
done

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
  echo "format.sh: $CLANG_FORMAT not found (apt-get install clang-format)" >&2
  exit 2
fi
major=$("$CLANG_FORMAT" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$major" != "$EXPECTED_MAJOR" ]; then
  echo "format.sh: warning: $CLANG_FORMAT is version $major, CI uses $EXPECTED_MAJOR;" \
       "some lines may format differently" >&2
fi

tracked() {
  git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' | grep -Ev "$EXCLUDE" || true
}

if [ ${#FILES[@]} -eq 0 ]; then
  mapfile -t FILES < <(tracked)
else
  mapfile -t ALL < <(tracked)
  for f in "${FILES[@]}"; do
    rel=$(realpath -m --relative-to=. "$f")
    # Not grep -q: it may exit before printf is done, and pipefail then fails on SIGPIPE.
    if ! printf '%s\n' "${ALL[@]}" | grep -Fx -- "$rel" >/dev/null; then
      echo "format.sh: $f is not a C++ source of the checkout (or is excluded)" >&2
      exit 2
    fi
  done
fi
[ ${#FILES[@]} -eq 0 ] && exit 0

if [ "$CHECK" = 0 ]; then
  printf '%s\0' "${FILES[@]}" | xargs -0 -n 16 -P "$JOBS" "$CLANG_FORMAT" -i --style=file
  exit 0
fi

# --check: one line per unformatted file, then how to fix them.
export CLANG_FORMAT
unformatted=$(printf '%s\0' "${FILES[@]}" | xargs -0 -n 1 -P "$JOBS" sh -c \
  '"$CLANG_FORMAT" --style=file "$1" | cmp -s - "$1" || echo "$1"' sh | sort)
if [ -n "$unformatted" ]; then
  echo "$unformatted"
  echo "format.sh: $(echo "$unformatted" | wc -l) file(s) not formatted; run deploy/format.sh" \
       "(or deploy/format.sh FILE...)" >&2
  exit 1
fi
echo "format.sh: ${#FILES[@]} files formatted"
