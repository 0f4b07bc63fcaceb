#include "photo_capture.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "random_draws.h"

namespace vouch::docgen::internal {
namespace {

// ------------------------------------------------------------ the plan

// How a phone sees the card.
constexpr double kGlyphMinPx = 15, kGlyphMaxPx = 28;
constexpr double kMaxTiltDegrees = 30;
// Phone main cameras are wide (~70° across the frame's diagonal); held so
// the card fills most of the frame, the lens is 1-2 card diagonals away.
constexpr double kFocalMinDiagonals = 1.1, kFocalMaxDiagonals = 2.0;
constexpr double kMarginMin = 0.04, kMarginMax = 0.3;
constexpr int kJpegMin = 55, kJpegMax = 92;
constexpr double kSharpenMin = 0.2, kSharpenMax = 0.7;
constexpr double kSharpenSigmaPx = 1.0;
constexpr double kNoiseMin = 2, kNoiseMax = 4;
constexpr double kLowLightNoiseMin = 6, kLowLightNoiseMax = 12;

// In-plane orientation: upright, upside down and sideways (each within
// kNearAxisDegrees of the axis), the rest any angle.
constexpr double kUprightShare = 0.35, kUpsideDownShare = 0.15, kSidewaysShare = 0.25;
constexpr double kNearAxisDegrees = 10;

// How often each effect is on.
constexpr double kGlareOdds = 0.35, kShadowOdds = 0.35, kLowLightOdds = 0.25, kBusyOdds = 0.4,
                 kFingersOdds = 0.4, kDefocusOdds = 0.3, kMoireOdds = 0.15, kLaminationOdds = 0.35,
                 kMicrotextOdds = 0.25, kSecurityPatternOdds = 0.25, kCardBackOdds = 0.6;
// Drawn last in the plan, so every other draw of a page is
// as before the effect existed.
constexpr double kNonOcrBFontOdds = 0.1;

double Normalise180(double degrees) {  // To (-180, 180].
  double d = std::fmod(degrees, 360.0);
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return d;
}

// --------------------------------------------------------- geometry

struct Placement {
  cv::Mat homography;  // Card pixels → image pixels.
  cv::Size canvas;
};

// The card's corners through a pinhole camera: the card plane turned by
// the tilt about an axis in the plane, then rotated in the image plane,
// framed with the plan's margins.
Placement PlaceCard(cv::Size card, double scale, const PhotoPlan& plan) {
  const double w = card.width * scale, h = card.height * scale;
  const double focal = plan.focal_diagonals * std::hypot(w, h);
  const double tilt = plan.tilt_degrees * CV_PI / 180;
  const double axis = plan.tilt_axis_degrees * CV_PI / 180;
  const double rot = plan.rotation_degrees * CV_PI / 180;
  const double ux = std::cos(axis), uy = std::sin(axis);
  const std::vector<cv::Point2f> src = {
      {0, 0},
      {static_cast<float>(card.width), 0},
      {static_cast<float>(card.width), static_cast<float>(card.height)},
      {0, static_cast<float>(card.height)}};
  std::vector<cv::Point2f> dst;
  for (const cv::Point2f& p : src) {
    const double x = (p.x - card.width / 2.0) * scale;
    const double y = (p.y - card.height / 2.0) * scale;
    // Rodrigues' rotation of (x, y, 0) about (ux, uy, 0).
    const double along = x * ux + y * uy;
    const double X = x * std::cos(tilt) + ux * along * (1 - std::cos(tilt));
    const double Y = y * std::cos(tilt) + uy * along * (1 - std::cos(tilt));
    const double Z = (ux * y - uy * x) * std::sin(tilt);
    const double px = focal * X / (focal + Z), py = focal * Y / (focal + Z);
    dst.emplace_back(static_cast<float>(px * std::cos(rot) - py * std::sin(rot)),
                     static_cast<float>(px * std::sin(rot) + py * std::cos(rot)));
  }
  float min_x = dst[0].x, max_x = dst[0].x, min_y = dst[0].y, max_y = dst[0].y;
  for (const cv::Point2f& p : dst) {
    min_x = std::min(min_x, p.x);
    max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y);
    max_y = std::max(max_y, p.y);
  }
  const cv::Rect2f bounds(min_x, min_y, max_x - min_x, max_y - min_y);
  const double extent = std::max(bounds.width, bounds.height);
  const double left = plan.margins[0] * extent, top = plan.margins[1] * extent;
  Placement out;
  out.canvas = cv::Size(static_cast<int>(bounds.width + left + plan.margins[2] * extent),
                        static_cast<int>(bounds.height + top + plan.margins[3] * extent));
  for (cv::Point2f& p : dst) {
    p.x += static_cast<float>(left - bounds.x);
    p.y += static_cast<float>(top - bounds.y);
  }
  out.homography = cv::getPerspectiveTransform(src, dst);
  return out;
}

std::vector<cv::Point2f> Transform(const std::vector<cv::Point2f>& in, const cv::Mat& homography) {
  std::vector<cv::Point2f> out;
  cv::perspectiveTransform(in, out, homography);
  return out;
}

void FillPolygon(cv::Mat& img, const std::vector<cv::Point2f>& poly, const cv::Scalar& colour) {
  constexpr int kShift = 4;  // Sub-pixel vertices.
  std::vector<cv::Point> pts;
  pts.reserve(poly.size());
  for (const cv::Point2f& p : poly) {
    pts.emplace_back(static_cast<int>(std::lround(p.x * (1 << kShift))),
                     static_cast<int>(std::lround(p.y * (1 << kShift))));
  }
  cv::fillConvexPoly(img, pts, colour, cv::LINE_AA, kShift);
}

// ------------------------------------------------------- background

constexpr int kBusyItemsMin = 15, kBusyItemsMax = 40;

// A table (smooth noise, as on the scan levels) or, when busy, a table
// cluttered with shapes and printed words.
cv::Mat Background(cv::Size size, bool busy, uint64_t seed) {
  std::mt19937_64 rng(seed);
  constexpr int kCoarse = 16;  // The table's texture is this much coarser.
  cv::Mat small(std::max(2, size.height / kCoarse), std::max(2, size.width / kCoarse), CV_8UC3);
  const double b = Uniform(rng, 40, 190);
  cv::RNG cv_rng(rng());
  const double r_share = Uniform(rng, 0.8, 1.2);  // Red first (random_draws.h).
  const double g_share = Uniform(rng, 0.8, 1.1);
  cv_rng.fill(small, cv::RNG::NORMAL, cv::Scalar(b, b * g_share, b * r_share), cv::Scalar::all(18));
  cv::Mat scene;
  cv::resize(small, scene, size, 0, 0, cv::INTER_CUBIC);
  if (!busy) return scene;
  static const char* const kWords[] = {"Receipt", "TOTAL",   "Meeting 14:30", "invoice no. 4471",
                                       "Coffee",  "SALE",    "Tel. 555 0199", "www.example.org",
                                       "Notes",   "March",   "KEEP",          "Page 2 of 7",
                                       "Ticket",  "ROOM 12", "Amount due"};
  const int n = UniformInt(rng, kBusyItemsMin, kBusyItemsMax);
  const int min_side = std::min(size.width, size.height);
  for (int i = 0; i < n; ++i) {
    const cv::Scalar colour = UniformColour(rng, 0, 255);
    const double at_y = Uniform(rng, 0, size.height);  // y first (random_draws.h).
    const double at_x = Uniform(rng, 0, size.width);
    const cv::Point2f at(static_cast<float>(at_x), static_cast<float>(at_y));
    const double extent = Uniform(rng, 0.03, 0.25) * min_side;
    switch (UniformInt(rng, 0, 3)) {
      case 0: {
        const double angle = Uniform(rng, 0, 180);  // Before the aspect (random_draws.h).
        const double aspect = Uniform(rng, 0.3, 1.5);
        const cv::RotatedRect r(
            at, cv::Size2f(static_cast<float>(extent), static_cast<float>(extent * aspect)),
            static_cast<float>(angle));
        cv::Point2f pts[4];
        r.points(pts);
        FillPolygon(scene, std::vector<cv::Point2f>(pts, pts + 4), colour);
        break;
      }
      case 1:
        cv::circle(scene, at, static_cast<int>(extent / 2), colour,
                   Chance(rng, 0.5) ? cv::FILLED : UniformInt(rng, 2, 8), cv::LINE_AA);
        break;
      case 2: {
        const double a = Uniform(rng, 0, CV_PI);
        const cv::Point2f d(static_cast<float>(extent * std::cos(a)),
                            static_cast<float>(extent * std::sin(a)));
        cv::line(scene, at - d, at + d, colour, UniformInt(rng, 1, 8), cv::LINE_AA);
        break;
      }
      default: {
        const int word = UniformInt(rng, 0, static_cast<int>(std::size(kWords)) - 1);
        // Last argument first (random_draws.h).
        const int thickness = UniformInt(rng, 1, 4);
        const double size_draw = Uniform(rng, 0.5, 3.0);
        const int font = Chance(rng, 0.5) ? cv::FONT_HERSHEY_SIMPLEX : cv::FONT_HERSHEY_DUPLEX;
        cv::putText(scene, kWords[word], at, font, size_draw * min_side / 1000.0 + 0.4, colour,
                    thickness, cv::LINE_AA);
        break;
      }
    }
  }
  return scene;
}

// ------------------------------------------------------------- hand

// A finger as a capsule in card pixels: from the knuckle side (outside the
// card) to the tip.
struct Capsule {
  cv::Point2f from, to;
  float width = 0;
};

struct HandPlan {
  cv::Scalar skin;
  std::vector<Capsule> over;    // Drawn over the card (thumb, a finger).
  std::vector<Capsule> behind;  // Fingertips and palm seen past the edges.
};

constexpr double kFingerWidthMinMm = 15, kFingerWidthMaxMm = 19;
constexpr double kReachMinMm = 6, kReachMaxMm = 16;       // Into the card.
constexpr double kKnuckleMinMm = 25, kKnuckleMaxMm = 40;  // Out of it.
constexpr double kMrzClearanceMm = 2;
constexpr double kFingerSlantDegrees = 25;
constexpr double kSecondFingerOdds = 0.3;
constexpr double kPalmMinMm = 35, kPalmMaxMm = 55;
constexpr int kMaxFingertipsBehind = 3;
constexpr double kHiddenTipMm = 5;  // How far fingers behind the card reach under it.

double DistanceToRect(cv::Point2f p, const cv::Rect2f& r) {
  const double dx =
      std::max({0.0, static_cast<double>(r.x - p.x), static_cast<double>(p.x - r.x - r.width)});
  const double dy =
      std::max({0.0, static_cast<double>(r.y - p.y), static_cast<double>(p.y - r.y - r.height)});
  return std::hypot(dx, dy);
}

// Whether the capsule keeps `clearance` away from `keep_out`.
bool Clear(const Capsule& c, const cv::Rect2f& keep_out, double clearance) {
  constexpr int kSamples = 32;
  for (int i = 0; i <= kSamples; ++i) {
    const cv::Point2f p = c.from + (c.to - c.from) * (static_cast<float>(i) / kSamples);
    if (DistanceToRect(p, keep_out) < c.width / 2 + clearance) return false;
  }
  return true;
}

// A hand holding the card by its left, right or top edge (the MRZ is at
// the bottom): a thumb (and sometimes a finger) over the card, stopped
// short of the MRZ; the palm and fingertips behind it, seen past the
// edges.
HandPlan PlanHand(const DrawnCard& card, double px_per_mm, uint64_t seed) {
  std::mt19937_64 rng(seed);
  static const cv::Scalar kSkins[] = {
      {150, 175, 225}, {125, 150, 205}, {95, 125, 175}, {65, 90, 135}, {45, 62, 98}};
  HandPlan hand;
  const cv::Scalar base = kSkins[UniformInt(rng, 0, static_cast<int>(std::size(kSkins)) - 1)];
  const double tint = Uniform(rng, 0.9, 1.1);
  hand.skin = base * tint;
  const float W = static_cast<float>(card.image.cols);
  const float H = static_cast<float>(card.image.rows);
  const cv::Rect2f mrz(card.mrz_box[0], card.mrz_box[2]);
  const double mm = px_per_mm;
  const float width = static_cast<float>(Uniform(rng, kFingerWidthMinMm, kFingerWidthMaxMm) * mm);
  const int edge = UniformInt(rng, 0, 2);  // Left, right, top.
  cv::Point2f anchor, inward;
  const float half = width / 2;
  if (edge == 2) {
    anchor = {static_cast<float>(Uniform(rng, width, W - width)), 0};
    inward = {0, 1};
  } else {
    const float y_max = std::max(half, mrz.y - static_cast<float>(kMrzClearanceMm * mm) - half);
    anchor = {edge == 0 ? 0 : W, static_cast<float>(Uniform(rng, half, y_max))};
    inward = {edge == 0 ? 1.0f : -1.0f, 0};
  }
  const double slant = Uniform(rng, -kFingerSlantDegrees, kFingerSlantDegrees) * CV_PI / 180;
  const cv::Point2f dir(
      static_cast<float>(inward.x * std::cos(slant) - inward.y * std::sin(slant)),
      static_cast<float>(inward.x * std::sin(slant) + inward.y * std::cos(slant)));
  const double reach = Uniform(rng, kReachMinMm, kReachMaxMm) * mm;
  const double knuckle = Uniform(rng, kKnuckleMinMm, kKnuckleMaxMm) * mm;
  const bool second = Chance(rng, kSecondFingerOdds);
  const cv::Point2f along(-inward.y, inward.x);
  const float second_offset = static_cast<float>(width * Uniform(rng, 1.05, 1.3));
  const int behind_tips = UniformInt(rng, 0, kMaxFingertipsBehind);
  const double palm = Uniform(rng, kPalmMinMm, kPalmMaxMm) * mm;

  auto place = [&](cv::Point2f at) -> std::optional<Capsule> {
    // Shorten the reach until the finger clears the MRZ; drop it if even
    // a finger just over the edge would not.
    for (double r = reach; r >= 0; r -= mm) {
      Capsule c{at - dir * static_cast<float>(knuckle), at + dir * static_cast<float>(r), width};
      if (Clear(c, mrz, kMrzClearanceMm * mm)) return c;
    }
    return std::nullopt;
  };
  if (auto thumb = place(anchor)) hand.over.push_back(*thumb);
  if (second && !hand.over.empty()) {
    if (auto finger = place(anchor + along * second_offset)) hand.over.push_back(*finger);
  }
  // The palm beyond the thumb's edge, the other fingers past the far edge.
  hand.behind.push_back({anchor - dir * static_cast<float>(knuckle + palm),
                         anchor - dir * static_cast<float>(knuckle * 0.5),
                         static_cast<float>(palm * 1.2)});
  for (int i = 0; i < behind_tips; ++i) {
    // Past the far edge, outward is `inward`.
    const cv::Point2f far = edge == 2
                                ? cv::Point2f(anchor.x + (i - 1) * width * 1.1f, H)
                                : cv::Point2f(W - anchor.x, anchor.y + (i - 1) * width * 1.1f);
    hand.behind.push_back({far + inward * static_cast<float>(knuckle),
                           far - inward * static_cast<float>(kHiddenTipMm * mm), width});
  }
  return hand;
}

// A capsule's outline: a half circle at each end.
std::vector<cv::Point2f> CapsuleOutline(const Capsule& c, float width) {
  constexpr int kArcSteps = 12;
  const cv::Point2f d = c.to - c.from;
  const double a = std::atan2(d.y, d.x);
  const float r = width / 2;
  std::vector<cv::Point2f> pts;
  for (int i = 0; i <= kArcSteps; ++i) {  // Tip: -90°..90° around the axis.
    const double t = a - CV_PI / 2 + CV_PI * i / kArcSteps;
    pts.emplace_back(c.to.x + r * static_cast<float>(std::cos(t)),
                     c.to.y + r * static_cast<float>(std::sin(t)));
  }
  for (int i = 0; i <= kArcSteps; ++i) {  // Knuckle end.
    const double t = a + CV_PI / 2 + CV_PI * i / kArcSteps;
    pts.emplace_back(c.from.x + r * static_cast<float>(std::cos(t)),
                     c.from.y + r * static_cast<float>(std::sin(t)));
  }
  return pts;
}

// A finger, shaded as a cylinder (darker sides), with a nail at the tip
// when `nail`. Returns its outline in the image.
std::vector<cv::Point2f> DrawFinger(cv::Mat& scene, const Capsule& c, const cv::Mat& homography,
                                    const cv::Scalar& skin, bool nail) {
  static constexpr double kLayers[][2] = {// Width share, brightness.
                                          {1.0, 0.72},
                                          {0.8, 0.86},
                                          {0.55, 0.97},
                                          {0.3, 1.06}};
  std::vector<cv::Point2f> outline;
  for (const auto& layer : kLayers) {
    const std::vector<cv::Point2f> poly =
        Transform(CapsuleOutline(c, static_cast<float>(c.width * layer[0])), homography);
    if (outline.empty()) outline = poly;
    FillPolygon(scene, poly, skin * layer[1]);
  }
  if (nail) {
    constexpr int kSteps = 24;
    const cv::Point2f d = c.to - c.from;
    const float len = std::hypot(d.x, d.y);
    const cv::Point2f u = d / len, v(-u.y, u.x);
    const cv::Point2f centre = c.to - u * (c.width * 0.3f);
    std::vector<cv::Point2f> pts;
    for (int i = 0; i < kSteps; ++i) {
      const double t = 2 * CV_PI * i / kSteps;
      pts.push_back(centre + u * (c.width * 0.28f * static_cast<float>(std::cos(t))) +
                    v * (c.width * 0.3f * static_cast<float>(std::sin(t))));
    }
    FillPolygon(scene, Transform(pts, homography), skin * 0.55 + cv::Scalar(200, 200, 230) * 0.45);
  }
  return outline;
}

// ----------------------------------------------------- light and optics

// Iridescent laminate stripes and a sheen streak, on the card itself.
void AddLamination(cv::Mat& card, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double period = Uniform(rng, 30, 90), angle = Uniform(rng, 0, CV_PI);
  const double amplitude = Uniform(rng, 0.02, 0.05);
  const double sheen_angle = Uniform(rng, 0, CV_PI);
  const double sheen_y = Uniform(rng, 0, card.rows);  // y first (random_draws.h).
  const double sheen_x = Uniform(rng, 0, card.cols);
  const cv::Point2f sheen_at(static_cast<float>(sheen_x), static_cast<float>(sheen_y));
  const double sheen_sigma = Uniform(rng, 20, 70), sheen_peak = Uniform(rng, 0.12, 0.3);
  cv::Mat f;
  card.convertTo(f, CV_32FC3, 1.0 / 255);
  const double ca = std::cos(angle), sa = std::sin(angle);
  const double cs = std::cos(sheen_angle), ss = std::sin(sheen_angle);
  for (int y = 0; y < f.rows; ++y) {
    cv::Vec3f* row = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < f.cols; ++x) {
      const double phase = 2 * CV_PI * (x * ca + y * sa) / period;
      const double d = -(x - sheen_at.x) * ss + (y - sheen_at.y) * cs;
      const double sheen = sheen_peak * std::exp(-d * d / (2 * sheen_sigma * sheen_sigma));
      for (int c = 0; c < 3; ++c) {
        float& v = row[x][c];
        v += static_cast<float>(amplitude * std::sin(phase + c * 2 * CV_PI / 3));
        v += static_cast<float>((1 - v) * sheen);
      }
    }
  }
  f.convertTo(card, CV_8UC3, 255);
}

cv::Point2f PointOnQuad(const std::array<cv::Point2f, 4>& q, float u, float v) {
  const cv::Point2f top = q[0] + (q[1] - q[0]) * u;
  const cv::Point2f bottom = q[3] + (q[2] - q[3]) * u;
  return top + (bottom - top) * v;
}

// A soft-edged shadow over a half-plane whose edge crosses the card.
void AddShadow(cv::Mat& f, const std::array<cv::Point2f, 4>& card, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double v = Uniform(rng, 0.1, 0.9);  // v first (random_draws.h).
  const double u = Uniform(rng, 0.1, 0.9);
  const cv::Point2f at = PointOnQuad(card, static_cast<float>(u), static_cast<float>(v));
  const double angle = Uniform(rng, 0, 2 * CV_PI);
  const double darkness = Uniform(rng, 0.35, 0.6);
  const double softness = Uniform(rng, 0.01, 0.06) * std::hypot(f.cols, f.rows);
  const double c = std::cos(angle), s = std::sin(angle);
  for (int y = 0; y < f.rows; ++y) {
    cv::Vec3f* row = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < f.cols; ++x) {
      const double t = ((x - at.x) * c + (y - at.y) * s) / softness;
      row[x] *= static_cast<float>(1 - darkness * 0.5 * (1 + std::erf(t)));
    }
  }
}

// Dim light with a warm colour cast.
void AddLowLight(cv::Mat& f, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double gain = Uniform(rng, 0.3, 0.55);
  const double cast_g = Uniform(rng, 0.85, 1.0);  // Green first (random_draws.h).
  const double cast_b = Uniform(rng, 0.7, 0.95);
  const cv::Scalar cast(cast_b, cast_g, 1.0);
  cv::multiply(f, cv::Scalar::all(gain).mul(cast), f);
}

// A specular band (e.g. a window or a lamp on the laminate) crossing the
// MRZ: a bright gaussian stripe with a wider halo.
void AddGlareBand(cv::Mat& f, const std::array<cv::Point2f, 4>& mrz, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const float along = static_cast<float>(Uniform(rng, 0.15, 0.85));
  const cv::Point2f centre = PointOnQuad(mrz, along, 0.5f);
  const cv::Point2f rows = mrz[1] - mrz[0];
  const double band = std::atan2(rows.y, rows.x) + Uniform(rng, 20, 160) * CV_PI / 180;
  const double height = cv::norm(PointOnQuad(mrz, 0.5f, 1) - PointOnQuad(mrz, 0.5f, 0));
  const double sigma = Uniform(rng, 0.4, 1.2) * height, peak = Uniform(rng, 0.35, 0.65);
  constexpr double kHaloWidth = 4, kHaloShare = 0.25;
  const double c = std::cos(band), s = std::sin(band);
  for (int y = 0; y < f.rows; ++y) {
    cv::Vec3f* row = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < f.cols; ++x) {
      const double d = (-(x - centre.x) * s + (y - centre.y) * c) / sigma;
      const double k = peak * (std::exp(-d * d / 2) +
                               kHaloShare * std::exp(-d * d / (2 * kHaloWidth * kHaloWidth)));
      row[x] += (cv::Vec3f::all(1) - row[x]) * static_cast<float>(std::min(1.0, k));
    }
  }
}

// A lens out of focus: a disk kernel (anti-aliased rim).
void AddDefocus(cv::Mat& f, double glyph_px, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double radius = Uniform(rng, 0.05, 0.1) * glyph_px;
  const int half = static_cast<int>(std::ceil(radius));
  cv::Mat k(2 * half + 1, 2 * half + 1, CV_32F);
  for (int y = -half; y <= half; ++y) {
    for (int x = -half; x <= half; ++x) {
      k.at<float>(y + half, x + half) =
          static_cast<float>(std::clamp(radius + 0.5 - std::hypot(x, y), 0.0, 1.0));
    }
  }
  k /= cv::sum(k)[0];
  cv::filter2D(f, f, -1, k);
}

// A screen photographed: the subpixel grid beating with the sensor.
void AddMoire(cv::Mat& f, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double period = Uniform(rng, 5, 14), angle = Uniform(rng, 0, CV_PI);
  const double beat = Uniform(rng, 0.03, 0.06), grid = Uniform(rng, 0.02, 0.04);
  constexpr int kSubpixels = 3;
  const double c = std::cos(angle), s = std::sin(angle);
  for (int y = 0; y < f.rows; ++y) {
    cv::Vec3f* row = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < f.cols; ++x) {
      const double phase = 2 * CV_PI * (x * c + y * s) / period;
      const double g = (x % kSubpixels == 0 ? -grid : grid / 2);
      for (int ch = 0; ch < 3; ++ch) {
        row[x][ch] += static_cast<float>(g + beat * std::sin(phase + ch * 2 * CV_PI / kSubpixels));
      }
    }
  }
}

}  // namespace

PhotoPlan DrawPhotoPlan(ocr::MrzFormat format, std::mt19937_64& rng) {
  PhotoPlan p;
  PhotoEffects& e = p.effects;
  e.glare_band = Chance(rng, kGlareOdds);
  e.shadow = Chance(rng, kShadowOdds);
  e.low_light = Chance(rng, kLowLightOdds);
  e.busy_background = Chance(rng, kBusyOdds);
  e.fingers = Chance(rng, kFingersOdds);
  e.defocus = Chance(rng, kDefocusOdds);
  e.moire = Chance(rng, kMoireOdds);
  e.lamination = Chance(rng, kLaminationOdds);
  e.microtext = Chance(rng, kMicrotextOdds);
  e.security_pattern = Chance(rng, kSecurityPatternOdds);
  e.card_back = Chance(rng, kCardBackOdds) && format == ocr::MrzFormat::kTd1;
  p.glyph_px = Uniform(rng, kGlyphMinPx, kGlyphMaxPx);
  p.tilt_degrees = Uniform(rng, 0, kMaxTiltDegrees);
  p.tilt_axis_degrees = Uniform(rng, 0, 360);
  const double mode = Uniform(rng, 0, 1);
  const double jitter = Uniform(rng, -kNearAxisDegrees, kNearAxisDegrees);
  const double any = Uniform(rng, -180, 180);
  const double side = Chance(rng, 0.5) ? 90 : -90;
  p.rotation_degrees =
      Normalise180(mode < kUprightShare                                       ? jitter
                   : mode < kUprightShare + kUpsideDownShare                  ? 180 + jitter
                   : mode < kUprightShare + kUpsideDownShare + kSidewaysShare ? side + jitter
                                                                              : any);
  p.focal_diagonals = Uniform(rng, kFocalMinDiagonals, kFocalMaxDiagonals);
  for (double& m : p.margins) m = Uniform(rng, kMarginMin, kMarginMax);
  p.sharpen = Uniform(rng, kSharpenMin, kSharpenMax);
  p.noise_sigma = Uniform(rng, kNoiseMin, kNoiseMax);
  p.low_light_noise_sigma = Uniform(rng, kLowLightNoiseMin, kLowLightNoiseMax);
  p.jpeg_quality = UniformInt(rng, kJpegMin, kJpegMax);
  for (uint64_t* s : {&p.card_seed, &p.background_seed, &p.hand_seed, &p.light_seed, &p.glare_seed,
                      &p.optics_seed, &p.lamination_seed, &p.noise_seed}) {
    *s = rng();
  }
  e.non_ocrb_font = Chance(rng, kNonOcrBFontOdds);
  return p;
}

void CapturePhoto(const DrawnCard& card, const PhotoPlan& plan, GeneratedDocument& doc) {
  const PhotoEffects& e = plan.effects;
  cv::Mat face = card.image.clone();
  if (e.lamination) AddLamination(face, plan.lamination_seed);
  const Placement at = PlaceCard(card.image.size(), plan.glyph_px / card.cap_px, plan);
  const cv::Mat& h = at.homography;
  cv::Mat scene = Background(at.canvas, e.busy_background, plan.background_seed);

  // Geometry ground truth.
  const float W = static_cast<float>(card.image.cols), H = static_cast<float>(card.image.rows);
  const std::vector<cv::Point2f> corners = Transform({{0, 0}, {W, 0}, {W, H}, {0, H}}, h);
  const std::vector<cv::Point2f> mrz = Transform({card.mrz_box.begin(), card.mrz_box.end()}, h);
  for (int i = 0; i < 4; ++i) {
    doc.card_corners[i] = corners[i];
    doc.mrz_box[i] = mrz[i];
  }
  if (!card.portrait.empty()) {
    const cv::Point2f tl(card.portrait.tl()), br(card.portrait.br());
    const std::vector<cv::Point2f> p = Transform({tl, {br.x, tl.y}, br, {tl.x, br.y}}, h);
    for (int i = 0; i < 4; ++i) doc.portrait_box[i] = p[i];
  }
  doc.upside_down = std::abs(plan.rotation_degrees) > 90;
  doc.rotation_degrees = !doc.upside_down            ? plan.rotation_degrees
                         : plan.rotation_degrees > 0 ? plan.rotation_degrees - 180
                                                     : plan.rotation_degrees + 180;
  doc.tilt_degrees = plan.tilt_degrees;
  doc.glyph_height_px = plan.glyph_px;
  doc.photo_effects = e;

  HandPlan hand;
  if (e.fingers) {
    hand = PlanHand(card, card.px_per_mm, plan.hand_seed);
    for (const Capsule& c : hand.behind) DrawFinger(scene, c, h, hand.skin, false);
  }
  cv::warpPerspective(face, scene, h, scene.size(), cv::INTER_AREA, cv::BORDER_TRANSPARENT);
  for (const Capsule& c : hand.over) {
    doc.occluders.push_back(DrawFinger(scene, c, h, hand.skin, true));
  }

  cv::Mat f;
  scene.convertTo(f, CV_32FC3, 1.0 / 255);
  if (e.shadow) AddShadow(f, doc.card_corners, plan.light_seed);
  if (e.low_light) AddLowLight(f, plan.light_seed + 1);
  if (e.glare_band) AddGlareBand(f, doc.mrz_box, plan.glare_seed);
  if (e.defocus) AddDefocus(f, plan.glyph_px, plan.optics_seed);
  cv::Mat soft;
  cv::GaussianBlur(f, soft, cv::Size(), kSharpenSigmaPx);
  cv::addWeighted(f, 1 + plan.sharpen, soft, -plan.sharpen, 0, f);
  if (e.moire) AddMoire(f, plan.optics_seed + 1);
  cv::Mat noise(f.size(), CV_32FC3);
  cv::RNG cv_rng(plan.noise_seed);
  cv_rng.fill(
      noise, cv::RNG::NORMAL, cv::Scalar::all(0),
      cv::Scalar::all((e.low_light ? plan.low_light_noise_sigma : plan.noise_sigma) / 255.0));
  f += noise;
  f.convertTo(scene, CV_8UC3, 255);
  std::vector<uchar> buf;
  cv::imencode(".jpg", scene, buf, {cv::IMWRITE_JPEG_QUALITY, plan.jpeg_quality});
  doc.jpeg.assign(buf.begin(), buf.end());
  doc.image = cv::imdecode(buf, cv::IMREAD_COLOR);
}

}  // namespace vouch::docgen::internal
