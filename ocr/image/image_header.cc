// Header readers for JPEG (ITU T.81 Annex B), PNG (RFC 2083 §11.2.2) and
// WebP (RFC 9649). They read only what the limits need — format, size, EXIF
// orientation — and never trust a length without bounds-checking it.

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "image/image_header_internal.h"
#include "ocr/image.h"

namespace vouch::ocr {
namespace {

uint16_t Be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint32_t Le24(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16;
}
uint32_t Le32(const uint8_t* p) { return Le24(p) | uint32_t(p[3]) << 24; }

absl::Status Malformed(absl::string_view format, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed ", format, " header: ", what));
}

// Reads the orientation tag (0x0112) from an APP1 "Exif\0\0" payload.
// Returns nullopt when absent or unreadable: orientation is a hint, and a
// broken EXIF block must not make a good image fail.
std::optional<int> ExifOrientation(const uint8_t* p, size_t n) {
  if (n < 14 ||
      std::string_view(reinterpret_cast<const char*>(p), 6) != std::string_view("Exif\0\0", 6)) {
    return std::nullopt;
  }
  const uint8_t* tiff = p + 6;
  const size_t size = n - 6;
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little = true;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    little = false;
  } else {
    return std::nullopt;
  }
  auto u16 = [&](size_t off) -> uint32_t {
    return little ? uint32_t(tiff[off] | tiff[off + 1] << 8)
                  : uint32_t(tiff[off] << 8 | tiff[off + 1]);
  };
  auto u32 = [&](size_t off) -> uint32_t { return little ? Le32(tiff + off) : Be32(tiff + off); };
  const uint32_t ifd = u32(4);
  if (ifd < 8 || size < 2 || ifd > size - 2) return std::nullopt;
  const uint32_t count = u16(ifd);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t entry = size_t(ifd) + 2 + size_t(i) * 12;
    if (entry + 12 > size) return std::nullopt;
    if (u16(entry) == 0x0112) {
      const uint32_t value = u16(entry + 8);
      if (value >= 1 && value <= 8) return int(value);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

absl::StatusOr<ImageHeaderInfo> ReadJpeg(const uint8_t* p, size_t n) {
  ImageHeaderInfo info;
  info.header.format = ImageFormat::kJpeg;
  bool have_size = false;
  size_t pos = 2;  // After SOI.
  while (pos + 4 <= n) {
    if (p[pos] != 0xFF) return Malformed("JPEG", "expected a marker");
    const uint8_t marker = p[pos + 1];
    if (marker == 0xFF) {  // Fill byte (T.81 B.1.1.2).
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;  // Standalone markers carry no length.
      continue;
    }
    if (marker == 0xD9) break;  // EOI before any scan.
    const uint16_t len = Be16(p + pos + 2);
    if (len < 2 || pos + 2 + len > n) {
      return Malformed("JPEG", "segment runs past the end of the file");
    }
    const uint8_t* seg = p + pos + 4;
    const size_t seg_len = len - 2;
    const bool sof =
        (marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof && !have_size) {
      if (seg_len < 6) return Malformed("JPEG", "short frame header");
      info.header.height = Be16(seg + 1);
      info.header.width = Be16(seg + 3);
      have_size = true;
    } else if (marker == 0xE1 && info.header.exif_orientation == 1) {
      if (auto o = ExifOrientation(seg, seg_len)) {
        info.header.exif_orientation = *o;
      }
    } else if (marker == 0xDA) {
      info.first_scan_offset = pos;
      break;
    }
    pos += 2 + len;
  }
  if (!have_size) return Malformed("JPEG", "no frame header");
  if (info.first_scan_offset == 0) {
    return absl::InvalidArgumentError("truncated JPEG: no image data");
  }
  return info;
}

absl::StatusOr<ImageHeaderInfo> ReadPng(const uint8_t* p, size_t n) {
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4).
  if (n < 24 || Be32(p + 8) != 13 ||
      std::string_view(reinterpret_cast<const char*>(p + 12), 4) != "IHDR") {
    return Malformed("PNG", "first chunk is not IHDR");
  }
  ImageHeaderInfo info;
  info.header.format = ImageFormat::kPng;
  const uint32_t w = Be32(p + 16), h = Be32(p + 20);
  if (w > 0x7FFFFFFF || h > 0x7FFFFFFF) return Malformed("PNG", "size");
  info.header.width = int(w);
  info.header.height = int(h);
  return info;
}

absl::StatusOr<ImageHeaderInfo> ReadWebp(const uint8_t* p, size_t n) {
  if (n < 30) return Malformed("WebP", "too short");
  ImageHeaderInfo info;
  info.header.format = ImageFormat::kWebp;
  info.riff_size = Le32(p + 4);
  const std::string_view chunk(reinterpret_cast<const char*>(p + 12), 4);
  const uint8_t* d = p + 20;
  if (chunk == "VP8 ") {
    // Frame tag (3), start code 9D 01 2A, then 14-bit width and height.
    if (d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A) {
      return Malformed("WebP", "bad VP8 start code");
    }
    info.header.width = (d[6] | d[7] << 8) & 0x3FFF;
    info.header.height = (d[8] | d[9] << 8) & 0x3FFF;
  } else if (chunk == "VP8L") {
    if (d[0] != 0x2F) return Malformed("WebP", "bad VP8L signature");
    const uint32_t bits = Le32(d + 1);
    info.header.width = int((bits & 0x3FFF) + 1);
    info.header.height = int(((bits >> 14) & 0x3FFF) + 1);
  } else if (chunk == "VP8X") {
    info.header.width = int(Le24(d + 4) + 1);
    info.header.height = int(Le24(d + 7) + 1);
  } else {
    return Malformed("WebP", "unknown first chunk");
  }
  return info;
}

}  // namespace

namespace {

absl::StatusOr<ImageHeaderInfo> ReadAnyHeader(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
    return ReadJpeg(p, n);
  }
  if (n >= 8 && bytes.substr(0, 8) == "\x89PNG\r\n\x1a\n") return ReadPng(p, n);
  if (n >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") {
    return ReadWebp(p, n);
  }
  return absl::InvalidArgumentError("not an image: expected JPEG, PNG or WebP data");
}

}  // namespace

absl::StatusOr<ImageHeaderInfo> ReadImageHeaderInfo(absl::string_view bytes) {
  absl::StatusOr<ImageHeaderInfo> info = ReadAnyHeader(bytes);
  // A zero side (a lossy WebP or PNG saying so, a JPEG deferring its height
  // to a DNL marker) is no image we can use.
  if (info.ok() && (info->header.width <= 0 || info->header.height <= 0)) {
    return Malformed(ImageFormatName(info->header.format), "zero width or height");
  }
  return info;
}

absl::StatusOr<ImageHeader> ReadImageHeader(absl::string_view bytes) {
  absl::StatusOr<ImageHeaderInfo> info = ReadImageHeaderInfo(bytes);
  if (!info.ok()) return info.status();
  return info->header;
}

}  // namespace vouch::ocr
