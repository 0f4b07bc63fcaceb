// The quality checks: measures (measures.cc) turned into verdicts and
// reasons a user can act on.

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checks/quality_internal.h"
#include "ocr/checks.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

CheckResult Make(absl::string_view name, double score, const Threshold& t,
                 TelegramSource source, std::string pass_reason,
                 std::string fail_reason) {
  CheckResult r;
  r.name = std::string(name);
  r.score = score;
  r.threshold = t.pass;
  r.verdict = VerdictFor(score, t);
  r.reason = r.verdict == CheckVerdict::kPass ? std::move(pass_reason)
                                              : std::move(fail_reason);
  r.source = source;
  return r;
}

double Dist(const cv::Point2f& a, const cv::Point2f& b) {
  return std::hypot(a.x - b.x, a.y - b.y);
}

CheckResult Resolution(const DocumentDetection& doc, const QualityOptions& o,
                       TelegramSource source) {
  const auto& c = doc.corners;
  const double long_side =
      std::max({Dist(c[0], c[1]), Dist(c[3], c[2]), Dist(c[0], c[3]),
                Dist(c[1], c[2])});
  const double dpi = long_side / (o.document_width_mm / 25.4);
  return Make("resolution", std::round(dpi), o.resolution, source,
              absl::StrFormat("about %.0f dpi", dpi),
              absl::StrFormat("low resolution (about %.0f dpi): if the "
                              "text is hard to read, move the camera closer "
                              "so the document fills the picture",
                              dpi));
}

// A document whose outline runs along this many frame sides fills the frame:
// a scan or a photo cropped to the document, not one cut off.
constexpr int kCroppedToDocumentSides = 3;
// Share of the outline on the frame border above which the document counts
// as touching it.
constexpr double kBorderContact = 0.03;
// Score given when the picture looks wrong but holds no proof (review band
// of QualityOptions::cutoff by default): the middle of 0.5..0.9.
constexpr double kCutoffUnprovenScore = 0.7;

// Cut off: FAIL only on positive evidence that part of the document is off
// the frame: a corner of its outline lies on the frame border (the border
// closes the outline there). An outline that merely runs along one or two
// sides, or a small outline (on a white scanner lid the page edge has no
// contrast and the detector may take an inner frame), asks for review.
CheckResult Cutoff(const DocumentDetection& doc, const QualityOptions& o,
                   TelegramSource source) {
  double score = 1.0;
  std::string reason = "the whole document is in the picture";
  const bool touches = doc.sides_touching > 0 ||
                       doc.border_contact > kBorderContact ||
                       doc.corners_on_border > 0;
  if (!doc.found || doc.sides_touching >= kCroppedToDocumentSides) {
    // Scans and crops to the document show no edge to judge by. On the
    // genuine calibration data (docs/checks.md) this was the commonest
    // capture of all, and a document cut by the frame still shows its
    // other edges: pass at the threshold, and say so.
    score = o.cutoff.pass;
    reason = "the picture is cropped to the document (its edges are not visible)";
  } else if (touches) {
    const bool corner_off = doc.corners_on_border > 0;
    score = corner_off ? std::clamp(0.4 - doc.border_contact, 0.0, 0.4)
                       : kCutoffUnprovenScore;
    reason = absl::StrCat(
        corner_off ? "part of the document is cut off"
                   : "part of the document may be cut off",
        ": make sure all four corners are in the picture");
  } else if (doc.fill < o.min_fill) {
    score = kCutoffUnprovenScore;
    reason =
        "the document looks small in the picture (or its edges are faint): "
        "move closer, on a dark background";
  }
  CheckResult r;
  r.name = "cutoff";
  r.score = score;
  r.threshold = o.cutoff.pass;
  r.verdict = VerdictFor(score, o.cutoff);
  r.reason = reason;
  r.source = source;
  return r;
}

CheckResult Glare(const internal::GlareMeasure& g, const QualityOptions& o,
                  TelegramSource source) {
  struct Zone {
    const char* name;
    double coverage;
  };
  const Zone zones[] = {{"machine-readable zone", g.mrz},
                        {"photo", g.portrait},
                        {"printed details", g.data}};
  const Zone* worst = &zones[0];
  for (const Zone& z : zones) {
    if (z.coverage > worst->coverage) worst = &z;
  }
  if (g.paper >= 248) {
    // The paper itself is clipped (white paper, a scan, overexposure):
    // glare is then as bright as the paper and cannot be told from it.
    CheckResult r;
    r.name = "glare";
    r.score = 1.0 - worst->coverage;
    r.threshold = o.glare.pass;
    r.verdict = CheckVerdict::kUnavailable;
    r.reason =
        "the document's paper is as bright as glare, so glare cannot be "
        "judged: avoid direct light on white documents";
    r.source = source;
    return r;
  }
  const double score = 1.0 - worst->coverage;
  std::string pass_reason =
      g.document > 0.001
          ? "glare only on the background, not on the details"
          : "no glare";
  return Make("glare", score, o.glare, source, std::move(pass_reason),
              absl::StrCat("glare covers the ", worst->name,
                           ": tilt the document or turn off the flash"));
}

CheckResult Fraud(CheckResult r) {
  r.kind = CheckKind::kFraud;
  return r;
}

// The two-dimensional lattice's prominence (screen.cc) to a 0..1 score: 1
// at or below kLatticeNone (shared noise peaks on print and scans reach
// ~1.3), 0 at kLatticeFull, linear between. The thresholds on this score
// (QualityOptions::screen) come from `bench_checks --calibrate`
// (docs/checks.md).
constexpr double kLatticeNone = 1.0;
constexpr double kLatticeFull = 5.0;

double ScreenScore(const internal::ScreenMeasure& m) {
  if (m.tiles == 0) return 1.0;  // Too small to hold a lattice.
  return std::clamp(1.0 - (m.lattice_2d - kLatticeNone) / (kLatticeFull - kLatticeNone),
                    0.0, 1.0);
}

}  // namespace

void ApplyFraudRule(const std::vector<CheckResult*>& checks) {
  std::vector<std::string> certain;
  for (const CheckResult* c : checks) {
    if (c == nullptr || c->kind != CheckKind::kFraud ||
        c->verdict != CheckVerdict::kFail) {
      continue;
    }
    if (std::find(certain.begin(), certain.end(), c->name) == certain.end()) {
      certain.push_back(c->name);
    }
  }
  if (static_cast<int>(certain.size()) >= kIndependentFraudSignals) return;
  for (CheckResult* c : checks) {
    if (c == nullptr || c->kind != CheckKind::kFraud ||
        c->verdict != CheckVerdict::kFail) {
      continue;
    }
    c->verdict = CheckVerdict::kReview;
    c->reason = absl::StrCat(c->reason, " (one signal alone: a person will check)");
  }
}

absl::string_view CheckVerdictName(CheckVerdict verdict) {
  switch (verdict) {
    case CheckVerdict::kPass: return "pass";
    case CheckVerdict::kFail: return "fail";
    case CheckVerdict::kReview: return "review";
    case CheckVerdict::kUnavailable: return "unavailable";
  }
  return "unavailable";
}

absl::string_view TelegramSourceName(TelegramSource source) {
  switch (source) {
    case TelegramSource::kFrontSide: return "front_side";
    case TelegramSource::kReverseSide: return "reverse_side";
    case TelegramSource::kSelfie: return "selfie";
    case TelegramSource::kFiles: return "files";
    case TelegramSource::kTranslationFile: return "translation_file";
  }
  return "files";
}

QualityOptions WithDocumentType(QualityOptions options, DocumentType type,
                                DocumentSide side) {
  if (type == DocumentType::kUnknown) return options;
  options.layout = DocumentLayout::For(type, side);
  options.document_width_mm = DocumentWidthMm(type);
  return options;
}

CheckVerdict VerdictFor(double score, const Threshold& threshold) {
  if (!std::isfinite(score)) return CheckVerdict::kFail;
  if (score >= threshold.pass) return CheckVerdict::kPass;
  if (score >= threshold.review) return CheckVerdict::kReview;
  return CheckVerdict::kFail;
}

absl::StatusOr<QualityReport> RunQualityChecks(const cv::Mat& image,
                                               TelegramSource source,
                                               const QualityOptions& options,
                                               absl::string_view encoded) {
  QualityReport report;
  {
    absl::StatusOr<DocumentDetection> doc = DetectDocument(image);
    if (!doc.ok()) return doc.status();
    report.document = *std::move(doc);
  }
  const cv::Mat& doc = report.document.rectified;
  try {
    // One working copy at 800 px for the measures that judge the document
    // as a whole; the screen check needs the native resolution.
    cv::Mat work = doc;
    if (doc.cols > 800) {
      const double s = 800.0 / doc.cols;
      cv::resize(doc, work, cv::Size(), s, s, cv::INTER_AREA);
    }
    const double focus = internal::MeasureFocus(work);
    const internal::GlareMeasure glare =
        internal::MeasureGlare(work, options.layout);
    const internal::ExposureMeasure exposure = internal::MeasureExposure(work);
    const double colour = internal::MeasureColourSpread(work);
    // On the image as received: rectification resamples, which blurs a
    // fine lattice and moves JPEG's block grid off its fixed frequencies.
    const internal::ScreenMeasure screen =
        internal::MeasureScreen(image, report.document.corners);

    report.checks.push_back(Resolution(report.document, options, source));
    report.checks.push_back(Make(
        "focus", focus, options.focus, source, "sharp",
        "too blurry: hold the camera still, tap to focus and retake in good "
        "light"));
    report.checks.push_back(Glare(glare, options, source));
    report.checks.push_back(
        Make("exposure", exposure.score, options.exposure, source,
             "well exposed",
             exposure.too_dark
                 ? "too dark: retake in daylight or a well-lit room"
                 : "washed out: avoid direct light and the flash"));
    report.checks.push_back(Cutoff(report.document, options, source));
    report.checks.push_back(Fraud(Make(
        "colour", colour, options.colour, source, "colour document",
        "looks like a black-and-white copy: photograph the original "
        "document, in colour")));
    report.checks.push_back(Fraud(Make(
        "screen", ScreenScore(screen), options.screen, source,
        "no screen pattern",
        "looks like a photo of a screen: photograph the paper document "
        "itself, not a picture of it on a screen")));
    // Tampering signals stay hints for a reviewer, not a check: on the
    // calibration data no threshold on them separates pasted portraits from
    // genuine pages (docs/checks.md, "Calibration").
    report.tamper_signals =
        internal::MeasureTamperSignals(work, options.layout, encoded);
  } catch (const cv::Exception& e) {
    return absl::InternalError(
        absl::StrCat("quality checks failed: ", e.what()));
  }
  absl::StatusOr<uint64_t> hash = PerceptualHash(doc);
  if (!hash.ok()) return hash.status();
  report.perceptual_hash = *hash;
  return report;
}

}  // namespace vouch::ocr
