#!/usr/bin/env bash
# Compares models/mrz/tesseract/mrz.traineddata with the previous, rendered-lines-only model
# (OLD) and Debian's `eng` (restricted by a whitelist to the 37 MRZ symbols) on the same held-out
# images, in the same run, one tesseract process per model over all images, psm 7 (single line,
# as the reader asks).
#
#   bash models/mrz/tesseract/eval.sh [all|rendered|crops]     (default: all)
#
# Environment: WORK [/tmp/mrz-tess-eval], SEED [20261127], N rendered lines [300], NICE [19],
#   OLD   the model to compare with [the phase-1 model, from git: commit 122f5e0c3d3c]; "" = none
#   BUILD build dir with tests/bench_ocr/vouch_mrz_line_crops [<repo>/build]
#   CROP_PAGES  generated pages per level for the crop set [50]; CROP_SEED [900000]
#
# rendered: lines from mrzlines.awk with seeds that train.sh never uses (train.sh uses
#   SEED%100000*1000 + 1..999; this uses SEED%100000*1000 + 4999 for the text and + 5000 + i for
#   the rendering of line i), one line per image, rendered with OCR-B by text2image with
#   per-image size, resolution (glyphs ~11-40 px high), stroke exposure, spacing, noise and blur,
#   and a slight random rotation.
# crops: the MRZ line crops the reader itself hands to its second recogniser, cut by
#   vouch_mrz_line_crops from generated pages of the four degradation levels, seeds CROP_SEED+
#   (disjoint from train.sh's 700000+/800000+, the benchmark's 1000+, the unseen checks
#   2000-2099/3000-3099 and the glyph model's 500000+).
# Prints, per model (and per level for crops): line exact-match rate, character accuracy
# (1 - edit distance / length, summed over lines), and wall time per line.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${WORK:-/tmp/mrz-tess-eval}
SEED=${SEED:-20261127}
N=${N:-300}
PART=${1:-all}
REPO=$(cd "$HERE/../../.." && pwd)
BUILD=${BUILD:-$REPO/build}
CROP_PAGES=${CROP_PAGES:-50}
CROP_SEED=${CROP_SEED:-900000}
OLD_COMMIT=122f5e0c3d3c
FONT_DIR=/usr/share/fonts/opentype/ocr-b
WHITELIST='ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<'
export OMP_THREAD_LIMIT=1
RUN=(nice -n "${NICE:-19}")

[[ -f $HERE/mrz.traineddata ]] || { echo "missing $HERE/mrz.traineddata" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK/img" "$WORK/fc" "$WORK/old"
if [[ -z ${OLD+x} ]]; then
  git -C "$REPO" show "$OLD_COMMIT:models/mrz/tesseract/mrz.traineddata" >"$WORK/old/mrz.traineddata"
  OLD=$WORK/old/mrz.traineddata
elif [[ -n $OLD ]]; then
  cp "$OLD" "$WORK/old/mrz.traineddata"
fi

rendered_set() {

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
sed 's/^/rendered\t/' "$WORK/truth.txt" >"$WORK/truth.tsv"
}

# The reader's crops: multi-page TIFFs (one line per page) and their truth, level by level.
crop_set() {
  local bin=$BUILD/tests/bench_ocr/vouch_mrz_line_crops k=0 level f
  [[ -x $bin ]] || { echo "missing $bin" >&2; exit 1; }
  for level in clean mild medium hard; do
    "${RUN[@]}" "$bin" --out "$WORK/crops" --levels "$level" --prefix "$level-" --batch 1000 \
      --seed $((CROP_SEED + k * CROP_PAGES)) --pages-per-level "$CROP_PAGES" >&2
    k=$((k + 1))
  done
  : >"$WORK/images.txt"
  : >"$WORK/truth.tsv"
  for level in clean mild medium hard; do
    for f in "$WORK/crops/$level"-*.tif; do
      echo "$f" >>"$WORK/images.txt"
      sed "s/^/$level\t/" "${f%.tif}.gt.txt" >>"$WORK/truth.tsv"
    done
  done
  N=$(wc -l <"$WORK/truth.tsv")
}

# One tesseract process per model over the image list; pages come out separated by form feeds.
# An image list reads only the first page of each file, so multi-page TIFFs (the crop set, one
# file per level) get one process each.
recognise() {  # recognise NAME tesseract-args...
  local name=$1 t0 t1 k=0 f
  shift
  t0=$(date +%s%N)
  if [[ $MULTIPAGE == 1 ]]; then
    : >"$WORK/$name.txt"
    while IFS= read -r f; do
      k=$((k + 1))
      "${RUN[@]}" tesseract "$f" "$WORK/$name.$k" --psm 7 --dpi 300 "$@" >/dev/null 2>&1
      { cat "$WORK/$name.$k.txt"; printf '\f'; } >>"$WORK/$name.txt"  # pages of a file: \f between
    done <"$WORK/images.txt"
  else
    "${RUN[@]}" tesseract "$WORK/images.txt" "$WORK/$name" --psm 7 --dpi 300 "$@" >/dev/null 2>&1
  fi
  t1=$(date +%s%N)
  # One line per image: drop blanks, join each page's lines, strip spaces.
  awk 'BEGIN { RS = "\f" } { gsub(/[ \n]/, ""); print }' "$WORK/$name.txt" >"$WORK/$name.lines"
  [[ $(wc -l <"$WORK/$name.lines") -eq $N ]] || { echo "$name: not one page per image" >&2; exit 1; }
  score "$name" $(((t1 - t0) / 1000000))
}

score() {  # score NAME MILLISECONDS
  paste -d '\t' "$WORK/truth.tsv" "$WORK/$1.lines" | awk -F '\t' -v name="$1" -v ms="$2" '
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
    function add(k, e) { lines[k]++; chars[k] += length($2); errs[k] += e; exact[k] += ($2 == $3) }
    function report(k, label) {
      printf "%-16s %-9s lines=%d exact=%d (%.1f%%) char_accuracy=%.2f%%%s\n", name, label,
        lines[k], exact[k], 100 * exact[k] / lines[k], 100 * (1 - errs[k] / chars[k]),
        label == "all" ? sprintf(" time=%.0f ms/line", ms / lines[k]) : ""
    }
    {
      if (!($1 in lines)) order[++levels] = $1
      e = dist($2, $3); add($1, e); add("", e)
    }
    END {
      if (levels > 1) for (i = 1; i <= levels; i++) report(order[i], order[i])
      report("", "all")
    }'
}

run_models() {
  recognise mrz --tessdata-dir "$HERE" -l mrz
  [[ -n $OLD ]] && recognise mrz_old --tessdata-dir "$WORK/old" -l mrz
  recognise eng_whitelist -l eng -c tessedit_char_whitelist="$WHITELIST"
}

if [[ $PART == all || $PART == rendered ]]; then
  MULTIPAGE=0
  rendered_set
  echo "held-out rendered MRZ lines: $N (seed $SEED), psm 7, same images for every model"
  run_models
fi
if [[ $PART == all || $PART == crops ]]; then
  MULTIPAGE=1
  crop_set
  echo "held-out reader crops: $N lines from $CROP_PAGES pages per level (seeds $CROP_SEED+), psm 7, same images for every model"
  run_models
fi
