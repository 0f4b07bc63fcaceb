#ifndef VOUCH_OCR_IMAGE_H_
#define VOUCH_OCR_IMAGE_H_

// Image intake shared by every check: decodes untrusted JPEG, PNG and WebP
// bytes with limits checked *before* any pixel is decoded.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr {

enum class ImageFormat { kJpeg, kPng, kWebp };

absl::string_view ImageFormatName(ImageFormat format);  // "jpeg", ...

struct DecodeLimits {
  // Largest encoded input accepted. Telegram Passport files are at most
  // 10 MB of JPEG; leave room for other sources.
  size_t max_bytes = 20u << 20;
  // Largest width × height, read from the header before decoding
  // (decompression bombs). 50 MP covers a 600 dpi A4 scan (~35 MP).
  int64_t max_pixels = 50'000'000;
  // Longest side; also bounds absurd aspect ratios.
  int max_side = 20'000;
  // Smallest useful side: a thumbnail cannot be verified.
  int min_side = 16;
};

// What the header says, read without decoding pixels.
struct ImageHeader {
  ImageFormat format;
  int width = 0;
  int height = 0;
  // EXIF orientation tag (1..8), 1 when absent. JPEG only.
  int exif_orientation = 1;
};

// Reads format and dimensions from the first bytes of `bytes`.
// Errors: kInvalidArgument for a non-image, an unsupported format or a
// header too short or malformed to read.
absl::StatusOr<ImageHeader> ReadImageHeader(absl::string_view bytes);

struct DecodedImage {
  ImageHeader header;  // As stored (before orientation).
  cv::Mat bgr;         // 8-bit, 3 channels, EXIF orientation applied.
};

// Decodes `bytes` into an upright 8-bit BGR image. An alpha channel (PNG,
// WebP) is composited over white, as a viewer shows the image; 16-bit
// samples are scaled to 8 bits.
// Errors: kInvalidArgument for non-images, truncated or corrupt files;
// kResourceExhausted when a limit in `limits` is exceeded (checked on the
// header, before decoding). Messages describe the file's shape, never its
// content.
absl::StatusOr<DecodedImage> DecodeImage(absl::string_view bytes, const DecodeLimits& limits = {});

// Rotates/flips `image` as EXIF orientation `orientation` (1..8) says, so the
// result is upright. Values outside 1..8 leave it unchanged.
cv::Mat ApplyExifOrientation(const cv::Mat& image, int orientation);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_IMAGE_H_
