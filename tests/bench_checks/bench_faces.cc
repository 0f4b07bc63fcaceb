// bench_checks --faces DIR: the face matcher on a labelled folder (see
// bench_faces.h). Not a ctest test; docs/checks.md and models/face/README.md
// quote its output.

#include "bench_faces.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "docgen/docgen.h"
#include "face/face_eval.h"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/face_gate.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

using face_eval::Corpus;
using face_eval::ImageOutcome;
using face_eval::PairScores;
using face_eval::Roc;

// A passport photo's framing around the detector's box (ICAO 9303 Part 3:
// the head fills 70-80 % of the photo's height): the box is about brow to
// chin, so the photo is 1.6 box heights high, 0.78 as wide, and centred a
// little above the box.
constexpr double kPortraitHeightInBoxes = 1.6;
constexpr double kPortraitAspect = 0.78;
constexpr double kPortraitLiftInBoxes = 0.1;

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
}

void PrintRocHeader() {
  std::printf("%-34s %7s %7s %6s %6s %6s  %9s %6s  %9s %6s  %8s %8s\n", "set", "genuine", "impost.",
              "scored", "EER", "thr", "FNMR@1e-2", "thr", "FNMR@1e-3", "thr", "min gen.",
              "max imp.");
}

void PrintRoc(const std::string& name, const PairScores& s, size_t genuine_total,
              size_t impostor_total) {
  const Roc r = face_eval::ComputeRoc(s.genuine, s.impostor);
  const double share = static_cast<double>(s.genuine.size() + s.impostor.size()) /
                       std::max<size_t>(1, genuine_total + impostor_total);
  std::printf("%-34s %7zu %7zu %5.1f%% %5.2f%% %6.3f  %8.2f%% %6.3f  %8.2f%% %6.3f  %8.3f %8.3f\n",
              name.c_str(), s.genuine.size(), s.impostor.size(), 100 * share, 100 * r.eer,
              r.eer_threshold, 100 * r.fnmr_at_fmr_1e2, r.threshold_fmr_1e2,
              100 * r.fnmr_at_fmr_1e3, r.threshold_fmr_1e3, Quantile(s.genuine, 0),
              Quantile(s.impostor, 1));
}

// Share of genuine and impostor pairs at each verdict under `t`.
void PrintVerdicts(const std::string& name, const PairScores& s, const Threshold& t) {
  auto rates = [&](const std::vector<double>& v, double& pass, double& review, double& fail) {
    pass = review = fail = 0;
    for (double x : v) (x >= t.pass ? pass : x >= t.review ? review : fail) += 1;
    const double n = std::max<size_t>(1, v.size());
    pass /= n, review /= n, fail /= n;
  };
  double gp, gr, gf, ip, ir, iff;
  rates(s.genuine, gp, gr, gf);
  rates(s.impostor, ip, ir, iff);
  std::printf(
      "%-34s genuine pass %5.1f%% review %5.1f%% fail %5.2f%% | impostor pass "
      "%5.3f%% review %5.2f%% fail %5.1f%%\n",
      name.c_str(), 100 * gp, 100 * gr, 100 * gf, 100 * ip, 100 * ir, 100 * iff);
}

void PrintGate(const std::string& name, const Corpus& corpus,
               const std::vector<ImageOutcome>& outcomes) {
  std::map<FaceProblem, int> counts;
  int scored = 0;
  size_t total = 0;
  std::vector<double> yaw, pitch, roll, sharp, fit;
  for (const ImageOutcome& o : outcomes) {
    if (!o.decoded) continue;
    ++total;
    ++counts[o.selection.problem];
    scored += o.scored();
    if (o.selection.face.has_value() && o.selection.face->pose_known) {
      yaw.push_back(std::fabs(o.selection.face->yaw_deg));
      pitch.push_back(std::fabs(o.selection.face->pitch_deg));
      roll.push_back(std::fabs(o.selection.face->roll_deg));
      sharp.push_back(o.selection.face->sharpness);
      fit.push_back(o.selection.face->landmark_fit_error);
    }
  }
  std::printf("%s: scored %d of %zu images (%.1f%%);", name.c_str(), scored, total,
              100.0 * scored / std::max<size_t>(1, total));
  for (const auto& [problem, n] : counts) {
    if (problem != FaceProblem::kNone) {
      std::printf(" %s %d", std::string(FaceProblemName(problem)).c_str(), n);
    }
  }
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ImageOutcome& o = outcomes[i];
    if (!o.decoded || o.scored()) continue;
    std::printf("\n  not scored: %s: %s", corpus.files[i].c_str(),
                std::string(FaceProblemName(o.selection.problem)).c_str());
    if (o.selection.face.has_value() && o.selection.face->pose_known) {
      std::printf(" (yaw %+.0f pitch %+.0f roll %+.0f, sharpness %.2f)", o.selection.face->yaw_deg,
                  o.selection.face->pitch_deg, o.selection.face->roll_deg,
                  o.selection.face->sharpness);
    }
  }
  std::printf(
      "\n  |yaw| p50 %.0f p95 %.0f max %.0f; |pitch| p50 %.0f p95 %.0f max %.0f; "
      "|roll| p50 %.0f p95 %.0f max %.0f; sharpness p1 %.2f p5 %.2f p50 %.2f\n",
      Quantile(yaw, 0.5), Quantile(yaw, 0.95), Quantile(yaw, 1), Quantile(pitch, 0.5),
      Quantile(pitch, 0.95), Quantile(pitch, 1), Quantile(roll, 0.5), Quantile(roll, 0.95),
      Quantile(roll, 1), Quantile(sharp, 0.01), Quantile(sharp, 0.05), Quantile(sharp, 0.5));
  std::printf("  landmark fit error p50 %.3f p95 %.3f p99 %.3f max %.3f\n", Quantile(fit, 0.5),
              Quantile(fit, 0.95), Quantile(fit, 0.99), Quantile(fit, 1));
}

// The head and shoulders around `face`, framed like a passport photo
// (borders replicated where the photo ends).
cv::Mat PassportCrop(const cv::Mat& bgr, const Face& face) {
  const double h = kPortraitHeightInBoxes * face.box.height;
  const double w = kPortraitAspect * h;
  const double cx = face.box.x + face.box.width / 2;
  const double cy = face.box.y + face.box.height / 2 - kPortraitLiftInBoxes * face.box.height;
  const cv::Rect want(static_cast<int>(cx - w / 2), static_cast<int>(cy - h / 2),
                      static_cast<int>(w), static_cast<int>(h));
  const int pad = std::max(want.width, want.height);
  cv::Mat padded;
  cv::copyMakeBorder(bgr, padded, pad, pad, pad, pad, cv::BORDER_REPLICATE);
  return padded(want + cv::Point(pad, pad)).clone();
}

// Document pages made from the photos, as the verifier sees them.
struct Pages {
  std::vector<ImageOutcome> upright;  // The page as photographed.
  std::vector<ImageOutcome> turned;   // The same page turned 180°.
  std::vector<std::string> notes;     // How the page was photographed.
  const ImageOutcome& operator[](size_t i) const { return upright[i]; }
};

// Renders each photo with a face as the portrait of a docgen passport page
// at `level`, and runs the matcher on the whole page (and on the page
// turned 180°) as the verifier does on a document front.
absl::StatusOr<Pages> DocumentPortraits(const Corpus& corpus,
                                        const std::vector<ImageOutcome>& photos,
                                        docgen::DocumentGenerator& gen, docgen::Level level,
                                        FaceModels& models, const FaceOptions& options) {
  Pages out;
  out.upright.resize(photos.size());
  out.turned.resize(photos.size());
  out.notes.resize(photos.size());
  for (size_t i = 0; i < photos.size(); ++i) {
    if (photos[i].embedding.empty()) continue;
    const cv::Mat bgr = cv::imread((corpus.dir / corpus.files[i]).string(), cv::IMREAD_COLOR);
    docgen::RenderOptions render;
    render.level = level;
    render.portrait = PassportCrop(bgr, *photos[i].selection.face);
    absl::StatusOr<docgen::GeneratedDocument> doc =
        gen.Render(docgen::SampleIdentity(), /*seed=*/i + 1, render);
    if (!doc.ok()) return doc.status();
    absl::StatusOr<ImageOutcome> o = face_eval::RunImage(doc->image, models, options);
    if (!o.ok()) return o.status();
    cv::Mat turned;
    cv::rotate(doc->image, turned, cv::ROTATE_180);
    absl::StatusOr<ImageOutcome> t = face_eval::RunImage(turned, models, options);
    if (!t.ok()) return t.status();
    out.notes[i] = absl::StrFormat("page rotated %+.0f%s", doc->rotation_degrees,
                                   doc->upside_down ? ", upside down" : "");
    out.upright[i] = *std::move(o);
    out.turned[i] = *std::move(t);
  }
  return out;
}

// Scores of (page, photo) pairs in both directions, as RunFaceChecks makes
// them: the upright page's portrait and, when that does not pass and
// `turned` is given, the turned page's too (the better counts).
PairScores PageScores(const Corpus& corpus, const Pages& pages,
                      const std::vector<ImageOutcome>* turned,
                      const std::vector<ImageOutcome>& photos, double pass,
                      const std::function<bool(size_t, size_t)>& keep) {
  PairScores out;
  auto score = [&](size_t page, size_t photo, std::vector<double>& into) {
    if (keep && !keep(page, photo)) return;
    if (!photos[photo].scored()) return;
    const bool has_turned = turned != nullptr && (*turned)[page].scored();
    double s = -1;
    if (pages.upright[page].scored()) {
      s = CosineSimilarity(pages.upright[page].embedding, photos[photo].embedding);
    } else if (!has_turned) {
      return;  // No portrait either way: not scored.
    }
    if (s < pass && has_turned) {
      s = std::max(s, CosineSimilarity((*turned)[page].embedding, photos[photo].embedding));
    }
    into.push_back(s);
  };
  for (const auto& [a, b] : corpus.genuine) {
    score(a, b, out.genuine);
    score(b, a, out.genuine);
  }
  for (const auto& [a, b] : corpus.impostor) {
    score(a, b, out.impostor);
    score(b, a, out.impostor);
  }
  return out;
}

// Face::sharpness against blur: each photo with a face, blurred by a
// Gaussian of a share of its face's height, and how far its embedding moves
// (similarity to the sharp photo's). For setting FaceOptions::min_sharpness.
absl::Status BlurSweep(const Corpus& corpus, const std::vector<ImageOutcome>& photos,
                       FaceModels& models, const FaceOptions& options) {
  std::printf(
      "\n== Blur: colour photos blurred by a Gaussian of sigma = a share of the face's height "
      "==\n%-8s %6s %10s %10s %10s %12s %12s\n",
      "sigma", "n", "sharp p5", "sharp p50", "sharp p95", "sim p5", "sim p50");
  for (const double share : {0.0, 0.01, 0.02, 0.03, 0.05, 0.08}) {
    std::vector<double> sharp, sim;
    for (size_t i = 0; i < photos.size(); ++i) {
      // Colour photos only: the selfies the gate is for.
      if (photos[i].embedding.empty() || photos[i].greyscale) continue;
      cv::Mat bgr = cv::imread((corpus.dir / corpus.files[i]).string(), cv::IMREAD_COLOR);
      const double sigma = share * photos[i].selection.face->box.height;
      if (sigma > 0) cv::GaussianBlur(bgr, bgr, cv::Size(), sigma);
      absl::StatusOr<ImageOutcome> o = face_eval::RunImage(bgr, models, options);
      if (!o.ok()) return o.status();
      if (o->embedding.empty()) continue;
      sharp.push_back(o->selection.face->sharpness);
      sim.push_back(CosineSimilarity(o->embedding, photos[i].embedding));
    }
    std::printf("%-8s %6zu %10.3f %10.3f %10.3f %12.3f %12.3f\n",
                absl::StrFormat("%.0f%%", 100 * share).c_str(), sharp.size(), Quantile(sharp, 0.05),
                Quantile(sharp, 0.5), Quantile(sharp, 0.95), Quantile(sim, 0.05),
                Quantile(sim, 0.5));
  }
  return absl::OkStatus();
}

void PrintTimes(const Corpus& corpus, const std::vector<ImageOutcome>& outcomes) {
  std::vector<double> ms, detect_ms, decode_ms;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!outcomes[i].decoded) continue;
    ms.push_back(outcomes[i].ms);
    detect_ms.push_back(outcomes[i].detect_ms);
    const auto start = std::chrono::steady_clock::now();
    const cv::Mat m = cv::imread((corpus.dir / corpus.files[i]).string(), cv::IMREAD_COLOR);
    decode_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  double mean = 0, decode_mean = 0;
  for (double m : ms) mean += m;
  for (double m : decode_ms) decode_mean += m;
  mean /= std::max<size_t>(1, ms.size());
  decode_mean /= std::max<size_t>(1, decode_ms.size());
  std::printf(
      "time per image (detect + landmarks + embed, one core): mean %.1f ms, p50 %.1f, "
      "p95 %.1f, max %.1f\n",
      mean, Quantile(ms, 0.5), Quantile(ms, 0.95), Quantile(ms, 1));
  std::printf("  of which detect + landmarks: p50 %.1f ms\n", Quantile(detect_ms, 0.5));
  std::printf(
      "time per pair: %.1f ms (target <= 60 ms); baseline, decoding the two files: "
      "%.1f ms\n",
      2 * mean, 2 * decode_mean);
}

}  // namespace

bool IsFaceCorpus(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(dir) / "manifest.json", ec) &&
         std::filesystem::is_regular_file(std::filesystem::path(dir) / "pairs.json", ec);
}

int BenchFaces(const std::string& models_dir, const std::string& faces_dir) {
  absl::StatusOr<std::unique_ptr<FaceModels>> models = FaceModels::Load(models_dir);
  if (!models.ok()) {
    std::fprintf(stderr, "face models: %s\n", models.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<Corpus> corpus = face_eval::LoadCorpus(faces_dir);
  if (!corpus.ok()) {
    std::fprintf(stderr, "%s: %s\n", faces_dir.c_str(), corpus.status().ToString().c_str());
    return 1;
  }
  const FaceOptions options;
  std::printf("== Face match on %s: %zu images, %zu genuine / %zu impostor pairs ==\n",
              faces_dir.c_str(), corpus->files.size(), corpus->genuine.size(),
              corpus->impostor.size());
  std::printf(
      "gate: min_face_px %d, |yaw| <= %.0f, |pitch| <= %.0f, |roll| <= %.0f, "
      "sharpness >= %.2f; match pass %.3f review %.3f\n",
      options.min_face_px, options.max_yaw_deg, options.max_pitch_deg, options.max_roll_deg,
      options.min_sharpness, options.match.pass, options.match.review);
  absl::StatusOr<std::vector<ImageOutcome>> photos =
      face_eval::RunImages(*corpus, **models, options);
  if (!photos.ok()) {
    std::fprintf(stderr, "%s\n", photos.status().ToString().c_str());
    return 1;
  }
  PrintGate("photos", *corpus, *photos);

  const std::vector<ImageOutcome>& p = *photos;
  const size_t g = corpus->genuine.size(), im = corpus->impostor.size();
  auto colour = [&](size_t a, size_t b) { return !p[a].greyscale && !p[b].greyscale; };
  auto grey = [&](size_t a, size_t b) { return p[a].greyscale && p[b].greyscale; };
  const PairScores all = face_eval::ScorePairs(*corpus, p, p, true);
  std::printf("\n");
  PrintRocHeader();
  PrintRoc("all pairs, gated", all, g, im);
  PrintRoc("all pairs, every face embedded", face_eval::ScorePairs(*corpus, p, p, false), g, im);
  PrintRoc("colour pairs, gated", face_eval::ScorePairs(*corpus, p, p, true, colour), g, im);
  PrintRoc("colour pairs, every face embedded", face_eval::ScorePairs(*corpus, p, p, false, colour),
           g, im);
  PrintRoc("greyscale pairs, gated", face_eval::ScorePairs(*corpus, p, p, true, grey), g, im);

  std::printf("\nat the default thresholds:\n");
  PrintVerdicts("all pairs", all, options.match);

  absl::StatusOr<std::unique_ptr<docgen::DocumentGenerator>> gen =
      docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::fprintf(stderr, "docgen: %s\n", gen.status().ToString().c_str());
    return 1;
  }
  for (const docgen::Level level : {docgen::Level::kClean, docgen::Level::kMedium}) {
    absl::StatusOr<Pages> docs = DocumentPortraits(*corpus, p, **gen, level, **models, options);
    if (!docs.ok()) {
      std::fprintf(stderr, "%s\n", docs.status().ToString().c_str());
      return 1;
    }
    const std::string name = absl::StrFormat("docgen page (%s) vs photo", docgen::LevelName(level));
    std::printf(
        "\n== Document portraits: each scored photo as the portrait of a %s docgen "
        "passport page, the page against the pair's other photo ==\n",
        std::string(docgen::LevelName(level)).c_str());
    PrintGate("pages", *corpus, docs->upright);
    // Pair (a, b): page made from a against photo b, and page from b
    // against photo a: both directions, as either may be the document.
    const PairScores upright = PageScores(*corpus, *docs, nullptr, p, options.match.pass, {});
    const PairScores both = PageScores(*corpus, *docs, &docs->turned, p, options.match.pass, {});
    std::vector<double> same;
    for (size_t i = 0; i < p.size(); ++i) {
      if ((*docs)[i].scored()) {
        same.push_back(CosineSimilarity((*docs)[i].embedding, p[i].embedding));
      }
    }
    PrintRocHeader();
    PrintRoc(name + ", upright only", upright, 2 * g, 2 * im);
    PrintRoc(name, both, 2 * g, 2 * im);
    PrintRoc(name + ", colour",
             PageScores(*corpus, *docs, &docs->turned, p, options.match.pass, colour), 2 * g,
             2 * im);
    PrintVerdicts(name, both, options.match);
    for (const auto& [a, b] : corpus->genuine) {
      for (const auto& [page, photo] : {std::pair{a, b}, std::pair{b, a}}) {
        if (!(*docs)[page].scored() || !p[photo].scored()) continue;  // Listed above.
        double sim = CosineSimilarity((*docs)[page].embedding, p[photo].embedding);
        if (sim < options.match.pass && docs->turned[page].scored()) {
          sim = std::max(sim, CosineSimilarity(docs->turned[page].embedding, p[photo].embedding));
        }
        if (sim >= options.match.review) continue;
        const Face& pf = *(*docs)[page].selection.face;
        std::printf(
            "  genuine below review: page of %s vs %s: %.3f (%s; fit %.3f sharp %.2f "
            "conf %.2f h %.0f; yaw %+.0f pitch %+.0f roll %+.0f)\n",
            corpus->files[page].c_str(), corpus->files[photo].c_str(), sim,
            docs->notes[page].c_str(), pf.landmark_fit_error, pf.sharpness, pf.confidence,
            pf.box.height, (*docs)[page].selection.face->yaw_deg,
            (*docs)[page].selection.face->pitch_deg, (*docs)[page].selection.face->roll_deg);
      }
    }
    std::printf("page vs its own source photo: similarity p5 %.3f p50 %.3f (n %zu)\n",
                Quantile(same, 0.05), Quantile(same, 0.5), same.size());
  }
  if (absl::Status s = BlurSweep(*corpus, p, **models, options); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("\n");
  PrintTimes(*corpus, p);
  return 0;
}

}  // namespace vouch::ocr
