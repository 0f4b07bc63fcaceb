#ifndef VOUCH_OCR_MRZ_RECOGNITION_H_
#define VOUCH_OCR_MRZ_RECOGNITION_H_

// MRZ recognition of one candidate band: cut and deskew it
// (band_locator.h), segment it into cells (segmentation.h), classify every
// cell with the OCR-B glyph classifier and decode the text under the
// layout's constraints (mrz_decoder.h). Third stage of the reader
// (mrz_reader.cc); the verdict (verdict.h) comes after. OpenCV calls may
// throw cv::Exception.

#include <array>
#include <optional>
#include <vector>

#include "mrz/glyph_classifier.h"
#include "mrz/mrz_decoder.h"
#include "mrz/segmentation.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::ocr::internal {

// A read whose glyphs fit the OCR-B glyph model no better than junk does
// (ReadAttempt::mean_best below this) is never `valid` (reason
// `poor_glyph_fit`): the glyph model's confidences mean nothing on glyphs so
// unlike the ones it was trained on. Docgen photo tuning seed 8032 (an MRZ
// in DejaVu Sans Mono, `Q` read `O` by the glyph model and `0` by the MRZ
// model, only eng read `Q`): `valid` on a wrong name at a fit of -4.3. Set
// at the level the band search already counts as junk (mrz_reader.cc,
// kPrintedInvalidMinGlyphFit's note); measured on tuning and real sets
// (docs/ocr.md, "an MRZ not in OCR-B").
inline constexpr double kMinValidGlyphFit = -4.0;

// One read of one band in one orientation.
struct ReadAttempt {
  bool mrz_like = false;  // Found 2-3 regular character lines.
  std::optional<DecodedMrz> decoded;
  std::vector<std::vector<CharScores>> scores;  // Per line, per cell.
  double mean_best = -1e9;                      // Mean best glyph score.
  std::array<cv::Point2f, 4> box{};             // The MRZ on the page (see MrzReadResult::box).
  int passed_checks = 0;
  std::vector<cv::Mat> thumbs;       // Per cell, line by line.
  std::vector<cv::Mat> line_images;  // Gray, deskewed, per MRZ line.
  // Per line, per cell: ForeignInkReach (segmentation.h),
  // for decoded reads only.
  std::vector<std::vector<float>> ink_reach;
  // A 2 x 36 grid whose lines may go on past their last
  // cell (LineMayContinue): ink in the next cell, or the next cell beyond
  // the band.
  bool line_may_continue = false;
};

// The glyph height and deskew angle ReadBand finds
// for a band: the same upright and turned by 180°, so the second
// orientation reuses them instead of estimating them again.
struct BandGeometry {
  bool known = false;
  std::optional<double> cap;  // nullopt: too few glyph-like components.
  double deg = 0;             // Deskew angle (RefineBandAngle).
};

// Whether a line of `grid` (segmented in `band_gray`) may
// go on past its last cell: the next cell lies outside the band, or ink
// covers at least a tenth of its core. ReadBand asks it of 2 x 36 grids
// (ReadAttempt::line_may_continue).
bool LineMayContinue(const cv::Mat& band_gray, const MrzGrid& grid);

// Reads band `r` of `gray` (the page), upright or turned by 180° (`flip`).
// `mrz_like` is false when no MRZ shape segments there. `geometry`
// (optional, one per band): filled on the first call, reused after. Where
// a line reaches the left or right end of the band's cut and not every
// check passes, the band lengthened along its lines is read too, and that
// read is returned when every check of it passes (a band located on part
// of the MRZ).
ReadAttempt ReadBand(const cv::Mat& gray, const cv::RotatedRect& r, bool flip,
                     const GlyphClassifier& classifier, BandGeometry* geometry = nullptr);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_RECOGNITION_H_
