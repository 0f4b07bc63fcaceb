// MRZ reading from a page image: localisation, deskew, segmentation into a
// fixed-pitch character grid, OCR-B glyph classification, constrained
// decoding, and a conservative verdict.

#include "ocr/mrz_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "mrz/glyph_classifier.h"
#include "mrz/mrz_decoder.h"
#include "mrz/mrz_reader_internal.h"
#include "mrz/tesseract_line_reader.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

using internal::CharScores;
using internal::DecodedMrz;
using internal::GlyphClassifier;

// Glyph cap height, in pixels, the band is normalised to before
// segmentation.
constexpr double kNormCap = 24.0;

struct Component {
  cv::Rect box;
  // For a piece of a run of touching glyphs split at the usual pitch: the
  // run's index (ReadBandOnce), so the line can re-split it at its own pitch.
  int run = -1;
  double cx() const { return box.x + box.width / 2.0; }
  double cy() const { return box.y + box.height / 2.0; }
};

// Least squares y = a + b x.
std::pair<double, double> FitLine(const std::vector<double>& x,
                                  const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  if (n < 2) return {y.empty() ? 0 : y[0], 0};
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double den = n * sxx - sx * sx;
  if (std::abs(den) < 1e-9) return {sy / n, 0};
  const double b = (n * sxy - sx * sy) / den;
  return {(sy - b * sx) / n, b};
}

std::vector<Component> Components(const cv::Mat& binary, int min_area) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats,
                                                 centroids, 8, CV_32S);
  std::vector<Component> out;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < min_area) continue;
    out.push_back({cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT),
                            stats.at<int>(i, cv::CC_STAT_TOP),
                            stats.at<int>(i, cv::CC_STAT_WIDTH),
                            stats.at<int>(i, cv::CC_STAT_HEIGHT))});
  }
  return out;
}

cv::Mat Binarize(const cv::Mat& gray, int block) {
  cv::Mat bin;
  block = std::max(3, block | 1);
  cv::adaptiveThreshold(gray, bin, 255, cv::ADAPTIVE_THRESH_MEAN_C,
                        cv::THRESH_BINARY_INV, block, 12);
  return bin;
}

// Candidate MRZ bands (rotated rectangles in `gray`'s coordinates), most
// likely first: dense rows of dark, evenly spaced glyphs merged by
// morphology (blackhat, horizontal gradient, closing).
std::vector<cv::RotatedRect> LocateBands(const cv::Mat& gray) {
  const double long_side = std::max(gray.cols, gray.rows);
  const double scale = 1000.0 / long_side;
  cv::Mat work;
  cv::resize(gray, work, cv::Size(), scale, scale,
             scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::GaussianBlur(work, work, cv::Size(3, 3), 0);
  std::vector<cv::RotatedRect> bands, lines;
  // Two kernel scales: glyphs of ~8-14 px and ~14-30 px at this size.
  for (int k : {11, 19}) {
    const cv::Mat rect_kernel =
        cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k + 2, k / 2 + 1));
    const cv::Mat sq_kernel =
        cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k + 6, k + 6));
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
      cv::findContours(b, contours, hierarchy, cv::RETR_CCOMP,
                       cv::CHAIN_APPROX_SIMPLE);
      for (size_t ci = 0; ci < contours.size(); ++ci) {
        if (hierarchy[ci][3] >= 0) continue;  // A hole.
        const std::vector<cv::Point>& c = contours[ci];
        cv::RotatedRect r = cv::minAreaRect(c);
        double w = r.size.width, h = r.size.height;
        if (w < h) std::swap(w, h);
        if (w < 0.2 * std::min(work.cols, work.rows)) continue;
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
    collect(bin, 2.5, 60, bands);
    // Single text lines: a fallback when the band merges with a border.
    // A 44-glyph line can be thinner than one glyph height after the
    // gradient threshold: allow very long, thin lines.
    collect(lines_bin, 8, 150, lines);
  }
  auto by_area = [](const cv::RotatedRect& a, const cv::RotatedRect& b) {
    return a.size.area() > b.size.area();
  };
  std::sort(bands.begin(), bands.end(), by_area);
  std::sort(lines.begin(), lines.end(), by_area);
  std::vector<cv::RotatedRect> out(bands.begin(),
                                   bands.begin() + std::min<size_t>(4, bands.size()));
  out.insert(out.end(), lines.begin(),
             lines.begin() + std::min<size_t>(4, lines.size()));
  return out;
}

// A band cut out of the page: `gray` upright (text reading left to right),
// and the affine map from band to page coordinates.
struct Band {
  cv::Mat gray;
  cv::Mat band_to_page;  // 2x3
};

// Cuts the rotated rectangle `r` (long side = text direction), grown by
// margins, rotated by an extra `flip` (180°) and `extra_deg`, scaled by
// `scale`.
Band CutBand(const cv::Mat& page, cv::RotatedRect r, bool flip, double scale,
             double extra_deg, double margin_px = 0) {
  double w = r.size.width, h = r.size.height, angle = r.angle;
  if (w < h) {
    std::swap(w, h);
    angle -= 90;
  }
  if (flip) angle += 180;
  angle += extra_deg;
  w = w * 1.08 + 2 * margin_px;
  h = h * 1.3 + 10 + 2 * margin_px;
  const int out_w = std::max(8, static_cast<int>(w * scale));
  const int out_h = std::max(8, static_cast<int>(h * scale));
  // page -> band: rotate by -angle around the centre, scale, recentre.
  const double a = angle * CV_PI / 180;
  const double c = std::cos(a) * scale, s = std::sin(a) * scale;
  cv::Mat m = (cv::Mat_<double>(2, 3) << c, s,
               out_w / 2.0 - (c * r.center.x + s * r.center.y), -s, c,
               out_h / 2.0 - (-s * r.center.x + c * r.center.y));
  Band band;
  cv::warpAffine(page, band.gray, m, cv::Size(out_w, out_h), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  cv::invertAffineTransform(m, band.band_to_page);
  return band;
}

// Runs of touching glyphs were split at the usual pitch (1.1 cap heights);
// perspective and rotation change a line's pitch relative to its glyph
// height, so a run of six glyphs could come out as five pieces and the
// line a glyph short. Re-splits each run of `comps` (one line, sorted by
// x) at the pitch and glyph width of the line's separate glyphs, when
// there are enough of them to measure.
void ResplitRuns(std::vector<Component>& comps, const std::vector<cv::Rect>& runs) {
  if (runs.empty()) return;
  std::vector<double> gaps, widths;
  for (size_t i = 0; i < comps.size(); ++i) {
    if (comps[i].run >= 0) continue;
    widths.push_back(comps[i].box.width);
    if (i + 1 < comps.size() && comps[i + 1].run < 0) {
      const double d = comps[i + 1].cx() - comps[i].cx();
      if (d > 0.6 * kNormCap && d < 1.6 * kNormCap) gaps.push_back(d);
    }
  }
  if (gaps.size() < 8) return;
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  std::nth_element(widths.begin(), widths.begin() + widths.size() / 2, widths.end());
  const double pitch = gaps[gaps.size() / 2];
  const double glyph_w = widths[widths.size() / 2];
  std::vector<Component> out;
  for (size_t i = 0; i < comps.size();) {
    if (comps[i].run < 0) {
      out.push_back(comps[i++]);
      continue;
    }
    const int run = comps[i].run;
    size_t j = i;
    while (j < comps.size() && comps[j].run == run) ++j;
    const cv::Rect box = runs[run];
    const int n = 1 + static_cast<int>(std::lround((box.width - glyph_w) / pitch));
    if (n < 1 || n > 8 || n == static_cast<int>(j - i)) {
      out.insert(out.end(), comps.begin() + i, comps.begin() + j);
    } else {
      for (int k = 0; k < n; ++k) {
        const int x0 = box.x + box.width * k / n;
        const int x1 = box.x + box.width * (k + 1) / n;
        out.push_back({cv::Rect(x0, box.y, std::max(1, x1 - x0), box.height), run});
      }
    }
    i = j;
  }
  comps = std::move(out);
}

struct LineGrid {
  // Centre of cell i: x0 + i * pitch + curve * i^2 (the quadratic term
  // absorbs perspective foreshortening along the line).
  double x0 = 0, pitch = 0, curve = 0;
  double Centre(int i) const { return x0 + i * pitch + curve * i * i; }
  double top_a = 0, top_b = 0;       // Cap top: top_a + top_b * x.
  double bottom_a = 0, bottom_b = 0; // Baseline.
  int length = 0;
  double cap = 0;
  double residual = 1e9;  // Mean |centre - grid| / pitch.
};

// Fits a fixed-pitch grid of `length` cells to the components of a line:
// pitch from the median spacing, phase from the circular mean, then
// least-squares refinement with outlier rejection; the window of `length`
// cells holding the most components wins.
std::optional<LineGrid> FitGrid(const std::vector<Component>& comps,
                                int length,
                                std::optional<double> anchor = std::nullopt) {
  if (static_cast<int>(comps.size()) < length / 2) return std::nullopt;
  std::vector<double> heights;
  for (const Component& c : comps) heights.push_back(c.box.height);
  std::sort(heights.begin(), heights.end());
  const double cap = heights[heights.size() * 3 / 4];
  std::vector<double> diffs;
  for (size_t i = 1; i < comps.size(); ++i) {
    const double d = comps[i].cx() - comps[i - 1].cx();
    if (d > 0.5 * cap && d < 1.8 * cap) diffs.push_back(d);
  }
  if (diffs.size() < 5) return std::nullopt;
  std::nth_element(diffs.begin(), diffs.begin() + diffs.size() / 2, diffs.end());
  double pitch = diffs[diffs.size() / 2];
  // Walk left to right assigning cell indices with a running pitch, so
  // perspective (pitch changing along the line) does not break the count.
  // Both directions: junk next to one end of the line can derail a walk
  // that starts there.
  std::vector<double> idx, xs;
  std::vector<const Component*> at;  // The component of each (idx, xs).
  for (bool reverse : {false, true}) {
    std::vector<const Component*> order;
    for (const Component& c : comps) order.push_back(&c);
    if (reverse) std::reverse(order.begin(), order.end());
    std::vector<double> cx;
    for (const Component* c : order) cx.push_back(reverse ? -c->cx() : c->cx());
    std::vector<double> run_idx{0}, run_xs{cx[0]};
    std::vector<const Component*> run_at{order[0]};
    double local = pitch, k = 0;
    for (size_t i = 1; i < cx.size(); ++i) {
      const double d = cx[i] - run_xs.back();
      const double steps = std::round(d / local);
      if (steps < 1) continue;  // A fragment of the previous glyph.
      if (steps > 4) {          // A gap: restart unless the run is long.
        if (run_idx.size() >= static_cast<size_t>(length) * 0.8) break;
        run_idx.assign(1, 0);
        run_xs.assign(1, cx[i]);
        run_at.assign(1, order[i]);
        k = 0;
        local = pitch;
        continue;
      }
      k += steps;
      if (steps == 1) local = 0.8 * local + 0.2 * d;
      run_idx.push_back(k);
      run_xs.push_back(cx[i]);
      run_at.push_back(order[i]);
    }
    if (run_idx.size() <= idx.size()) continue;
    idx.clear();
    xs.clear();
    at.clear();
    const double kmax = run_idx.back();
    for (size_t i = run_idx.size(); i-- > 0;) {
      if (reverse) {
        idx.push_back(kmax - run_idx[i]);
        xs.push_back(-run_xs[i]);
        at.push_back(run_at[i]);
      }
    }
    if (!reverse) {
      idx = run_idx;
      xs = run_xs;
      at = run_at;
    }
  }
  if (idx.size() < 5) return std::nullopt;
  double phase = 0;
  {
    auto [a, b] = FitLine(idx, xs);
    phase = a;
    pitch = b;
  }
  // The window of `length` cells with the most inliers.
  const int lo = static_cast<int>(*std::min_element(idx.begin(), idx.end()));
  const int hi = static_cast<int>(*std::max_element(idx.begin(), idx.end()));
  if (hi - lo + 1 < length) return std::nullopt;
  int best_start = lo, best_count = -1;
  double best_dist = 1e18;
  for (int start = lo; start + length - 1 <= hi; ++start) {
    int count = 0;
    for (double i : idx) count += i >= start && i < start + length;
    // With an anchor (another line's first cell), the nearest full window.
    const double dist =
        anchor ? std::abs(phase + start * pitch - *anchor) : 0.0;
    const bool better =
        anchor ? (count >= length * 0.8 && dist < best_dist)
               : count > best_count;
    if (better) {
      best_count = count;
      best_start = start;
      best_dist = dist;
    }
  }
  if (best_count < 0) return std::nullopt;
  // Both end cells must hold a glyph: MRZ lines have no blank positions.
  bool first = false, last = false;
  for (double i : idx) {
    first = first || i == best_start;
    last = last || i == best_start + length - 1;
  }
  // Nor may glyphs continue right before or after the window: then the
  // line is longer than `length`.
  // Only glyph-like ink counts: as high as the line's glyphs and on the
  // line (handwriting, a stamp or a border next to the line does not).
  std::vector<double> centres;
  for (const Component* c : at) centres.push_back(c->cy());
  std::nth_element(centres.begin(), centres.begin() + centres.size() / 2,
                   centres.end());
  const double line_cy = centres[centres.size() / 2];
  bool outside = false;
  for (size_t k = 0; k < idx.size(); ++k) {
    if (idx[k] != best_start - 1 && idx[k] != best_start + length) continue;
    const Component& c = *at[k];
    const bool glyph_like = c.box.height >= 0.7 * cap && c.box.height <= 1.3 * cap &&
                            std::abs(c.cy() - line_cy) <= 0.3 * cap;
    outside = outside || glyph_like;
  }
  if (!first || !last || outside || best_count < length * 0.8) return std::nullopt;
  LineGrid g;
  g.cap = cap;
  g.length = length;
  g.pitch = pitch;
  g.x0 = phase + best_start * pitch;
  // Quadratic refinement over the window's components.
  {
    cv::Mat A(0, 3, CV_64F), y(0, 1, CV_64F);
    for (size_t k = 0; k < idx.size(); ++k) {
      const double i = idx[k] - best_start;
      if (i < 0 || i >= length) continue;
      cv::Mat row = (cv::Mat_<double>(1, 3) << 1.0, i, i * i);
      A.push_back(row);
      y.push_back(xs[k]);
    }
    cv::Mat sol;
    if (A.rows >= 6 && cv::solve(A, y, sol, cv::DECOMP_SVD)) {
      const double curve = sol.at<double>(2);
      // Perspective changes the pitch by well under 40% end to end.
      if (std::abs(curve) * length < 0.4 * pitch) {
        g.x0 = sol.at<double>(0);
        g.pitch = sol.at<double>(1);
        g.curve = curve;
      }
    }
  }
  double res = 0;
  int n = 0;
  std::vector<double> tx, ty, by;
  for (const Component& c : comps) {
    // Nearest cell under the curved grid.
    int best_i = -1;
    double r = 1e9;
    const double guess = std::round((c.cx() - g.x0) / g.pitch);
    for (int i = static_cast<int>(guess) - 2; i <= guess + 2; ++i) {
      if (i < 0 || i >= length) continue;
      const double rr = std::abs(c.cx() - g.Centre(i)) / pitch;
      if (rr < r) {
        r = rr;
        best_i = i;
      }
    }
    if (best_i < 0 || r > 0.3) continue;
    res += r;
    ++n;
    if (c.box.height >= 0.8 * cap && c.box.height <= 1.25 * cap) {
      tx.push_back(c.cx());
      ty.push_back(c.box.y);
      by.push_back(c.box.y + c.box.height);
    }
  }
  g.residual = n ? res / n : 1e9;
  if (tx.size() < 3) return std::nullopt;
  std::tie(g.top_a, g.top_b) = FitLine(tx, ty);
  std::tie(g.bottom_a, g.bottom_b) = FitLine(tx, by);
  return g;
}

// A line whose glyphs touch (blur, heavy ink) has too few separate
// components for FitGrid. Lines of one MRZ share pitch, left edge and
// perspective, so such a line borrows `ref`'s horizontal grid and fits only
// its own cap line and baseline. Accepted when ink covers nearly every
// cell and no glyph-high ink continues right before or after the grid.
std::optional<LineGrid> BorrowGrid(const std::vector<Component>& comps,
                                   const LineGrid& ref) {
  if (comps.size() < 10) return std::nullopt;
  LineGrid g = ref;
  const double left = g.Centre(0) - 0.5 * g.pitch;
  const double right = g.Centre(g.length - 1) + 0.5 * g.pitch;
  std::vector<bool> covered(g.length, false);
  std::vector<double> tx, ty, by;
  for (const Component& c : comps) {
    const bool glyph_high =
        c.box.height >= 0.7 * ref.cap && c.box.height <= 1.3 * ref.cap;
    if (c.cx() < left - 0.2 * g.pitch || c.cx() > right + 0.2 * g.pitch) {
      // Ink just outside the grid: the line is longer, or not this MRZ.
      if (glyph_high && (c.cx() > left - 1.5 * g.pitch &&
                         c.cx() < right + 1.5 * g.pitch)) {
        return std::nullopt;
      }
      continue;
    }
    for (int i = 0; i < g.length; ++i) {
      const double x = g.Centre(i);
      covered[i] = covered[i] || (x >= c.box.x - 0.25 * g.pitch &&
                                  x <= c.box.x + c.box.width + 0.25 * g.pitch);
    }
    if (glyph_high) {
      tx.push_back(c.cx());
      ty.push_back(c.box.y);
      by.push_back(c.box.y + c.box.height);
    }
  }
  const int n_covered =
      static_cast<int>(std::count(covered.begin(), covered.end(), true));
  if (!covered.front() || !covered.back() || n_covered < g.length * 0.95 ||
      tx.size() < 5) {
    return std::nullopt;
  }
  std::tie(g.top_a, g.top_b) = FitLine(tx, ty);
  std::tie(g.bottom_a, g.bottom_b) = FitLine(tx, by);
  // Not a fit of its own: rank it behind lines that fit by themselves.
  g.residual = std::max(ref.residual, 0.15);
  return g;
}

struct ReadAttempt {
  bool mrz_like = false;  // Found 2-3 regular character lines.
  std::optional<DecodedMrz> decoded;
  std::vector<std::vector<CharScores>> scores;
  double mean_best = -1e9;  // Mean best glyph score.
  std::array<cv::Point2f, 4> box{};
  int passed_checks = 0;
  std::vector<cv::Mat> thumbs;  // Per cell, line by line.
  std::vector<cv::Mat> line_images;  // Gray, deskewed, per MRZ line.
};

class MrzReaderImpl final : public MrzReader {
 public:
  MrzReaderImpl(std::unique_ptr<GlyphClassifier> classifier,
                std::unique_ptr<internal::TesseractLineReader> tesseract,
                MrzReaderOptions options)
      : classifier_(std::move(classifier)),
        tesseract_(std::move(tesseract)),
        options_(std::move(options)) {}

  absl::StatusOr<std::optional<MrzReadResult>> Read(
      const cv::Mat& page) override {
    if (page.empty() || page.depth() != CV_8U ||
        (page.channels() != 1 && page.channels() != 3 && page.channels() != 4)) {
      return absl::InvalidArgumentError("page must be a non-empty 8-bit image");
    }
    try {
      return ReadImpl(page);
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("MRZ reading failed: ", e.what()));
    }
  }

  // `page` (8-bit, 1, 3 or 4 channels) as one gray channel.
  static cv::Mat Gray(const cv::Mat& page) {
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

  // For training tools (mrz_reader_internal.h): the read of `page` whose
  // segmentation has truth's shape and whose decoded text agrees with
  // `truth_flat` (the truth lines concatenated) on the most characters;
  // `agree` gets that count. Same band search as ReadImpl on gray.
  // May throw cv::Exception.
  std::optional<ReadAttempt> BestAttemptFor(const cv::Mat& page,
                                            const std::string& truth_flat,
                                            size_t& agree) {
    const cv::Mat gray = Gray(page);
    std::optional<ReadAttempt> best;
    agree = 0;
    int tried_after_decode = 0;
    for (const cv::RotatedRect& r : LocateBands(gray)) {
      // Once some band decodes, give the others two more chances only.
      if (best && best->decoded && ++tried_after_decode > 2) break;
      for (bool flip : {false, true}) {
        ReadAttempt a = ReadBand(gray, r, flip);
        if (!a.decoded || a.thumbs.size() != truth_flat.size()) continue;
        std::string read;
        for (const std::string& l : a.decoded->lines) read += l;
        if (read.size() != truth_flat.size()) continue;
        size_t n = 0;
        for (size_t i = 0; i < read.size(); ++i) n += read[i] == truth_flat[i];
        if (n > agree) {
          agree = n;
          best = std::move(a);
        }
      }
    }
    return best;
  }

 private:
  std::optional<MrzReadResult> ReadImpl(const cv::Mat& page) {
    const cv::Mat gray = Gray(page);
    std::optional<ReadAttempt> best;
    // Glyphs read upside down fit the classifier far worse than upright
    // ones, so the glyph fit decides; a read whose checks all pass wins.
    auto better = [](const ReadAttempt& a, const ReadAttempt& b) {
      if (a.decoded.has_value() != b.decoded.has_value()) return a.decoded.has_value();
      const bool a_valid = a.decoded && a.decoded->refused.empty() &&
                           ParseMrz(a.decoded->lines).value_or(ParsedMrz{}).valid();
      const bool b_valid = b.decoded && b.decoded->refused.empty() &&
                           ParseMrz(b.decoded->lines).value_or(ParsedMrz{}).valid();
      if (a_valid != b_valid) return a_valid;
      return a.mean_best > b.mean_best;
    };
    auto checks_out = [](const ReadAttempt& a) {
      return a.decoded && a.decoded->refused.empty() &&
             ParseMrz(a.decoded->lines).value_or(ParsedMrz{}).valid();
    };
    auto search = [&](const cv::Mat& g) {
      std::optional<ReadAttempt> found;
      int tried_after_decode = 0;
      for (const cv::RotatedRect& r : LocateBands(g)) {
        // Once some band decodes, give the others two more chances only.
        if (found && found->decoded && ++tried_after_decode > 2) break;
        for (bool flip : {false, true}) {
          ReadAttempt attempt = ReadBand(g, r, flip);
          if (!attempt.mrz_like) continue;
          const bool done = checks_out(attempt);
          if (!found || better(attempt, *found)) found = std::move(attempt);
          if (done) break;  // An upright read that checks out: no need to flip.
        }
        if (found && checks_out(*found)) break;
      }
      if (found && (!best || better(*found, *best))) best = std::move(found);
    };
    search(gray);
    if (!best && page.channels() >= 3) {
      // Coloured print (a red stamp, a tinted security pattern) touching
      // the MRZ merges with its glyphs in plain gray. The MRZ is printed
      // in dark ink, which stays dark in every channel, while coloured ink
      // is light in at least one: the brightest channel keeps the MRZ and
      // drops the colour. Tried when the gray page shows nothing MRZ-like.
      std::vector<cv::Mat> channels;
      cv::split(page, channels);
      const cv::Mat dark_ink = cv::max(cv::max(channels[0], channels[1]), channels[2]);
      search(dark_ink);
    }
    if (!best) return std::nullopt;
    return Judge(*best);
  }

  ReadAttempt ReadBand(const cv::Mat& gray, const cv::RotatedRect& r,
                       bool flip) {
    ReadAttempt attempt;
    // Stage 1 at page scale: estimate the glyph height.
    Band coarse = CutBand(gray, r, flip, 1.0, 0);
    const int coarse_block = std::max(15, coarse.gray.rows / 3);
    std::vector<Component> comps =
        Components(Binarize(coarse.gray, coarse_block), 4);
    std::vector<double> heights;
    for (const Component& c : comps) {
      if (c.box.height >= 4 && c.box.height < coarse.gray.rows * 0.6 &&
          c.box.width < c.box.height * 1.5) {
        heights.push_back(c.box.height);
      }
    }
    if (heights.size() < 20) return attempt;
    std::sort(heights.begin(), heights.end());
    const double cap = heights[heights.size() * 3 / 4];
    const double scale = std::clamp(kNormCap / cap, 0.3, 5.0);
    // Bound the work on hostile or odd inputs: an MRZ line of 44 glyphs at
    // 24 px is about 1,100 px; nothing sensible needs 4,000.
    if (std::max(r.size.width, r.size.height) * scale > 4000 ||
        std::min(r.size.width, r.size.height) * scale > 2000) {
      return attempt;
    }
    // Stage 2 at normalised scale; refine the angle by projection
    // sharpness.
    // Coarse (1°) then fine (0.5°) search.
    double best_deg = 0, best_var = -1;
    auto try_angle = [&](double deg) {
      Band b = CutBand(gray, r, flip, scale * 0.5, deg, 2.4 * cap);
      cv::Mat bin = Binarize(b.gray, 25);
      cv::Mat proj;
      cv::reduce(bin, proj, 1, cv::REDUCE_SUM, CV_64F);
      cv::Scalar mean, stddev;
      cv::meanStdDev(proj, mean, stddev);
      if (stddev[0] > best_var) {
        best_var = stddev[0];
        best_deg = deg;
      }
    };
    for (double deg = -3; deg <= 3.01; deg += 1) try_angle(deg);
    const double coarse_deg = best_deg;
    try_angle(coarse_deg - 0.5);
    try_angle(coarse_deg + 0.5);
    Band band = CutBand(gray, r, flip, scale, best_deg, 2.4 * cap);
    cv::Mat bin = Binarize(band.gray, static_cast<int>(kNormCap * 2) + 1);
    comps = Components(bin, 6);
    // Keep glyph-like components.
    std::vector<Component> glyphs;
    std::vector<cv::Rect> runs;  // Glyph-high runs of touching glyphs.
    for (const Component& c : comps) {
      if (c.box.height > kNormCap * 1.6) continue;
      if (c.box.height < kNormCap * 0.2 && c.box.width < kNormCap * 0.2) continue;
      if (c.box.width > kNormCap * 1.4) {
        // A printed rule or border line: far thinner than a filler.
        if (c.box.height < kNormCap * 0.3) continue;
        if (c.box.width > kNormCap * 45) continue;
        if (c.box.height > kNormCap * 0.9) {
          // Glyphs that touch (blur, heavy ink): a glyph-high run of a few
          // glyphs is split at the usual pitch (~1.1 cap; a glyph is ~0.75
          // cap wide), so the line keeps a component per cell.
          if (c.box.height > kNormCap * 1.3 || c.box.width > kNormCap * 6) continue;
          const int n = 1 + static_cast<int>(std::lround(
                                (c.box.width - 0.75 * kNormCap) / (1.1 * kNormCap)));
          if (n < 2) {
            glyphs.push_back(c);
            continue;
          }
          const int run = static_cast<int>(runs.size());
          runs.push_back(c.box);
          for (int k = 0; k < n; ++k) {
            const int x0 = c.box.x + c.box.width * k / n;
            const int x1 = c.box.x + c.box.width * (k + 1) / n;
            glyphs.push_back({cv::Rect(x0, c.box.y, std::max(1, x1 - x0), c.box.height), run});
          }
          continue;
        }
        // Runs of fillers ('<<<<') touch once blurred or thickened: split a
        // wide, filler-high component into glyph-wide pieces.
        const int n = std::max(2, static_cast<int>(std::lround(
                                      c.box.width / (kNormCap * 0.95))));
        for (int k = 0; k < n; ++k) {
          const int x0 = c.box.x + c.box.width * k / n;
          const int x1 = c.box.x + c.box.width * (k + 1) / n;
          glyphs.push_back({cv::Rect(x0, c.box.y, std::max(1, x1 - x0), c.box.height)});
        }
        continue;
      }
      glyphs.push_back(c);
    }
    // Lines: rows where glyph centres cluster.
    std::vector<int> row_hist(band.gray.rows, 0);
    for (const Component& c : glyphs) {
      const int y = static_cast<int>(c.cy());
      if (y >= 0 && y < band.gray.rows) {
        ++row_hist[y];
      }
    }
    // Smooth over half a glyph height and find peaks.
    const int win = static_cast<int>(kNormCap / 3);
    std::vector<int> smooth(band.gray.rows, 0);
    for (int y = 0; y < band.gray.rows; ++y) {
      for (int d = -win; d <= win; ++d) {
        if (y + d >= 0 && y + d < band.gray.rows) smooth[y] += row_hist[y + d];
      }
    }
    // Peaks: the middle of the highest plateau of each run of rows with
    // glyph centres, splitting runs where the count drops below half.
    std::vector<int> peaks;
    {
      int y = 0;
      const int rows = band.gray.rows;
      while (y < rows) {
        if (smooth[y] < 12) {
          ++y;
          continue;
        }
        int run_end = y;
        int best = smooth[y];
        while (run_end < rows && smooth[run_end] >= 12 &&
               smooth[run_end] * 2 >= best) {
          best = std::max(best, smooth[run_end]);
          ++run_end;
        }
        int first = -1, last = -1;
        for (int k = y; k < run_end; ++k) {
          if (smooth[k] == best) {
            if (first < 0) first = k;
            last = k;
          }
        }
        const int peak = (first + last) / 2;
        if (peaks.empty() || peak - peaks.back() > kNormCap * 0.9) {
          peaks.push_back(peak);
        }
        // Skip the falling tail of this line.
        while (run_end < rows && smooth[run_end] >= 12 &&
               smooth[run_end] <= smooth[run_end - 1]) {
          ++run_end;
        }
        y = run_end;
      }
    }
    // Group components into lines around each peak.
    struct Line {
      std::vector<Component> comps;
      std::optional<LineGrid> grid;
    };
    std::vector<Line> lines;
    for (int p : peaks) {
      Line line;
      for (const Component& c : glyphs) {
        if (std::abs(c.cy() - p) < kNormCap * 0.6) line.comps.push_back(c);
      }
      std::sort(line.comps.begin(), line.comps.end(),
                [](const Component& a, const Component& b) { return a.cx() < b.cx(); });
      // Merge pieces of one glyph (overlapping in x).
      std::vector<Component> merged;
      for (const Component& c : line.comps) {
        if (!merged.empty() &&
            c.box.x < merged.back().box.x + merged.back().box.width - 2 &&
            c.cx() - merged.back().cx() < kNormCap * 0.35) {
          merged.back().box |= c.box;
        } else {
          merged.push_back(c);
        }
      }
      line.comps = std::move(merged);
      ResplitRuns(line.comps, runs);
      if (line.comps.size() >= 15) lines.push_back(std::move(line));
    }
    // Try each MRZ shape on consecutive lines; keep the best-fitting.
    struct Choice {
      size_t first = 0;
      int count = 0;
      int length = 0;
      double residual = 1e9;
      std::vector<LineGrid> grids;
    };
    std::optional<Choice> choice;
    for (int count : {3, 2}) {
      for (size_t first = 0; first + count <= lines.size(); ++first) {
        for (int length : count == 3 ? std::vector<int>{30}
                                     : std::vector<int>{44, 36}) {
          Choice c{first, count, length, 0, {}};
          bool ok = true;
          auto acceptable = [](const std::optional<LineGrid>& g) {
            return g && g->residual <= 0.2 &&
                   std::abs(g->pitch / g->cap - 1.1) <= 0.45;
          };
          std::vector<std::optional<LineGrid>> free_fits;
          int ref = -1;
          for (int k = 0; k < count; ++k) {
            free_fits.push_back(FitGrid(lines[first + k].comps, length));
            if (acceptable(free_fits.back()) &&
                (ref < 0 || free_fits.back()->residual < free_fits[ref]->residual)) {
              ref = k;
            }
          }
          if (ref < 0) continue;
          for (int k = 0; k < count && ok; ++k) {
            std::optional<LineGrid> g = free_fits[k];
            if (k != ref && (!acceptable(g) ||
                             std::abs(g->x0 - free_fits[ref]->x0) >
                                 0.6 * free_fits[ref]->pitch)) {
              // Re-fit aligned with the best line's first cell.
              g = FitGrid(lines[first + k].comps, length, free_fits[ref]->x0);
              if (!acceptable(g)) g = BorrowGrid(lines[first + k].comps, *free_fits[ref]);
            }
            if (!acceptable(g)) {
              ok = false;
              break;
            }
            c.residual += g->residual;
            c.grids.push_back(*g);
          }
          if (!ok) continue;
          // Lines of one MRZ share pitch and left edge.
          for (int k = 1; k < count && ok; ++k) {
            if (std::abs(c.grids[k].pitch - c.grids[0].pitch) > 0.06 * c.grids[0].pitch ||
                std::abs(c.grids[k].x0 - c.grids[0].x0) > 1.2 * c.grids[0].pitch) {
              ok = false;
            }
          }
          if (!ok) continue;
          c.residual /= count;
          if (!choice || c.residual < choice->residual - 0.02 ||
              (count == 3 && choice->count == 2 && c.residual < choice->residual + 0.05)) {
            choice = std::move(c);
          }
        }
      }
    }
    if (!choice) return attempt;
    attempt.mrz_like = true;

    // Cut cells and classify.
    cv::Mat padded;
    const int pad = static_cast<int>(kNormCap * 2);
    cv::copyMakeBorder(band.gray, padded, pad, pad, pad, pad,
                       cv::BORDER_REPLICATE);
    std::vector<cv::Mat> features;
    attempt.thumbs.clear();
    for (const LineGrid& g : choice->grids) {
      for (int i = 0; i < g.length; ++i) {
        const double cx = g.Centre(i);
        const double cell_pitch = g.pitch + 2 * g.curve * i;
        const double top = g.top_a + g.top_b * cx;
        const double bottom = g.bottom_a + g.bottom_b * cx;
        const double cap = std::max(4.0, bottom - top);
        const double y0 = top - internal::kCellMargin * cap;
        const double y1 = bottom + internal::kCellMargin * cap;
        cv::Rect cell(static_cast<int>(std::lround(cx - cell_pitch / 2)) + pad,
                      static_cast<int>(std::lround(y0)) + pad,
                      std::max(2, static_cast<int>(std::lround(cell_pitch))),
                      std::max(2, static_cast<int>(std::lround(y1 - y0))));
        cell &= cv::Rect(0, 0, padded.cols, padded.rows);
        attempt.thumbs.push_back(internal::CellThumb(padded(cell)));
        features.push_back(internal::ThumbFeature(attempt.thumbs.back()));
      }
    }
    for (const LineGrid& g : choice->grids) {
      const double left = g.Centre(0) - g.pitch;
      const double right = g.Centre(g.length - 1) + g.pitch;
      const double top = std::min(g.top_a + g.top_b * left, g.top_a + g.top_b * right);
      const double bottom = std::max(g.bottom_a + g.bottom_b * left,
                                     g.bottom_a + g.bottom_b * right);
      const double cap = bottom - top;
      cv::Rect r(static_cast<int>(left) + pad,
                 static_cast<int>(top - 0.5 * cap) + pad,
                 static_cast<int>(right - left),
                 static_cast<int>(2 * cap));
      r &= cv::Rect(0, 0, padded.cols, padded.rows);
      attempt.line_images.push_back(padded(r).clone());
    }
    cv::Mat feature_mat;
    cv::vconcat(features, feature_mat);
    std::vector<CharScores> flat = classifier_->Score(feature_mat);
    double sum_best = 0;
    for (const CharScores& s : flat) {
      sum_best += *std::max_element(s.begin(), s.end());
    }
    attempt.mean_best = sum_best / static_cast<double>(flat.size());
    const int len = choice->length;
    for (int k = 0; k < choice->count; ++k) {
      attempt.scores.emplace_back(flat.begin() + k * len,
                                  flat.begin() + (k + 1) * len);
    }
    MrzFormat format = MrzFormat::kTd1;
    if (choice->count == 2) {
      const CharScores& first = attempt.scores[0][0];
      int best_alpha = 10;
      for (int c = 10; c < 36; ++c) {
        if (first[c] > first[best_alpha]) best_alpha = c;
      }
      const bool visa = internal::kMrzAlphabet[best_alpha] == 'V';
      format = len == 44 ? (visa ? MrzFormat::kMrvA : MrzFormat::kTd3)
                         : (visa ? MrzFormat::kMrvB : MrzFormat::kTd2);
    }
    absl::StatusOr<DecodedMrz> decoded =
        internal::DecodeMrz(format, attempt.scores);
    if (decoded.ok()) {
      attempt.decoded = *decoded;
      absl::StatusOr<ParsedMrz> parsed = ParseMrz(decoded->lines);
      if (parsed.ok()) {
        for (const MrzCheckResult& c : parsed->checks) attempt.passed_checks += c.passed;
      }
    }
    // MRZ box: the grid's outer corners, mapped back to the page.
    const LineGrid& g0 = choice->grids.front();
    const LineGrid& gl = choice->grids.back();
    const double left = g0.Centre(0) - g0.pitch / 2;
    const double right = g0.Centre(g0.length - 1) + g0.pitch / 2;
    const std::array<cv::Point2d, 4> corners = {
        cv::Point2d(left, g0.top_a + g0.top_b * left),
        cv::Point2d(right, g0.top_a + g0.top_b * right),
        cv::Point2d(right, gl.bottom_a + gl.bottom_b * right),
        cv::Point2d(left, gl.bottom_a + gl.bottom_b * left)};
    const cv::Mat& m = band.band_to_page;
    for (int i = 0; i < 4; ++i) {
      attempt.box[i] = cv::Point2f(
          static_cast<float>(m.at<double>(0, 0) * corners[i].x +
                             m.at<double>(0, 1) * corners[i].y + m.at<double>(0, 2)),
          static_cast<float>(m.at<double>(1, 0) * corners[i].x +
                             m.at<double>(1, 1) * corners[i].y + m.at<double>(1, 2)));
    }
    return attempt;
  }

  MrzReadResult Judge(const ReadAttempt& a) {
    tesseract_cache_.clear();
    MrzReadResult result;
    result.box = a.box;
    if (!a.decoded) {
      result.reasons.push_back("undecodable");
      return result;
    }
    DecodedMrz d = *a.decoded;
    if (tesseract_ && std::any_of(d.refused.begin(), d.refused.end(), [](MrzCheck c) {
          return c != MrzCheck::kComposite;
        })) {
      // A field correction was refused as ambiguous: decode again, letting
      // the second recogniser break the tie among corrections that pass the
      // check digit. Such a field never counts as confident (see below).
      internal::DecoderOptions retry;
      retry.tie_breaker = [&](MrzCheck,
                              const std::vector<internal::CorrectionCandidate>& c) {
        return SecondReaderPicks(a, c);
      };
      absl::StatusOr<DecodedMrz> again = internal::DecodeMrz(d.format, a.scores, retry);
      if (again.ok() && !again->tie_broken.empty()) d = *std::move(again);
    }
    absl::StatusOr<ParsedMrz> parsed = ParseMrz(d.lines);
    if (!parsed.ok()) {
      result.reasons.push_back("undecodable");
      return result;
    }
    const absl::CivilDay today =
        options_.today.value_or(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()));
    result.birth_date = ResolveBirthDate(parsed->fields.birth_date, today);
    result.expiry_date = ResolveExpiryDate(parsed->fields.expiry_date, today);

    // Field positions, to turn character confidences into field ones.
    struct Span {
      const char* name;
      int line, from, to;  // [from, to)
      std::optional<MrzCheck> check;
    };
    std::vector<Span> spans;
    const MrzFormat f = parsed->format;
    if (f == MrzFormat::kTd1) {
      spans = {{"document_code", 0, 0, 2, {}},
               {"issuing_state", 0, 2, 5, {}},
               {"document_number", 0, 5, 15, MrzCheck::kDocumentNumber},
               {"optional_data", 0, 15, 30, MrzCheck::kComposite},
               {"birth_date", 1, 0, 7, MrzCheck::kBirthDate},
               {"sex", 1, 7, 8, {}},
               {"expiry_date", 1, 8, 15, MrzCheck::kExpiryDate},
               {"nationality", 1, 15, 18, {}},
               {"optional_data_2", 1, 18, 29, MrzCheck::kComposite},
               {"surname", 2, 0, 30, {}},
               {"given_names", 2, 0, 30, {}}};
    } else {
      const int len = MrzLineLength(f);
      const bool visa = f == MrzFormat::kMrvA || f == MrzFormat::kMrvB;
      spans = {{"document_code", 0, 0, 2, {}},
               {"issuing_state", 0, 2, 5, {}},
               {"surname", 0, 5, len, {}},
               {"given_names", 0, 5, len, {}},
               {"document_number", 1, 0, 10, MrzCheck::kDocumentNumber},
               {"nationality", 1, 10, 13, {}},
               {"birth_date", 1, 13, 20, MrzCheck::kBirthDate},
               {"sex", 1, 20, 21, {}},
               {"expiry_date", 1, 21, 28, MrzCheck::kExpiryDate}};
      if (f == MrzFormat::kTd3) {
        spans.push_back({"optional_data", 1, 28, 43, MrzCheck::kOptionalData});
      } else if (f == MrzFormat::kTd2) {
        spans.push_back({"optional_data", 1, 28, 35, MrzCheck::kComposite});
      } else if (visa) {
        spans.push_back({"optional_data", 1, 28, len, std::nullopt});
      }
    }
    // Field confidence. Uncovered fields: the probability that every
    // character is right (product of character confidences). Fields under
    // a passing check digit: one minus the probability of an error the
    // check cannot see (a same-residue confusion at one position, or two
    // errors that cancel: 1 in 10, or the exact chance for a field whose own
    // check digit ends it, when higher). A check used to correct a field no
    // longer confirms it: corrected fields keep the corrected characters'
    // own confidence unless the composite independently agrees.
    const std::optional<bool> composite = parsed->CheckPassed(MrzCheck::kComposite);
    double overall = 1.0;
    bool uncovered_confident = true;
    bool failing_groups_confident = true;
    for (const Span& s : spans) {
      double product = 1.0, min_p = 1.0, same = 0.0, pairs = 0.0, sum_u = 0.0;
      bool corrected = false;
      int edits = 0;
      for (int i = s.from; i < s.to; ++i) {
        const double p = d.confidence[s.line][i];
        product *= p;
        min_p = std::min(min_p, p);
        same += d.undetectable[s.line][i];
        pairs += sum_u * (1 - p);
        sum_u += 1 - p;
        if (d.corrected[s.line][i]) {
          corrected = true;
          ++edits;
        }
      }
      double conf = product;
      if (s.check.has_value() && *s.check != MrzCheck::kComposite) {
        // The field's own check digit is its last position: two errors
        // escape it when their weighted value differences cancel modulo 10
        // (e.g. 0 read as O at weights 3 and 7). Look-alikes are not random,
        // so the pairs that cancel are counted exactly where that is more
        // than the one in ten assumed for any two errors (never less).
        pairs = std::max(pairs, 10.0 * CancellingPairs(d, s.line, s.from, s.to));
      }
      if (s.check.has_value()) {
        const bool passed = parsed->CheckPassed(*s.check).value_or(false);
        if (passed && !corrected) {
          conf = std::max(product, 1.0 - same - 0.1 * pairs);
        } else if (passed && edits == 1 && composite.value_or(false) &&
                   *s.check != MrzCheck::kComposite) {
          conf = std::max(min_p, std::min(0.95, 1.0 - same - 0.1 * pairs));
        } else if (!passed && min_p < 0.9) {
          failing_groups_confident = false;
        }
      }
      if (conf < options_.min_field_confidence && !s.check.has_value()) {
        // Two independent recognisers agreeing on the field.
        std::string text = d.lines[s.line].substr(s.from, s.to - s.from);
        if (std::string(s.name) == "surname" || std::string(s.name) == "given_names") {
          text = std::string(s.name) == "surname" ? parsed->fields.surname
                                                  : parsed->fields.given_names;
          for (char& c : text) {
            if (c == ' ') c = '<';
          }
        }
        if (text.find_first_not_of('<') == std::string::npos) {
          // All fillers (e.g. no given names): nothing to cross-check;
          // keep the classifier's confidence.
        } else if (SecondReaderAgrees(a, s.line, text)) {
          conf = 1.0 - (1.0 - conf) * 0.05;
        }
      }
      if (s.check.has_value() &&
          std::find(d.tie_broken.begin(), d.tie_broken.end(), *s.check) !=
              d.tie_broken.end()) {
        // The check digit confirms the field but did not choose it alone:
        // never `valid` on that, route to review.
        conf = std::min(conf, 0.5 * options_.min_field_confidence);
        result.reasons.push_back(absl::StrCat("tie_broken:", s.name));
      }
      if (conf < options_.min_field_confidence) {
        uncovered_confident = false;
        result.reasons.push_back(absl::StrCat("low_confidence:", s.name));
      }
      result.field_confidence[s.name] = conf;
      overall = std::min(overall, conf);
    }
    result.confidence = overall;
    for (const MrzCheckResult& c : parsed->checks) {
      if (!c.passed) result.reasons.push_back(absl::StrCat("check:", MrzCheckName(c.check)));
    }
    if (!parsed->issuing_state_known) result.reasons.push_back("unknown_state:issuing_state");
    if (!parsed->nationality_known) result.reasons.push_back("unknown_state:nationality");
    if (!result.birth_date) result.reasons.push_back("implausible:birth_date");
    if (!result.expiry_date) result.reasons.push_back("implausible:expiry_date");
    result.mrz = *parsed;
    if (parsed->valid() && d.refused.empty() && uncovered_confident &&
        parsed->issuing_state_known && parsed->nationality_known &&
        result.birth_date && result.expiry_date) {
      result.verdict = MrzVerdict::kValid;
    } else if (uncovered_confident && failing_groups_confident) {
      // We trust what we read: the document itself does not add up.
      result.verdict = MrzVerdict::kInvalid;
    } else {
      result.verdict = MrzVerdict::kUnreadable;
    }
    return result;
  }

  // Probability that two positions of the check-digit group [from, to) of
  // `line` (data positions weighted 7, 3, 1, ..., the check digit last)
  // are both misread in ways whose weighted differences cancel modulo 10.
  static double CancellingPairs(const DecodedMrz& d, int line, int from, int to) {
    static constexpr int kWeights[3] = {7, 3, 1};
    std::vector<std::array<double, 10>> weighted;
    for (int i = from; i < to; ++i) {
      // A difference e at the check digit escapes when the data's weighted
      // differences add up to e: it acts as weight -1 (9 modulo 10).
      const int w = i == to - 1 ? 9 : kWeights[(i - from) % 3];
      std::array<double, 10> m{};
      for (int r = 1; r < 10; ++r) m[(r * w) % 10] += d.residue_mass[line][i][r];
      weighted.push_back(m);
    }
    double p = 0;
    for (size_t i = 0; i < weighted.size(); ++i) {
      for (size_t j = i + 1; j < weighted.size(); ++j) {
        for (int r = 1; r < 10; ++r) p += weighted[i][r] * weighted[j][10 - r];
      }
    }
    return p;
  }

  // Text of MRZ line `line` read by the second recogniser (cached per
  // Judge); empty when there is none.
  const std::string& SecondReading(const ReadAttempt& a, int line) {
    static const std::string kNone;
    if (!tesseract_ || line < 0 || line >= static_cast<int>(a.line_images.size())) {
      return kNone;
    }
    auto& cache = tesseract_cache_;
    if (cache.size() != a.line_images.size()) cache.assign(a.line_images.size(), std::nullopt);
    if (!cache[line]) {
      absl::StatusOr<std::string> text = tesseract_->ReadLine(a.line_images[line]);
      cache[line] = text.ok() ? *text : std::string();
    }
    return *cache[line];
  }

  // The one correction candidate the second recogniser supports around the
  // edits (the union of every candidate's edited positions, two more each
  // side, every character among its alternatives with some confidence);
  // -1 when none or several are.
  int SecondReaderPicks(const ReadAttempt& a,
                        const std::vector<internal::CorrectionCandidate>& candidates) {
    if (candidates.empty()) return -1;
    const int line = candidates.front().line;
    int lo = 1 << 20, hi = -1;
    for (const internal::CorrectionCandidate& c : candidates) {
      if (c.line != line || c.positions.empty()) return -1;
      for (int p : c.positions) {
        lo = std::min(lo, p);
        hi = std::max(hi, p);
      }
    }
    const int len = static_cast<int>(candidates.front().lines[line].size());
    lo = std::max(0, lo - 2);
    hi = std::min(len - 1, hi + 2);
    if (hi - lo + 1 < 5) return -1;
    if (!tesseract_ || line >= static_cast<int>(a.line_images.size())) return -1;
    absl::StatusOr<std::vector<internal::TesseractLineReader::Symbol>> symbols =
        tesseract_->ReadLineSymbols(a.line_images[line]);
    if (!symbols.ok()) return -1;
    const int n = static_cast<int>(symbols->size());
    // A candidate is supported when, at some offset, every character of its
    // window is among the second recogniser's alternatives for the aligned
    // symbol with a confidence of at least kMinSupport (of 100): Tesseract
    // lists nearly every look-alike, mostly at 0.
    constexpr float kMinSupport = 30;
    auto supported = [&](const std::string& cand) {
      const int w = hi - lo + 1;
      for (int off = 0; off + w <= n; ++off) {
        bool all = true;
        for (int k = 0; k < w && all; ++k) {
          const auto& sym = (*symbols)[off + k];
          const size_t at = sym.alternatives.find(cand[lo + k]);
          all = at != std::string::npos && sym.confidences[at] >= kMinSupport;
        }
        if (all) return true;
      }
      return false;
    };
    int chosen = -1;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!supported(candidates[i].lines[line])) continue;
      if (chosen >= 0) return -1;  // Two candidates supported: no tie broken.
      chosen = static_cast<int>(i);
    }
    return chosen;
  }

  // Whether every token of `field` (split at fillers) appears in the
  // second recogniser's reading of its line.
  bool SecondReaderAgrees(const ReadAttempt& a, int line,
                          const std::string& field) {
    const std::string& text = SecondReading(a, line);
    if (text.empty()) return false;
    bool any = false;
    size_t start = 0;
    while (start < field.size()) {
      size_t end = field.find('<', start);
      if (end == std::string::npos) end = field.size();
      if (end > start) {
        any = true;
        if (text.find(field.substr(start, end - start)) == std::string::npos) return false;
      }
      start = end + 1;
    }
    return any;
  }

  std::unique_ptr<GlyphClassifier> classifier_;
  std::unique_ptr<internal::TesseractLineReader> tesseract_;
  std::vector<std::optional<std::string>> tesseract_cache_;
  MrzReaderOptions options_;
};

}  // namespace

SecondRecogniser ResolveSecondRecogniser(const MrzReaderOptions& options) {
  if (!options.tesseract_language.empty()) {
    return {options.tessdata_dir, options.tesseract_language};
  }
  // The project's MRZ model (models/mrz/tesseract/mrz.traineddata): it reads
  // the reader's own line crops far better than Debian's eng
  // (models/mrz/tesseract/README.md, docs/ocr.md).
  constexpr char kModel[] = "mrz";
  std::filesystem::path dir = options.tessdata_dir;
  if (dir.empty() && !options.glyph_model.empty()) {
    dir = std::filesystem::path(options.glyph_model).parent_path() / "tesseract";
  }
  std::error_code ec;
  if (!dir.empty() &&
      std::filesystem::is_regular_file(dir / (std::string(kModel) + ".traineddata"), ec)) {
    return {dir.string(), kModel};
  }
  return {options.tessdata_dir, "eng"};
}

absl::StatusOr<std::unique_ptr<MrzReader>> MrzReader::Create(
    const MrzReaderOptions& options) {
  absl::StatusOr<std::unique_ptr<GlyphClassifier>> classifier;
  if (options.glyph_model.empty()) {
    classifier = GlyphClassifier::Create(options.ocr_b_font);
  } else {
    absl::StatusOr<std::vector<internal::GlyphSample>> samples =
        internal::LoadGlyphModel(options.glyph_model);
    if (!samples.ok()) {
      return absl::FailedPreconditionError(samples.status().message());
    }
    classifier = GlyphClassifier::FromSamples(*samples);
  }
  if (!classifier.ok()) return classifier.status();
  std::unique_ptr<internal::TesseractLineReader> tesseract;
  if (options.use_tesseract) {
    const SecondRecogniser second = ResolveSecondRecogniser(options);
    auto t = internal::TesseractLineReader::Create(second.tessdata_dir, second.language);
    if (!t.ok()) return t.status();
    tesseract = *std::move(t);
  }
  return std::make_unique<MrzReaderImpl>(*std::move(classifier),
                                         std::move(tesseract), options);
}

}  // namespace vouch::ocr

namespace vouch::ocr::internal {

namespace {

// The reader's attempt on `page` that agrees best with `truth` (its lines
// concatenated into *truth_flat), when it agrees on at least half of the
// characters; nullopt otherwise.
std::optional<ReadAttempt> BestLabelledAttempt(MrzReader& reader, const cv::Mat& page,
                                               const std::vector<std::string>& truth,
                                               std::string* truth_flat) {
  auto* impl = dynamic_cast<MrzReaderImpl*>(&reader);
  if (impl == nullptr || page.empty() || page.depth() != CV_8U || truth.empty()) {
    return std::nullopt;
  }
  truth_flat->clear();
  for (const std::string& l : truth) *truth_flat += l;
  std::optional<ReadAttempt> best;
  size_t best_agree = 0;
  try {
    best = impl->BestAttemptFor(page, *truth_flat, best_agree);
  } catch (const cv::Exception&) {
    return std::nullopt;
  }
  if (!best || best_agree * 2 < truth_flat->size()) return std::nullopt;
  return best;
}

}  // namespace

std::vector<GlyphSample> CollectLabelledCells(
    MrzReader& reader, const cv::Mat& page,
    const std::vector<std::string>& truth) {
  std::string truth_flat;
  const std::optional<ReadAttempt> best = BestLabelledAttempt(reader, page, truth, &truth_flat);
  if (!best) return {};
  std::vector<GlyphSample> out;
  for (size_t i = 0; i < truth_flat.size(); ++i) {
    out.push_back({MrzIndex(truth_flat[i]), best->thumbs[i]});
  }
  return out;
}

std::vector<LabelledLine> CollectLabelledLines(
    MrzReader& reader, const cv::Mat& page,
    const std::vector<std::string>& truth, double min_line_agreement) {
  std::string truth_flat;
  const std::optional<ReadAttempt> best = BestLabelledAttempt(reader, page, truth, &truth_flat);
  if (!best || best->line_images.size() != truth.size() ||
      best->decoded->lines.size() != truth.size()) {
    return {};
  }
  std::vector<LabelledLine> out;
  for (size_t k = 0; k < truth.size(); ++k) {
    const std::string& read = best->decoded->lines[k];
    if (read.size() != truth[k].size() || best->line_images[k].empty()) continue;
    size_t n = 0;
    for (size_t i = 0; i < read.size(); ++i) n += read[i] == truth[k][i];
    if (static_cast<double>(n) < min_line_agreement * static_cast<double>(read.size())) {
      continue;  // The grid is likely off by a cell: the crop may miss a glyph.
    }
    out.push_back({truth[k], best->line_images[k]});
  }
  return out;
}

}  // namespace vouch::ocr::internal
