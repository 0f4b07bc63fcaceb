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
  int attempts = 0;         // zxing-cpp calls it took.
};

struct Pdf417Options {
  // Also try rotations up to this many degrees each way (zxing-cpp 1.4
  // loses PDF417 beyond ~3° of skew).
  double max_skew_deg = 30;
  // At most this many zxing-cpp calls (each ~3-30 ms on one core).
  int max_attempts = 6;
  // No new attempt starts when it would, at the pace of the previous one,
  // end after this many milliseconds (0: no time limit). Bounds the worst
  // case on a loaded machine; a symbol that needs several attempts may then
  // go unread under load (the verdict says "could not be read").
  double time_budget_ms = 75;
  // Skip decoding when no region of dense parallel bars is found (a cheap
  // test: one gradient pass on a ≤600 px copy).
  bool presence_test = true;
};

// Finds and decodes one PDF417 in `image` (8-bit, 1 or 3 channels), trying
// rotations up to ±`options.max_skew_deg` within the attempt and time
// budget.
// Errors: kInvalidArgument for an empty/non-8-bit image, kNotFound when no
// PDF417 decodes (the message says whether any bar pattern was seen).
absl::StatusOr<Pdf417Read> ReadPdf417(const cv::Mat& image, const Pdf417Options& options = {});

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_BARCODE_H_
