#!/usr/bin/env bash
# Compares models/mrz/tesseract/mrz.traineddata with Debian's `eng` (restricted by a whitelist to
# the 37 MRZ symbols) on the same held-out rendered MRZ lines, in the same run.
#
#   bash models/mrz/tesseract/eval.sh
#
# Environment: WORK [/tmp/mrz-tess-eval], SEED [20261127], N lines [300], NICE [19].
# The lines come from mrzlines.awk with seeds that train.sh never uses (train.sh uses
# SEED%100000*1000 + 1..999; this uses SEED%100000*1000 + 4999 for the text and + 5000 + i for
# the rendering of line i), one line per image,
# rendered with OCR-B by text2image with per-image size, resolution (glyphs ~11-40 px high),
# stroke exposure, spacing, noise and blur, and a slight random rotation.
# Prints, per model: line exact-match rate, character accuracy (1 - edit distance / length,
# summed over lines), and wall time for the whole set (one tesseract process per model).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${WORK:-/tmp/mrz-tess-eval}
SEED=${SEED:-20261127}
N=${N:-300}
FONT_DIR=/usr/share/fonts/opentype/ocr-b
WHITELIST='ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<'
export OMP_THREAD_LIMIT=1
RUN=(nice -n "${NICE:-19}")

[[ -f $HERE/mrz.traineddata ]] || { echo "missing $HERE/mrz.traineddata" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK/img" "$WORK/fc"

awk -v seed=$(((SEED % 100000) * 1000 + 4999)) -v n="$N" -f "$HERE/mrzlines.awk" |
  head -n "$N" >"$WORK/truth.txt"
: >"$WORK/images.txt"
i=0
while IFS= read -r line; do
  i=$((i + 1))
  RANDOM=$(((SEED % 100000) * 1000 + 5000 + i))
  pt=$((9 + RANDOM % 6))
  res=$((120 + (RANDOM % 19) * 10))
  exposure=$(((RANDOM % 8) / 2 - 1))
  ((exposure == 2 && RANDOM % 2)) && exposure=1
  spacing=0.$((RANDOM % 16))
  [[ $spacing == 0.[0-9] ]] && spacing=0.0${spacing#0.}
  distort=$((RANDOM % 2))
  margin=$((10 + RANDOM % 40))
  em=$((pt * res / 72))
  printf '%s\n' "$line" >"$WORK/img/l$i.txt"
  args=(--text "$WORK/img/l$i.txt" --outputbase "$WORK/img/l$i" --font "OCR B"
    --fonts_dir "$FONT_DIR" --fontconfig_tmpdir "$WORK/fc" --ptsize "$pt" --resolution "$res"
    --exposure "$exposure" --char_spacing "$spacing" --margin "$margin"
    --xsize $((${#line} * em * 90 / 100 + 2 * margin)) --ysize $((em * 2 + 2 * margin))
    --strip_unrenderable_words=false --invert=false)
  ((distort)) && args+=(--distort_image)
  "${RUN[@]}" text2image "${args[@]}" >/dev/null 2>&1
  [[ -s $WORK/img/l$i.tif ]] || { echo "text2image failed on line $i" >&2; exit 1; }
  echo "$WORK/img/l$i.tif" >>"$WORK/images.txt"
done <"$WORK/truth.txt"

# One tesseract process per model over the image list; pages come out separated by form feeds.
recognise() {  # recognise NAME tesseract-args...
  local name=$1 t0 t1
  shift
  t0=$(date +%s%N)
  "${RUN[@]}" tesseract "$WORK/images.txt" "$WORK/$name" --psm 7 "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  # One line per image: drop blanks, join each page's lines, strip spaces.
  awk 'BEGIN { RS = "\f" } { gsub(/[ \n]/, ""); print }' "$WORK/$name.txt" >"$WORK/$name.lines"
  [[ $(wc -l <"$WORK/$name.lines") -eq $N ]] || { echo "$name: not one page per image" >&2; exit 1; }
  score "$name" $(((t1 - t0) / 1000000))
}

score() {  # score NAME MILLISECONDS
  paste -d '\t' "$WORK/truth.txt" "$WORK/$1.lines" | awk -F '\t' -v name="$1" -v ms="$2" '
    function dist(a, b,    i, j, n, m, d, c, x) {
      n = length(a); m = length(b)
      for (j = 0; j <= m; j++) d[0, j] = j
      for (i = 1; i <= n; i++) {
        d[i, 0] = i
        for (j = 1; j <= m; j++) {
          c = (substr(a, i, 1) != substr(b, j, 1))
          x = d[i - 1, j - 1] + c
          if (d[i - 1, j] + 1 < x) x = d[i - 1, j] + 1
          if (d[i, j - 1] + 1 < x) x = d[i, j - 1] + 1
          d[i, j] = x
        }
      }
      return d[n, m]
    }
    { lines++; chars += length($1); errs += dist($1, $2); if ($1 == $2) exact++ }
    END {
      printf "%-28s lines=%d exact=%d (%.1f%%) char_accuracy=%.2f%% time=%.0f ms/line\n",
        name, lines, exact, 100 * exact / lines, 100 * (1 - errs / chars), ms / lines
    }'
}

echo "held-out rendered MRZ lines: $N (seed $SEED), psm 7, same images for both models"
recognise mrz --tessdata-dir "$HERE" -l mrz
recognise eng_whitelist -l eng -c tessedit_char_whitelist="$WHITELIST"
