#ifndef VOUCH_OCR_MRZ_TESSERACT_LINE_READER_H_
#define VOUCH_OCR_MRZ_TESSERACT_LINE_READER_H_

// The second, independent recogniser: Tesseract 5 (LSTM) through
// libtesseract on one deskewed MRZ line, restricted to the 37 MRZ symbols.
// Thread-compatible: one instance per thread (Init is costly).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace tesseract {
class TessBaseAPI;
}

namespace vouch::ocr::internal {

class TesseractLineReader {
 public:
  // `tessdata_dir` empty: Tesseract's default. Errors: kFailedPrecondition
  // when the language cannot be loaded.
  static absl::StatusOr<std::unique_ptr<TesseractLineReader>> Create(
      const std::string& tessdata_dir, const std::string& language);
  ~TesseractLineReader();

  // The text of `gray_line` (8-bit, one MRZ line), spaces removed, read as
  // a single text line (psm 7) or, with `raw_line`, as a raw line (psm 13:
  // no layout analysis, which drops glyphs it takes for noise, such as a
  // faded line end). Errors: kInternal when Tesseract fails.
  absl::StatusOr<std::string> ReadLine(const cv::Mat& gray_line, bool raw_line = false);

  // One recognised symbol and every alternative Tesseract reports for it
  // (the symbol itself first), restricted to the MRZ alphabet.
  struct Symbol {
    char text = 0;
    std::string alternatives;
    std::vector<float> confidences;  // Tesseract's, 0-100, per alternative.
  };
  // Like ReadLine, with per-symbol alternatives (Tesseract's choice
  // iterator). Errors: kInternal when Tesseract fails.
  absl::StatusOr<std::vector<Symbol>> ReadLineSymbols(const cv::Mat& gray_line);

 private:
  explicit TesseractLineReader(std::unique_ptr<tesseract::TessBaseAPI> api);
  std::unique_ptr<tesseract::TessBaseAPI> api_;
};

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_TESSERACT_LINE_READER_H_
