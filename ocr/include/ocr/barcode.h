#ifndef VOUCH_OCR_BARCODE_H_
#define VOUCH_OCR_BARCODE_H_

// PDF417 reading (zxing-cpp) with a rotation search, for driver licence
// backs. The AAMVA payload parser is in ocr/aamva.h.

#include <string>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr {

struct Pdf417Read {
  std::string bytes;        // Raw payload.
  double rotation_deg = 0;  // Rotation applied before it decoded.
};

// Finds and decodes one PDF417 in `image` (8-bit, 1 or 3 channels), trying
// rotations up to ±`max_skew_deg`.
// Errors: kInvalidArgument for an empty/non-8-bit image, kNotFound when no
// PDF417 decodes.
absl::StatusOr<Pdf417Read> ReadPdf417(const cv::Mat& image,
                                      double max_skew_deg = 30);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_BARCODE_H_
