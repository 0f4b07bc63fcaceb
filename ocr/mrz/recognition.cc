#include "mrz/recognition.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "mrz/band_locator.h"
#include "mrz/segmentation.h"
#include "ocr/mrz.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

// The band is scaled so glyphs are kNormCap high, by a factor within
// [kMinNormScale, kMaxNormScale].
constexpr double kMinNormScale = 0.3;
constexpr double kMaxNormScale = 5.0;
// Bound the work on hostile or odd inputs: an MRZ line of 44 glyphs at
// kNormCap is about 1,100 px; nothing sensible needs kMaxBandLengthPx.
constexpr double kMaxBandLengthPx = 4000;
constexpr double kMaxBandHeightPx = 2000;
// Margin around the located band, in cap heights (page scale).
constexpr double kBandMarginCaps = 2.4;
// The margin of the second cut when a line of the first
// reaches the band's edge (GridCut).
constexpr double kWideBandMarginCaps = 4.0;
// LineMayContinue: the share of the next cell's core (the
// middle kNextCellCoreWidth of a pitch, kNextCellCoreHeight of the cap
// height) that must be ink for the line to go on. A filler `<` covers
// about a third of it, blank paper next to nothing after the adaptive
// binarisation.
constexpr double kNextCellCoreWidth = 0.7;
constexpr double kNextCellCoreHeight = 0.7;
constexpr double kContinuingInkShare = 0.1;
// Cells are cut from the band padded by this many caps on every side.
constexpr double kCellPadCaps = 2;
// Smallest cell cap (pixels) and cell side.
constexpr double kMinCellCap = 4.0;
constexpr int kMinCellSide = 2;
// A line image spans a pitch beyond its end cells and half a cap above and
// below the glyphs (what the second recogniser was trained on).
constexpr double kLineImageMarginCaps = 0.5;

// The band's corners in page coordinates: the outer corners of the first
// and last lines' grids.
std::array<cv::Point2f, 4> BoxOnPage(const MrzGrid& shape, const cv::Mat& band_to_page) {
  const LineGrid& g0 = shape.grids.front();
  const LineGrid& gl = shape.grids.back();
  const double left = g0.Centre(0) - g0.pitch / 2;
  const double right = g0.Centre(g0.length - 1) + g0.pitch / 2;
  const std::array<cv::Point2d, 4> corners = {
      cv::Point2d(left, g0.Top(left)), cv::Point2d(right, g0.Top(right)),
      cv::Point2d(right, gl.Bottom(right)), cv::Point2d(left, gl.Bottom(left))};
  const cv::Mat& m = band_to_page;
  std::array<cv::Point2f, 4> box;
  for (int i = 0; i < 4; ++i) {
    box[i] =
        cv::Point2f(static_cast<float>(m.at<double>(0, 0) * corners[i].x +
                                       m.at<double>(0, 1) * corners[i].y + m.at<double>(0, 2)),
                    static_cast<float>(m.at<double>(1, 0) * corners[i].x +
                                       m.at<double>(1, 1) * corners[i].y + m.at<double>(1, 2)));
  }
  return box;
}

// A two-line MRZ is a visa when its first character reads best as 'V'
// among the letters; the line length tells TD3/MRV-A from TD2/MRV-B.
MrzFormat FormatOf(const MrzGrid& shape, const std::vector<std::vector<CharScores>>& scores) {
  if (shape.count != 2) return MrzFormat::kTd1;
  const CharScores& first = scores[0][0];
  int best_alpha = MrzIndex('A');
  for (int c = MrzIndex('A'); c <= MrzIndex('Z'); ++c) {
    if (first[c] > first[best_alpha]) best_alpha = c;
  }
  const bool visa = kMrzAlphabet[best_alpha] == 'V';
  return shape.length == MrzLineLength(MrzFormat::kTd3)
             ? (visa ? MrzFormat::kMrvA : MrzFormat::kTd3)
             : (visa ? MrzFormat::kMrvB : MrzFormat::kTd2);
}

}  // namespace

// Whether a line of `grid` (in `band_gray`) may go on past
// its last cell: the cell after it lies outside the band, or its core holds
// ink. An MRV-A's lines cut after 36 cells read as an MRV-B whose every
// check passes (the two share every field and check position up to there,
// and neither has a composite): docgen photo seed 9233, a glare band over
// the fillers, the band located on the first 36 columns, `valid`.
bool LineMayContinue(const cv::Mat& band_gray, const MrzGrid& grid) {
  const cv::Mat bin = Binarize(band_gray, static_cast<int>(kNormCap * 2) + 1);
  for (const LineGrid& g : grid.grids) {
    const double cx = g.Centre(g.length);
    const double pitch = g.pitch + 2 * g.curve * g.length;
    const double top = g.Top(cx), bottom = g.Bottom(cx);
    const double cap = bottom - top;
    const cv::Rect core(static_cast<int>(std::lround(cx - kNextCellCoreWidth * pitch / 2)),
                        static_cast<int>(std::lround(top + (1 - kNextCellCoreHeight) * cap / 2)),
                        std::max(1, static_cast<int>(std::lround(kNextCellCoreWidth * pitch))),
                        std::max(1, static_cast<int>(std::lround(kNextCellCoreHeight * cap))));
    if ((core & cv::Rect(0, 0, bin.cols, bin.rows)) != core) return true;
    if (cv::countNonZero(bin(core)) >= kContinuingInkShare * core.area()) return true;
  }
  return false;
}

ReadAttempt ReadBand(const cv::Mat& gray, const cv::RotatedRect& r, bool flip,
                     const GlyphClassifier& classifier, BandGeometry* geometry) {
  ReadAttempt attempt;
  BandGeometry local;
  BandGeometry& geo = geometry != nullptr ? *geometry : local;
  // Stage 1 at page scale: estimate the glyph height.
  if (!geo.known) geo.cap = EstimateCapHeight(CutBand(gray, r, flip, 1.0, 0).gray);
  const std::optional<double> cap = geo.cap;
  if (!cap) {
    geo.known = true;
    return attempt;
  }
  const double scale = std::clamp(kNormCap / *cap, kMinNormScale, kMaxNormScale);
  if (std::max(r.size.width, r.size.height) * scale > kMaxBandLengthPx ||
      std::min(r.size.width, r.size.height) * scale > kMaxBandHeightPx) {
    geo.known = true;
    return attempt;
  }
  // Stage 2 at normalised scale, deskewed by projection sharpness (the
  // same angle either way up: reused via `geometry`).
  const double margin = kBandMarginCaps * *cap;
  if (!geo.known) geo.deg = RefineBandAngle(gray, r, flip, scale, margin);
  geo.known = true;
  const double deg = geo.deg;
  Band band = CutBand(gray, r, flip, scale, deg, margin);
  // Perspective makes vertical strokes lean: shear them upright (the same
  // either way up, but the flipped band is another image; it is cheap).
  const double slant = EstimateSlant(band.gray, kNormCap);
  if (slant != 0) band = Deslant(band, slant);
  std::optional<MrzGrid> choice = SegmentMrz(band.gray);
  if (!choice) return attempt;
  if (GridCut(*choice, band.gray.rows)) {
    // An outer line reaches the band's edge (the band was
    // located on fewer lines than the MRZ has, and perspective enlarges
    // one end), so its cells would be cut with replicated border pixels in
    // place of the glyphs' ends (docgen photo seed 8101: an `I` whose
    // bottom bar was cut off read `T`). Cut the band again with a wider
    // margin around the same centre, sheared alike, and move the grid
    // with it (the centre stays the centre).
    Band wide = CutBand(gray, r, flip, scale, deg, kWideBandMarginCaps * *cap);
    if (slant != 0) wide = Deslant(wide, slant);
    const double dx = (wide.gray.cols - band.gray.cols) / 2.0;
    const double dy = (wide.gray.rows - band.gray.rows) / 2.0;
    for (LineGrid& g : choice->grids) {
      g.x0 += dx;
      g.top_a += dy - g.top_b * dx;
      g.bottom_a += dy - g.bottom_b * dx;
      g.bend_x += dx;
    }
    band = std::move(wide);
  }
  attempt.mrz_like = true;
  if (choice->count == 2 && choice->length == MrzLineLength(MrzFormat::kMrvB)) {
    attempt.line_may_continue = LineMayContinue(band.gray, *choice);
  }

  // Cut cells and classify.
  cv::Mat padded;
  const int pad = static_cast<int>(kNormCap * kCellPadCaps);
  cv::copyMakeBorder(band.gray, padded, pad, pad, pad, pad, cv::BORDER_REPLICATE);
  std::vector<cv::Mat> features;
  attempt.thumbs.clear();
  for (const LineGrid& g : choice->grids) {
    for (int i = 0; i < g.length; ++i) {
      const double cx = g.Centre(i);
      const double cell_pitch = g.pitch + 2 * g.curve * i;
      const double top = g.Top(cx);
      const double bottom = g.Bottom(cx);
      const double cap = std::max(kMinCellCap, bottom - top);
      const double y0 = top - kCellMargin * cap;
      const double y1 = bottom + kCellMargin * cap;
      cv::Rect cell(static_cast<int>(std::lround(cx - cell_pitch / 2)) + pad,
                    static_cast<int>(std::lround(y0)) + pad,
                    std::max(kMinCellSide, static_cast<int>(std::lround(cell_pitch))),
                    std::max(kMinCellSide, static_cast<int>(std::lround(y1 - y0))));
      cell &= cv::Rect(0, 0, padded.cols, padded.rows);
      attempt.thumbs.push_back(CellThumb(padded(cell)));
      features.push_back(ThumbFeature(attempt.thumbs.back()));
    }
  }
  for (const LineGrid& g : choice->grids) {
    const double left = g.Centre(0) - g.pitch;
    const double right = g.Centre(g.length - 1) + g.pitch;
    const double middle = (left + right) / 2;
    const double top = std::min({g.Top(left), g.Top(right), g.Top(middle)});
    const double bottom = std::max({g.Bottom(left), g.Bottom(right), g.Bottom(middle)});
    const double cap = bottom - top;
    cv::Rect line_rect(
        static_cast<int>(left) + pad, static_cast<int>(top - kLineImageMarginCaps * cap) + pad,
        static_cast<int>(right - left), static_cast<int>((1 + 2 * kLineImageMarginCaps) * cap));
    line_rect &= cv::Rect(0, 0, padded.cols, padded.rows);
    attempt.line_images.push_back(padded(line_rect).clone());
  }
  cv::Mat feature_mat;
  cv::vconcat(features, feature_mat);
  std::vector<CharScores> flat = classifier.Score(feature_mat);
  double sum_best = 0;
  for (const CharScores& s : flat) {
    sum_best += *std::max_element(s.begin(), s.end());
  }
  attempt.mean_best = sum_best / static_cast<double>(flat.size());
  const int len = choice->length;
  for (int k = 0; k < choice->count; ++k) {
    attempt.scores.emplace_back(flat.begin() + k * len, flat.begin() + (k + 1) * len);
  }
  const MrzFormat format = FormatOf(*choice, attempt.scores);
  DecoderOptions decoder_options;
  decoder_options.glyph_scores = true;
  absl::StatusOr<DecodedMrz> decoded = DecodeMrz(format, attempt.scores, decoder_options);
  if (decoded.ok()) {
    attempt.decoded = *decoded;
    attempt.ink_reach = ForeignInkReach(band.gray, *choice);
    absl::StatusOr<ParsedMrz> parsed = ParseMrz(decoded->lines);
    if (parsed.ok()) {
      for (const MrzCheckResult& c : parsed->checks) attempt.passed_checks += c.passed;
    }
  }
  attempt.box = BoxOnPage(*choice, band.band_to_page);
  return attempt;
}

}  // namespace vouch::ocr::internal
