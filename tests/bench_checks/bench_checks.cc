// Evaluation and benchmark of the image checks (not a ctest test).
//
//   bench_checks [--n N] [--models DIR] [--faces DIR] [--measures]
//   bench_checks --write-samples DIR   (front.jpg, back.jpg for vouchctl)
//
// Prints, for every quality check, the true-positive rate on synthetic
// photos with the defect and the false-positive rate on clean ones; the
// barcode decode rate across skews, blurs and scales; with --models and
// --faces, face-match score distributions on the sample faces; and time per
// check on one core, with a ratio against decoding the same photo from JPEG
// (the baseline measured in the same run).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ZXing/BarcodeFormat.h"
#include "ZXing/BitMatrix.h"
#include "ZXing/MultiFormatWriter.h"
#include "absl/strings/str_format.h"
#include "checks/quality_internal.h"
#include "ocr/barcode.h"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/image.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
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

SetResult RunSet(const std::string& check, int n, uint32_t seed0,
                 const std::function<void(SceneOptions&, int)>& setup,
                 bool measures) {
  SetResult out;
  for (int i = 0; i < n; ++i) {
    SceneOptions o;
    o.seed = seed0 + i;
    o.rotation_deg = -6 + (i * 37 % 13);
    setup(o, i);
    const cv::Mat img = RenderScene(o);
    QualityOptions q;
    if (o.back_side) q.layout = DocumentLayout::Td1Back();
    absl::StatusOr<QualityReport> r =
        RunQualityChecks(img, TelegramSource::kFrontSide, q);
    if (!r.ok()) {
      std::printf("  error: %s\n", r.status().ToString().c_str());
      continue;
    }
    const CheckResult* c = Find(*r, check);
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

void Row(const char* check, const char* set, bool positive, const SetResult& r) {
  std::sort(const_cast<std::vector<double>&>(r.scores).begin(),
            const_cast<std::vector<double>&>(r.scores).end());
  const double rate = r.n ? 100.0 * r.flagged / r.n : 0;
  std::printf("%-10s %-34s %3d  %s %5.1f%%  unavail %2d  score min %.3g  med %.3g  max %.3g\n",
              check, set, r.n, positive ? "TPR" : "FPR", rate, r.unavailable,
              r.scores.empty() ? 0 : r.scores.front(),
              r.scores.empty() ? 0 : r.scores[r.scores.size() / 2],
              r.scores.empty() ? 0 : r.scores.back());
}

void QualitySets(int n, bool measures) {
  std::printf("\n== Quality checks: labelled synthetic sets (n per set) ==\n");
  std::printf("TPR = share of defective photos the check flags (fail or review);\n"
              "FPR = share of clean photos it flags.\n\n");
  auto clean = [](SceneOptions&, int) {};
  Row("focus", "clean", false, RunSet("focus", n, 100, clean, measures));
  for (double s : {1.0, 2.0, 3.0, 5.0}) {
    char name[64];
    std::snprintf(name, sizeof name, "blur sigma %.0f px (1000 px card)", s);
    Row("focus", name, true,
        RunSet("focus", n, 200, [s](SceneOptions& o, int) { o.blur_sigma = s; },
               measures));
  }
  Row("glare", "clean", false, RunSet("glare", n, 100, clean, measures));
  Row("glare", "glare on card background (header)", false,
      RunSet("glare", n, 300,
             [](SceneOptions& o, int) { o.glare = GlareZone::kBackground; },
             measures));
  Row("glare", "white paper, no glare", false,
      RunSet("glare", n, 340,
             [](SceneOptions& o, int) { o.white_paper = true; }, measures));
  Row("glare", "white paper, glare on data", true,
      RunSet("glare", n, 350,
             [](SceneOptions& o, int) {
               o.white_paper = true;
               o.glare = GlareZone::kData;
             },
             measures));
  Row("glare", "glare on portrait", true,
      RunSet("glare", n, 310,
             [](SceneOptions& o, int) { o.glare = GlareZone::kPortrait; },
             measures));
  Row("glare", "glare on data", true,
      RunSet("glare", n, 320,
             [](SceneOptions& o, int) { o.glare = GlareZone::kData; }, measures));
  Row("glare", "glare on MRZ (back)", true,
      RunSet("glare", n, 330,
             [](SceneOptions& o, int) {
               o.back_side = true;
               o.glare = GlareZone::kMrz;
             },
             measures));
  Row("exposure", "clean", false, RunSet("exposure", n, 100, clean, measures));
  Row("exposure", "dark (x0.25)", true,
      RunSet("exposure", n, 400,
             [](SceneOptions& o, int) { o.brightness = 0.25; }, measures));
  Row("exposure", "washed out (70% white)", true,
      RunSet("exposure", n, 410, [](SceneOptions& o, int) { o.washout = 0.7; },
             measures));
  Row("cutoff", "whole card", false, RunSet("cutoff", n, 100, clean, measures));
  Row("cutoff", "one corner cut", true,
      RunSet("cutoff", n, 500,
             [](SceneOptions& o, int i) { o.cut_corner = i % 4; }, measures));
  Row("cutoff", "card too small (30% width)", true,
      RunSet("cutoff", n, 510,
             [](SceneOptions& o, int) { o.card_width_px = 420; }, measures));
  Row("colour", "colour card", false, RunSet("colour", n, 100, clean, measures));
  Row("colour", "grey copy", true,
      RunSet("colour", n, 600, [](SceneOptions& o, int) { o.grey_copy = true; },
             measures));
  Row("screen", "printed card", false, RunSet("screen", n, 100, clean, measures));
  Row("screen", "screen recapture (grid+moire)", true,
      RunSet("screen", n, 700, [](SceneOptions& o, int) { o.moire = true; },
             measures));
  Row("resolution", "1000 px card (~297 dpi)", false,
      RunSet("resolution", n, 100, clean, measures));
  Row("resolution", "450 px card (~134 dpi)", true,
      RunSet("resolution", n, 800,
             [](SceneOptions& o, int) {
               o.card_width_px = 450;
               o.frame_width = 600;
               o.frame_height = 450;
             },
             measures));
}

// Median of `reps` runs after a warm-up: robust to the other processes
// sharing the machine.
template <typename F>
double TimeMs(int reps, F&& f) {
  f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t = Clock::now();
    f();
    ms.push_back(MsSince(t));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void Timings() {
  std::printf("\n== Time per check, one core, median of 20 (1400x1050 photo, 1000 px card) ==\n");
  SceneOptions o;
  o.seed = 42;
  const cv::Mat img = RenderScene(o);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  const std::string bytes(jpeg.begin(), jpeg.end());
  const int reps = 20;
  const double decode = TimeMs(reps, [&] { (void)DecodeImage(bytes); });
  const DocumentDetection doc = *DetectDocument(img);
  const DocumentLayout layout = DocumentLayout::Id1Front();
  struct Item {
    const char* name;
    std::function<void()> run;
  };
  const std::vector<Item> items = {
      {"detect+rectify", [&] { (void)DetectDocument(img); }},
      {"focus", [&] { (void)internal::MeasureFocus(doc.rectified); }},
      {"glare", [&] { (void)internal::MeasureGlare(doc.rectified, layout); }},
      {"exposure", [&] { (void)internal::MeasureExposure(doc.rectified); }},
      {"colour", [&] { (void)internal::MeasureColourSpread(doc.rectified); }},
      {"screen", [&] { (void)internal::MeasureScreenPeak(doc.rectified); }},
      {"tamper signals",
       [&] { (void)internal::MeasureTamperSignals(doc.rectified, layout, bytes); }},
      {"perceptual hash", [&] { (void)PerceptualHash(doc.rectified); }},
      {"all quality (page)",
       [&] { (void)RunQualityChecks(img, TelegramSource::kFrontSide); }},
  };
  std::printf("%-22s %8.2f ms  (baseline: JPEG decode of the photo)\n",
              "baseline decode", decode);
  for (const Item& it : items) {
    const double ms = TimeMs(reps, it.run);
    std::printf("%-22s %8.2f ms  %5.2fx baseline\n", it.name, ms, ms / decode);
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
  std::snprintf(designator, sizeof designator, "DL%04zu%04zu",
                header.size() + 10, subfile.size());
  return header + designator + subfile;
}

cv::Mat Pdf417Image(const std::string& payload, int module_px) {
  ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::PDF417);
  writer.setMargin(10);
  const ZXing::BitMatrix m = writer.encode(payload, 0, 0);
  cv::Mat img(m.height(), m.width(), CV_8U);
  for (int y = 0; y < m.height(); ++y) {
    for (int x = 0; x < m.width(); ++x) img.at<uint8_t>(y, x) = m.get(x, y) ? 20 : 235;  // Printed, photographed.
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
  cv::warpAffine(img, out, m, img.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(225));
  return out;
}

void BarcodeSets() {
  std::printf("\n== Barcode: synthetic AAMVA PDF417 ==\n");
  const std::string payload = AamvaPayload();
  std::printf("%-8s %-6s %-6s %-8s %-8s\n", "module", "skew", "blur", "decoded",
              "ms");
  int ok_total = 0, total = 0;
  double max_ms = 0;
  for (int module : {2, 3}) {
    const cv::Mat base = Pdf417Image(payload, module);
    for (double skew : {0.0, 3.0, 8.0, 15.0, -20.0, 30.0}) {
      for (double blur : {0.0, 1.0}) {
        cv::Mat img = Rotated(base, skew);
        if (blur > 0) cv::GaussianBlur(img, img, cv::Size(), blur);
        const auto t = Clock::now();
        absl::StatusOr<Pdf417Read> r = ReadPdf417(img);
        const double ms = MsSince(t);
        const bool ok = r.ok() && r->bytes == payload;
        ok_total += ok;
        ++total;
        max_ms = std::max(max_ms, ms);
        std::printf("%-8d %-6.0f %-6.1f %-8s %-8.1f %s\n", module, skew, blur,
                    ok ? "yes" : "NO", ms,
                    r.ok() ? absl::StrFormat("(rotated %.0f deg, %dx%d px)",
                                             r->rotation_deg, img.cols, img.rows)
                                 .c_str()
                           : "");
      }
    }
  }
  std::printf("decoded %d/%d, slowest %.1f ms (target <= 80 ms)\n", ok_total,
              total, max_ms);
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
    cv::warpAffine(out, out, cv::getRotationMatrix2D(c, -6 + 4 * (k % 4), 1.0),
                   out.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
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
                  faces->front().box.height, faces->front().confidence,
                  faces->front().yaw_deg, faces->front().roll_deg);
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
    std::printf("%-9s n=%zu min %.3f p10 %.3f median %.3f p90 %.3f max %.3f\n",
                what, v.size(), v.front(), v[v.size() / 10], v[v.size() / 2],
                v[v.size() * 9 / 10], v.back());
  };
  summary("genuine", genuine);
  summary("impostor", impostor);
  const FaceOptions fo;
  std::printf("thresholds: pass >= %.2f, review >= %.2f\n", fo.match.pass,
              fo.match.review);
  if (timed > 0) {
    std::printf("detect (+landmarks) %.1f ms, embed %.1f ms per image "
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
  std::printf("%s %s/front.jpg and %s/back.jpg\n", ok ? "wrote" : "failed to write",
              dir.c_str(), dir.c_str());
  return ok ? 0 : 1;
}

int Main(int argc, char** argv) {
  int n = 20;
  bool measures = false;
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
    } else if (!std::strcmp(argv[i], "--measures")) {
      measures = true;
    } else {
      std::fprintf(stderr,
                   "usage: bench_checks [--n N] [--models DIR] [--faces DIR] "
                   "[--measures] | --write-samples DIR\n");
      return 2;
    }
  }
  cv::setNumThreads(1);  // Targets are per core.
  Timings();
  QualitySets(n, measures);
  BarcodeSets();
  if (!models_dir.empty() && !faces_dir.empty()) FaceSets(models_dir, faces_dir);
  return 0;
}

}  // namespace
}  // namespace vouch::ocr

int main(int argc, char** argv) { return vouch::ocr::Main(argc, argv); }
