// Fuzzes image intake: ReadImageHeader (JPEG/PNG/WebP header parsing, EXIF
// orientation) and DecodeImage with small limits so the fuzzer stays fast.
//
// Invariants: a header has a known format, positive dimensions and an
// orientation in 1..8; a decoded image is 8-bit BGR, within the limits, with
// the header's dimensions (swapped for orientations 5..8).

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz_util.h"
#include "ocr/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ocr = vouch::ocr;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto header = ocr::ReadImageHeader(bytes);
  if (header.ok()) {
    FUZZ_CHECK(header->width > 0 && header->height > 0);
    FUZZ_CHECK(header->exif_orientation >= 1 && header->exif_orientation <= 8);
  }

  ocr::DecodeLimits limits;
  limits.max_bytes = 64 << 10;
  limits.max_pixels = 512 * 512;
  limits.max_side = 1024;
  limits.min_side = 1;
  auto decoded = ocr::DecodeImage(bytes, limits);
  if (decoded.ok()) {
    FUZZ_CHECK(header.ok());
    FUZZ_CHECK(decoded->header.width == header->width && decoded->header.height == header->height);
    FUZZ_CHECK(decoded->bgr.type() == CV_8UC3);
    const bool swapped = decoded->header.exif_orientation >= 5;
    FUZZ_CHECK(decoded->bgr.cols == (swapped ? decoded->header.height : decoded->header.width));
    FUZZ_CHECK(decoded->bgr.rows == (swapped ? decoded->header.width : decoded->header.height));
    FUZZ_CHECK(static_cast<int64_t>(decoded->bgr.cols) * decoded->bgr.rows <= limits.max_pixels);
  }
  return 0;
}
