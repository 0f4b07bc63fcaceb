#!/usr/bin/env python3
"""Field-confidence calibration for the MRZ verdict (docs/ocr.md).

Reads held-out pages with `vouchctl ocr read --json` and, per field, lists
the confidences of fields read right and of fields read wrong, so that the
per-field threshold (MrzReaderOptions::min_field_confidence) can be put above
every wrong field's confidence. Pages: a vouch_docgen folder (index.jsonl;
generate with build/tests/docgen/vouch_docgen --out DIR --count N --seed S,
with seeds the benchmark does not use) and/or a real-set manifest folder.

Usage:
  OMP_THREAD_LIMIT=1 python3 ocr/mrz/tools/calibrate_field_thresholds.py \
      [--vouchctl build/verifier/cli/vouchctl] [--docgen DIR] [--manifest DIR]
"""
import argparse
import json
import os
import subprocess
import sys

# Field spans per layout (line, from, to), as in mrz_verdict.cc.
TD1 = {"document_code": (0, 0, 2), "issuing_state": (0, 2, 5), "document_number": (0, 5, 15),
       "optional_data": (0, 15, 30), "birth_date": (1, 0, 7), "sex": (1, 7, 8),
       "expiry_date": (1, 8, 15), "nationality": (1, 15, 18), "optional_data_2": (1, 18, 29),
       "surname": (2, 0, 30), "given_names": (2, 0, 30)}


def spans(fmt, length):
    if fmt == "TD1":
        return TD1
    s = {"document_code": (0, 0, 2), "issuing_state": (0, 2, 5), "surname": (0, 5, length),
         "given_names": (0, 5, length), "document_number": (1, 0, 10), "nationality": (1, 10, 13),
         "birth_date": (1, 13, 20), "sex": (1, 20, 21), "expiry_date": (1, 21, 28)}
    s["optional_data"] = (1, 28, 43) if fmt == "TD3" else (1, 28, 35) if fmt == "TD2" else (1, 28, length)
    return s


def pages(args):
    out = []
    if args.docgen:
        for line in open(os.path.join(args.docgen, "index.jsonl")):
            j = json.loads(line)
            out.append((os.path.join(args.docgen, j["file"]), j["mrz_lines"], j.get("level", "")))
    if args.manifest:
        m = json.load(open(os.path.join(args.manifest, "manifest.json")))
        for s in m["specimens"]:
            if s.get("mrz_check_digits_valid", True):
                out.append((os.path.join(args.manifest, s["file"]), s["mrz_lines"], "real"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vouchctl", default="build/verifier/cli/vouchctl")
    ap.add_argument("--docgen")
    ap.add_argument("--manifest")
    ap.add_argument("--dump", action="store_true", help="list low right and all wrong confidences")
    a = ap.parse_args()
    ps = pages(a)
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    res = subprocess.run([a.vouchctl, "ocr", "read", "--json"] + [p[0] for p in ps],
                         capture_output=True, text=True, env=env).stdout
    by_file = {json.loads(l)["file"]: json.loads(l) for l in res.splitlines()}
    right, wrong = {}, {}
    review_reasons = {}
    exact = valid_exact = fa = 0
    for path, truth, level in ps:
        mrz = (by_file.get(path) or {}).get("mrz")
        if not mrz or not mrz.get("lines") or len(mrz["lines"]) != len(truth):
            continue
        lines = mrz["lines"]
        if lines == truth:
            exact += 1
            valid_exact += mrz["verdict"] == "valid"
            if mrz["verdict"] != "valid":
                key = ",".join(sorted(mrz["reasons"]))
                review_reasons[key] = review_reasons.get(key, 0) + 1
        elif mrz["verdict"] == "valid":
            fa += 1
            print("FALSE ACCEPT", path)
        fmt = mrz["type"]
        for name, (ln, lo, hi) in spans(fmt, len(truth[0])).items():
            if name not in mrz["field_confidence"] or ln >= len(lines):
                continue
            ok = lines[ln][lo:hi] == truth[ln][lo:hi]
            (right if ok else wrong).setdefault(name, []).append(
                (mrz["field_confidence"][name], os.path.basename(path)))
    if a.dump:
        for name in sorted(right):
            print(name, "right<0.9:", sorted(round(c, 3) for c, _ in right[name] if c < 0.9))
        for name in sorted(wrong):
            print(name, "wrong:", sorted((round(c, 3), f) for c, f in wrong[name]))
    for k, n in sorted(review_reasons.items(), key=lambda x: -x[1]):
        print(f"exact, not valid: {n:4d}  {k}")
    print(f"pages {len(ps)}  exact {exact}  exact+valid {valid_exact}  false accepts {fa}")
    print(f"{'field':16s} {'right':>6s} {'wrong':>6s} {'max wrong':>10s} "
          f"{'right<0.90':>10s} {'right<max wrong':>15s}")
    for name in sorted(set(right) | set(wrong)):
        r = [c for c, _ in right.get(name, [])]
        w = sorted(wrong.get(name, []), reverse=True)
        mw = w[0][0] if w else 0.0
        print(f"{name:16s} {len(r):6d} {len(w):6d} {mw:10.3f} "
              f"{sum(c < 0.90 for c in r):10d} {sum(c <= mw for c in r):15d}"
              + (f"   top wrong: {w[0][1]}" if w else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
