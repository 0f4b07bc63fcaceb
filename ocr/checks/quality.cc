// The quality checks: measures (measures.cc) turned into verdicts and
// reasons a user can act on.

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checks/quality_internal.h"
#include "ocr/checks.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

CheckResult Make(absl::string_view name, double score, const Threshold& t, TelegramSource source,
                 std::string pass_reason, std::string fail_reason) {
  CheckResult r;
  r.name = std::string(name);
  r.score = score;
  r.threshold = t.pass;
  r.verdict = VerdictFor(score, t);
  r.reason = r.verdict == CheckVerdict::kPass ? std::move(pass_reason) : std::move(fail_reason);
  r.source = source;
  return r;
}

double Dist(const cv::Point2f& a, const cv::Point2f& b) { return std::hypot(a.x - b.x, a.y - b.y); }

CheckResult Resolution(const DocumentDetection& doc, const QualityOptions& o,
                       TelegramSource source) {
  const auto& c = doc.corners;
  const double long_side =
      std::max({Dist(c[0], c[1]), Dist(c[3], c[2]), Dist(c[0], c[3]), Dist(c[1], c[2])});
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
// Score given when the picture looks wrong but holds no proof (review band
// of QualityOptions::cutoff by default): the middle of 0.5..0.9.
constexpr double kCutoffUnprovenScore = 0.7;
// A quadrilateral with a corner on the frame border whose aspect ratio is
// within this share of the document type's is the whole document cropped
// tight (the specimens of the tuning set: their outlines touch the border
// at 1..4 corners); a document cut by the frame loses part of one side and
// looks squarer or longer.
constexpr double kWholeDocumentAspectTolerance = 0.08;
// ... and beyond this share it is proof that part of it is off the frame.
constexpr double kCutAspectDeviation = 0.25;

// |aspect of the outline / aspect of the document - 1| (long / short side,
// each the mean of its two opposite sides).
double AspectDeviation(const DocumentDetection& doc, const QualityOptions& o) {
  const auto& c = doc.corners;
  const double a = (Dist(c[0], c[1]) + Dist(c[3], c[2])) / 2;
  const double b = (Dist(c[0], c[3]) + Dist(c[1], c[2])) / 2;
  if (std::min(a, b) <= 0 || o.document_aspect <= 0) return 1.0;
  return std::fabs(std::max(a, b) / std::min(a, b) / o.document_aspect - 1.0);
}

// Distance from the frame border within which a corner counts as on it
// (share of the frame's long side; at least kFrameCornerMarginMinPx).
constexpr double kFrameCornerMargin = 0.02;
constexpr double kFrameCornerMarginMinPx = 3.0;

}  // namespace

namespace internal {

float FrameCornerMargin(cv::Size frame) {
  return static_cast<float>(
      std::max(kFrameCornerMarginMinPx, kFrameCornerMargin * std::max(frame.width, frame.height)));
}

// True when every corner of the outline that lies on the frame border has
// an edge of the outline running along that border to its neighbour: the
// document's edge is the frame's, a tight crop. A document whose corner
// sticks out of the frame has that corner clamped onto the border with
// both neighbours inside the picture; when all four corners lie on the
// border no corner has a neighbour inside, and the outline runs around the
// whole picture (a document cropped tight whose outline is a little
// tilted: each edge near, not exactly along, its frame side).
bool BorderCornersOnBorderEdges(const DocumentDetection& doc, cv::Size frame) {
  const float m = FrameCornerMargin(frame);
  const float right = static_cast<float>(frame.width - 1) - m;
  const float bottom = static_cast<float>(frame.height - 1) - m;
  auto on_border = [&](const cv::Point2f& p) {
    return p.x <= m || p.y <= m || p.x >= right || p.y >= bottom;
  };
  auto along_border = [&](const cv::Point2f& p, const cv::Point2f& q) {
    return (p.x <= m && q.x <= m) || (p.y <= m && q.y <= m) || (p.x >= right && q.x >= right) ||
           (p.y >= bottom && q.y >= bottom);
  };
  const auto& c = doc.corners;
  if (std::all_of(c.begin(), c.end(), on_border)) return true;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!on_border(c[i])) continue;
    if (!along_border(c[i], c[(i + 1) % 4]) && !along_border(c[i], c[(i + 3) % 4])) {
      return false;
    }
  }
  return true;
}

// True when the outline is the frame itself: each of its corners within the
// frame-corner margin of a different corner of the frame. The detector
// found no edge of the document inside the picture (as with no outline).
bool CornersAreTheFrame(const std::array<cv::Point2f, 4>& corners, cv::Size frame) {
  const float m = FrameCornerMargin(frame);
  const float w = static_cast<float>(frame.width - 1), h = static_cast<float>(frame.height - 1);
  const std::array<cv::Point2f, 4> frame_corners = {cv::Point2f(0, 0), cv::Point2f(w, 0),
                                                    cv::Point2f(w, h), cv::Point2f(0, h)};
  for (const cv::Point2f& f : frame_corners) {
    const bool taken = std::any_of(corners.begin(), corners.end(), [&](const cv::Point2f& p) {
      return std::fabs(p.x - f.x) <= m && std::fabs(p.y - f.y) <= m;
    });
    if (!taken) return false;
  }
  return true;
}

bool OutlineIsTheFrame(const DocumentDetection& doc, cv::Size frame) {
  return CornersAreTheFrame(doc.corners, frame);
}

}  // namespace internal

namespace {

// Cut off: FAIL only on positive evidence that part of the document is off
// the frame: a corner of its outline on the frame border (the border closes
// the outline there) and an outline whose shape is not the document's. An
// outline shaped like the document whose border corners are the frame's
// corners is a tight crop (pass); in between asks for review. An outline that runs along frame
// sides with all four corners inside the frame holds the whole document.
CheckResult Cutoff(const DocumentDetection& doc, bool outline_distrusted, const QualityOptions& o,
                   cv::Size frame, TelegramSource source) {
  double score = 1.0;
  std::string reason = "the whole document is in the picture";
  if (outline_distrusted) {
    score = o.cutoff.pass;
    reason =
        "the document's edges were not found (a scan, or a faint edge): the "
        "whole picture was judged";
  } else if (!doc.found || doc.sides_touching >= kCroppedToDocumentSides ||
             internal::OutlineIsTheFrame(doc, frame)) {
    // Scans and crops to the document show no edge to judge by. On the
    // genuine calibration data (docs/checks.md) this was the commonest
    // capture of all, and a document cut by the frame still shows its
    // other edges: pass at the threshold, and say so.
    score = o.cutoff.pass;
    reason = "the picture is cropped to the document (its edges are not visible)";
  } else if (doc.corners_on_border > 0) {
    const double deviation = AspectDeviation(doc, o);
    if (deviation <= kWholeDocumentAspectTolerance &&
        internal::BorderCornersOnBorderEdges(doc, frame)) {
      score = o.cutoff.pass;
      reason = "the picture is cropped tight to the document";
    } else {
      const bool proven = deviation > kCutAspectDeviation;
      score = proven ? std::clamp(0.4 - doc.border_contact, 0.0, 0.4) : kCutoffUnprovenScore;
      reason = absl::StrCat(
          proven ? "part of the document is cut off" : "part of the document may be cut off",
          ": make sure all four corners are in the picture");
    }
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

// True when the zones (MRZ, portrait, data) were placed on the document:
// no outline (the whole frame is the document: a scan or a crop), an
// outline along the frame's sides, or an outline with the document type's
// shape. An outline whose aspect is more than kCutAspectDeviation off it
// is something else (an inner box, part of the page): its zones are not
// the document's.
bool ZonesPlacedOnTheDocument(const DocumentDetection& doc, const QualityOptions& o) {
  if (!doc.found || doc.sides_touching >= kCroppedToDocumentSides) return true;
  return AspectDeviation(doc, o) <= kCutAspectDeviation;
}

// Rectified copies of the whole frame are capped at this width (as
// DetectDocument's).
constexpr int kMaxWholeFrameWidth = 1000;

// A page's corner angle seen by a camera tilted θ off the page's normal,
// the page spanning a phone's field of view (half width at x/f ≈ 0.45),
// is off 90 degrees by about atan(0.45 tan θ): 15 at 30 degrees of tilt,
// 24 at 45. Beyond this the outline is not a page's.
constexpr double kMaxOutlineAngleDeviationDeg = 25;

// Edge density outside an outline, as a share of the density inside it,
// from which the outline is inside the page (print around it), not the page.
// Clean pages on the docgen scenes' tables: outside ≤ 0.2 of inside.
constexpr double kPrintOutsideShare = 0.5;

// An outline covering less than `min_fill` of the frame is not trusted as
// the document: on the calibration data it was an inner box (a scan on a
// white lid, fill ~0.10; specimens with a faint edge, 0.08..0.10), whose
// zones and size say nothing about the page. The measures then judge the
// whole frame, as for a scan cropped to the document (JudgeTheWholeFrame):
// OutlineDistrusted is true then.
//
// An outline whose shape no camera view of a flat page gives (an interior
// angle more than kMaxOutlineAngleDeviationDeg from 90 degrees at a corner
// inside the frame, where the frame did not cut it) is not
// trusted either: on the genuine real pages it was a triangle or a wedge
// cut out of the print (a visa's guilloche panel, the decorated half of a
// passport's two-page scan), whose "corners on the border" and off aspect
// sent tight crops to review as cut off, and whose zones put glare where
// there was none.
//
// Nor is an outline with a corner on the frame border around which the print
// goes on: the frame's part outside it carries at least kPrintOutsideShare
// of the edge density inside it (internal::PrintOutsideShare). A page cut
// by the frame lies on a table, a hand or a screen's bezel beside its
// outline; a tight crop whose detector found an inner panel (a visa's
// guilloche corner: a triangle of the frame's corner and two border
// points) has print all around it.
bool OutlineDistrusted(const cv::Mat& image, const QualityOptions& o,
                       const DocumentDetection& doc) {
  if (!doc.found) return false;
  return !(doc.fill >= o.min_fill &&
           internal::OutlineAngleDeviation(doc.corners, image.size()) <=
               kMaxOutlineAngleDeviationDeg &&
           (doc.corners_on_border == 0 ||
            internal::PrintOutsideShare(image, doc.corners) < kPrintOutsideShare));
}

// The whole frame for a distrusted outline (OutlineDistrusted). `first_half`:
// `image` halved by detection (Shrink).
void JudgeTheWholeFrame(const cv::Mat& image, const cv::Mat& first_half, DocumentDetection& doc) {
  const float w = static_cast<float>(image.cols - 1);
  const float h = static_cast<float>(image.rows - 1);
  doc.corners = {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h)};
  // Shrink first, then convert and turn (as DetectDocument's whole frame).
  cv::Mat whole;
  const int long_side = std::max(image.cols, image.rows);
  if (long_side > kMaxWholeFrameWidth) {
    const double s = static_cast<double>(kMaxWholeFrameWidth) / long_side;
    whole = internal::Shrink(image,
                             cv::Size(std::max(1, static_cast<int>(image.cols * s)),
                                      std::max(1, static_cast<int>(image.rows * s))),
                             first_half);
  } else {
    whole = image.clone();
  }
  if (whole.channels() == 1) cv::cvtColor(whole, whole, cv::COLOR_GRAY2BGR);
  if (whole.rows > whole.cols) cv::rotate(whole, whole, cv::ROTATE_90_COUNTERCLOCKWISE);
  doc.rectified = whole;
}

CheckResult Glare(const internal::GlareMeasure& g, const QualityOptions& o, TelegramSource source) {
  struct Zone {
    const char* name;
    double coverage;
  };
  const Zone zones[] = {
      {"machine-readable zone", g.mrz}, {"photo", g.portrait}, {"printed details", g.data}};
  const Zone* worst = &zones[0];
  for (const Zone& z : zones) {
    if (z.coverage > worst->coverage) worst = &z;
  }
  if (g.paper >= internal::kClippedPaperLevel && 1.0 - worst->coverage < o.glare.pass) {
    // The paper itself is clipped (white paper, a scan, overexposure):
    // glare is then as bright as the paper and cannot be told from it. No
    // blob standing out from its surroundings (the measure's own test)
    // passes; blobs that do are not trusted on such paper.
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
      g.paper >= internal::kClippedPaperLevel ? "no glare spot stands out from the white paper"
      : g.document > 0.001                    ? "glare only on the background, not on the details"
                                              : "no glare";
  return Make(
      "glare", score, o.glare, source, std::move(pass_reason),
      absl::StrCat("glare covers the ", worst->name, ": tilt the document or turn off the flash"));
}

// A quality check left uncertain (review) or unable to judge
// (unavailable) on a page whose MRZ was read valid: the page is legible,
// which is what the check stands in for (QualityOptions::legibility_proven).
void ResolveByLegibility(CheckResult& c) {
  if (c.kind != CheckKind::kQuality) return;
  if (c.verdict != CheckVerdict::kReview && c.verdict != CheckVerdict::kUnavailable) return;
  c.verdict = CheckVerdict::kPass;
  c.reason = absl::StrCat(c.reason,
                          " (not needed: the machine-readable zone was read, so the page is "
                          "legible)");
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

// A chroma-rotation lattice (screen.cc: R, G, B a third of a period apart,
// as a screen's side-by-side subpixels make) at least this strong, on a
// page whose luma lattice is in the review band, makes the screen certain:
// no genuine page of the tuning part reached 0.9 (docs/checks.md,
// "Calibration").
constexpr double kScreenChromaCertain = 1.0;

// The subpixel offset (screen.cc, ScreenMeasure::channel_shift, when its
// direction and agreement count) in photo pixels to a 0..1 score on the
// lattice's scale: 1 at 0, 0.8 (the default pass mark) at kShiftReview, 0
// at kShiftFull. A screen offsets its red and blue by a third of its
// pixel, which the camera's chroma resolution attenuates to 0.05..0.8
// photo px; genuine captures reached 0.098 px (a real phone shot of an MRZ
// band) and 0.09 px (generated phone photos) in `bench_checks --service`,
// so review starts 20 % above that (docs/checks.md, "the subpixel offset").
[[maybe_unused]] constexpr double kShiftReview = 0.12;  // Not read: where kShiftFull puts 0.8.
constexpr double kShiftFull = 0.6;

// A lattice at 45° to the page's sides is a halftone print's black-ink
// screen, not a screen's pixel grid (drawn along the panel, which shows the
// page along it): the score takes the lattice the print does not explain
// (screen.cc, ScreenMeasure::lattice_2d_off45; docs/checks.md, "a print's
// black ink lies at 45° to the page").
// A lattice that lies still over a page scanned flat is a print's
// (ScreenMeasure::flat_print): not scored.
//
// What a halftone leaves once its black ink's lattice and what that
// explains are taken out (its other inks aliased, their moiré with each
// other) is print too, and reached 2.73 on the tuned genuine prints (scans
// and phone photos; 1.9-2.8 held out): it is judged on the scale moved up
// by kPrintResidualReview - kLatticeAtPassMark, so it counts from 3.0 (a
// screen's grid over a halftone at 45°, the unit scene: 4.6). No screen
// photo of the calibration was scored on that residual (docs/checks.md,
// "Session 17").
constexpr double kLatticeAtPassMark = 1.8;  // Where the default pass mark (0.8) lies.
constexpr double kPrintResidualReview = 3.0;
// The offset's score, when its direction is a screen's (else 1). Never
// below the review mark: alone, the offset is suspicion, not certainty.
double ShiftScore(const internal::ScreenMeasure& m, const Threshold& t) {
  if (!m.channel_shift_counts) return 1.0;
  const double s = std::clamp(1.0 - m.channel_shift / kShiftFull, 0.0, 1.0);
  return s >= t.review ? s : t.review;
}

double ScreenScore(const internal::ScreenMeasure& m, const Threshold& t) {
  if (m.tiles == 0) return 1.0;  // Too small to hold a lattice.
  double score = internal::LatticeScore(m);
  if (score < t.pass && m.chroma_lattice >= kScreenChromaCertain) {
    score = std::min(score, std::max(0.0, t.review - 0.01));
  }
  return std::min(score, ShiftScore(m, t));
}

// The screen check's reason when it does not pass: the strongest evidence
// named.
std::string ScreenReason(const internal::ScreenMeasure& m, const Threshold& t) {
  constexpr absl::string_view kAdvice =
      ": photograph the paper document itself, not a picture of it on a screen";
  if (m.chroma_lattice >= kScreenChromaCertain && internal::LatticeScore(m) < t.pass) {
    return absl::StrCat(
        "looks like a photo of a screen (its red, green and blue pixel pattern "
        "shows)",
        kAdvice);
  }
  if (ShiftScore(m, t) < internal::LatticeScore(m)) {
    // The linearised estimate holds to about a pixel (screen.cc).
    return absl::StrCat(
        "looks like a photo of a screen (its colours are offset by ",
        m.channel_shift > 1 ? std::string("more than a pixel")
                            : absl::StrFormat("%.2f px", m.channel_shift),
        " across the whole page, as a screen's side-by-side red, green and blue make)", kAdvice);
  }
  return absl::StrCat("looks like a photo of a screen", kAdvice);
}

// Physical height of each document type's page (ICAO 9303-3 sizes; ID-1
// for licences and unknown cards).
double DocumentHeightMm(DocumentType type) {
  switch (type) {
    case DocumentType::kTd2:
    case DocumentType::kMrvB:
      return 74.0;
    case DocumentType::kMrvA:
      return 80.0;
    case DocumentType::kTd3:
    case DocumentType::kPassport:
      return 88.0;
    default:
      return 53.98;
  }
}

}  // namespace

namespace internal {

double LatticeScore(const ScreenMeasure& m) {
  if (m.flat_print) return 1.0;
  const double lattice =
      m.lattice_2d_off45 - (m.halftone_45 ? kPrintResidualReview - kLatticeAtPassMark : 0.0);
  return std::clamp(1.0 - (lattice - kLatticeNone) / (kLatticeFull - kLatticeNone), 0.0, 1.0);
}

double OutlineAngleDeviation(const std::array<cv::Point2f, 4>& corners, cv::Size frame) {
  const float m = FrameCornerMargin(frame);
  auto on_border = [&](const cv::Point2f& p) {
    return p.x <= m || p.y <= m || p.x >= frame.width - 1 - m || p.y >= frame.height - 1 - m;
  };
  // Corners the frame's clamping put in one place on the border count once
  // (a page cut at a corner leaves a pentagon, fitted by a rectangle whose
  // outside corners are clamped onto the border).
  std::vector<cv::Point2f> c;
  for (const cv::Point2f& p : corners) {
    if (!c.empty() && std::hypot(p.x - c.back().x, p.y - c.back().y) < 1) {
      if (!on_border(p)) return 180;  // Two corners in one place inside the frame.
      continue;
    }
    c.push_back(p);
  }
  if (c.size() > 1 && std::hypot(c.front().x - c.back().x, c.front().y - c.back().y) < 1) {
    if (!on_border(c.back())) return 180;
    c.pop_back();
  }
  if (c.size() < 3) return 180;
  const size_t n = c.size();
  double worst = 0;
  double turn_sign = 0;
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2f a = c[(i + n - 1) % n] - c[i];
    const cv::Point2f b = c[(i + 1) % n] - c[i];
    const double na = std::hypot(a.x, a.y), nb = std::hypot(b.x, b.y);
    const double cross = static_cast<double>(a.x) * b.y - static_cast<double>(a.y) * b.x;
    // A crossed or concave quadrilateral turns both ways.
    if (turn_sign != 0 && cross * turn_sign < 0) return 180;
    if (cross != 0) turn_sign = cross;
    if (on_border(c[i])) continue;
    const double cosine = std::clamp((a.x * b.x + a.y * b.y) / (na * nb), -1.0, 1.0);
    worst = std::max(worst, std::fabs(std::acos(cosine) * 180 / 3.14159265358979 - 90));
  }
  return worst;
}

double PrintOutsideShare(const cv::Mat& image, const std::array<cv::Point2f, 4>& corners) {
  constexpr int kSide = 320;
  const double s = std::min(1.0, static_cast<double>(kSide) / std::max(image.cols, image.rows));
  const cv::Size size(std::max(1, static_cast<int>(image.cols * s)),
                      std::max(1, static_cast<int>(image.rows * s)));
  cv::Mat small = s < 1 ? Shrink(image, size) : image;
  cv::Mat gray;
  if (small.channels() == 3) {
    cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  } else {
    gray = small;
  }
  cv::Mat gx, gy, grad;
  cv::Sobel(gray, gx, CV_16S, 1, 0);
  cv::Sobel(gray, gy, CV_16S, 0, 1);
  cv::convertScaleAbs(gx, gx);
  cv::convertScaleAbs(gy, gy);
  cv::add(gx, gy, grad, cv::noArray(), CV_16U);
  std::vector<cv::Point> poly;
  for (const cv::Point2f& p : corners) {
    poly.emplace_back(static_cast<int>(p.x * size.width / image.cols),
                      static_cast<int>(p.y * size.height / image.rows));
  }
  cv::Mat mask(size, CV_8U, cv::Scalar(0));
  cv::fillConvexPoly(mask, poly, cv::Scalar(255));
  // The outline's own edge is neither inside nor outside.
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(9, 9));
  cv::Mat inside, outside;
  cv::erode(mask, inside, kernel);
  cv::dilate(mask, outside, kernel);
  cv::bitwise_not(outside, outside);
  // The frame's own border (a Sobel artefact, a scan's edge) is not print.
  outside.rowRange(0, std::min(3, size.height)).setTo(0);
  outside.rowRange(std::max(0, size.height - 3), size.height).setTo(0);
  outside.colRange(0, std::min(3, size.width)).setTo(0);
  outside.colRange(std::max(0, size.width - 3), size.width).setTo(0);
  if (cv::countNonZero(outside) < 0.05 * size.area() || cv::countNonZero(inside) == 0) return 0;
  const double in = cv::mean(grad, inside)[0];
  const double out = cv::mean(grad, outside)[0];
  return in > 0 ? out / in : 0;
}

}  // namespace internal

void ApplyFraudRule(const std::vector<CheckResult*>& checks) {
  std::vector<std::string> certain;
  for (const CheckResult* c : checks) {
    if (c == nullptr || c->kind != CheckKind::kFraud || c->verdict != CheckVerdict::kFail) {
      continue;
    }
    if (std::find(certain.begin(), certain.end(), c->name) == certain.end()) {
      certain.push_back(c->name);
    }
  }
  if (static_cast<int>(certain.size()) >= kIndependentFraudSignals) return;
  for (CheckResult* c : checks) {
    if (c == nullptr || c->kind != CheckKind::kFraud || c->verdict != CheckVerdict::kFail) {
      continue;
    }
    c->verdict = CheckVerdict::kReview;
    c->reason = absl::StrCat(c->reason, " (one signal alone: a person will check)");
  }
}

absl::string_view CheckVerdictName(CheckVerdict verdict) {
  switch (verdict) {
    case CheckVerdict::kPass:
      return "pass";
    case CheckVerdict::kFail:
      return "fail";
    case CheckVerdict::kReview:
      return "review";
    case CheckVerdict::kUnavailable:
      return "unavailable";
  }
  return "unavailable";
}

absl::string_view TelegramSourceName(TelegramSource source) {
  switch (source) {
    case TelegramSource::kFrontSide:
      return "front_side";
    case TelegramSource::kReverseSide:
      return "reverse_side";
    case TelegramSource::kSelfie:
      return "selfie";
    case TelegramSource::kFiles:
      return "files";
    case TelegramSource::kTranslationFile:
      return "translation_file";
  }
  return "files";
}

QualityOptions WithDocumentType(QualityOptions options, DocumentType type, DocumentSide side) {
  if (type == DocumentType::kUnknown) return options;
  options.layout = DocumentLayout::For(type, side);
  options.document_width_mm = DocumentWidthMm(type);
  options.document_aspect = DocumentWidthMm(type) / DocumentHeightMm(type);
  return options;
}

CheckVerdict VerdictFor(double score, const Threshold& threshold) {
  if (!std::isfinite(score)) return CheckVerdict::kFail;
  if (score >= threshold.pass) return CheckVerdict::kPass;
  if (score >= threshold.review) return CheckVerdict::kReview;
  return CheckVerdict::kFail;
}

absl::StatusOr<QualityReport> RunQualityChecks(const cv::Mat& image, TelegramSource source,
                                               const QualityOptions& options,
                                               absl::string_view encoded) {
  QualityReport report;
  bool outline_distrusted = false;
  cv::Mat first_half;  // Detection's first halving of the photo, for the whole frame.
  {
    // A distrusted outline is not rectified (its warp would be thrown away):
    // the whole frame is judged instead.
    absl::StatusOr<DocumentDetection> doc = internal::DetectDocument(
        image,
        [&](const DocumentDetection& d) {
          outline_distrusted = OutlineDistrusted(image, options, d);
          return !outline_distrusted;
        },
        &first_half);
    if (!doc.ok()) return doc.status();
    report.document = *std::move(doc);
  }
  try {
    if (outline_distrusted) JudgeTheWholeFrame(image, first_half, report.document);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("quality checks failed: ", e.what()));
  }
  const cv::Mat& doc = report.document.rectified;
  try {
    // One working copy at 800 px for the measures that judge the document
    // as a whole; the screen check needs the native resolution.
    const cv::Mat work = internal::WorkingCopy(doc);
    // Its grey, made once for every measure that converts it (focus,
    // exposure, the tamper hints, the hash: each did its own cvtColor).
    cv::Mat work_gray = work;
    if (work.channels() == 3) cv::cvtColor(work, work_gray, cv::COLOR_BGR2GRAY);
    const double focus = internal::MeasureFocus(work_gray);
    const internal::GlareMeasure glare = internal::MeasureGlare(work, options.layout);
    const internal::ExposureMeasure exposure = internal::MeasureExposure(work_gray);
    const double colour = internal::MeasureColourSpread(work);
    // On the image as received: rectification resamples, which blurs a
    // fine lattice and moves JPEG's block grid off its fixed frequencies.
    const internal::ScreenMeasure screen = internal::MeasureScreen(image, report.document.corners);

    report.checks.push_back(Resolution(report.document, options, source));
    report.checks.push_back(
        Make("focus", focus, options.focus, source, "sharp",
             "too blurry: hold the camera still, tap to focus and retake in good "
             "light"));
    CheckResult glare_check = Glare(glare, options, source);
    if (glare_check.verdict == CheckVerdict::kFail &&
        (outline_distrusted || !ZonesPlacedOnTheDocument(report.document, options))) {
      // The zones were placed on an outline that is not the document's
      // shape, or on the whole frame around a small outline (a scan's white
      // lid, a background): the glare may be on something else. Not proof
      // enough to ask for a retake.
      glare_check.verdict = CheckVerdict::kReview;
      glare_check.reason = absl::StrCat(glare_check.reason,
                                        " (the document's outline was not found clearly: a "
                                        "person will check)");
    }
    report.checks.push_back(std::move(glare_check));
    report.checks.push_back(
        Make("exposure", exposure.score, options.exposure, source, "well exposed",
             exposure.too_dark ? "too dark: retake in daylight or a well-lit room"
                               : "washed out: avoid direct light and the flash"));
    report.checks.push_back(
        Cutoff(report.document, outline_distrusted, options, image.size(), source));
    report.checks.push_back(Fraud(Make("colour", colour, options.colour, source, "colour document",
                                       "looks like a black-and-white copy: photograph the original "
                                       "document, in colour")));
    report.checks.push_back(
        Fraud(Make("screen", ScreenScore(screen, options.screen), options.screen, source,
                   screen.flat_print ? "no screen pattern (a fine print pattern lies still over "
                                       "the whole picture, as in a flat scan of a printed page)"
                                     : "no screen pattern",
                   ScreenReason(screen, options.screen))));
    if (options.legibility_proven) {
      for (CheckResult& c : report.checks) ResolveByLegibility(c);
    }
    // Tampering signals stay hints for a reviewer, not a check: on the
    // calibration data no threshold on them separates pasted portraits from
    // genuine pages (docs/checks.md, "Calibration"). Measured only for a
    // caller that shows them (a JPEG round trip of two zones: ~10 % of the
    // checks' time).
    if (options.tamper_hints) {
      report.tamper_signals =
          internal::MeasureTamperSignals(work, options.layout, encoded, work_gray);
    }
    // From the 800 px working copy: the hash looks at 32 x 32 px.
    absl::StatusOr<uint64_t> hash = PerceptualHash(work_gray);
    if (!hash.ok()) return hash.status();
    report.perceptual_hash = *hash;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("quality checks failed: ", e.what()));
  }

  return report;
}

}  // namespace vouch::ocr
