#ifndef VOUCH_OCR_IMAGE_IMAGE_HEADER_INTERNAL_H_
#define VOUCH_OCR_IMAGE_IMAGE_HEADER_INTERNAL_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/image.h"

namespace vouch::ocr {

// The public header plus what the decoder needs to detect truncation.
struct ImageHeaderInfo {
  ImageHeader header;
  size_t first_scan_offset = 0;  // JPEG: offset of the first SOS marker.
  uint32_t riff_size = 0;        // WebP: the RIFF chunk size.
};

absl::StatusOr<ImageHeaderInfo> ReadImageHeaderInfo(absl::string_view bytes);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_IMAGE_IMAGE_HEADER_INTERNAL_H_
