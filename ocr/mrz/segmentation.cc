#include "mrz/segmentation.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "mrz/glyph_classifier.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

// Stage 1 (page scale): components of at least kCoarseMinArea pixels, at
// least kCoarseMinHeight high, under kCoarseMaxHeightShare of the band and
// narrower than kCoarseMaxAspect heights count as glyphs; an MRZ has at
// least kMinCoarseGlyphs of them. The local threshold block is a third of
// the band height, at least kCoarseMinBlock.
constexpr int kCoarseMinArea = 4;
constexpr int kCoarseMinHeight = 4;
constexpr double kCoarseMaxHeightShare = 0.6;
constexpr double kCoarseMaxAspect = 1.5;
constexpr size_t kMinCoarseGlyphs = 20;
constexpr int kCoarseMinBlock = 15;
// Stage 2 (normalised): components of at least kNormMinArea pixels.
constexpr int kNormMinArea = 6;
// Row clustering: glyph centres are counted over ±kRowWindowShare of a cap;
// a line needs a smoothed count of kMinRowCount, and lines are at least
// kMinLineGapShare caps apart; a component belongs to a line within
// kLineBandShare caps of its row; a line keeps kMinLineComponents.
constexpr double kRowWindowShare = 1.0 / 3;
constexpr int kMinRowCount = 12;
constexpr double kMinLineGapShare = 0.9;
constexpr double kLineBandShare = 0.6;
constexpr size_t kMinLineComponents = 15;
// Pieces of one glyph overlapping in x (by more than kMergeOverlapPx) with
// centres closer than kMergeShare caps are merged.
constexpr int kMergeOverlapPx = 2;
constexpr double kMergeShare = 0.35;
// A fitted grid is acceptable with a residual of at most kMaxGridResidual
// and a pitch of kUsualPitchShare ± kPitchTolerance caps; lines of one MRZ
// differ in pitch by at most kMaxPitchSpread and in left edge by at most
// kMaxLeftEdgeShift pitches; a line is re-fitted anchored on the best one
// when it starts more than kReanchorShift pitches away.
constexpr double kMaxGridResidual = 0.2;
constexpr double kUsualPitchShare = 1.1;
constexpr double kPitchTolerance = 0.45;
constexpr double kMaxPitchSpread = 0.06;
constexpr double kMaxLeftEdgeShift = 1.2;
constexpr double kReanchorShift = 0.6;
// A shape must fit better by kShapeResidualMargin to replace the current
// choice; a three-line shape wins within kThreeLineBonus.
constexpr double kShapeResidualMargin = 0.02;
constexpr double kThreeLineBonus = 0.05;

// Least squares y = a + b x.
std::pair<double, double> FitLine(const std::vector<double>& x, const std::vector<double>& y) {
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

// A page photographed bent (an open passport) curves its
// lines, so the straight cap line and baseline FitLine fits leave the
// glyphs at both ends (or in the middle) beyond the cells: the cells cut
// the glyphs off-centre (mrz_real td3_aus_citizen_photo: glyphs 0.4 cap
// off at both ends, fillers read as `W`). Fits a common parabola
// bend * (x - centre)^2 to the glyph tops' and bottoms' residuals from
// their straight lines (`g`'s, refitted with it), and keeps it only when
// its sag over the line reaches kMinBendSagCaps of `cap` and it explains
// the residuals (the straight fit's residuals drop by kMinBendGain): a
// straight line keeps bend 0.
constexpr double kMinBendSagCaps = 0.15;
constexpr double kMinBendGain = 0.3;
constexpr size_t kMinBendSamples = 12;

void FitBend(LineGrid& g, const std::vector<double>& tx, const std::vector<double>& ty,
             const std::vector<double>& by, double cap) {
  if (tx.size() < kMinBendSamples || cap <= 0) return;
  const double lo = *std::min_element(tx.begin(), tx.end());
  const double hi = *std::max_element(tx.begin(), tx.end());
  const double centre = (lo + hi) / 2;
  // Least squares of tops and bottoms, each a straight line of its own
  // plus a shared bend * (x - centre)^2.
  cv::Mat A(static_cast<int>(2 * tx.size()), 5, CV_64F);
  cv::Mat y(static_cast<int>(2 * tx.size()), 1, CV_64F);
  double straight = 0;
  for (size_t k = 0; k < tx.size(); ++k) {
    for (int side = 0; side < 2; ++side) {
      const int row = static_cast<int>(2 * k) + side;
      const double q = (tx[k] - centre) * (tx[k] - centre);
      A.at<double>(row, 0) = side == 0 ? 1 : 0;
      A.at<double>(row, 1) = side == 1 ? 1 : 0;
      A.at<double>(row, 2) = side == 0 ? tx[k] : 0;
      A.at<double>(row, 3) = side == 1 ? tx[k] : 0;
      A.at<double>(row, 4) = q;
      y.at<double>(row) = side == 0 ? ty[k] : by[k];
      const double line = side == 0 ? g.top_a + g.top_b * tx[k] : g.bottom_a + g.bottom_b * tx[k];
      straight += std::abs(y.at<double>(row) - line);
    }
  }
  cv::Mat sol;
  if (!cv::solve(A, y, sol, cv::DECOMP_SVD)) return;
  const double bend = sol.at<double>(4);
  const double half = (hi - lo) / 2;
  if (std::abs(bend) * half * half < kMinBendSagCaps * cap) return;
  double curved = 0;
  for (int row = 0; row < A.rows; ++row) {
    double fit = 0;
    for (int c = 0; c < A.cols; ++c) fit += A.at<double>(row, c) * sol.at<double>(c);
    curved += std::abs(y.at<double>(row) - fit);
  }
  if (curved > (1 - kMinBendGain) * straight) return;
  g.top_a = sol.at<double>(0);
  g.bottom_a = sol.at<double>(1);
  g.top_b = sol.at<double>(2);
  g.bottom_b = sol.at<double>(3);
  g.bend = bend;
  g.bend_x = centre;
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

// Fits a fixed-pitch grid of `length` cells to the components of a line:
// pitch from the median spacing, phase from the circular mean, then
// least-squares refinement with outlier rejection; the window of `length`
// cells holding the most components wins.
std::optional<LineGrid> FitGrid(const std::vector<Component>& comps, int length,
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
    const double dist = anchor ? std::abs(phase + start * pitch - *anchor) : 0.0;
    const bool better = anchor ? (count >= length * 0.8 && dist < best_dist) : count > best_count;
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
  std::nth_element(centres.begin(), centres.begin() + centres.size() / 2, centres.end());
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
  FitBend(g, tx, ty, by, cap);
  return g;
}

// A line whose glyphs touch (blur, heavy ink) has too few separate
// components for FitGrid. Lines of one MRZ share pitch, left edge and
// perspective, so such a line borrows `ref`'s horizontal grid and fits only
// its own cap line and baseline. Accepted when ink covers nearly every
// cell and no glyph-high ink continues right before or after the grid.
std::optional<LineGrid> BorrowGrid(const std::vector<Component>& comps, const LineGrid& ref) {
  if (comps.size() < 10) return std::nullopt;
  LineGrid g = ref;
  const double left = g.Centre(0) - 0.5 * g.pitch;
  const double right = g.Centre(g.length - 1) + 0.5 * g.pitch;
  std::vector<bool> covered(g.length, false);
  std::vector<double> tx, ty, by;
  for (const Component& c : comps) {
    const bool glyph_high = c.box.height >= 0.7 * ref.cap && c.box.height <= 1.3 * ref.cap;
    if (c.cx() < left - 0.2 * g.pitch || c.cx() > right + 0.2 * g.pitch) {
      // Ink just outside the grid: the line is longer, or not this MRZ.
      if (glyph_high && (c.cx() > left - 1.5 * g.pitch && c.cx() < right + 1.5 * g.pitch)) {
        return std::nullopt;
      }
      continue;
    }
    for (int i = 0; i < g.length; ++i) {
      const double x = g.Centre(i);
      covered[i] = covered[i] ||
                   (x >= c.box.x - 0.25 * g.pitch && x <= c.box.x + c.box.width + 0.25 * g.pitch);
    }
    if (glyph_high) {
      tx.push_back(c.cx());
      ty.push_back(c.box.y);
      by.push_back(c.box.y + c.box.height);
    }
  }
  const int n_covered = static_cast<int>(std::count(covered.begin(), covered.end(), true));
  if (!covered.front() || !covered.back() || n_covered < g.length * 0.95 || tx.size() < 5) {
    return std::nullopt;
  }
  std::tie(g.top_a, g.top_b) = FitLine(tx, ty);
  std::tie(g.bottom_a, g.bottom_b) = FitLine(tx, by);
  g.bend = 0;  // Borrowed from `ref`: this line's own fit decides.
  FitBend(g, tx, ty, by, ref.cap);
  // Not a fit of its own: rank it behind lines that fit by themselves.
  g.residual = std::max(ref.residual, 0.15);
  return g;
}
// Glyph components of the normalised band (sizes in caps, kNormCap): at
// most kMaxGlyphHeight high; specks under kMinSpeckSize both ways are
// dropped; wider than kMaxGlyphWidth is a rule (thinner than
// kMaxRuleHeight), a run of touching glyphs (kMinGlyphRunHeight to
// kMaxGlyphRunHeight high, at most kMaxGlyphRunWidth wide; a glyph is
// kGlyphWidthShare wide) or a run of touching fillers (split every
// kFillerPitchShare); nothing wider than kMaxRunWidth is kept.
constexpr double kMaxGlyphHeight = 1.6;
constexpr double kMinSpeckSize = 0.2;
constexpr double kMaxGlyphWidth = 1.4;
constexpr double kMaxRuleHeight = 0.3;
constexpr double kMaxRunWidth = 45;
constexpr double kMinGlyphRunHeight = 0.9;
constexpr double kMaxGlyphRunHeight = 1.3;
constexpr double kMaxGlyphRunWidth = 6;
constexpr double kGlyphWidthShare = 0.75;
constexpr double kFillerPitchShare = 0.95;

// Glyph-like components of the normalised band's binary image `bin`:
// printed rules dropped, runs of touching fillers and glyph-high runs of
// touching glyphs split into cells (`runs` gets the latter's boxes).
std::vector<Component> GlyphComponents(const cv::Mat& bin, std::vector<cv::Rect>& runs) {
  std::vector<Component> glyphs;
  for (const Component& c : Components(bin, kNormMinArea)) {
    if (c.box.height > kNormCap * kMaxGlyphHeight) continue;
    if (c.box.height < kNormCap * kMinSpeckSize && c.box.width < kNormCap * kMinSpeckSize) continue;
    if (c.box.width > kNormCap * kMaxGlyphWidth) {
      // A printed rule or border line: far thinner than a filler.
      if (c.box.height < kNormCap * kMaxRuleHeight) continue;
      if (c.box.width > kNormCap * kMaxRunWidth) continue;
      if (c.box.height > kNormCap * kMinGlyphRunHeight) {
        // Glyphs that touch (blur, heavy ink): a glyph-high run of a few
        // glyphs is split at the usual pitch (~1.1 cap; a glyph is ~0.75
        // cap wide), so the line keeps a component per cell.
        if (c.box.height > kNormCap * kMaxGlyphRunHeight ||
            c.box.width > kNormCap * kMaxGlyphRunWidth) {
          continue;
        }
        const int n = 1 + static_cast<int>(std::lround((c.box.width - kGlyphWidthShare * kNormCap) /
                                                       (kUsualPitchShare * kNormCap)));
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
      const int n =
          std::max(2, static_cast<int>(std::lround(c.box.width / (kNormCap * kFillerPitchShare))));
      for (int k = 0; k < n; ++k) {
        const int x0 = c.box.x + c.box.width * k / n;
        const int x1 = c.box.x + c.box.width * (k + 1) / n;
        glyphs.push_back({cv::Rect(x0, c.box.y, std::max(1, x1 - x0), c.box.height)});
      }
      continue;
    }
    glyphs.push_back(c);
  }
  return glyphs;
}

// Rows (y in a band of `rows` pixels) where glyph centres cluster: the
// middle of the highest plateau of each run of rows with glyph centres
// (smoothed over a third of a cap), splitting runs where the count drops
// below half.
std::vector<int> LineRows(const std::vector<Component>& glyphs, int rows) {
  std::vector<int> row_hist(rows, 0);
  for (const Component& c : glyphs) {
    const int y = static_cast<int>(c.cy());
    if (y >= 0 && y < rows) ++row_hist[y];
  }
  const int win = static_cast<int>(kNormCap * kRowWindowShare);
  std::vector<int> smooth(rows, 0);
  for (int y = 0; y < rows; ++y) {
    for (int d = -win; d <= win; ++d) {
      if (y + d >= 0 && y + d < rows) smooth[y] += row_hist[y + d];
    }
  }
  std::vector<int> peaks;
  int y = 0;
  while (y < rows) {
    if (smooth[y] < kMinRowCount) {
      ++y;
      continue;
    }
    int run_end = y;
    int best = smooth[y];
    while (run_end < rows && smooth[run_end] >= kMinRowCount && smooth[run_end] * 2 >= best) {
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
    if (peaks.empty() || peak - peaks.back() > kNormCap * kMinLineGapShare) {
      peaks.push_back(peak);
    }
    // Skip the falling tail of this line.
    while (run_end < rows && smooth[run_end] >= kMinRowCount &&
           smooth[run_end] <= smooth[run_end - 1]) {
      ++run_end;
    }
    y = run_end;
  }
  return peaks;
}

// The components of each row of `peaks` (sorted by x, pieces of one glyph
// merged, runs re-split at the line's own pitch); rows with too few
// components are dropped.
std::vector<std::vector<Component>> GroupLines(const std::vector<Component>& glyphs,
                                               const std::vector<int>& peaks,
                                               const std::vector<cv::Rect>& runs) {
  std::vector<std::vector<Component>> lines;
  for (int p : peaks) {
    std::vector<Component> comps;
    for (const Component& c : glyphs) {
      if (std::abs(c.cy() - p) < kNormCap * kLineBandShare) comps.push_back(c);
    }
    std::sort(comps.begin(), comps.end(),
              [](const Component& a, const Component& b) { return a.cx() < b.cx(); });
    // Merge pieces of one glyph (overlapping in x).
    std::vector<Component> merged;
    for (const Component& c : comps) {
      if (!merged.empty() &&
          c.box.x < merged.back().box.x + merged.back().box.width - kMergeOverlapPx &&
          c.cx() - merged.back().cx() < kNormCap * kMergeShare) {
        merged.back().box |= c.box;
      } else {
        merged.push_back(c);
      }
    }
    ResplitRuns(merged, runs);
    if (merged.size() >= kMinLineComponents) lines.push_back(std::move(merged));
  }
  return lines;
}

bool AcceptableGrid(const std::optional<LineGrid>& g) {
  return g && g->residual <= kMaxGridResidual &&
         std::abs(g->pitch / g->cap - kUsualPitchShare) <= kPitchTolerance;
}

// Grids for `count` lines of `length` cells starting at lines[first], with
// their mean residual; nullopt when a line does not fit or the lines do not
// share pitch and left edge.
std::optional<std::pair<double, MrzGrid>> FitShape(const std::vector<std::vector<Component>>& lines,
                                                   size_t first, int count, int length) {
  MrzGrid shape{count, length, {}};
  double residual = 0;
  std::vector<std::optional<LineGrid>> free_fits;
  int ref = -1;
  for (int k = 0; k < count; ++k) {
    free_fits.push_back(FitGrid(lines[first + k], length));
    if (AcceptableGrid(free_fits.back()) &&
        (ref < 0 || free_fits.back()->residual < free_fits[ref]->residual)) {
      ref = k;
    }
  }
  if (ref < 0) return std::nullopt;
  for (int k = 0; k < count; ++k) {
    std::optional<LineGrid> g = free_fits[k];
    if (k != ref && (!AcceptableGrid(g) || std::abs(g->x0 - free_fits[ref]->x0) >
                                               kReanchorShift * free_fits[ref]->pitch)) {
      // Re-fit aligned with the best line's first cell.
      g = FitGrid(lines[first + k], length, free_fits[ref]->x0);
      if (!AcceptableGrid(g)) g = BorrowGrid(lines[first + k], *free_fits[ref]);
    }
    if (!AcceptableGrid(g)) return std::nullopt;
    residual += g->residual;
    shape.grids.push_back(*g);
  }
  // Lines of one MRZ share pitch and left edge.
  for (int k = 1; k < count; ++k) {
    if (std::abs(shape.grids[k].pitch - shape.grids[0].pitch) >
            kMaxPitchSpread * shape.grids[0].pitch ||
        std::abs(shape.grids[k].x0 - shape.grids[0].x0) >
            kMaxLeftEdgeShift * shape.grids[0].pitch) {
      return std::nullopt;
    }
  }
  return std::make_pair(residual / count, std::move(shape));
}

}  // namespace

std::vector<Component> Components(const cv::Mat& binary, int min_area) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8, CV_32S);
  std::vector<Component> out;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < min_area) continue;
    out.push_back(
        {cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                  stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT))});
  }
  return out;
}

cv::Mat Binarize(const cv::Mat& gray, int block) {
  cv::Mat bin;
  block = std::max(3, block | 1);
  cv::adaptiveThreshold(gray, bin, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY_INV, block,
                        12);
  return bin;
}

// Candidate MRZ bands (rotated rectangles in `gray`'s coordinates), most
// likely first: dense rows of dark, evenly spaced glyphs merged by
std::optional<double> EstimateCapHeight(const cv::Mat& coarse_gray) {
  const int block = std::max(kCoarseMinBlock, coarse_gray.rows / 3);
  std::vector<double> heights;
  for (const Component& c : Components(Binarize(coarse_gray, block), kCoarseMinArea)) {
    if (c.box.height >= kCoarseMinHeight &&
        c.box.height < coarse_gray.rows * kCoarseMaxHeightShare &&
        c.box.width < c.box.height * kCoarseMaxAspect) {
      heights.push_back(c.box.height);
    }
  }
  if (heights.size() < kMinCoarseGlyphs) return std::nullopt;
  std::sort(heights.begin(), heights.end());
  return heights[heights.size() * 3 / 4];
}

std::optional<MrzGrid> SegmentMrz(const cv::Mat& band_gray) {
  const cv::Mat bin = Binarize(band_gray, static_cast<int>(kNormCap * 2) + 1);
  std::vector<cv::Rect> runs;  // Glyph-high runs of touching glyphs.
  const std::vector<Component> glyphs = GlyphComponents(bin, runs);
  const std::vector<std::vector<Component>> lines =
      GroupLines(glyphs, LineRows(glyphs, band_gray.rows), runs);
  // Try each MRZ shape on consecutive lines; keep the best-fitting.
  std::optional<MrzGrid> choice;
  double choice_residual = 1e9;
  for (int count : {3, 2}) {
    for (size_t first = 0; first + count <= lines.size(); ++first) {
      for (int length : count == 3 ? std::vector<int>{30} : std::vector<int>{44, 36}) {
        std::optional<std::pair<double, MrzGrid>> fit = FitShape(lines, first, count, length);
        if (!fit) continue;
        const double residual = fit->first;
        if (!choice || residual < choice_residual - kShapeResidualMargin ||
            (count == 3 && choice->count == 2 && residual < choice_residual + kThreeLineBonus)) {
          choice = std::move(fit->second);
          choice_residual = residual;
        }
      }
    }
  }
  return choice;
}

bool CellCut(const LineGrid& g, int i, int rows) {
  const double cx = g.Centre(i);
  const double top = g.Top(cx);
  const double bottom = g.Bottom(cx);
  const double margin = kCellMargin * std::max(0.0, bottom - top);
  return top - margin < 0 || bottom + margin > rows - 1;
}

bool GridCut(const MrzGrid& grid, int rows) {
  for (const LineGrid& g : grid.grids) {
    // Cap line and baseline are straight: the end cells are the extremes.
    if (g.length > 0 && (CellCut(g, 0, rows) || CellCut(g, g.length - 1, rows))) return true;
  }
  return false;
}

std::vector<std::vector<float>> ForeignInkReach(const cv::Mat& band_gray, const MrzGrid& grid) {
  // The glyph is looked for in the cell's core: the middle of the cell
  // horizontally (kForeignInkCoreWidth of the pitch, so a neighbour's
  // glyph does not count) and between the cap line and the baseline, kept
  // kForeignInkCoreInset of a cap inside them.
  constexpr double kForeignInkCoreWidth = 0.6;
  constexpr double kForeignInkCoreInset = 0.15;
  const cv::Mat bin = Binarize(band_gray, static_cast<int>(kNormCap * 2) + 1);
  cv::Mat labels, stats, centroids;
  cv::connectedComponentsWithStats(bin, labels, stats, centroids, 8, CV_32S);
  std::vector<std::vector<float>> reach;
  for (const LineGrid& g : grid.grids) {
    std::vector<float>& line = reach.emplace_back(g.length, 0.f);
    for (int i = 0; i < g.length; ++i) {
      const double cx = g.Centre(i);
      const double pitch = g.pitch + 2 * g.curve * i;
      const double top = g.Top(cx);
      const double bottom = g.Bottom(cx);
      const double cap = bottom - top;
      if (cap <= 0) continue;
      const cv::Rect core =
          cv::Rect(static_cast<int>(std::lround(cx - kForeignInkCoreWidth * pitch / 2)),
                   static_cast<int>(std::lround(top + kForeignInkCoreInset * cap)),
                   static_cast<int>(std::lround(kForeignInkCoreWidth * pitch)),
                   static_cast<int>(std::lround((1 - 2 * kForeignInkCoreInset) * cap))) &
          cv::Rect(0, 0, labels.cols, labels.rows);
      // A cell the band's edge cuts (the cell and its margin not inside
      // the band): the glyph may not be all there.
      if (CellCut(g, i, labels.rows)) {
        line[i] = kCutCellReach;
        continue;
      }
      double most = 0;
      std::vector<int> seen;
      for (int y = core.y; y < core.y + core.height; ++y) {
        const int* row = labels.ptr<int>(y);
        for (int x = core.x; x < core.x + core.width; ++x) {
          const int l = row[x];
          if (l == 0 || std::find(seen.begin(), seen.end(), l) != seen.end()) continue;
          seen.push_back(l);
          const double above = top - stats.at<int>(l, cv::CC_STAT_TOP);
          const double below =
              stats.at<int>(l, cv::CC_STAT_TOP) + stats.at<int>(l, cv::CC_STAT_HEIGHT) - bottom;
          most = std::max({most, above / cap, below / cap});
        }
      }
      line[i] = static_cast<float>(most);
    }
  }
  return reach;
}

}  // namespace vouch::ocr::internal
