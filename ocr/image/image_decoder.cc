#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "image/image_header_internal.h"
#include "ocr/image.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

// Decoders are lenient with truncated files: libjpeg fills the missing rows
// with grey and only warns. A scan with its bottom (the MRZ) missing must not
// pass as a good image, so truncation is detected from the container.
absl::Status CheckComplete(absl::string_view bytes, const ImageHeaderInfo& info) {
  switch (info.header.format) {
    case ImageFormat::kJpeg: {
      // Entropy-coded data cannot contain FF D9 (T.81 B.1.1.5: FF is
      // stuffed), so an EOI after the first scan ends the image. Bytes after
      // it (some cameras append data) are ignored.
      const size_t eoi = bytes.rfind("\xFF\xD9");
      if (eoi == absl::string_view::npos || eoi < info.first_scan_offset) {
        return absl::InvalidArgumentError("truncated JPEG: no end-of-image marker");
      }
      return absl::OkStatus();
    }
    case ImageFormat::kPng:
      if (bytes.size() < 12 || bytes.rfind("IEND") == absl::string_view::npos) {
        return absl::InvalidArgumentError("truncated PNG: no IEND chunk");
      }
      return absl::OkStatus();
    case ImageFormat::kWebp:
      if (size_t{info.riff_size} + 8 > bytes.size()) {
        return absl::InvalidArgumentError("truncated WebP: shorter than its RIFF size");
      }
      return absl::OkStatus();
  }
  return absl::InternalError("unknown image format");
}

// Maximum value of a 16-bit sample; 8-bit samples are 16-bit ones / 257.
constexpr double kMax16BitSample = 65535.0;
constexpr double k16To8BitScale = 255.0 / kMax16BitSample;

// Composites a BGRA image over white paper, as an image viewer shows it: a
// transparent background reads as white, not as the black its colour
// channels usually hold.
cv::Mat CompositeOverWhite(const cv::Mat& bgra) {
  cv::Mat bgra_f;
  bgra.convertTo(bgra_f, CV_32F, 1.0 / 255.0);
  std::vector<cv::Mat> channels;
  cv::split(bgra_f, channels);
  const cv::Mat alpha = channels[3];
  const cv::Mat white_weight = 1.0 - alpha;
  std::vector<cv::Mat> bgr(3);
  for (int c = 0; c < 3; ++c) {
    bgr[c] = channels[c].mul(alpha) + white_weight;
  }
  cv::Mat merged, out;
  cv::merge(bgr, merged);
  merged.convertTo(out, CV_8U, 255.0);
  return out;
}

// Converts whatever imdecode(IMREAD_UNCHANGED) returned (grey, grey+alpha,
// BGR or BGRA, 8 or 16 bits) to 8-bit BGR with the alpha composited over
// white. An empty Mat for layouts no supported format produces.
cv::Mat ToBgrOverWhite(const cv::Mat& decoded) {
  cv::Mat eight_bit = decoded;
  if (decoded.depth() == CV_16U) {
    decoded.convertTo(eight_bit, CV_8U, k16To8BitScale);
  } else if (decoded.depth() != CV_8U) {
    return {};
  }
  cv::Mat out;
  switch (eight_bit.channels()) {
    case 1:
      cv::cvtColor(eight_bit, out, cv::COLOR_GRAY2BGR);
      return out;
    case 2: {  // Grey + alpha.
      std::vector<cv::Mat> ga;
      cv::split(eight_bit, ga);
      cv::Mat bgra;
      cv::merge(std::vector<cv::Mat>{ga[0], ga[0], ga[0], ga[1]}, bgra);
      return CompositeOverWhite(bgra);
    }
    case 3:
      return eight_bit;
    case 4:
      return CompositeOverWhite(eight_bit);
    default:
      return {};
  }
}

// Decodes to 8-bit BGR. JPEG has no alpha and keeps OpenCV's own colour
// conversion (CMYK, YCCK); PNG and WebP may carry alpha, so they are read
// unchanged and composited over white.
cv::Mat DecodeToBgr(const cv::Mat& buffer, ImageFormat format) {
  // IGNORE_ORIENTATION: we apply the orientation we parsed ourselves, so
  // the result does not depend on how this OpenCV build treats EXIF.
  // (IMREAD_UNCHANGED ignores it too.)
  if (format == ImageFormat::kJpeg) {
    return cv::imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  }
  const cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  if (decoded.empty()) return decoded;
  return ToBgrOverWhite(decoded);
}

absl::Status CheckLimits(const ImageHeader& h, const DecodeLimits& limits) {
  if (h.width < limits.min_side || h.height < limits.min_side) {
    return absl::InvalidArgumentError(absl::StrCat("image too small: ", h.width, "x", h.height,
                                                   " (at least ", limits.min_side, " px a side)"));
  }
  if (h.width > limits.max_side || h.height > limits.max_side ||
      int64_t{h.width} * h.height > limits.max_pixels) {
    return absl::ResourceExhaustedError(absl::StrCat("image too large: ", h.width, "x", h.height,
                                                     " (limit ", limits.max_pixels, " pixels, ",
                                                     limits.max_side, " px a side)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
  }
  return "unknown";
}

cv::Mat ApplyExifOrientation(const cv::Mat& image, int orientation) {
  // EXIF 2.32 §4.6.4 A, tag 0x0112: where row 0 / column 0 are stored.
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(image, out, 1);
      return out;
    case 3:
      cv::rotate(image, out, cv::ROTATE_180);
      return out;
    case 4:
      cv::flip(image, out, 0);
      return out;
    case 5:
      cv::transpose(image, out);
      return out;
    case 6:
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      return out;
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return image;
  }
}

absl::StatusOr<DecodedImage> DecodeImage(absl::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("image file too large: ", bytes.size(),
                                                     " bytes (limit ", limits.max_bytes, ")"));
  }
  absl::StatusOr<ImageHeaderInfo> info = ReadImageHeaderInfo(bytes);
  if (!info.ok()) return info.status();
  if (absl::Status s = CheckLimits(info->header, limits); !s.ok()) return s;
  if (absl::Status s = CheckComplete(bytes, *info); !s.ok()) return s;

  DecodedImage result;
  result.header = info->header;
  try {
    // Wraps the caller's bytes without copying; imdecode only reads them.
    const cv::Mat buffer(1, int(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    cv::Mat bgr = DecodeToBgr(buffer, info->header.format);
    if (bgr.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt ", ImageFormatName(info->header.format), " image"));
    }
    if (bgr.cols != info->header.width || bgr.rows != info->header.height) {
      return absl::InvalidArgumentError("corrupt image: decoded size differs from its header");
    }
    result.bgr = ApplyExifOrientation(bgr, info->header.exif_orientation);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("corrupt ", ImageFormatName(info->header.format), " image"));
  }
  return result;
}

}  // namespace vouch::ocr
