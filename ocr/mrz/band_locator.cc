#include "mrz/band_locator.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "mrz/segmentation.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

// The page is searched at this long side (pixels): MRZ glyphs then span
// about 8-30 px for the captures we see.
constexpr double kLocateLongSide = 1000.0;
// Blackhat kernel widths (pixels at kLocateLongSide): glyphs of ~8-14 px
// and ~14-30 px.
constexpr int kKernelWidths[] = {11, 19};
// A band or line is at least this share of the search image's short side
// long.
constexpr double kMinBandLengthShare = 0.2;
// Long side / short side of a 2-3 line band, and of a single text line
// (a 44-glyph line can be thinner than one glyph height after the gradient
// threshold: very long, thin lines are allowed).
constexpr double kBandMinAspect = 2.5;
constexpr double kBandMaxAspect = 60;
constexpr double kLineMinAspect = 8;
constexpr double kLineMaxAspect = 150;
// Candidates kept per kind (band, single line), largest first.
constexpr size_t kMaxCandidatesPerKind = 4;
// CutBand growth: along the text (share), across it (share plus pixels).
constexpr double kCutGrowAlong = 1.08;
constexpr double kCutGrowAcross = 1.3;
constexpr double kCutPadAcrossPx = 10;
// Smallest band image side (pixels).
constexpr int kMinCutSide = 8;
// Deskew search: whole degrees in ±kDeskewRangeDeg, then ±kDeskewFineDeg
// around the best; at half the normalised scale, binarised with a block of
// kDeskewBlock pixels.
constexpr double kDeskewRangeDeg = 3;
constexpr double kDeskewStepDeg = 1;
constexpr double kDeskewFineDeg = 0.5;
constexpr double kDeskewScale = 0.5;
constexpr int kDeskewBlock = 25;
// Slant search (EstimateSlant): shears within ±kMaxSlant (0.4: strokes
// leaning up to ~22°) in steps of kSlantStep, then half a step either side
// of the best; corrected only from kMinSlantToCorrect (~5.7°: smaller
// shears cost as many generated tuning pages as they gained, the
// resampling blurring the glyphs a little) and when the projection
// gets at least kMinSlantGain sharper than upright. Binarised with a block
// of kSlantBlockCaps glyph heights.
constexpr double kMaxSlant = 0.4;
constexpr double kSlantStep = 0.05;
constexpr double kMinSlantToCorrect = 0.1;
constexpr double kMinSlantGain = 0.03;
constexpr double kSlantBlockCaps = 1.5;

// FlattenDarkInk, at kLocateLongSide: the paper's brightness is a
// grey-level closing with a square of kPaperKernel pixels (wider than the
// strokes of the largest MRZ glyphs searched for, ~30 px high), the ink's a
// grey-level erosion with a square of kInkKernel pixels (reaching a glyph
// stroke from anywhere within about a line of glyphs), both smoothed by a
// box of kPaperKernel. The ink level is kept at least kMinInkContrast grey
// levels below the paper: plain paper (no ink nearby) then stays white
// instead of its noise being stretched to full contrast. Pixels at or above
// kFlatInkRatio of the way from ink to paper turn white.
constexpr int kPaperKernel = 15;
constexpr int kInkKernel = 31;
constexpr float kMinInkContrast = 32;
constexpr double kFlatInkRatio = 0.6;

// Candidates overlapping an earlier one by more than this (intersection
// over union) are duplicates.
constexpr double kDuplicateBandOverlap = 0.95;

// Joining collinear pieces of one band (JoinCollinear): a
// glare band, a shadow's edge or a finger across the MRZ of a phone photo
// wipes the contrast of a stretch of its lines, and the morphology then
// finds the band (or a line) as two pieces, neither holding a whole line.
// Two candidates of one kind are joined when their long axes agree within
// kJoinMaxAngleDeg, their heights within a factor kJoinMaxHeightRatio, the
// second's centre lies within kJoinMaxOffsetShare of the taller height off
// the first's axis, and the gap between them along the axis is at most
// kJoinMaxGapShare of their lengths together (a glare band wiping up to
// ~40 % of a line leaves a gap of ~0.7 of the pieces). Pieces are looked
// for among the kJoinPieces largest candidates of the kind; at most
// kMaxJoinedPerKind joined bands per kind.
constexpr double kJoinMaxAngleDeg = 5;
constexpr double kJoinMaxHeightRatio = 1.6;
constexpr double kJoinMaxOffsetShare = 0.5;
constexpr double kJoinMaxGapShare = 0.75;
constexpr size_t kJoinPieces = 8;
constexpr size_t kMaxJoinedPerKind = 2;

double IntersectionOverUnion(const cv::RotatedRect& a, const cv::RotatedRect& b) {
  std::vector<cv::Point2f> region;
  if (cv::rotatedRectangleIntersection(a, b, region) == cv::INTERSECT_NONE || region.size() < 3) {
    return 0;
  }
  const double inter = cv::contourArea(region);
  const double uni = a.size.area() + b.size.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

// `r` as centre, unit vector along its long side, length and height.
struct Axis {
  cv::Point2d centre, along;
  double length, height;
};

Axis AxisOf(const cv::RotatedRect& r) {
  double w = r.size.width, h = r.size.height, angle = r.angle;
  if (w < h) {
    std::swap(w, h);
    angle += 90;
  }
  const double rad = angle * CV_PI / 180.0;
  return {cv::Point2d(r.center.x, r.center.y), cv::Point2d(std::cos(rad), std::sin(rad)), w, h};
}

// The pieces of `from` (sorted largest first) that lie on one line with a
// gap between them (constants above), each pair joined into the smallest
// rotated rectangle holding both; at most kMaxJoinedPerKind, largest
// pieces first.
std::vector<cv::RotatedRect> JoinCollinear(const std::vector<cv::RotatedRect>& from,
                                           double max_aspect) {
  std::vector<cv::RotatedRect> joined;
  const size_t n = std::min(kJoinPieces, from.size());
  for (size_t i = 0; i < n && joined.size() < kMaxJoinedPerKind; ++i) {
    const Axis a = AxisOf(from[i]);
    for (size_t j = i + 1; j < n && joined.size() < kMaxJoinedPerKind; ++j) {
      const Axis b = AxisOf(from[j]);
      // Angle between the axes, modulo 180 degrees.
      const double cos_angle = std::abs(a.along.dot(b.along));
      if (cos_angle < std::cos(kJoinMaxAngleDeg * CV_PI / 180.0)) continue;
      const double tall = std::max(a.height, b.height);
      if (tall > kJoinMaxHeightRatio * std::max(1.0, std::min(a.height, b.height))) continue;
      const cv::Point2d d = b.centre - a.centre;
      const double offset = std::abs(d.x * a.along.y - d.y * a.along.x);
      if (offset > kJoinMaxOffsetShare * tall) continue;
      const double gap = std::abs(d.dot(a.along)) - 0.5 * (a.length + b.length);
      if (gap <= 0 || gap > kJoinMaxGapShare * (a.length + b.length)) continue;
      std::vector<cv::Point2f> corners(8);
      from[i].points(corners.data());
      from[j].points(corners.data() + 4);
      const cv::RotatedRect r = cv::minAreaRect(corners);
      const double len = std::max(r.size.width, r.size.height);
      const double thick = std::max(1.0f, std::min(r.size.width, r.size.height));
      if (len / thick > max_aspect) continue;
      joined.push_back(r);
    }
  }
  return joined;
}

}  // namespace

cv::Mat FlattenDarkInk(const cv::Mat& gray) {
  const double scale = std::min(1.0, kLocateLongSide / std::max(gray.cols, gray.rows));
  cv::Mat small;
  cv::resize(gray, small, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::Mat paper, ink;
  cv::morphologyEx(small, paper, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(kPaperKernel, kPaperKernel)));
  cv::erode(small, ink,
            cv::getStructuringElement(cv::MORPH_RECT, cv::Size(kInkKernel, kInkKernel)));
  const cv::Size smooth(kPaperKernel, kPaperKernel);
  cv::blur(paper, paper, smooth);
  cv::blur(ink, ink, smooth);
  cv::Mat paper_f, ink_f, gray_f, range;
  cv::resize(paper, paper, gray.size(), 0, 0, cv::INTER_LINEAR);
  cv::resize(ink, ink, gray.size(), 0, 0, cv::INTER_LINEAR);
  paper.convertTo(paper_f, CV_32F);
  ink.convertTo(ink_f, CV_32F);
  gray.convertTo(gray_f, CV_32F);
  ink_f = cv::min(ink_f, paper_f - kMinInkContrast);
  range = paper_f - ink_f;
  cv::Mat out;
  cv::divide(gray_f - ink_f, range, gray_f);
  gray_f.convertTo(out, CV_8U, 255.0 / kFlatInkRatio);  // Saturates at 0 and 255.
  return out;
}

cv::Mat GrayPage(const cv::Mat& page) {
  cv::Mat gray;
  if (page.channels() == 3) {
    cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
  } else if (page.channels() == 4) {
    cv::cvtColor(page, gray, cv::COLOR_BGRA2GRAY);
  } else {
    gray = page;
  }
  return gray;
}

std::vector<cv::RotatedRect> LocateBands(const cv::Mat& gray,
                                         std::vector<cv::RotatedRect>* joined) {
  const double long_side = std::max(gray.cols, gray.rows);
  const double scale = kLocateLongSide / long_side;
  cv::Mat work;
  cv::resize(gray, work, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::GaussianBlur(work, work, cv::Size(3, 3), 0);
  std::vector<cv::RotatedRect> bands, lines;
  for (int k : kKernelWidths) {
    const cv::Mat rect_kernel =
        cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k + 2, k / 2 + 1));
    const cv::Mat sq_kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k + 6, k + 6));
    cv::Mat blackhat;
    cv::morphologyEx(work, blackhat, cv::MORPH_BLACKHAT, rect_kernel);
    cv::Mat gx, gy, grad;
    cv::Sobel(blackhat, gx, CV_32F, 1, 0, 3);
    cv::Sobel(blackhat, gy, CV_32F, 0, 1, 3);
    cv::magnitude(gx, gy, grad);
    cv::normalize(grad, grad, 0, 255, cv::NORM_MINMAX);
    grad.convertTo(grad, CV_8U);
    cv::morphologyEx(grad, grad, cv::MORPH_CLOSE, rect_kernel);
    cv::Mat lines_bin;
    cv::threshold(grad, lines_bin, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cv::Mat bin;
    cv::morphologyEx(lines_bin, bin, cv::MORPH_CLOSE, sq_kernel);
    cv::erode(bin, bin, cv::Mat(), cv::Point(-1, -1), 2);
    auto collect = [&](const cv::Mat& b, double min_aspect, double max_aspect,
                       std::vector<cv::RotatedRect>& into) {
      // Outer boundaries of every blob, also of blobs enclosed by another
      // one (a card's printed border outline would otherwise hide
      // everything inside it); holes are skipped.
      std::vector<std::vector<cv::Point>> contours;
      std::vector<cv::Vec4i> hierarchy;
      cv::findContours(b, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
      for (size_t ci = 0; ci < contours.size(); ++ci) {
        if (hierarchy[ci][3] >= 0) continue;  // A hole.
        const std::vector<cv::Point>& c = contours[ci];
        cv::RotatedRect r = cv::minAreaRect(c);
        double w = r.size.width, h = r.size.height;
        if (w < h) std::swap(w, h);
        if (w < kMinBandLengthShare * std::min(work.cols, work.rows)) continue;
        const double aspect = w / std::max(1.0, h);
        if (aspect < min_aspect || aspect > max_aspect) continue;
        // Back to `gray` coordinates.
        r.center.x = static_cast<float>(r.center.x / scale);
        r.center.y = static_cast<float>(r.center.y / scale);
        r.size.width = static_cast<float>(r.size.width / scale);
        r.size.height = static_cast<float>(r.size.height / scale);
        into.push_back(r);
      }
    };
    collect(bin, kBandMinAspect, kBandMaxAspect, bands);
    // Single text lines: a fallback when the band merges with a border.
    collect(lines_bin, kLineMinAspect, kLineMaxAspect, lines);
  }
  auto by_area = [](const cv::RotatedRect& a, const cv::RotatedRect& b) {
    return a.size.area() > b.size.area();
  };
  std::sort(bands.begin(), bands.end(), by_area);
  std::sort(lines.begin(), lines.end(), by_area);
  // The two kernel widths often find the same band (or line) twice: of
  // the kMaxCandidatesPerKind largest of each kind, a candidate
  // overlapping an earlier one almost entirely would be read again to the
  // same result, and is dropped.
  std::vector<cv::RotatedRect> out;
  auto add_distinct = [&](const std::vector<cv::RotatedRect>& from) {
    for (size_t i = 0; i < std::min(kMaxCandidatesPerKind, from.size()); ++i) {
      const cv::RotatedRect& r = from[i];
      const bool seen = std::any_of(out.begin(), out.end(), [&](const cv::RotatedRect& o) {
        return IntersectionOverUnion(r, o) > kDuplicateBandOverlap;
      });
      if (!seen) out.push_back(r);
    }
  };
  add_distinct(bands);
  add_distinct(lines);
  if (joined != nullptr) {
    // Pieces of one band or line joined across a gap
    // (JoinCollinear), apart from the candidates found whole.
    const size_t whole = out.size();
    add_distinct(JoinCollinear(bands, kBandMaxAspect));
    add_distinct(JoinCollinear(lines, kLineMaxAspect));
    joined->assign(out.begin() + static_cast<std::ptrdiff_t>(whole), out.end());
    out.resize(whole);
  }
  return out;
}

Band CutBand(const cv::Mat& page, cv::RotatedRect r, bool flip, double scale, double extra_deg,
             double margin_px) {
  double w = r.size.width, h = r.size.height, angle = r.angle;
  if (w < h) {
    std::swap(w, h);
    angle -= 90;
  }
  if (flip) angle += 180;
  angle += extra_deg;
  w = w * kCutGrowAlong + 2 * margin_px;
  h = h * kCutGrowAcross + kCutPadAcrossPx + 2 * margin_px;
  const int out_w = std::max(kMinCutSide, static_cast<int>(w * scale));
  const int out_h = std::max(kMinCutSide, static_cast<int>(h * scale));
  // page -> band: rotate by -angle around the centre, scale, recentre.
  const double a = angle * CV_PI / 180;
  const double c = std::cos(a) * scale, s = std::sin(a) * scale;
  cv::Mat m = (cv::Mat_<double>(2, 3) << c, s, out_w / 2.0 - (c * r.center.x + s * r.center.y), -s,
               c, out_h / 2.0 - (-s * r.center.x + c * r.center.y));
  Band band;
  cv::warpAffine(page, band.gray, m, cv::Size(out_w, out_h), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  cv::invertAffineTransform(m, band.band_to_page);
  return band;
}

double RefineBandAngle(const cv::Mat& gray, const cv::RotatedRect& r, bool flip, double scale,
                       double margin_px) {
  double best_deg = 0, best_var = -1;
  auto try_angle = [&](double deg) {
    Band b = CutBand(gray, r, flip, scale * kDeskewScale, deg, margin_px);
    cv::Mat bin = Binarize(b.gray, kDeskewBlock);
    cv::Mat proj;
    cv::reduce(bin, proj, 1, cv::REDUCE_SUM, CV_64F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(proj, mean, stddev);
    if (stddev[0] > best_var) {
      best_var = stddev[0];
      best_deg = deg;
    }
  };
  for (double deg = -kDeskewRangeDeg; deg <= kDeskewRangeDeg + 0.01; deg += kDeskewStepDeg) {
    try_angle(deg);
  }
  const double coarse_deg = best_deg;
  try_angle(coarse_deg - kDeskewFineDeg);
  try_angle(coarse_deg + kDeskewFineDeg);
  return best_deg;
}

namespace {

// std::lround (halves away from zero) without the library call: the slant
// search rounds every ink pixel of a band about twenty times. The same
// result for every finite value in range: v - trunc(v) is exact.
inline long SlantRound(double v) {
  const long t = static_cast<long>(v);
  const double f = v - static_cast<double>(t);
  return f >= 0.5 ? t + 1 : f <= -0.5 ? t - 1 : t;
}

// EstimateSlant bins a row's ink pixels by one shift where the row's shear
// offset lies farther than this from a half-integer (x - d then rounds as
// x plus -d rounded; the subtraction's error on a band's coordinates is
// below 1e-9).
constexpr double kSlantHalfGuard = 1e-6;

}  // namespace

double EstimateSlant(const cv::Mat& band_gray, double cap) {
  if (band_gray.empty() || cap <= 0) return 0;
  const cv::Mat bin = Binarize(band_gray, static_cast<int>(kSlantBlockCaps * cap));
  // Ink pixel coordinates once; every shear re-bins them.
  std::vector<cv::Point> ink;
  cv::findNonZero(bin, ink);
  if (ink.empty()) return 0;
  const double yc = band_gray.rows / 2.0;
  const int margin = static_cast<int>(std::ceil(kMaxSlant * yc)) + 1;
  std::vector<double> columns(static_cast<size_t>(band_gray.cols + 2 * margin));
  // Runs of ink pixels on one row (findNonZero lists them row by row):
  // a shear moves a whole row by one offset.
  std::vector<std::pair<size_t, size_t>> runs;  // [begin, end) in `ink`.
  for (size_t b = 0, e = 0; b < ink.size(); b = e) {
    for (e = b + 1; e < ink.size() && ink[e].y == ink[b].y;) ++e;
    runs.emplace_back(b, e);
  }
  const int n_columns = static_cast<int>(columns.size());
  auto sharpness = [&](double s) {
    std::fill(columns.begin(), columns.end(), 0.0);
    for (const auto& [b, e] : runs) {
      const double d = s * (ink[b].y - yc);
      const double f = std::abs(-d - std::trunc(-d));
      if (std::abs(f - 0.5) > kSlantHalfGuard) {
        // x - d rounds to x plus -d rounded (SlantRound): -d is no
        // half-integer within kSlantHalfGuard, far more than the
        // subtraction's rounding error, so the same bins as per pixel.
        const int shift = static_cast<int>(SlantRound(-d)) + margin;
        for (size_t k = b; k < e; ++k) {
          const int x = ink[k].x + shift;
          if (x >= 0 && x < n_columns) columns[x] += 1;
        }
        continue;
      }
      for (size_t k = b; k < e; ++k) {
        const int x = static_cast<int>(SlantRound(ink[k].x - d)) + margin;
        if (x >= 0 && x < n_columns) columns[x] += 1;
      }
    }
    double sum = 0;
    for (double c : columns) sum += c * c;
    return sum;
  };
  const double upright = sharpness(0);
  double best = 0, best_sharpness = upright;
  for (double s = -kMaxSlant; s <= kMaxSlant + 1e-9; s += kSlantStep) {
    const double v = sharpness(s);
    if (v > best_sharpness) {
      best_sharpness = v;
      best = s;
    }
  }
  const double coarse = best;
  for (double s : {coarse - kSlantStep / 2, coarse + kSlantStep / 2}) {
    const double v = sharpness(s);
    if (v > best_sharpness) {
      best_sharpness = v;
      best = s;
    }
  }
  if (std::abs(best) < kMinSlantToCorrect || best_sharpness < upright * (1 + kMinSlantGain)) {
    return 0;
  }
  return best;
}

Band Deslant(const Band& band, double slant) {
  if (slant == 0 || band.gray.empty()) return band;
  const double yc = band.gray.rows / 2.0;
  // Output (x, y) samples the input at (x + slant * (y - yc), y).
  const cv::Mat to_input = (cv::Mat_<double>(2, 3) << 1, slant, -slant * yc, 0, 1, 0);
  Band out;
  cv::warpAffine(band.gray, out.gray, to_input, band.gray.size(),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  // band_to_page of the output: band_to_page after to_input.
  cv::Mat to_input3 = cv::Mat::eye(3, 3, CV_64F);
  to_input.copyTo(to_input3.rowRange(0, 2));
  out.band_to_page = band.band_to_page * to_input3;
  return out;
}

}  // namespace vouch::ocr::internal
