#ifndef VOUCH_OCR_MRZ_GLYPH_CLASSIFIER_H_
#define VOUCH_OCR_MRZ_GLYPH_CLASSIFIER_H_

// Nearest-neighbour classifier for the 37 OCR-B MRZ symbols, trained at
// start-up (about 0.3 s) from glyphs rendered with the OCR-B font through
// FreeType, varied in size, position, aspect, stroke weight, blur and noise.
// Thread-compatible; const methods are thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mrz/mrz_decoder.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr::internal {

// Geometry of a character cell as the reader cuts it: the cell is `pitch`
// wide and centred on the character; vertically it spans the cap height
// plus kCellMargin of it above and below.
inline constexpr double kCellMargin = 0.18;
inline constexpr int kFeatureWidth = 12;
inline constexpr int kFeatureHeight = 16;

// Feature vector (1 x kFeatureWidth*kFeatureHeight, CV_32F, unit norm) of a
// gray cell image (dark ink on light paper).
cv::Mat CellFeature(const cv::Mat& gray_cell);

class GlyphClassifier {
 public:
  // Errors: kFailedPrecondition when the font cannot be loaded.
  static absl::StatusOr<std::unique_ptr<GlyphClassifier>> Create(
      const std::string& ocr_b_font_path, int samples_per_class = 64);

  // Scores (higher = more likely; -squared distance / temperature) of each
  // symbol for each row of `features` (N x D).
  std::vector<CharScores> Score(const cv::Mat& features) const;

 private:
  GlyphClassifier() = default;
  cv::Mat samples_;          // M x D, unit rows.
  std::vector<int> labels_;  // M.
};

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_GLYPH_CLASSIFIER_H_
