#ifndef VOUCH_OCR_MRZ_GLYPH_CLASSIFIER_H_
#define VOUCH_OCR_MRZ_GLYPH_CLASSIFIER_H_

// Nearest-neighbour classifier for the 37 OCR-B MRZ symbols, trained at
// start-up (about 0.3 s) from glyphs rendered with the OCR-B font through
// FreeType, varied in size, position, aspect, stroke weight, blur and noise.
// Thread-compatible; const methods are thread-safe.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
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

// A cell reduced to kFeatureWidth x kFeatureHeight gray pixels (CV_8U);
// what glyph models store.
cv::Mat CellThumb(const cv::Mat& gray_cell);

// Feature vector (1 x kFeatureWidth*kFeatureHeight, CV_32F, unit norm) of a
// thumb.
cv::Mat ThumbFeature(const cv::Mat& thumb);

// ThumbFeature(CellThumb(gray_cell)).
cv::Mat CellFeature(const cv::Mat& gray_cell);

// A labelled cell thumb, as stored in a glyph model file.
struct GlyphSample {
  int label;      // Index in kMrzAlphabet.
  cv::Mat thumb;  // CellThumb().
};

// Glyph model file: "VOUCHGLY1", int32 width, height, count, then per
// sample one label byte and width*height pixel bytes. Errors:
// kInvalidArgument for a malformed file, kNotFound when absent.
absl::StatusOr<std::vector<GlyphSample>> LoadGlyphModel(const std::string& path);
absl::Status SaveGlyphModel(const std::string& path, const std::vector<GlyphSample>& samples);

class GlyphClassifier {
 public:
  // Errors: kFailedPrecondition when the font cannot be loaded.
  static absl::StatusOr<std::unique_ptr<GlyphClassifier>> Create(const std::string& ocr_b_font_path,
                                                                 int samples_per_class = 64);

  // From stored samples (LoadGlyphModel), optionally plus font renderings.
  // Errors: kInvalidArgument when `samples` is empty.
  static absl::StatusOr<std::unique_ptr<GlyphClassifier>> FromSamples(
      const std::vector<GlyphSample>& samples);

  // Font renderings as samples (for model files).
  static absl::StatusOr<std::vector<GlyphSample>> RenderFontSamples(
      const std::string& ocr_b_font_path, int samples_per_class);

  // Scores (higher = more likely; -squared distance / temperature) of each
  // symbol for each row of `features` (N x D).
  std::vector<CharScores> Score(const cv::Mat& features) const;

 private:
  GlyphClassifier() = default;

  // Samples regrouped for the scoring kernel: sorted by class, each class
  // padded (by repeating its last sample, which leaves maxima unchanged) to
  // a multiple of kBlock, and stored block by block as D rows of kBlock
  // lanes, so that one block's dot products with a feature are kBlock-wide
  // vector multiply-adds.
  static constexpr int kBlock = 8;
  static constexpr int kDim = kFeatureWidth * kFeatureHeight;
  std::vector<float> blocks_;  // blocks * kDim * kBlock.
  // Class c owns blocks [class_begin_[c], class_begin_[c + 1]).
  std::array<int, kMrzAlphabetSize + 1> class_begin_{};
};

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_GLYPH_CLASSIFIER_H_
