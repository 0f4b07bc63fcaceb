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
// A line whose end cell's centre lies within kCutShortPitches pitches of
// the band cut's left or right end may go on past the cut; the band is
// then read again with its long side kExtendCells cells (of kUsualPitchCaps
// cap heights) longer at each end: a TD3 or MRV-A located on its last 36
// cells misses 8.
constexpr double kCutShortPitches = 1.5;
constexpr double kExtendCells = 10;
constexpr double kUsualPitchCaps = 1.1;
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
// A line image is resampled along the line (LineImage) only where its cap
// line and baseline drift by more than this many cap heights over the line.
constexpr double kStraightLineSlackCaps = 0.1;
// NormaliseLocalContrast: the window (in pitches) the ink and paper levels
// are taken over, and the least contrast (grey levels) it stretches.
constexpr double kContrastWindowPitches = 2.0;
constexpr double kMinLineContrast = 32.0;
// ...applied only where the line's global threshold comes within this share
// of a window's contrast of its ink or paper level.
constexpr double kThresholdMarginShare = 0.25;

// A line image with its ink and paper levels stretched to black and
// white locally: per column, the darkest and brightest pixel of the
// columns within kContrastWindowPitches pitches, the dark level kept at
// least kMinLineContrast below the bright one (plain paper stays white).
// A glare band or a shadow's edge across the line changes both levels
// alike; the second recogniser binarises a line with one global
// threshold, which turned the glyphs under a glare band white.
cv::Mat NormaliseLocalContrast(const cv::Mat& line, double pitch) {
  if (line.empty() || line.type() != CV_8U) return line;
  cv::Mat low, high;
  cv::reduce(line, low, 0, cv::REDUCE_MIN);
  cv::reduce(line, high, 0, cv::REDUCE_MAX);
  const int window = 2 * static_cast<int>(std::lround(kContrastWindowPitches * pitch / 2)) + 1;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(window, 1));
  cv::erode(low, low, kernel, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  cv::dilate(high, high, kernel, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  // Only where one threshold over the whole line (Otsu's, as the second
  // recogniser binarises) falls outside the middle of some window's range
  // between ink and paper: evenly lit lines stay as they are.
  cv::Mat ignored;
  const double global = cv::threshold(line, ignored, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  bool uneven = false;
  for (int x = 0; x < line.cols && !uneven; ++x) {
    const double dark = low.at<uchar>(0, x), bright = high.at<uchar>(0, x);
    const double margin = kThresholdMarginShare * (bright - dark);
    uneven =
        bright - dark >= kMinLineContrast && (global < dark + margin || global > bright - margin);
  }
  if (!uneven) return line;
  cv::Mat out(line.size(), CV_8U);
  for (int x = 0; x < line.cols; ++x) {
    const double bright = high.at<uchar>(0, x);
    const double dark = std::min<double>(low.at<uchar>(0, x), bright - kMinLineContrast);
    const double scale = 255.0 / (bright - dark);
    for (int y = 0; y < line.rows; ++y) {
      out.at<uchar>(y, x) = cv::saturate_cast<uchar>((line.at<uchar>(y, x) - dark) * scale);
    }
  }
  return out;
}

// The image of line `g` of a band (`padded`: the band padded by `pad`
// pixels on every side) for the second recogniser: from a pitch before its
// first cell to a pitch after its last, kLineImageMarginCaps of the cap
// height above its cap line and below its baseline, with the contrast
// stretched where the light is uneven (NormaliseLocalContrast). A line
// whose cap line and baseline stay within kStraightLineSlackCaps of level
// is cut as an upright rectangle (what the second recogniser was trained
// on); a line that slopes or curves more in the band (perspective makes
// the lines of one MRZ fan apart, a bent page curves them) has every
// column resampled so that cap line and baseline run straight and level at
// the line's middle cap height: an upright rectangle around it took in
// parts of its neighbours (real scans under phone capture: the second
// recogniser then garbled or dropped names the glyph model read).
cv::Mat LineImage(const cv::Mat& padded, const LineGrid& g, int pad) {
  const double left = g.Centre(0) - g.pitch;
  const double right = g.Centre(g.length - 1) + g.pitch;
  const double middle = (left + right) / 2;
  const double top = std::min({g.Top(left), g.Top(right), g.Top(middle)});
  const double bottom = std::max({g.Bottom(left), g.Bottom(right), g.Bottom(middle)});
  const double cap = std::max(kMinCellCap, g.Bottom(middle) - g.Top(middle));
  if (bottom - top <= (1 + kStraightLineSlackCaps) * cap) {
    const double extent = bottom - top;
    cv::Rect line_rect(
        static_cast<int>(left) + pad, static_cast<int>(top - kLineImageMarginCaps * extent) + pad,
        static_cast<int>(right - left), static_cast<int>((1 + 2 * kLineImageMarginCaps) * extent));
    line_rect &= cv::Rect(0, 0, padded.cols, padded.rows);
    return NormaliseLocalContrast(padded(line_rect).clone(), g.pitch);
  }
  const int width = std::max(kMinCellSide, static_cast<int>(std::lround(right - left)));
  const int height =
      std::max(kMinCellSide, static_cast<int>(std::lround((1 + 2 * kLineImageMarginCaps) * cap)));
  cv::Mat map_x(height, width, CV_32F), map_y(height, width, CV_32F);
  for (int u = 0; u < width; ++u) {
    const double x = left + u;
    const double local_cap = std::max(kMinCellCap, g.Bottom(x) - g.Top(x));
    const double y0 = g.Top(x) - kLineImageMarginCaps * local_cap;
    const double step = (1 + 2 * kLineImageMarginCaps) * local_cap / height;
    for (int v = 0; v < height; ++v) {
      map_x.at<float>(v, u) = static_cast<float>(x + pad);
      map_y.at<float>(v, u) = static_cast<float>(y0 + v * step + pad);
    }
  }
  cv::Mat out;
  cv::remap(padded, out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return NormaliseLocalContrast(out, g.pitch);
}

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

namespace {

// Whether a line of `grid` starts or ends within kCutShortPitches pitches
// of the left or right end of the band it was segmented in, `cols` wide:
// the line may go on past the cut (ReadBand).
bool GridEndsAtCut(const MrzGrid& grid, int cols) {
  for (const LineGrid& g : grid.grids) {
    if (g.length == 0) continue;
    if (g.Centre(0) < kCutShortPitches * g.pitch ||
        g.Centre(g.length - 1) > cols - kCutShortPitches * g.pitch) {
      return true;
    }
  }
  return false;
}

// Whether every check of `a` passes on glyphs that fit the model better
// than junk does (the reader's test for a read that ends its search).
bool ChecksOut(const ReadAttempt& a) {
  if (!a.decoded || !a.decoded->refused.empty() || a.mean_best < kMinValidGlyphFit) return false;
  const absl::StatusOr<ParsedMrz> parsed = ParseMrz(a.decoded->lines);
  return parsed.ok() && parsed->valid();
}

// `r` with its long side longer by `grow` pixels, its centre and angle kept.
cv::RotatedRect Lengthened(cv::RotatedRect r, double grow) {
  if (r.size.width >= r.size.height) {
    r.size.width += static_cast<float>(grow);
  } else {
    r.size.height += static_cast<float>(grow);
  }
  return r;
}

// One read of band `r` (ReadBand); `ends_at_cut` (may be null) is set when
// a line of the MRZ segmented there reaches the cut's left or right end
// (GridEndsAtCut).
ReadAttempt ReadBandOnce(const cv::Mat& gray, const cv::RotatedRect& r, bool flip,
                         const GlyphClassifier& classifier, BandGeometry& geo, bool* ends_at_cut) {
  ReadAttempt attempt;
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
  if (ends_at_cut != nullptr) *ends_at_cut = GridEndsAtCut(*choice, band.gray.cols);
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
  for (const LineGrid& g : choice->grids) attempt.line_images.push_back(LineImage(padded, g, pad));
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

}  // namespace

ReadAttempt ReadBand(const cv::Mat& gray, const cv::RotatedRect& r, bool flip,
                     const GlyphClassifier& classifier, BandGeometry* geometry) {
  BandGeometry local;
  BandGeometry& geo = geometry != nullptr ? *geometry : local;
  bool ends_at_cut = false;
  ReadAttempt attempt = ReadBandOnce(gray, r, flip, classifier, geo, &ends_at_cut);
  if (!ends_at_cut || !geo.cap || ChecksOut(attempt)) return attempt;
  // The located band may hold only part of the MRZ's lines (a bent page,
  // perspective, a line the locator's closing split; docgen photo seed
  // 8070: a TD3 located from its ninth cell on, read as a TD2 whose checks
  // fail). Read the band again lengthened by kExtendCells cells each way;
  // that read replaces this one only when every check passes.
  const double grow = 2 * kExtendCells * kUsualPitchCaps * *geo.cap;
  BandGeometry longer;
  ReadAttempt extended = ReadBandOnce(gray, Lengthened(r, grow), flip, classifier, longer, nullptr);
  return ChecksOut(extended) ? extended : attempt;
}

}  // namespace vouch::ocr::internal
