#!/usr/bin/env python3
"""Per-image report of `vouchctl ocr read --json` on the real development set.

Runs the reader once per manifest (models loaded once) over
../shared/corpus/specimens and ../shared/corpus/mrz_real and prints, per
image: exact lines?, verdict, reasons, time; then per set (scans, photos,
printed-invalid documents, negatives) the automation rate (exact and
`valid` among genuine documents), exact reads, review with correct lines,
false accepts (a wrong read that says `valid`, or any `valid` on a
negative or a document that prints a failing check digit), no MRZ found
and the median time.

Usage (from the repository root, after building vouchctl):
  OMP_THREAD_LIMIT=1 python3 ocr/mrz/tools/real_set_report.py \
      [--vouchctl build/verifier/cli/vouchctl] [--shared ../shared] [--json] [--cpu]

A photo is a camera capture (capture "photo" or a camera-preview frame,
"camera" in the file name); everything else is a scan. Genuine documents
are those whose printed check digits all pass (mrz_check_digits_valid).
"""
import argparse
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib


def load(shared, name):
    with open(os.path.join(shared, "corpus", name, "manifest.json")) as f:
        m = json.load(f)
    items = []
    for s in m["specimens"]:
        photo = s.get("capture") == "photo" or "camera" in s["file"]
        items.append({
            "set": name,
            "file": os.path.join(shared, "corpus", name, s["file"]),
            "lines": s["mrz_lines"],
            "genuine": s.get("mrz_check_digits_valid", True),
            "kind": "photo" if photo else "scan",
        })
    for n in m.get("negatives", []):
        f = n["file"] if isinstance(n, dict) else n
        items.append({"set": name, "file": os.path.join(shared, "corpus", name, f),
                      "lines": None, "genuine": False, "kind": "negative"})
    return items


def run(vouchctl, items):
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    out = subprocess.run([vouchctl, "ocr", "read", "--json"] + [i["file"] for i in items],
                         capture_output=True, text=True, env=env)
    by_file = {}
    for line in out.stdout.splitlines():
        j = json.loads(line)
        by_file[j["file"]] = j
    return by_file


def child_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def blank_png(side):
    """A white 8-bit gray PNG of side x side pixels."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + b"\xff" * side for _ in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def run_cpu(vouchctl, items, by_file):
    """Replaces each result's "ms" by the CPU time of reading that image
    alone: one process per image, minus the CPU of a process that only loads
    the models (median of three runs on a blank 32 x 32 page)."""
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    blank = tempfile.NamedTemporaryFile(suffix=".png", delete=False)
    blank.write(blank_png(32))
    blank.close()
    base = []
    for _ in range(3):
        t = child_cpu_s()
        subprocess.run([vouchctl, "ocr", "read", "--json", blank.name],
                       capture_output=True, env=env)
        base.append(child_cpu_s() - t)
    os.unlink(blank.name)
    base_s = statistics.median(base)
    for it in items:
        t = child_cpu_s()
        subprocess.run([vouchctl, "ocr", "read", "--json", it["file"]],
                       capture_output=True, env=env)
        cpu = child_cpu_s() - t
        if it["file"] in by_file:
            by_file[it["file"]]["ms"] = max(0, int(round(1000 * (cpu - base_s))))
    return base_s


def classify(item, j):
    mrz = j.get("mrz") if j else None
    verdict = mrz["verdict"] if mrz else "none"
    lines = mrz["lines"] if mrz else []
    exact = item["lines"] is not None and lines == item["lines"]
    false_accept = verdict == "valid" and not (exact and item["genuine"])
    return {"exact": exact, "verdict": verdict,
            "reasons": mrz["reasons"] if mrz else [], "ms": j.get("ms", 0) if j else 0,
            "false_accept": false_accept}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vouchctl", default="build/verifier/cli/vouchctl")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--json", action="store_true", help="also dump per-image JSON")
    ap.add_argument("--cpu", action="store_true",
                    help="time column = CPU ms of each read on its own (one process per "
                         "image, model loading subtracted) instead of wall ms")
    a = ap.parse_args()
    items = load(a.shared, "specimens") + load(a.shared, "mrz_real")
    res = run(a.vouchctl, items)
    if a.cpu:
        base = run_cpu(a.vouchctl, items, res)
        print(f"time column: CPU ms per read (model loading, {1000 * base:.0f} ms, subtracted)")
    rows = []
    for it in items:
        c = classify(it, res.get(it["file"]))
        rows.append((it, c))
        flag = "FALSE-ACCEPT" if c["false_accept"] else ""
        tag = it["kind"] if it["genuine"] or it["kind"] == "negative" else "printed-invalid"
        print(f"{os.path.basename(it['file']):42s} {tag:15s} exact={int(c['exact'])} "
              f"{c['verdict']:10s} {c['ms']:5d}ms {','.join(c['reasons'])} {flag}")
        if a.json:
            print("   ", json.dumps(res.get(it["file"])))
    print()
    print(f"{'set':16s} {'n':>3s} {'auto':>9s} {'exact':>9s} {'review':>7s} "
          f"{'FA':>3s} {'noMRZ':>6s} {'median':>7s}")

    def summary(name, sel):
        if not sel:
            return
        n = len(sel)
        gen = [r for r in sel if r[0]["genuine"]]
        auto = sum(1 for it, c in gen if c["exact"] and c["verdict"] == "valid")
        exact = sum(1 for it, c in sel if c["exact"])
        review = sum(1 for it, c in sel if c["exact"] and c["verdict"] == "unreadable")
        fa = sum(1 for it, c in sel if c["false_accept"])
        none = sum(1 for it, c in sel if c["verdict"] == "none")
        med = statistics.median([c["ms"] for it, c in sel])
        auto_s = f"{auto}/{len(gen)}" if gen else "-"
        print(f"{name:16s} {n:3d} {auto_s:>9s} {exact:>4d}/{n:<4d} {review:7d} {fa:3d} "
              f"{none:6d} {med:6.0f}ms")

    summary("scans", [r for r in rows if r[0]["kind"] == "scan" and r[0]["genuine"]])
    summary("photos", [r for r in rows if r[0]["kind"] == "photo" and r[0]["genuine"]])
    summary("printed-invalid", [r for r in rows if r[0]["kind"] != "negative"
                                and not r[0]["genuine"]])
    summary("negatives", [r for r in rows if r[0]["kind"] == "negative"])
    summary("specimens", [r for r in rows if r[0]["set"] == "specimens"
                          and r[0]["kind"] != "negative"])
    summary("mrz_real", [r for r in rows if r[0]["set"] == "mrz_real"
                         and r[0]["kind"] != "negative"])
    return 1 if any(c["false_accept"] for _, c in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
