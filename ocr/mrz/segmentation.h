#ifndef VOUCH_OCR_MRZ_SEGMENTATION_H_
#define VOUCH_OCR_MRZ_SEGMENTATION_H_

// MRZ segmentation: glyph components of an upright band, text lines, and a
// fixed-pitch grid of character cells per line (30, 36 or 44 cells). Second
// stage of the reader (mrz_reader.cc), after band location
// (band_locator.h) and before recognition (recognition.h). Pure image
// functions, thread-safe; OpenCV calls may throw cv::Exception.

#include <optional>
#include <vector>

#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::ocr::internal {

// Glyph cap height, in pixels, the band is normalised to before
// segmentation.
inline constexpr double kNormCap = 24.0;

// A connected component of ink.
struct Component {
  cv::Rect box;
  // For a piece of a run of touching glyphs split at the usual pitch: the
  // run's index, so the line can re-split it at its own pitch.
  int run = -1;
  double cx() const { return box.x + box.width / 2.0; }
  double cy() const { return box.y + box.height / 2.0; }
};

// Ink components (8-connected) of `binary` (ink = 255) of at least
// `min_area` pixels.
std::vector<Component> Components(const cv::Mat& binary, int min_area);

// Dark ink on light paper as 255, by a local mean threshold over `block`
// pixels (made odd, at least 3).
cv::Mat Binarize(const cv::Mat& gray, int block);

// The grid of one MRZ line.
struct LineGrid {
  // Centre of cell i: x0 + i * pitch + curve * i^2 (the quadratic term
  // absorbs perspective foreshortening along the line).
  double x0 = 0, pitch = 0, curve = 0;
  double Centre(int i) const { return x0 + i * pitch + curve * i * i; }
  double top_a = 0, top_b = 0;        // Cap top: top_a + top_b * x.
  double bottom_a = 0, bottom_b = 0;  // Baseline.
  // A bent page (a passport photographed open) curves the
  // line: both cap line and baseline add bend * (x - bend_x)^2 (0 for a
  // straight line; perspective keeps lines straight).
  double bend = 0, bend_x = 0;
  double Top(double x) const { return top_a + top_b * x + bend * (x - bend_x) * (x - bend_x); }
  double Bottom(double x) const {
    return bottom_a + bottom_b * x + bend * (x - bend_x) * (x - bend_x);
  }
  int length = 0;
  double cap = 0;
  double residual = 1e9;  // Mean |centre - grid| / pitch.
};

// The cap height (pixels) of the glyphs in a band cut at page scale
// (`coarse_gray`), from the upper quartile of glyph-like component
// heights; nullopt when there are too few glyph-like components for an
// MRZ.
std::optional<double> EstimateCapHeight(const cv::Mat& coarse_gray);

// An MRZ segmented into `count` lines of `length` cells.
struct MrzGrid {
  int count = 0;
  int length = 0;
  std::vector<LineGrid> grids;  // Top to bottom.
};

// Finds the MRZ lines in `band_gray` (upright, normalised so glyphs are
// kNormCap high) and fits their cell grids; of every MRZ shape (3 x 30,
// 2 x 44, 2 x 36) on consecutive lines, the best-fitting. nullopt when no
// shape fits.
std::optional<MrzGrid> SegmentMrz(const cv::Mat& band_gray);

// Whether cell `i` of line `g`, with the margin cells are
// cut with (kCellMargin), reaches beyond a band `rows` high: the band's
// edge may cut the glyph (a line at the band's edge under perspective).
bool CellCut(const LineGrid& g, int i, int rows);
// Whether any cell of `grid` is cut so (CellCut).
bool GridCut(const MrzGrid& grid, int rows);

// Per line of `grid`, per cell: how far (in the line's cap
// heights) ink connected to the cell's glyph reaches beyond the line's cap
// line or baseline; 0 when it stays within them. MRZ glyphs have no
// ascenders or descenders, so ink that reaches well beyond the line is
// foreign: fine print, a pattern or a neighbouring line joined to the glyph
// (the glyph's shape as both recognisers see it is no longer the printed
// one). Cells that the band's edge cuts (CellCut) get kCutCellReach. `band_gray` is the band
// SegmentMrz segmented.
inline constexpr float kCutCellReach = 9.f;
// From this reach on (cap heights beyond the line) the cell counts as
// touched by foreign ink: in the reads examined (docs/ocr.md, "cut and touched glyphs")
// a glyph's own ink reached at most ~0.3, foreign ink joined to a glyph
// 0.5 and more.
inline constexpr float kForeignInkReachCaps = 0.5f;
std::vector<std::vector<float>> ForeignInkReach(const cv::Mat& band_gray, const MrzGrid& grid);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_SEGMENTATION_H_
