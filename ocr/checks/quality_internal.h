#ifndef VOUCH_OCR_CHECKS_QUALITY_INTERNAL_H_
#define VOUCH_OCR_CHECKS_QUALITY_INTERNAL_H_

// The raw measures behind the quality checks, exposed to tests and the
// benchmark tool. Each takes a rectified 8-bit BGR document and never throws
// (callers wrap them; see quality.cc).

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/checks.h"
#include "ocr/document.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr::internal {

// Edge sharpness at an 800 px working width: ~0.8 crisp, ~0.3 for a
// Gaussian blur of 2 px, → 0 smeared.
double MeasureFocus(const cv::Mat& bgr);

struct GlareMeasure {
  double mrz = 0, portrait = 0, data = 0;  // Share of each zone covered.
  double document = 0;                     // Share of the whole document.
  double paper = 0;  // Median of the darkest channel: the paper's level.
};
GlareMeasure MeasureGlare(const cv::Mat& bgr, const DocumentLayout& layout);

struct ExposureMeasure {
  double median = 0;      // Luminance median (0..255).
  double dark_p1 = 0;     // 1st percentile (the ink).
  double score = 0;       // 0..1.
  bool too_dark = false;  // Else, when score is low: washed out.
};
ExposureMeasure MeasureExposure(const cv::Mat& bgr);

// 95th percentile of the chroma distance from the median colour (Lab).
double MeasureColourSpread(const cv::Mat& bgr);

// Strongest isolated high-frequency spectral peak (log-magnitude above its
// neighbourhood); periodic screen patterns give large values.
double MeasureScreenPeak(const cv::Mat& bgr);

// Tampering signals (first version).
std::vector<TamperSignal> MeasureTamperSignals(const cv::Mat& rectified,
                                               const DocumentLayout& layout,
                                               absl::string_view encoded);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_CHECKS_QUALITY_INTERNAL_H_
