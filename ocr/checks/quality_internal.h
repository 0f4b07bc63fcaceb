#ifndef VOUCH_OCR_CHECKS_QUALITY_INTERNAL_H_
#define VOUCH_OCR_CHECKS_QUALITY_INTERNAL_H_

// The raw measures behind the quality checks, exposed to tests and the
// benchmark tool. Each takes a rectified 8-bit BGR document and never throws
// (callers wrap them; see quality.cc).

#include <array>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/checks.h"
#include "ocr/document.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr::internal {

// `src` resized to `size` (smaller), antialiased: integer halvings
// (INTER_AREA), then one bilinear step. Cheaper than one INTER_AREA resize
// by a non-integer factor, which OpenCV does slowly. `first_half`, when
// given, is `src` already halved by the same INTER_AREA call (document
// detection makes it): used instead of halving `src` again.
cv::Mat Shrink(const cv::Mat& src, cv::Size size, const cv::Mat& first_half = cv::Mat());

// cv::resize(src, (cols / 2, rows / 2), INTER_AREA), the same pixels, in
// less time when a side is odd (OpenCV's general area resampler; measures.cc).
cv::Mat HalveArea(const cv::Mat& src);

// DetectDocument for the quality checks (session 18, time only: the same
// results). `keep_outline`, when given, is asked about a found outline
// before it is rectified: false (the checks will judge the whole frame
// instead) skips the warp and leaves `rectified` empty. `first_half`, when
// given and `image` is BGR, receives detection's first halving of `image`
// (empty when it did not halve), for Shrink.
absl::StatusOr<DocumentDetection> DetectDocument(
    const cv::Mat& image, const std::function<bool(const DocumentDetection&)>& keep_outline,
    cv::Mat* first_half);

// The 800 px working copy of a rectified document that RunQualityChecks'
// measures judge (`rectified` itself when at most 800 px wide).
cv::Mat WorkingCopy(const cv::Mat& rectified);

// How far an outline (tl, tr, br, bl) is from any view of a flat rectangle
// a hand-held camera gives: the largest deviation from 90 degrees of an
// interior angle at a corner inside `frame` (a corner on the frame border
// may be where the frame cut the page), in degrees; 180 for a degenerate or
// crossed quadrilateral. quality.cc distrusts outlines beyond
// kMaxOutlineAngleDeviationDeg.
double OutlineAngleDeviation(const std::array<cv::Point2f, 4>& corners, cv::Size frame);

// The cut-off check's reading of an outline that touches the frame
// (quality.cc). True when every corner of `doc`'s outline on the frame
// border has an outline edge along that border, or all four corners lie on
// the border: a tight crop, not a corner sticking out of the picture.
bool BorderCornersOnBorderEdges(const DocumentDetection& doc, cv::Size frame);
// True when each of the four corners lies within FrameCornerMargin of a
// different corner of the frame: the quadrilateral is the frame itself.
// For a detected outline: no document edge was found inside the picture
// (cut-off judges it as a crop to the document); for the outline the
// measures used: they judged the whole frame (screen.cc, FlatPrint).
bool CornersAreTheFrame(const std::array<cv::Point2f, 4>& corners, cv::Size frame);
// The distance from the frame's border (or a corner) within which an
// outline's corner counts as on it: 2 % of the frame's long side, at least
// 3 px (a detector's corner on a page edge cut by the frame lands a few
// pixels inside it).
float FrameCornerMargin(cv::Size frame);
// CornersAreTheFrame(doc.corners, frame).
bool OutlineIsTheFrame(const DocumentDetection& doc, cv::Size frame);

// How far a set of positions moves: the second largest distance from their
// median position (component by component). A pattern moved smoothly
// across the page (perspective) moves on both sides of the centre, so the
// second largest distance is the largest; one position far from all the
// others (a tile where another pattern's peak is the local maximum) does
// not count. 0 for fewer than two positions.
double PositionSpread(const std::vector<cv::Point2d>& at);

// Edge density (mean gradient on a ≤ 320 px grey copy) of the frame outside
// the outline, as a share of the density inside it; 0 when less than 5 % of
// the frame lies outside. Print around an outline: it is inside the page.
double PrintOutsideShare(const cv::Mat& image, const std::array<cv::Point2f, 4>& corners);

// Edge sharpness at an 800 px working width: ~0.8 crisp, ~0.3 for a
// Gaussian blur of 2 px, → 0 smeared. BGR or grey (MeasureExposure too).
double MeasureFocus(const cv::Mat& bgr);

// Median darkest-channel level from which the paper itself counts as
// clipped (white paper, a scan, overexposure).
inline constexpr double kClippedPaperLevel = 248;

struct GlareMeasure {
  double mrz = 0, portrait = 0, data = 0;  // Share of each zone covered.
  double document = 0;                     // Share of the whole document.
  double paper = 0;                        // Median of the darkest channel: the paper's level.
  // Share of the document clipped, glare or not: the zones above count only
  // clipped blobs brighter than their own surroundings (measures.cc).
  double clipped = 0;
};
GlareMeasure MeasureGlare(const cv::Mat& bgr, const DocumentLayout& layout);
// The largest fall of a blob's ring profile (`rings[k]`: the median level k
// to k + 1 px out; -1 for an empty ring) over 2 px within `inner` px of
// it, as a share of the whole fall from the rim (rings[0]) to `far`; 1
// when the rim is not above `far`. A glare spot fades (small share); white
// paper ends at the print in one step (measures.cc).
double SteepestFallShare(const std::vector<double>& rings, double far, double inner);

struct ExposureMeasure {
  double median = 0;      // Luminance median (0..255).
  double dark_p1 = 0;     // 1st percentile (the ink).
  double score = 0;       // 0..1.
  bool too_dark = false;  // Else, when score is low: washed out.
};
ExposureMeasure MeasureExposure(const cv::Mat& bgr);

// The chroma distance from the median colour (Lab) that the most colourful
// 1 % of the page reaches (its 99th percentile; the 95th until session 17),
// inside a margin of 4 % of each side (none until session 17). A
// black-and-white copy has no colour anywhere; a genuine page may carry it
// on a small part only (a grey portrait and black print on a pale tint,
// with a coloured emblem or line): asking for colour on 5 % of the page sent
// such pages to review. The margin keeps the table or the scanner's lid
// that an outline a few pixels off takes in along the edges out of that
// 1 % (docs/checks.md, "Session 17").
inline constexpr double kColourPercentile = 0.99;
inline constexpr double kColourMargin = 0.04;
double MeasureColourSpread(const cv::Mat& bgr);

// A periodic lattice shared by the whole document (screen.cc): the median,
// over 3×3 tiles inside `corners` of the unrectified `image`, of the
// prominence (log-magnitude above its spectral neighbourhood) of the
// strongest peak most tiles share, at 0.1..0.5 cycles/px, off JPEG's 8-px
// block frequencies. ~0..1 on print and scans, several units on a screen's
// pixel grid or moiré.
// A spectral peak most tiles share: frequency (u, v) in cycles per pixel
// (v ≥ 0) and its median prominence over the tiles.
struct SharedPeak {
  double u = 0, v = 0;
  double median = 0;
};
struct ScreenMeasure {
  double lattice = 0;    // The strongest shared peak's median prominence.
  double frequency = 0;  // Of that peak, cycles per pixel.
  // The strongest two-dimensional lattice: the weaker of the two strongest
  // shared peaks that are not collinear (a pixel grid; 0 for a hatch) nor
  // JPEG block copies of one pattern (screen.cc, BlockSideband).
  double lattice_2d = 0;
  // Shared peaks nearly as strong as that lattice which it does not explain
  // (other directions at once: the rotated ink screens of a halftone print).
  int other_lattice_peaks = 0;
  // The lattice's orientation against the page (screen.cc, PageAngle):
  // degrees from the page's sides, folded to 0..45, the smaller of its two
  // directions; -1 without a lattice. A screen's pixel grid is drawn along
  // the panel, and the page is shown along it (≈ 0); a halftone print's
  // black ink is screened at 45° to the page.
  double lattice_page_deg = -1;
  // The lattice the screen check scores: lattice_2d, but when that lattice
  // lies at 45° (±4°) to the page — a halftone print's black ink — and no
  // straight colour offset says screen, the strongest lattice among the
  // peaks the print does not explain (its harmonics, its other inks at the
  // same pitch, their JPEG block copies): screen.cc, docs/checks.md
  // ("a print's black ink lies at 45° to the page").
  double lattice_2d_off45 = 0;
  SharedPeak off45_a, off45_b;  // The pair lattice_2d_off45 scores.
  // lattice_2d is a halftone's black ink (at 45° to the page, no straight
  // colour offset), so lattice_2d_off45 is what the print leaves: the
  // screen check judges it on a raised mark (quality.cc, LatticeScore;
  // docs/checks.md, "Session 17").
  bool halftone_45 = false;
  // How far that pair moves across the page: the larger of its two peaks'
  // PositionSpread over the tiles where each stands out (the second
  // largest distance from the median position: one tile where another
  // pattern is the local maximum does not count; screen.cc, LatticeSpread),
  // in bins of 1/256 cycle per pixel; -1 when too few tiles show it. A lattice printed on the page
  // and scanned flat sits in one place; a photographed one moves with the perspective, a moiré by
  // that times f_grid / f_moiré.
  double lattice_spread = -1;
  // The same with the page's perspective taken out: each tile's peak
  // looked for where a lattice fixed on the page would be, and mapped to
  // the frequency it would have in the centre tile, through the outline's
  // homography (screen.cc, PageFrequencyMaps); lattice_spread when the
  // whole frame was judged. A print's dots are fixed on the page,
  // photographed or not; a moiré is not; a pixel grid the camera resolves
  // is fixed on the page too. Measured, not used by the check: sparing
  // prints photographed by it also spared re-photographed prints
  // (docs/checks.md, "Session 19").
  double lattice_page_spread = -1;
  // That lattice is a print scanned flat: the whole frame judged (no page
  // outline), a spread of at most 1.3 bins, no screen's colour signature
  // (chroma_lattice < 1) and no counted subpixel offset. The screen check
  // then does not score lattice_2d_off45 (docs/checks.md, "a print scanned flat").
  bool flat_print = false;
  // The screen's colour signature (screen.cc, AnalyseChroma): the median
  // over the tiles, at the strongest peak they share, of min(prominence,
  // asymmetry) of the chroma-rotation spectrum: R, G and B shifted a third
  // of a period in order, as side-by-side subpixels make. ~0 for print,
  // halftone inks and colour edges (channels in phase).
  double chroma_lattice = 0;
  SharedPeak chroma_peak;  // Where (cycles per photo pixel) and its median.
  // The screen's subpixel offset (screen.cc, MeasureChannelShift): side by
  // side subpixels put a screen's red and blue a third of a screen pixel
  // from its green, the same way over the whole page, so every edge of the
  // page is offset by that much between the colour channels, even where
  // the lens left no pixel grid or moiré. Photo pixels: the larger of red's
  // and blue's mean offset from green over the tiles. ~0.01 on print and
  // paper photographed.
  double channel_shift = 0;
  double shift_rx = 0, shift_ry = 0, shift_bx = 0, shift_by = 0;  // Mean offsets (x, y).
  // Its direction: degrees from the image's rows or columns (screen.cc: an
  // offset along the image grid is the capture device's or the file's, so
  // it counts only when its component across that axis is
  // kShiftAcrossImageAxis or more).
  double shift_axis_deg = 0;
  // |mean offset| over the tiles' mean |offset|: 1 when every tile has the
  // same offset (a screen), low when the tiles' offsets are noise.
  double shift_agreement = 0;
  bool channel_shift_counts = false;  // Direction and agreement are a screen's.

  int tiles = 0;                  // Tiles measured (0: image too small).
  std::vector<SharedPeak> peaks;  // Strongest first.
};
ScreenMeasure MeasureScreen(const cv::Mat& image, const std::array<cv::Point2f, 4>& corners);
// The lattice's part of the screen check's score (quality.cc): 1 at or below
// a prominence of 1, 0 at 5, linear between; 1 for a print scanned flat; a
// halftone's residual (halftone_45) judged on a scale raised by 1.2.
double LatticeScore(const ScreenMeasure& m);

// Tampering signals (first version).
// `gray`, when given, is `rectified`'s grey (used when `rectified` is at
// most 800 px wide, as RunQualityChecks' working copy: not converted again).
std::vector<TamperSignal> MeasureTamperSignals(const cv::Mat& rectified,
                                               const DocumentLayout& layout,
                                               absl::string_view encoded,
                                               const cv::Mat& gray = cv::Mat());

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_CHECKS_QUALITY_INTERNAL_H_
