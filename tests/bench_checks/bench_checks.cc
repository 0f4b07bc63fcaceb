// Evaluation and benchmark of the image checks (not a ctest test).
//
//   bench_checks [--n N] [--models DIR] [--faces DIR] [--measures]
//                [--barcode]   (only the barcode sets)
//   bench_checks --write-samples DIR   (front.jpg, back.jpg for vouchctl)
//   bench_checks --faces DIR [--models DIR]   (DIR with manifest.json and
//                pairs.json: the face matcher's ROC, bench_faces.h)
//   bench_checks --calibrate [--shared DIR] [--n N] [--list]
//                (labelled genuine/fake sets behind the fraud and quality
//                thresholds; calibration.h)
//   bench_checks --time-image FILE   (time per check on that image only)
//   bench_checks --quality-dir DIR [--reps N]   (all quality checks on the
//                pages a VOUCH_CAL_DUMP run wrote: each page's scores and
//                verdicts, and thread CPU per page, the lowest of N runs)
//   bench_checks --outline FILE OUT.png   (the detected outline drawn on FILE)
//   bench_checks --service [--shared DIR] [--models DIR] [--n N] [--list]
//                (genuine submissions through VerificationPipeline: the
//                outcome a genuine user gets; service.h)
//
// Prints, for every quality check, the true-positive rate on synthetic
// photos with the defect and the false-positive rate on clean ones; the
// barcode decode rate across skews, blurs and scales; with --models and
// --faces, face-match score distributions on the sample faces; and time per
// check on one core, with a ratio against decoding the same photo from JPEG
// (the baseline measured in the same run).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ZXing/BarcodeFormat.h"
#include "ZXing/BitMatrix.h"
#include "ZXing/MultiFormatWriter.h"
#include "absl/strings/str_format.h"
#include "base/model_paths.h"
#include "bench_faces.h"
#include "calibration.h"
#include "checks/quality_internal.h"
#include "cpu_time.h"
#include "docgen/docgen.h"
#include "docgen_scenes.h"
#include "ocr/barcode.h"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/image.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "service.h"
#include "synthetic_document.h"

namespace vouch::ocr {
namespace {

using synthetic::GlareZone;
using synthetic::RenderScene;
using synthetic::SceneOptions;
using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const CheckResult* Find(const QualityReport& r, const std::string& name) {
  for (const CheckResult& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

struct SetResult {
  int n = 0;
  int flagged = 0;      // fail or review
  int unavailable = 0;  // the check could not judge
  std::vector<double> scores;
};

// One labelled set: docgen pages (TD1, TD3, MRV-A in turn) at `level`
// with `defects` on top, every quality check run once per page.
struct Page {
  QualityReport report;
  double true_dpi = 0;
  double ms = 0;  // RunQualityChecks, this page.
};

constexpr MrzFormat kFormats[] = {MrzFormat::kTd1, MrzFormat::kTd3, MrzFormat::kMrvA};

// TD1 pages from docgen carry portrait, data and MRZ on one side; they are
// judged with the TD1 front layout (portrait, data) or the TD1 back layout
// (MRZ in the bottom third, everything above as data).
std::vector<Page> EvaluateSet(docgen::DocumentGenerator& gen, int n, uint64_t seed0,
                              docgen::Level level,
                              const std::function<void(scenes::Defects&, int)>& setup,
                              DocumentSide td1_side = DocumentSide::kFront) {
  std::vector<Page> pages;
  for (int i = 0; i < n; ++i) {
    const MrzFormat format = kFormats[i % 3];
    scenes::Defects d;
    setup(d, i);
    absl::StatusOr<scenes::Scene> scene = scenes::MakeScene(gen, format, level, seed0 + i, d);
    if (!scene.ok()) {
      std::printf("  error: %s\n", scene.status().ToString().c_str());
      continue;
    }
    const DocumentSide side = format == MrzFormat::kTd1 ? td1_side : DocumentSide::kFront;
    const QualityOptions q = WithDocumentType({}, scene->type, side);
    const auto t = Clock::now();
    absl::StatusOr<QualityReport> r =
        RunQualityChecks(scene->image, TelegramSource::kFrontSide, q, scene->jpeg);
    const double ms = MsSince(t);
    if (!r.ok()) {
      std::printf("  error: %s\n", r.status().ToString().c_str());
      continue;
    }
    pages.push_back(Page{*std::move(r), scene->true_dpi, ms});
  }
  return pages;
}

SetResult Score(const std::vector<Page>& pages, const std::string& check, bool measures) {
  SetResult out;
  for (const Page& p : pages) {
    const CheckResult* c = Find(p.report, check);
    if (c == nullptr) continue;
    ++out.n;
    if (c->verdict == CheckVerdict::kUnavailable) {
      ++out.unavailable;
    } else if (c->verdict != CheckVerdict::kPass) {
      ++out.flagged;
    }
    out.scores.push_back(c->score);
  }
  if (measures) {
    std::printf("    scores:");
    for (double s : out.scores) std::printf(" %.3g", s);
    std::printf("\n");
  }
  return out;
}

void Row(const char* check, const char* set, const char* label, SetResult r) {
  std::sort(r.scores.begin(), r.scores.end());
  const double rate = r.n ? 100.0 * r.flagged / r.n : 0;
  std::printf("%-10s %-40s %3d  %s %5.1f%%  unavail %2d  score min %.3g  med %.3g  max %.3g\n",
              check, set, r.n, label, rate, r.unavailable, r.scores.empty() ? 0 : r.scores.front(),
              r.scores.empty() ? 0 : r.scores[r.scores.size() / 2],
              r.scores.empty() ? 0 : r.scores.back());
}

void Percentiles(const char* what, std::vector<double> ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  std::printf("%-44s n=%3zu  p50 %6.1f  p90 %6.1f  max %6.1f ms\n", what, ms.size(),
              ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back());
}

void QualitySets(docgen::DocumentGenerator& gen, int n, bool measures) {
  using docgen::Level;
  using scenes::Defects;
  using scenes::Zone;
  std::printf("\n== Quality checks: labelled sets from vouch::docgen pages ==\n");
  std::printf(
      "n pages per set, TD1 / TD3 / MRV-A in turn, each a docgen photo on\n"
      "a background (level as named) with the defect applied on top and\n"
      "re-encoded as JPEG q90; zones from the document type.\n"
      "TPR = share of defective photos the check flags (fail or review);\n"
      "FPR = share of clean photos it flags.\n\n");
  auto none = [](Defects&, int) {};
  std::vector<double> page_ms;
  auto eval = [&](uint64_t seed0, Level level, const std::function<void(Defects&, int)>& setup,
                  DocumentSide td1_side = DocumentSide::kFront) {
    std::vector<Page> pages = EvaluateSet(gen, n, seed0, level, setup, td1_side);
    for (const Page& p : pages) page_ms.push_back(p.ms);
    return pages;
  };
  const std::vector<Page> clean = eval(100, Level::kClean, none);
  const std::vector<Page> mild = eval(150, Level::kMild, none);
  const std::vector<Page> clean_back = eval(100, Level::kClean, none, DocumentSide::kBack);

  Row("focus", "docgen clean", "FPR", Score(clean, "focus", measures));
  Row("focus", "docgen mild (blur sigma 0.3-0.7, JPEG 75-90)", "FPR",
      Score(mild, "focus", measures));
  for (double s : {1.0, 2.0, 3.0, 5.0}) {
    char name[64];
    std::snprintf(name, sizeof name, "clean + blur sigma %.0f px/1000 px card", s);
    Row("focus", name, "TPR",
        Score(eval(200, Level::kClean, [s](Defects& d, int) { d.blur_sigma = s; }), "focus",
              measures));
  }
  Row("glare", "docgen clean (TD1 as front)", "FPR", Score(clean, "glare", measures));
  Row("glare", "docgen clean (TD1 as back)", "FPR", Score(clean_back, "glare", measures));
  Row("glare", "docgen mild", "FPR", Score(mild, "glare", measures));
  Row("glare", "spot on card background (header)", "FPR",
      Score(eval(300, Level::kClean, [](Defects& d, int) { d.glare = Zone::kBackground; }), "glare",
            measures));
  Row("glare", "spot on portrait", "TPR",
      Score(eval(310, Level::kClean, [](Defects& d, int) { d.glare = Zone::kPortrait; }), "glare",
            measures));
  Row("glare", "spot on data", "TPR",
      Score(eval(320, Level::kClean, [](Defects& d, int) { d.glare = Zone::kData; }), "glare",
            measures));
  Row("glare", "spot on MRZ (TD1 as back)", "TPR",
      Score(eval(
                330, Level::kClean, [](Defects& d, int) { d.glare = Zone::kMrz; },
                DocumentSide::kBack),
            "glare", measures));
  Row("exposure", "docgen clean", "FPR", Score(clean, "exposure", measures));
  Row("exposure", "docgen mild (light falloff)", "FPR", Score(mild, "exposure", measures));
  Row("exposure", "dark (x0.25)", "TPR",
      Score(eval(400, Level::kClean, [](Defects& d, int) { d.brightness = 0.25; }), "exposure",
            measures));
  Row("exposure", "washed out (70% white)", "TPR",
      Score(eval(410, Level::kClean, [](Defects& d, int) { d.washout = 0.7; }), "exposure",
            measures));
  Row("cutoff", "docgen clean (whole card)", "FPR", Score(clean, "cutoff", measures));
  Row("cutoff", "docgen mild", "FPR", Score(mild, "cutoff", measures));
  Row("cutoff", "one corner 12% off the frame", "TPR",
      Score(eval(500, Level::kClean, [](Defects& d, int i) { d.cut_corner = i % 4; }), "cutoff",
            measures));
  Row("cutoff", "card 30% of frame width", "TPR",
      Score(eval(510, Level::kClean, [](Defects& d, int) { d.card_share = 0.3; }), "cutoff",
            measures));
  Row("colour", "docgen clean", "FPR", Score(clean, "colour", measures));
  Row("colour", "docgen mild", "FPR", Score(mild, "colour", measures));
  Row("colour", "grey copy", "TPR",
      Score(eval(600, Level::kClean, [](Defects& d, int) { d.grey_copy = true; }), "colour",
            measures));
  Row("screen", "docgen clean", "FPR", Score(clean, "screen", measures));
  Row("screen", "docgen mild", "FPR", Score(mild, "screen", measures));
  Row("screen", "screen recapture (grid+moire)", "TPR",
      Score(eval(700, Level::kClean, [](Defects& d, int) { d.moire = true; }), "screen", measures));

  // Resolution against docgen's ground truth (card corners): positive iff
  // the true dpi is below the pass threshold.
  std::vector<Page> res = clean;
  for (const Page& p : mild) res.push_back(p);
  const std::vector<Page> medium = eval(160, Level::kMedium, none);
  const std::vector<Page> hard = eval(170, Level::kHard, none);
  for (const auto* set : {&medium, &hard}) {
    for (const Page& p : *set) res.push_back(p);
  }
  for (double scale : {0.45, 1.4}) {
    for (Page& p : eval(800, Level::kClean, [scale](Defects&d, int) { d.scale = scale; })) {
      res.push_back(std::move(p));
    }
  }
  const double pass_dpi = QualityOptions{}.resolution.pass;
  SetResult low, high;
  std::vector<double> rel_err;
  for (const Page& p : res) {
    const CheckResult* c = Find(p.report, "resolution");
    if (c == nullptr) continue;
    SetResult& s = p.true_dpi < pass_dpi ? low : high;
    ++s.n;
    s.flagged += c->verdict != CheckVerdict::kPass;
    s.scores.push_back(c->score);
    rel_err.push_back(std::fabs(c->score - p.true_dpi) / p.true_dpi);
  }
  const std::string high_name = absl::StrFormat("true dpi >= %.0f (levels + 1.4x)", pass_dpi);
  const std::string low_name = absl::StrFormat("true dpi < %.0f (levels + 0.45x)", pass_dpi);
  Row("resolution", high_name.c_str(), "FPR", high);
  Row("resolution", low_name.c_str(), "TPR", low);
  std::sort(rel_err.begin(), rel_err.end());
  if (!rel_err.empty()) {
    std::printf("resolution: |estimated - true dpi| / true: median %.1f%%, p90 %.1f%%\n",
                100 * rel_err[rel_err.size() / 2], 100 * rel_err[rel_err.size() * 9 / 10]);
  }

  // Docgen's own degradations, for information (not labelled per check).
  std::printf("\nflagged (fail or review) per docgen level, no added defect:\n%-8s", "level");
  const char* kChecks[] = {"resolution", "focus",  "glare", "exposure",
                           "cutoff",     "colour", "screen"};
  for (const char* c : kChecks) std::printf(" %10s", c);
  std::printf("\n");
  for (Level level : {Level::kClean, Level::kMild, Level::kMedium, Level::kHard}) {
    const std::vector<Page>& pages = level == Level::kClean    ? clean
                                     : level == Level::kMild   ? mild
                                     : level == Level::kMedium ? medium
                                                               : hard;
    std::printf("%-8s", std::string(docgen::LevelName(level)).c_str());
    for (const char* c : kChecks) {
      const SetResult r = Score(pages, c, false);
      std::printf(" %9.0f%%", r.n ? 100.0 * r.flagged / r.n : 0.0);
    }
    std::printf("\n");
  }
  std::printf("\n");
  Percentiles("all quality checks per page (every set)", page_ms);
}

// Median of `reps` runs after a warm-up: robust to the other processes
// sharing the machine.
template <typename F>
double TimeMs(int reps, F&& f, double* cpu_ms = nullptr) {
  f();
  std::vector<double> ms, cpu;
  for (int i = 0; i < reps; ++i) {
    const auto t = Clock::now();
    const double c = ThreadCpuMs();
    f();
    cpu.push_back(ThreadCpuMs() - c);
    ms.push_back(MsSince(t));
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  if (cpu_ms != nullptr) *cpu_ms = cpu[cpu.size() / 2];
  return ms[ms.size() / 2];
}

// `file`: time the checks on that image instead of the docgen photo.
void Timings(docgen::DocumentGenerator& gen, const std::string& file = "") {
  absl::StatusOr<scenes::Scene> scene =
      scenes::MakeScene(gen, MrzFormat::kTd3, docgen::Level::kClean, 42, scenes::Defects{});
  if (!scene.ok()) {
    std::printf("timings skipped: %s\n", scene.status().ToString().c_str());
    return;
  }
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    scene->jpeg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    absl::StatusOr<DecodedImage> decoded = DecodeImage(scene->jpeg);
    if (!decoded.ok()) {
      std::printf("timings skipped: %s\n", decoded.status().ToString().c_str());
      return;
    }
    scene->image = decoded->bgr;
  }
  const cv::Mat img = scene->image;
  const std::string& bytes = scene->jpeg;
  std::printf("\n== Time per check, one core, median of 20 (%s %dx%d) ==\n",
              file.empty() ? "docgen TD3 clean photo" : file.c_str(), img.cols, img.rows);
  const int reps = 20;
  double decode_cpu = 0;
  const double decode = TimeMs(
      reps, [&] { (void)DecodeImage(bytes); }, &decode_cpu);
  const DocumentDetection doc = *DetectDocument(img);
  // The measures judge an 800 px working copy of the rectified document, as
  // RunQualityChecks gives them.
  cv::Mat work = doc.rectified;
  if (work.cols > 800) {
    work = internal::Shrink(
        doc.rectified, cv::Size(800, std::max(1, doc.rectified.rows * 800 / doc.rectified.cols)));
  }
  const DocumentLayout layout = DocumentLayout::For(DocumentType::kTd3, DocumentSide::kFront);
  const QualityOptions td3 = WithDocumentType({}, DocumentType::kTd3, DocumentSide::kFront);
  struct Item {
    const char* name;
    std::function<void()> run;
  };
  const std::vector<Item> items = {
      {"detect+rectify", [&] { (void)DetectDocument(img); }},
      {"800 px working copy",
       [&] {
         (void)internal::Shrink(doc.rectified, cv::Size(800, std::max(1, doc.rectified.rows * 800 /
                                                                             doc.rectified.cols)));
       }},
      {"focus", [&] { (void)internal::MeasureFocus(work); }},
      {"glare", [&] { (void)internal::MeasureGlare(work, layout); }},
      {"exposure", [&] { (void)internal::MeasureExposure(work); }},
      {"colour", [&] { (void)internal::MeasureColourSpread(work); }},
      {"screen", [&] { (void)internal::MeasureScreen(img, doc.corners); }},
      {"tamper signals", [&] { (void)internal::MeasureTamperSignals(work, layout, bytes); }},
      {"perceptual hash", [&] { (void)PerceptualHash(work); }},
      {"all quality (page)", [&] { (void)RunQualityChecks(img, TelegramSource::kFrontSide, td3); }},
  };
  std::printf("%-22s %8.2f ms wall %8.2f ms CPU  (baseline: decode of the photo)\n",
              "baseline decode", decode, decode_cpu);
  for (const Item& it : items) {
    double cpu = 0;
    const double ms = TimeMs(reps, it.run, &cpu);
    std::printf("%-22s %8.2f ms wall %8.2f ms CPU  %5.2fx baseline (CPU)\n", it.name, ms, cpu,
                cpu / decode_cpu);
  }
  std::printf("target: all quality checks <= 40 ms per page\n");
}

// AAMVA 2020 test payload (fictional person, California IIN 636014).
std::string AamvaPayload() {
  const std::string subfile =
      "DLDAQD1234567\nDCSSAMPLE\nDACALEX\nDADJ\nDBB01151990\nDBA01152030\n"
      "DBD01152022\nDBC2\nDAJCA\nDCGUSA\nDAG123 MAIN ST\nDAISACRAMENTO\n"
      "DAK958220000  \nDCFTEST1234\n\r";
  std::string header = "@\n\x1e\rANSI 636014100001";
  char designator[16];
  std::snprintf(designator, sizeof designator, "DL%04zu%04zu", header.size() + 10, subfile.size());
  return header + designator + subfile;
}

cv::Mat Pdf417Image(const std::string& payload, int module_px) {
  ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::PDF417);
  writer.setMargin(10);
  const ZXing::BitMatrix m = writer.encode(payload, 0, 0);
  cv::Mat img(m.height(), m.width(), CV_8U);
  for (int y = 0; y < m.height(); ++y) {
    for (int x = 0; x < m.width(); ++x)
      img.at<uint8_t>(y, x) = m.get(x, y) ? 20 : 235;  // Printed, photographed.
  }
  cv::Mat big;
  cv::resize(img, big, cv::Size(), module_px, module_px, cv::INTER_NEAREST);
  // On a card back: light background, barcode in the lower half.
  cv::Mat card(big.rows * 2 + 80, big.cols + 120, CV_8U, cv::Scalar(225));
  big.copyTo(card(cv::Rect(60, big.rows + 40, big.cols, big.rows)));
  return card;
}

cv::Mat Rotated(const cv::Mat& img, double deg) {
  const cv::Point2f c(img.cols / 2.f, img.rows / 2.f);
  const cv::Mat m = cv::getRotationMatrix2D(c, deg, 1.0);
  cv::Mat out;
  cv::warpAffine(img, out, m, img.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(225));
  return out;
}

// Backs with a decodable symbol, and backs with nothing decodable: a TD1
// back from docgen (text, MRZ, no barcode), a blank card, a symbol blurred
// beyond reading, a symbol cut in half. Each read with the default budget
// and, as the baseline in the same run, without presence test or time
// budget (the previous behaviour: up to 6 attempts).
void BarcodeSets(docgen::DocumentGenerator& gen) {
  std::printf("\n== Barcode: synthetic AAMVA PDF417 ==\n");
  const std::string payload = AamvaPayload();
  struct Back {
    std::string name;
    cv::Mat image;
    bool decodable;
  };
  std::vector<Back> backs;
  for (int module : {2, 3}) {
    const cv::Mat base = Pdf417Image(payload, module);
    for (double skew : {0.0, 3.0, 8.0, 15.0, -20.0, 30.0}) {
      for (double blur : {0.0, 1.0}) {
        cv::Mat img = Rotated(base, skew);
        if (blur > 0) cv::GaussianBlur(img, img, cv::Size(), blur);
        // Known misses of zxing-cpp 1.4 (2 px modules, blur 1, 8-15 deg)
        // count as undecodable below when they do not decode.
        backs.push_back(
            {absl::StrFormat("module %d skew %.0f blur %.0f", module, skew, blur), img, true});
      }
    }
  }
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<scenes::Scene> td1 = scenes::MakeScene(
        gen, MrzFormat::kTd1, i < 3 ? docgen::Level::kClean : docgen::Level::kMedium, 900 + i,
        scenes::Defects{});
    if (td1.ok())
      backs.push_back({absl::StrFormat("docgen TD1 page #%d (no symbol)", i), td1->image, false});
  }
  backs.push_back({"blank card", cv::Mat(632, 846, CV_8U, cv::Scalar(225)), false});
  for (int module : {2, 3}) {
    cv::Mat blurred = Rotated(Pdf417Image(payload, module), 8);
    cv::GaussianBlur(blurred, blurred, cv::Size(), 3.0);
    backs.push_back({absl::StrFormat("module %d, blur 3 (unreadable)", module), blurred, false});
    cv::Mat cut = Rotated(Pdf417Image(payload, module), -5);
    cut = cut.colRange(0, cut.cols / 2).clone();
    backs.push_back({absl::StrFormat("module %d, left half only", module), cut, false});
  }
  Pdf417Options baseline;
  baseline.presence_test = false;
  baseline.time_budget_ms = 0;
  constexpr int kReps = 5;
  std::vector<double> ok_ms, fail_ms, base_ok_ms, base_fail_ms;
  int decoded = 0, base_decoded = 0, expected = 0;
  std::printf("%-36s %-8s %-9s %-8s %-9s %s\n", "back", "decoded", "ms(med)", "baseline", "ms(med)",
              "attempts");
  for (const Back& b : backs) {
    std::vector<double> ms, base_ms;
    bool ok = false, base_ok = false;
    int attempts = 0;
    for (int r = 0; r < kReps; ++r) {
      auto t = Clock::now();
      absl::StatusOr<Pdf417Read> read = ReadPdf417(b.image);
      ms.push_back(MsSince(t));
      ok = read.ok() && read->bytes == payload;
      attempts = read.ok() ? read->attempts : 0;
      t = Clock::now();
      absl::StatusOr<Pdf417Read> base = ReadPdf417(b.image, baseline);
      base_ms.push_back(MsSince(t));
      base_ok = base.ok() && base->bytes == payload;
    }
    std::sort(ms.begin(), ms.end());
    std::sort(base_ms.begin(), base_ms.end());
    expected += b.decodable;
    decoded += ok;
    base_decoded += base_ok;
    for (double m : ms) (ok ? ok_ms : fail_ms).push_back(m);
    for (double m : base_ms) (base_ok ? base_ok_ms : base_fail_ms).push_back(m);
    std::printf("%-36s %-8s %-9.1f %-8s %-9.1f %d\n", b.name.c_str(), ok ? "yes" : "NO",
                ms[kReps / 2], base_ok ? "yes" : "NO", base_ms[kReps / 2], attempts);
  }
  std::printf("decoded %d of %d symbol backs (baseline %d)\n", decoded, expected, base_decoded);
  Percentiles("decoded backs, bounded", ok_ms);
  Percentiles("nothing decoded, bounded", fail_ms);
  Percentiles("decoded backs, baseline (unbounded)", base_ok_ms);
  Percentiles("nothing decoded, baseline (unbounded)", base_fail_ms);
  std::printf("target: barcode <= 80 ms on one core\n");
}

// Face match on the sample faces: genuine pairs are two different
// augmentations of one photo (the only lawful faces here are one photo per
// person), impostor pairs cross persons.
void FaceSets(const std::string& models_dir, const std::string& faces_dir) {
  std::printf("\n== Faces ==\n");
  absl::StatusOr<std::unique_ptr<FaceModels>> models = FaceModels::Load(models_dir);
  if (!models.ok()) {
    std::printf("skipped: %s\n", models.status().ToString().c_str());
    return;
  }
  std::vector<std::pair<std::string, cv::Mat>> people;
  for (const auto& entry : std::filesystem::directory_iterator(faces_dir)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".jpg" && ext != ".png") continue;
    if (entry.path().stem().string().rfind("ela_", 0) == 0) continue;
    cv::Mat img = cv::imread(entry.path().string(), cv::IMREAD_COLOR);
    if (img.empty()) continue;
    people.emplace_back(entry.path().stem().string(), img);
  }
  auto augment = [](const cv::Mat& img, int k) {
    cv::Mat out = img.clone();
    if (k % 2 == 1) cv::flip(out, out, 1);
    const double scale = 0.7 + 0.15 * (k % 3);
    cv::resize(out, out, cv::Size(), scale, scale, cv::INTER_AREA);
    out.convertTo(out, -1, 0.8 + 0.1 * (k % 4), 5.0 * (k % 3));
    const cv::Point2f c(out.cols / 2.f, out.rows / 2.f);
    cv::warpAffine(out, out, cv::getRotationMatrix2D(c, -6 + 4 * (k % 4), 1.0), out.size(),
                   cv::INTER_LINEAR, cv::BORDER_REFLECT);
    std::vector<uint8_t> buf;
    cv::imencode(".jpg", out, buf, {cv::IMWRITE_JPEG_QUALITY, 50 + 10 * (k % 4)});
    return cv::imdecode(buf, cv::IMREAD_COLOR);
  };
  constexpr int kAugments = 6;
  std::map<std::string, std::vector<std::vector<float>>> embeddings;
  double detect_ms = 0, embed_ms = 0;
  int timed = 0;
  for (const auto& [name, img] : people) {
    for (int k = 0; k < kAugments; ++k) {
      const cv::Mat a = augment(img, k);
      auto t = Clock::now();
      absl::StatusOr<std::vector<Face>> faces = (*models)->Detect(a);
      detect_ms += MsSince(t);
      if (!faces.ok() || faces->empty()) {
        std::printf("  %s#%d: no face (%s)\n", name.c_str(), k,
                    faces.ok() ? "none" : faces.status().ToString().c_str());
        continue;
      }
      t = Clock::now();
      absl::StatusOr<std::vector<float>> e = (*models)->Embed(a, faces->front());
      embed_ms += MsSince(t);
      ++timed;
      if (!e.ok()) continue;
      std::printf("  %s#%d: %zu face(s), box %.0fx%.0f conf %.2f yaw %.0f roll %.0f\n",
                  name.c_str(), k, faces->size(), faces->front().box.width,
                  faces->front().box.height, faces->front().confidence, faces->front().yaw_deg,
                  faces->front().roll_deg);
      embeddings[name].push_back(*std::move(e));
    }
  }
  std::vector<double> genuine, impostor;
  for (const auto& [a, ea] : embeddings) {
    for (const auto& [b, eb] : embeddings) {
      for (size_t i = 0; i < ea.size(); ++i) {
        for (size_t j = 0; j < eb.size(); ++j) {
          if (a == b && j <= i) continue;
          if (a > b) continue;
          const double s = CosineSimilarity(ea[i], eb[j]);
          (a == b ? genuine : impostor).push_back(s);
        }
      }
    }
  }
  auto summary = [](const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (v.empty()) {
      std::printf("%-9s n=0\n", what);
      return;
    }
    std::printf("%-9s n=%zu min %.3f p10 %.3f median %.3f p90 %.3f max %.3f\n", what, v.size(),
                v.front(), v[v.size() / 10], v[v.size() / 2], v[v.size() * 9 / 10], v.back());
  };
  summary("genuine", genuine);
  summary("impostor", impostor);
  const FaceOptions fo;
  std::printf("thresholds: pass >= %.2f, review >= %.2f\n", fo.match.pass, fo.match.review);
  if (timed > 0) {
    std::printf(
        "detect (+landmarks) %.1f ms, embed %.1f ms per image "
        "(target detect+embed <= 60 ms)\n",
        detect_ms / (people.size() * kAugments), embed_ms / timed);
  }
}

// Writes front.jpg (a card photo) and back.jpg (a PDF417 back) to `dir`,
// for trying `vouchctl ocr check` by hand.
int WriteSamples(const std::string& dir) {
  SceneOptions o;
  o.seed = 7;
  const bool front = cv::imwrite(dir + "/front.jpg", RenderScene(o));
  cv::Mat back = Rotated(Pdf417Image(AamvaPayload(), 3), 7);
  cv::cvtColor(back, back, cv::COLOR_GRAY2BGR);
  const bool ok = front && cv::imwrite(dir + "/back.jpg", back);
  std::printf("%s %s/front.jpg and %s/back.jpg\n", ok ? "wrote" : "failed to write", dir.c_str(),
              dir.c_str());
  return ok ? 0 : 1;
}

// Draws the detected outline on FILE and writes it as OUT (a PNG), with the
// detection's figures: to see what an outline verdict was about.
int DrawOutline(const std::string& file, const std::string& out) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<DecodedImage> decoded = DecodeImage(bytes);
  if (!decoded.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), decoded.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<DocumentDetection> doc = DetectDocument(decoded->bgr);
  if (!doc.ok()) return 1;
  cv::Mat img = decoded->bgr.clone();
  for (int i = 0; i < 4; ++i) {
    cv::line(img, doc->corners[i], doc->corners[(i + 1) % 4], cv::Scalar(0, 0, 255), 3);
  }
  std::printf(
      "%s %dx%d found %d fill %.2f contact %.2f sides %d corners %d angle off %.0f print "
      "outside %.2f\n",
      file.c_str(), img.cols, img.rows, doc->found, doc->fill, doc->border_contact,
      doc->sides_touching, doc->corners_on_border,
      internal::OutlineAngleDeviation(doc->corners, img.size()),
      internal::PrintOutsideShare(img, doc->corners));
  std::printf("corners");
  for (const cv::Point2f& p : doc->corners) std::printf(" (%.0f, %.0f)", p.x, p.y);
  std::printf("\n");
  return cv::imwrite(out, img) ? 0 : 1;
}

// The prominence of the spectral peak nearest (u, v) cycles per pixel in
// each colour channel (B, G, R) of the central 512 px of the document, in
// log10 units over the median of the 15x15 bins around it: a printed ink's
// dot screen lies in its own channel (C in red, M in green, Y in blue; K in
// all), a screen's pixel grid in all three (a `--screen-dir` diagnostic).
std::array<double, 3> ChannelProminence(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& c,
                                        const internal::SharedPeak& p) {
  std::array<double, 3> out{0, 0, 0};
  constexpr int kN = 512;
  const cv::Point2f centre = (c[0] + c[1] + c[2] + c[3]) * 0.25f;
  cv::Rect r(static_cast<int>(centre.x) - kN / 2, static_cast<int>(centre.y) - kN / 2, kN, kN);
  r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (r.width < kN || r.height < kN || (p.u == 0 && p.v == 0)) return out;
  cv::Mat window;
  cv::createHanningWindow(window, cv::Size(kN, kN), CV_32F);
  std::vector<cv::Mat> ch;
  cv::split(bgr(r), ch);
  for (int k = 0; k < 3; ++k) {
    cv::Mat f;
    ch[k].convertTo(f, CV_32F);
    f -= cv::mean(f)[0];
    f = f.mul(window);
    cv::Mat spec;
    cv::dft(f, spec, cv::DFT_COMPLEX_OUTPUT);
    auto power = [&](int x, int y) {
      const cv::Vec2f z = spec.at<cv::Vec2f>((y % kN + kN) % kN, (x % kN + kN) % kN);
      return static_cast<double>(z[0]) * z[0] + static_cast<double>(z[1]) * z[1] + 1e-9;
    };
    const int bx = static_cast<int>(std::lround(p.u * kN)),
              by = static_cast<int>(std::lround(p.v * kN));
    double peak = 0;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) peak = std::max(peak, power(bx + dx, by + dy));
    }
    std::vector<double> ring;
    for (int dy = -7; dy <= 7; ++dy) {
      for (int dx = -7; dx <= 7; ++dx) ring.push_back(power(bx + dx, by + dy));
    }
    std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
    out[k] = std::log10(peak / ring[ring.size() / 2]);
  }
  return out;
}

// One block of the document's central 512 px (grey): its mean grey, its
// Hann-windowed spectrum (complex), and the bin of the scored peak (u, v)
// at the block's size.
struct BlockSpectrum {
  double mean = 0;
  cv::Mat spec;
  int bx = 0, by = 0;
};

// The `block`-px blocks of the document's central 512 px, row by row;
// empty when the page is smaller or there is no scored peak.
std::vector<BlockSpectrum> CentralBlockSpectra(const cv::Mat& bgr,
                                               const std::array<cv::Point2f, 4>& c,
                                               const internal::SharedPeak& p, int block) {
  constexpr int kN = 512;
  const cv::Point2f centre = (c[0] + c[1] + c[2] + c[3]) * 0.25f;
  cv::Rect r(static_cast<int>(centre.x) - kN / 2, static_cast<int>(centre.y) - kN / 2, kN, kN);
  r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  std::vector<BlockSpectrum> out;
  if (r.width < kN || r.height < kN || (p.u == 0 && p.v == 0)) return out;
  cv::Mat grey, window;
  cv::cvtColor(bgr(r), grey, cv::COLOR_BGR2GRAY);
  cv::createHanningWindow(window, cv::Size(block, block), CV_32F);
  for (int by0 = 0; by0 < kN; by0 += block) {
    for (int bx0 = 0; bx0 < kN; bx0 += block) {
      BlockSpectrum b;
      cv::Mat f;
      grey(cv::Rect(bx0, by0, block, block)).convertTo(f, CV_32F);
      b.mean = cv::mean(f)[0];
      f -= b.mean;
      f = f.mul(window);
      cv::dft(f, b.spec, cv::DFT_COMPLEX_OUTPUT);
      b.bx = static_cast<int>(std::lround(p.u * block));
      b.by = static_cast<int>(std::lround(p.v * block));
      out.push_back(std::move(b));
    }
  }
  return out;
}

// The power of a square spectrum at bin (x, y), taken modulo its size.
double BinPower(const cv::Mat& spec, int x, int y) {
  const int n = spec.rows;
  const cv::Vec2f z = spec.at<cv::Vec2f>((y % n + n) % n, (x % n + n) % n);
  return static_cast<double>(z[0]) * z[0] + static_cast<double>(z[1]) * z[1];
}

// The prominence of the spectral peak nearest (u, v) in the 16 blocks of
// 128 px of the document's central 512 px, grey, against each block's mean
// brightness: {mean prominence of the 4 brightest, of the 4 darkest, their
// brightness}. A halftone has no dots on bare paper; a screen's pixel grid
// shows most where the screen is white (a `--screen-dir` diagnostic).
std::array<double, 4> ToneProminence(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& c,
                                     const internal::SharedPeak& p) {
  std::array<double, 4> out{0, 0, 0, 0};
  std::vector<std::pair<double, double>> blocks;  // (brightness, prominence)
  for (const BlockSpectrum& b : CentralBlockSpectra(bgr, c, p, 128)) {
    auto power = [&](int x, int y) { return BinPower(b.spec, x, y) + 1e-9; };
    double peak = 0;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) peak = std::max(peak, power(b.bx + dx, b.by + dy));
    }
    std::vector<double> ring;
    for (int dy = -4; dy <= 4; ++dy) {
      for (int dx = -4; dx <= 4; ++dx) ring.push_back(power(b.bx + dx, b.by + dy));
    }
    std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
    blocks.emplace_back(b.mean, std::log10(peak / ring[ring.size() / 2]));
  }
  if (blocks.empty()) return out;
  std::sort(blocks.begin(), blocks.end());
  for (int i = 0; i < 4; ++i) {
    out[0] += blocks[blocks.size() - 1 - i].second / 4;
    out[1] += blocks[i].second / 4;
    out[2] += blocks[blocks.size() - 1 - i].first / 4;
    out[3] += blocks[i].first / 4;
  }
  return out;
}

// The scored peak's absolute strength against brightness (a `--screen-dir`
// diagnostic, session 18): over 8 x 8 blocks of 64 px in the central 512 px,
// the log power at (u, v) (max of 3 x 3 bins) and the block's mean grey.
// Physics: a screen's grid modulates the light it emits, so its amplitude
// grows with the brightness shown (none in black); a halftone's dots are
// ink, so in light tints their amplitude falls toward bare paper (none in
// white). Returns {Spearman rank correlation of power with brightness over
// the blocks brighter than the median block; the same over all blocks}.
std::array<double, 2> ToneSlope(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& c,
                                const internal::SharedPeak& p) {
  std::array<double, 2> out{0, 0};
  std::vector<std::pair<double, double>> blocks;  // (brightness, log power)
  for (const BlockSpectrum& b : CentralBlockSpectra(bgr, c, p, 64)) {
    double peak = 1e-9;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx)
        peak = std::max(peak, BinPower(b.spec, b.bx + dx, b.by + dy));
    }
    blocks.emplace_back(b.mean, std::log10(peak));
  }
  if (blocks.empty()) return out;
  auto spearman = [](std::vector<std::pair<double, double>> b) {
    const size_t n = b.size();
    if (n < 4) return 0.0;
    auto ranks = [&](bool second) {
      std::vector<size_t> idx(n);
      for (size_t i = 0; i < n; ++i) idx[i] = i;
      std::sort(idx.begin(), idx.end(), [&](size_t i, size_t j) {
        return second ? b[i].second < b[j].second : b[i].first < b[j].first;
      });
      std::vector<double> r(n);
      for (size_t i = 0; i < n; ++i) r[idx[i]] = static_cast<double>(i);
      return r;
    };
    const std::vector<double> ra = ranks(false), rb = ranks(true);
    double d2 = 0;
    for (size_t i = 0; i < n; ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
    return 1 - 6 * d2 / (static_cast<double>(n) * (static_cast<double>(n) * n - 1));
  };
  std::sort(blocks.begin(), blocks.end());
  out[1] = spearman(blocks);
  out[0] = spearman(
      std::vector<std::pair<double, double>>(blocks.begin() + blocks.size() / 2, blocks.end()));
  return out;
}

// Where the spectral peak nearest (u, v) sits in each of 3x3 tiles of
// 256 px over the document's bounding box (grey, located to a fraction of a
// bin by a parabola through the log power): {the largest distance of a
// tile's peak from the tiles' mean, in bins of 1/256 cycle per pixel; the
// tiles where it stands ≥ 1 log unit over its 9x9 bins}. A lattice the
// camera resolves moves with the page's perspective; a moiré (a screen's
// grid aliased) moves by that change times f_grid / f_moiré (a
// `--screen-dir` diagnostic).
std::array<double, 2> TileSpread(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& c,
                                 const internal::SharedPeak& p) {
  constexpr int kT = 256;
  cv::Rect box = cv::boundingRect(std::vector<cv::Point2f>(c.begin(), c.end()));
  box &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  std::array<double, 2> out{0, 0};
  if (box.width < kT || box.height < kT || (p.u == 0 && p.v == 0)) return out;
  cv::Mat grey, window;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::createHanningWindow(window, cv::Size(kT, kT), CV_32F);
  std::vector<cv::Point2d> at;
  for (int ty = 0; ty < 3; ++ty) {
    for (int tx = 0; tx < 3; ++tx) {
      const int cx = box.x + box.width * (2 * tx + 1) / 6,
                cy = box.y + box.height * (2 * ty + 1) / 6;
      cv::Rect t(cx - kT / 2, cy - kT / 2, kT, kT);
      t.x = std::clamp(t.x, box.x, box.x + box.width - kT);
      t.y = std::clamp(t.y, box.y, box.y + box.height - kT);
      cv::Mat f;
      grey(t).convertTo(f, CV_32F);
      f -= cv::mean(f)[0];
      f = f.mul(window);
      cv::Mat spec;
      cv::dft(f, spec, cv::DFT_COMPLEX_OUTPUT);
      auto lp = [&](int x, int y) {
        const cv::Vec2f z = spec.at<cv::Vec2f>((y % kT + kT) % kT, (x % kT + kT) % kT);
        return std::log10(static_cast<double>(z[0]) * z[0] + static_cast<double>(z[1]) * z[1] +
                          1e-9);
      };
      const int bx = static_cast<int>(std::lround(p.u * kT));
      const int by = static_cast<int>(std::lround(p.v * kT));
      int mx = bx, my = by;
      for (int dy = -2; dy <= 2; ++dy) {
        for (int dx = -2; dx <= 2; ++dx) {
          if (lp(bx + dx, by + dy) > lp(mx, my)) mx = bx + dx, my = by + dy;
        }
      }
      std::vector<double> ring;
      for (int dy = -4; dy <= 4; ++dy) {
        for (int dx = -4; dx <= 4; ++dx) ring.push_back(lp(mx + dx, my + dy));
      }
      std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
      if (lp(mx, my) - ring[ring.size() / 2] < 1) continue;
      auto vertex = [](double l, double m, double r) {
        const double d = l - 2 * m + r;
        return d < 0 ? std::clamp(0.5 * (l - r) / d, -0.5, 0.5) : 0.0;
      };
      at.emplace_back(mx + vertex(lp(mx - 1, my), lp(mx, my), lp(mx + 1, my)),
                      my + vertex(lp(mx, my - 1), lp(mx, my), lp(mx, my + 1)));
    }
  }
  out[1] = static_cast<double>(at.size());
  if (at.size() < 2) return out;
  cv::Point2d mean(0, 0);
  for (const cv::Point2d& q : at) mean += q * (1.0 / static_cast<double>(at.size()));
  for (const cv::Point2d& q : at) out[0] = std::max(out[0], cv::norm(q - mean));
  return out;
}

// The strongest prominence (as ChannelProminence, grey) at the pitch of
// (u, v) turned by ±15° and ±30°: a colour print's other inks' screens
// (C 15°, M 75°, Y 0°, K 45°: each 15° or 30° from a neighbour), which a
// screen's pixel grid does not carry (a `--screen-dir` diagnostic).
double RosetteProminence(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& c,
                         const internal::SharedPeak& p) {
  double best = 0;
  for (const double deg : {-30.0, -15.0, 15.0, 30.0}) {
    const double t = deg * 3.14159265358979 / 180;
    internal::SharedPeak q = p;
    q.u = p.u * std::cos(t) - p.v * std::sin(t);
    q.v = p.u * std::sin(t) + p.v * std::cos(t);
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::Mat three;
    cv::cvtColor(grey, three, cv::COLOR_GRAY2BGR);
    best = std::max(best, ChannelProminence(three, c, q)[0]);
  }
  return best;
}

// Partner45 through aliasing: a print's screen finer than the photo's
// Nyquist reaches it as q = f - k (k whole cycles per pixel). Each f = q + k
// (|k| <= 2) that lies along the page (within 3°) is turned by ±45° and
// folded back; the strongest shared peak within 2 bins of 1/256 there.
double AliasedPartner45(const internal::ScreenMeasure& m,
                        const std::array<cv::Point2f, 4>& corners) {
  constexpr double kPi = 3.14159265358979;
  const double page = std::atan2(corners[1].y - corners[0].y, corners[1].x - corners[0].x);
  auto fold = [](double x) { return x - std::floor(x + 0.5); };
  auto strongest_near = [&](double qu, double qv) {
    double best = 0;
    for (const internal::SharedPeak& k : m.peaks) {
      const double d = std::min(std::hypot(fold(k.u - qu), fold(k.v - qv)),
                                std::hypot(fold(k.u + qu), fold(k.v + qv)));
      if (d <= 2.0 / 256) best = std::max(best, k.median);
    }
    return best;
  };
  double aliased = 0;
  for (const internal::SharedPeak* p : {&m.off45_a, &m.off45_b}) {
    for (int kx = -2; kx <= 2; ++kx) {
      for (int ky = -2; ky <= 2; ++ky) {
        const double fu = p->u + kx, fv = p->v + ky;
        double off = std::fmod(std::atan2(fv, fu) - page + 8 * kPi, kPi / 2);
        off = std::min(off, kPi / 2 - off);
        if (off > 3.0 * kPi / 180) continue;
        for (const double t : {-kPi / 4, kPi / 4}) {
          aliased = std::max(aliased, strongest_near(fold(fu * std::cos(t) - fv * std::sin(t)),
                                                     fold(fu * std::sin(t) + fv * std::cos(t))));
        }
      }
    }
  }
  return aliased;
}

// A second ink's screen at the scored pair's pitch turned by 45° (a
// print's yellow at 0° and black at 45°, one period; a screen's grid has
// its diagonal √2 further out): " partner45[shared S direct D aliased A]"
// (a `--screen-dir` diagnostic; docs/checks.md, session 17 round 2).
std::string Partner45(const internal::ScreenMeasure& m, const cv::Mat& bgr,
                      const std::array<cv::Point2f, 4>& corners) {
  // The strongest shared peak within 2 bins of 1/256 of either peak turned,
  // and the grey prominence there.
  cv::Mat grey, three;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, three, cv::COLOR_GRAY2BGR);
  double shared = 0, direct = 0;
  for (const internal::SharedPeak* p : {&m.off45_a, &m.off45_b}) {
    for (const double deg : {-45.0, 45.0}) {
      const double t = deg * 3.14159265358979 / 180;
      internal::SharedPeak q = *p;
      q.u = p->u * std::cos(t) - p->v * std::sin(t);
      q.v = p->u * std::sin(t) + p->v * std::cos(t);
      for (const internal::SharedPeak& k : m.peaks) {
        const double d =
            std::min(std::hypot(k.u - q.u, k.v - q.v), std::hypot(k.u + q.u, k.v + q.v));
        if (d <= 2.0 / 256) shared = std::max(shared, k.median);
      }
      direct = std::max(direct, ChannelProminence(three, corners, q)[0]);
    }
  }
  const double aliased = AliasedPartner45(m, corners);
  return absl::StrFormat(" partner45[shared %.2f direct %.2f aliased %.2f]", shared, direct,
                         aliased);
}

// `--quality-dir DIR`: RunQualityChecks (default options, as the service's
// front side without a document type) on every page `--calibrate` wrote
// with VOUCH_CAL_DUMP=DIR. One line per page with every check's score and
// verdict (to diff two builds' verdicts page by page in seconds) and its
// thread CPU time, the lowest of `reps` runs (less of the shared machine's
// noise); then the time's p50 / p90 over the pages.
int QualityDir(const std::string& dir, int reps) {
  std::ifstream index(std::filesystem::path(dir) / "index.tsv");
  std::string line;
  std::vector<double> cpu_ms;
  while (std::getline(index, line)) {
    const std::string file = line.substr(0, line.find('\t'));
    std::ifstream in(std::filesystem::path(dir) / file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<DecodedImage> decoded = DecodeImage(bytes);
    if (!decoded.ok()) continue;
    double best = 1e9;
    absl::StatusOr<QualityReport> report;
    for (int r = 0; r < reps; ++r) {
      const double cpu = ThreadCpuMs();
      report = RunQualityChecks(decoded->bgr, TelegramSource::kFrontSide, QualityOptions{}, bytes);
      best = std::min(best, ThreadCpuMs() - cpu);
    }
    if (!report.ok()) {
      std::printf("%s %s\n", file.c_str(), report.status().ToString().c_str());
      continue;
    }
    cpu_ms.push_back(best);
    std::string checks;
    for (const CheckResult& c : report->checks) {
      checks += absl::StrFormat(" %s=%.4g:%s", c.name, c.score, CheckVerdictName(c.verdict));
    }
    std::printf("%s %4dx%-4d %6.2f ms%s hash %016llx\n", file.c_str(), decoded->bgr.cols,
                decoded->bgr.rows, best, checks.c_str(),
                static_cast<unsigned long long>(report->perceptual_hash));
  }
  std::sort(cpu_ms.begin(), cpu_ms.end());
  auto p = [&](double q) {
    return cpu_ms.empty() ? 0.0 : cpu_ms[static_cast<size_t>(q / 100 * (cpu_ms.size() - 1))];
  };
  std::printf(
      "all quality checks, thread CPU per page (best of %d), n=%zu: p50 %.1f ms p90 %.1f ms\n",
      reps, cpu_ms.size(), p(50), p(90));
  return 0;
}

// `--screen-dir DIR`: the screen measure alone over the genuine pages and
// screen photos `--calibrate` wrote with VOUCH_CAL_DUMP=DIR (index.tsv: file,
// tuned, kind, set, label, the outline the checks used). Prints each image's
// lattice figures and the share of genuine pages / screens the screen check
// flags (its review band: the lattice's score, LatticeScore, below 0.8, or
// a counted offset > 0.12 px), tuned and held out: a fast loop while a
// screen rule is tuned. `spread` is the scored pair's move across the
// photo, `pspread` the same with the outline's perspective taken out
// (ScreenMeasure::lattice_page_spread: a lattice fixed on the page). Each page whose scored lattice
// is > 1.8 also shows a second ink's screen turned by 45° (`partner45`). For each flagged image,
// the scored pair's two peaks are also described (what separates a halftone from a pixel grid,
// docs/checks.md): their prominence per colour channel (`ch[B G R]`), their largest move between
// 3x3 tiles
// (`spread`), their prominence in the brightest and darkest blocks
// (`tone`), and a second ink's screen at their pitch (`rosette`).
int ScreenDir(const std::string& dir) {
  std::ifstream index(std::filesystem::path(dir) / "index.tsv");
  std::string line;
  struct Count {
    int n = 0, flagged = 0;
  };
  std::map<std::string, Count> counts;
  // VOUCH_SCREEN_DIR_CROP=1: each image cropped to its page first (below).
  const char* crop_env = std::getenv("VOUCH_SCREEN_DIR_CROP");
  const bool crop_to_page = crop_env != nullptr && std::string(crop_env) == "1";
  double cpu_total = 0;
  int images = 0;
  while (std::getline(index, line)) {
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      f.push_back(line.substr(start, tab - start));
    }
    f.push_back(line.substr(start));
    if (f.size() < 6) continue;
    std::ifstream in(std::filesystem::path(dir) / f[0], std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<DecodedImage> decoded = DecodeImage(bytes);
    if (!decoded.ok()) continue;
    std::array<cv::Point2f, 4> corners;
    std::sscanf(f[5].c_str(), "%f %f %f %f %f %f %f %f", &corners[0].x, &corners[0].y,
                &corners[1].x, &corners[1].y, &corners[2].x, &corners[2].y, &corners[3].x,
                &corners[3].y);
    if (crop_to_page) {
      // The photo cropped to the largest upright box inside its page's
      // outline, judged as a whole frame (no outline): what a user who
      // crops the picture to the document sends.
      const int x0 = static_cast<int>(std::ceil(std::max(corners[0].x, corners[3].x)));
      const int x1 = static_cast<int>(std::min(corners[1].x, corners[2].x));
      const int y0 = static_cast<int>(std::ceil(std::max(corners[0].y, corners[1].y)));
      const int y1 = static_cast<int>(std::min(corners[2].y, corners[3].y));
      const cv::Rect box =
          cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, decoded->bgr.cols, decoded->bgr.rows);
      if (box.width < 64 || box.height < 64) continue;
      decoded->bgr = decoded->bgr(box).clone();
      const float w = static_cast<float>(box.width - 1), h = static_cast<float>(box.height - 1);
      corners = {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h)};
    }
    const double cpu = ThreadCpuMs();
    const internal::ScreenMeasure m = internal::MeasureScreen(decoded->bgr, corners);
    cpu_total += ThreadCpuMs() - cpu;
    ++images;
    // As the screen check: the lattice's score (a halftone's residual on its
    // raised mark, a flat print not scored) or a counted offset.
    const bool flagged = m.tiles > 0 && (internal::LatticeScore(m) < 0.8 ||
                                         (m.channel_shift_counts && m.channel_shift > 0.12));
    const bool other = f[3].rfind("other screen code", 0) == 0;
    const std::string key = (f[2] == "genuine" ? "genuine "
                             : other           ? "screens (other code) "
                                               : "screens ") +
                            std::string(f[1] == "1" ? "tune" : "held");
    ++counts[key].n;
    counts[key].flagged += flagged;
    std::string peaks;
    if (m.lattice_2d_off45 > 1.8) peaks += Partner45(m, decoded->bgr, corners);
    if (flagged) {
      for (const internal::SharedPeak* p : {&m.off45_a, &m.off45_b}) {
        const std::array<double, 3> cp = ChannelProminence(decoded->bgr, corners, *p);
        peaks += absl::StrFormat(" ch[%.2f %.2f %.2f]", cp[0], cp[1], cp[2]);
        const std::array<double, 4> tp = ToneProminence(decoded->bgr, corners, *p);
        peaks += absl::StrFormat(" rosette %.2f", RosetteProminence(decoded->bgr, corners, *p));
        const std::array<double, 2> ts = ToneSlope(decoded->bgr, corners, *p);
        peaks += absl::StrFormat(" toneslope[bright %.2f all %.2f]", ts[0], ts[1]);
        const std::array<double, 2> sp = TileSpread(decoded->bgr, corners, *p);
        peaks += absl::StrFormat(" spread[%.2f bins in %.0f tiles]", sp[0], sp[1]);
        peaks += absl::StrFormat(" tone[bright %.2f (%.0f) dark %.2f (%.0f)]", tp[0], tp[2], tp[1],
                                 tp[3]);
      }
      peaks += " |";
    }
    for (size_t i = 0; i < m.peaks.size() && i < 8; ++i) {
      peaks += absl::StrFormat(" (%.3f,%.3f)%.1f", m.peaks[i].u, m.peaks[i].v, m.peaks[i].median);
    }
    // The outline the checks used is the whole frame (no page edge judged:
    // a scan or a crop to the page).
    const bool whole_frame = internal::CornersAreTheFrame(corners, decoded->bgr.size());
    std::printf(
        "%s %-7s %-28.28s %-60.60s 2d %.2f off45 %.2f page %.1f left (%.3f,%.3f)(%.3f,%.3f) "
        "spread %.2f%s pspread %.2f shift %.3f axis %.1f agree %.2f%s chroma %.2f frame %d %s "
        "peaks%s\n",
        f[1] == "1" ? "tune" : "held", f[2].c_str(), f[3].c_str(), f[4].c_str(), m.lattice_2d,
        m.lattice_2d_off45, m.lattice_page_deg, m.off45_a.u, m.off45_a.v, m.off45_b.u, m.off45_b.v,
        m.lattice_spread, m.flat_print ? "(flat print)" : "", m.lattice_page_spread,
        m.channel_shift, m.shift_axis_deg, m.shift_agreement,
        m.channel_shift_counts ? "(counts)" : "", m.chroma_lattice, whole_frame ? 1 : 0,
        flagged ? "FLAGGED" : "pass", peaks.c_str());
  }
  for (const auto& [key, c] : counts) {
    std::printf("%-28s flagged %3d of %3d (%.1f %%)\n", key.c_str(), c.flagged, c.n,
                c.n ? 100.0 * c.flagged / c.n : 0.0);
  }
  std::printf("screen measure CPU per image: mean %.1f ms over %d\n",
              images ? cpu_total / images : 0.0, images);
  return 0;
}

int Main(int argc, char** argv) {
  int n = 20;
  bool measures = false;
  bool barcode_only = false;
  bool calibrate = false;
  bool service_mode = false;
  std::string time_image, quality_dir;
  int reps = 1;
  calibration::Options calibration_options;
  calibration_options.shared_dir = "../shared";
  std::string models_dir, faces_dir;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--n") && i + 1 < argc) {
      n = std::clamp(std::atoi(argv[++i]), 1, 500);
    } else if (!std::strcmp(argv[i], "--models") && i + 1 < argc) {
      models_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--faces") && i + 1 < argc) {
      faces_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--write-samples") && i + 1 < argc) {
      return WriteSamples(argv[++i]);
    } else if (!std::strcmp(argv[i], "--outline") && i + 2 < argc) {
      const std::string file = argv[++i];
      return DrawOutline(file, argv[++i]);
    } else if (!std::strcmp(argv[i], "--barcode")) {
      barcode_only = true;
    } else if (!std::strcmp(argv[i], "--measures")) {
      measures = true;
    } else if (!std::strcmp(argv[i], "--screen-dir") && i + 1 < argc) {
      return ScreenDir(argv[++i]);
    } else if (!std::strcmp(argv[i], "--quality-dir") && i + 1 < argc) {
      quality_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::clamp(std::atoi(argv[++i]), 1, 50);
    } else if (!std::strcmp(argv[i], "--calibrate")) {
      calibrate = true;
    } else if (!std::strcmp(argv[i], "--time-image") && i + 1 < argc) {
      time_image = argv[++i];
    } else if (!std::strcmp(argv[i], "--service")) {
      service_mode = true;
    } else if (!std::strcmp(argv[i], "--shared") && i + 1 < argc) {
      calibration_options.shared_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--list")) {
      calibration_options.list = true;
    } else {
      std::fprintf(
          stderr,
          "usage: bench_checks [--n N] [--models DIR] [--faces DIR] "
          "[--measures] [--barcode] | --write-samples DIR | --calibrate "
          "[--shared DIR] [--n N] [--list] | --service [--shared DIR] "
          "[--models DIR] [--n N] [--list] | --time-image FILE | --quality-dir DIR [--reps N]\n");
      return 2;
    }
  }
  cv::setNumThreads(1);  // Targets are per core.
  if (!faces_dir.empty() && IsFaceCorpus(faces_dir)) {
    if (models_dir.empty()) {
      // face/ of the models folder vouchd would use (base/model_paths.h), so
      // the bench runs from any directory.
      absl::StatusOr<vouch::ModelsDir> found =
          vouch::ResolveModelsDir(vouch::DefaultModelsDirInputs("", ""));
      if (!found.ok()) {
        std::fprintf(stderr, "error: %s\n", std::string(found.status().message()).c_str());
        return 1;
      }
      models_dir = (std::filesystem::path(found->path) / vouch::kFaceModelDir).string();
    }
    return BenchFaces(models_dir, faces_dir);
  }
  absl::StatusOr<std::unique_ptr<docgen::DocumentGenerator>> gen =
      docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::fprintf(stderr, "docgen: %s\n", gen.status().ToString().c_str());
    return 1;
  }
  if (calibrate) {
    calibration_options.n = n;
    return calibration::Run(**gen, calibration_options);
  }
  if (service_mode) {
    service::Options service_options;
    service_options.n = n;
    service_options.shared_dir = calibration_options.shared_dir;
    service_options.list = calibration_options.list;
    service_options.models_dir = models_dir;
    if (models_dir.empty()) {
      absl::StatusOr<vouch::ModelsDir> found =
          vouch::ResolveModelsDir(vouch::DefaultModelsDirInputs("", ""));
      if (found.ok()) {
        service_options.models_dir = found->path;
      } else {
        std::fprintf(stderr, "warning: no models folder (%s): face match will be unavailable\n",
                     std::string(found.status().message()).c_str());
      }
    }
    // Name the missing face model file, not only "unavailable" per case.
    const std::filesystem::path face_dir =
        std::filesystem::path(service_options.models_dir) / vouch::kFaceModelDir;
    if (absl::StatusOr<std::unique_ptr<FaceModels>> m = FaceModels::Load(face_dir.string());
        !m.ok()) {
      std::fprintf(stderr, "warning: %s: face match will be unavailable\n",
                   std::string(m.status().message()).c_str());
    }
    return service::Run(**gen, service_options);
  }
  if (!quality_dir.empty()) return QualityDir(quality_dir, reps);
  if (!time_image.empty()) {
    Timings(**gen, time_image);
    return 0;
  }
  if (!barcode_only) {
    Timings(**gen);
    QualitySets(**gen, n, measures);
  }
  BarcodeSets(**gen);
  if (!models_dir.empty() && !faces_dir.empty()) FaceSets(models_dir, faces_dir);
  return 0;
}

}  // namespace
}  // namespace vouch::ocr

int main(int argc, char** argv) { return vouch::ocr::Main(argc, argv); }
