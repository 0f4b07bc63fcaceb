#!/usr/bin/env bash
# Trains an OCR-B MRZ Tesseract LSTM model ("mrz.traineddata") from scratch
# with the training tools Debian's tesseract-ocr package ships. NOT run by
# the build: it takes 1-3 hours on 2 cores. See README.md for the recipe and
# why vouch currently ships without its output.
#
# Usage: models/mrz/train_tesseract.sh WORKDIR [ITERATIONS]
set -euo pipefail
WORK=${1:?usage: train_tesseract.sh WORKDIR [ITERATIONS]}
ITER=${2:-20000}
FONT_DIR=/usr/share/fonts/opentype/ocr-b
FONT="OCR-B"
TESSDATA=/usr/share/tesseract-ocr/5/tessdata
mkdir -p "$WORK/ground" "$WORK/out"

# 1. Training text: random valid MRZ lines of every layout (the generator's
#    identities, check digits computed), one line per text line.
python3 - "$WORK/ground/mrz.training_text" <<'PY'
import random, sys
random.seed(9303)
A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
D = "0123456789"
def cd(s):
    v = lambda c: 0 if c == '<' else (int(c) if c.isdigit() else ord(c) - 55)
    return str(sum(v(c) * (7, 3, 1)[i % 3] for i, c in enumerate(s)) % 10)
def word(): return "".join(random.choice(A) for _ in range(random.randint(2, 12)))
def name(n):
    s = "<".join(word() for _ in range(random.randint(1, 3))) + "<<" + \
        "<".join(word() for _ in range(random.randint(0, 3)))
    return (s + "<" * n)[:n]
def date(): return "%02d%02d%02d" % (random.randint(0, 99), random.randint(1, 12), random.randint(1, 28))
def num(n): return "".join(random.choice(A + D) for _ in range(n))
out = []
for _ in range(40000):
    st, nat = random.choice(["UTO", "D<<", "FRA", "GBR", "XXA"]), random.choice(["UTO", "D<<", "USA"])
    doc, b, e = (num(random.randint(7, 9)) + "<<")[:9], date(), date()
    kind = random.randint(0, 2)
    if kind == 0:
        opt = (num(random.randint(0, 14)) + "<" * 14)[:14]
        l2 = doc + cd(doc) + nat + b + cd(b) + random.choice("MF<") + e + cd(e) + opt + cd(opt)
        l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
        out += ["P<" + st + name(39), l2]
    elif kind == 1:
        l1 = "I<" + st + doc + cd(doc) + "<" * 15
        l2 = b + cd(b) + random.choice("MF<") + e + cd(e) + nat + "<" * 11
        l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
        out += [l1, l2, name(30)]
    else:
        opt = (num(random.randint(0, 7)) + "<" * 7)[:7]
        l2 = doc + cd(doc) + nat + b + cd(b) + random.choice("MF<") + e + cd(e) + opt
        l2 += cd(l2[0:10] + l2[13:20] + l2[21:35])
        out += ["I<" + st + name(31), l2]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

# 2. Line images in OCR-B with degradations (text2image: exposure, blur via
#    --degrade_image, rotation, jpeg-like noise; several resolutions).
for res in 150 200 300; do
  for exp in -1 0 1; do
    text2image --fonts_dir="$FONT_DIR" --font="$FONT" \
      --text="$WORK/ground/mrz.training_text" \
      --outputbase="$WORK/ground/mrz.ocrb.r${res}.e${exp}" \
      --resolution=$res --exposure=$exp --degrade_image=true \
      --rotate_image=true --char_spacing=0.1 --max_pages=40 \
      --ptsize=10 --xsize=3600 --ysize=480 --margin=40
  done
done

# 3. Unicharset (37 symbols), starter traineddata, LSTMF files.
unicharset_extractor --output_unicharset "$WORK/out/unicharset" \
  --norm_mode 1 "$WORK/ground/mrz.training_text"
combine_lang_model --input_unicharset "$WORK/out/unicharset" \
  --script_dir "$TESSDATA" --output_dir "$WORK/out" --lang mrz
ls "$WORK"/ground/*.tif | while read -r tif; do
  base=${tif%.tif}
  tesseract "$tif" "$base" --psm 6 lstm.train >/dev/null 2>&1
done
ls "$WORK"/ground/*.lstmf | shuf --random-source=<(yes) > "$WORK/out/all.lstmf"
head -n -20 "$WORK/out/all.lstmf" > "$WORK/out/train.lstmf"
tail -n 20 "$WORK/out/all.lstmf" > "$WORK/out/eval.lstmf"

# 4. Train from scratch: a small network, enough for 37 glyphs of one font.
lstmtraining --traineddata "$WORK/out/mrz/mrz.traineddata" \
  --net_spec '[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx192 O1c###]' \
  --model_output "$WORK/out/mrz" --learning_rate 20e-4 \
  --train_listfile "$WORK/out/train.lstmf" \
  --eval_listfile "$WORK/out/eval.lstmf" --max_iterations "$ITER"
lstmtraining --stop_training --continue_from "$WORK/out/mrz_checkpoint" \
  --traineddata "$WORK/out/mrz/mrz.traineddata" \
  --model_output "$WORK/out/mrz.traineddata"
lstmeval --model "$WORK/out/mrz.traineddata" --eval_listfile "$WORK/out/eval.lstmf"
sha256sum "$WORK/out/mrz.traineddata"
echo "copy $WORK/out/mrz.traineddata to models/mrz/ and record the figures in README.md"
