// PDF417 reading with zxing-cpp 1.4 and a rotation search.

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "ZXing/BarcodeFormat.h"
#include "ZXing/DecodeHints.h"
#include "ZXing/ImageView.h"
#include "ZXing/ReadBarcode.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ocr/barcode.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

// Decoding works on a copy whose long side is at most this: an AAMVA PDF417
// is ~350 modules wide and needs ≥2 px per module.
constexpr int kMaxDecodeSide = 1600;
// Bound on decode attempts (the first ~5-30 ms, the others ~3-8 ms).
constexpr int kMaxAttempts = 6;

// One zxing-cpp call. zxing-cpp reports failures in Result, but may throw
// std::exceptions on internal errors; none escapes.
std::optional<std::string> TryDecode(const cv::Mat& gray, bool first) {
  try {
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::PDF417);
    // The first, unrotated attempt also tries quarter turns and harder;
    // the deskewed ones are already upright and cheap.
    hints.setTryHarder(first);
    hints.setTryRotate(first);
    const ZXing::ImageView view(gray.data, gray.cols, gray.rows,
                                ZXing::ImageFormat::Lum,
                                static_cast<int>(gray.step));
    const ZXing::Result result = ZXing::ReadBarcode(view, hints);
    if (!result.isValid()) return std::nullopt;
    const auto& bytes = result.bytes();
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Rotates `gray` by `deg` (counter-clockwise) onto a canvas large enough to
// keep every corner, padded with white.
cv::Mat Rotate(const cv::Mat& gray, double deg) {
  const cv::Point2f center(gray.cols / 2.f, gray.rows / 2.f);
  cv::Mat m = cv::getRotationMatrix2D(center, deg, 1.0);
  const cv::Rect2f box =
      cv::RotatedRect(cv::Point2f(), gray.size(), static_cast<float>(deg))
          .boundingRect2f();
  m.at<double>(0, 2) += box.width / 2.0 - center.x;
  m.at<double>(1, 2) += box.height / 2.0 - center.y;
  cv::Mat out;
  cv::warpAffine(gray, out, m, box.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(255));
  return out;
}

// Dominant stroke direction: the angle (degrees, -90..90) by which to rotate
// so that the strongest family of parallel edges (the PDF417 bars) becomes
// vertical. Gradient orientations are histogrammed, weighted by squared
// magnitude, so the dense bar pattern outweighs text.
double DominantSkew(const cv::Mat& gray) {
  cv::Mat small = gray;
  if (std::max(gray.cols, gray.rows) > 600) {
    const double s = 600.0 / std::max(gray.cols, gray.rows);
    cv::resize(gray, small, cv::Size(), s, s, cv::INTER_AREA);
  }
  cv::Mat gx, gy;
  cv::Sobel(small, gx, CV_32F, 1, 0);
  cv::Sobel(small, gy, CV_32F, 0, 1);
  std::vector<double> hist(180, 0.0);
  for (int y = 0; y < small.rows; ++y) {
    const float* px = gx.ptr<float>(y);
    const float* py = gy.ptr<float>(y);
    for (int x = 0; x < small.cols; ++x) {
      const double m2 = px[x] * px[x] + py[x] * py[x];
      if (m2 < 400.0) continue;
      double a = std::atan2(py[x], px[x]) * 180.0 / M_PI;  // -180..180
      if (a < 0) a += 180.0;                                // 0..180
      hist[static_cast<int>(a) % 180] += m2;
    }
  }
  // Smooth over ±2° and take the peak.
  int best = 0;
  double best_v = -1;
  for (int i = 0; i < 180; ++i) {
    double v = 0;
    for (int d = -2; d <= 2; ++d) v += hist[(i + d + 180) % 180];
    if (v > best_v) {
      best_v = v;
      best = i;
    }
  }
  // Gradient of vertical bars points along x (0° or 180°); bring the peak
  // there. The result (-90..90) makes the bars vertical, leaving only an
  // upside-down ambiguity, which the PDF417 detector handles itself.
  double skew = best + 0.5;  // 0..180
  if (skew > 90) skew -= 180;
  return skew;
}

}  // namespace

absl::StatusOr<Pdf417Read> ReadPdf417(const cv::Mat& image,
                                      double max_skew_deg) {
  if (image.empty() || image.depth() != CV_8U ||
      (image.channels() != 1 && image.channels() != 3)) {
    return absl::InvalidArgumentError(
        "image must be non-empty, 8-bit, with 1 or 3 channels");
  }
  max_skew_deg = std::clamp(max_skew_deg, 0.0, 45.0);
  try {
    cv::Mat gray = image;
    if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
    if (std::max(gray.cols, gray.rows) > kMaxDecodeSide) {
      const double s =
          static_cast<double>(kMaxDecodeSide) / std::max(gray.cols, gray.rows);
      cv::resize(gray, gray, cv::Size(), s, s, cv::INTER_AREA);
    }
    if (!gray.isContinuous()) gray = gray.clone();

    // Candidates: the measured skew (y points down, so rotating by +skew
    // undoes a skew of +skew degrees) and its neighbours, which are cheap
    // (upright, no quarter turns); as is, with quarter turns and harder;
    // then a coarse sweep.
    std::vector<double> angles;
    const double skew = DominantSkew(gray);
    if (std::fabs(skew) > 1.0) {
      // The histogram peak under-estimates the skew by ~1.5° (measured with
      // tests/bench_checks), so the first guess is pushed outwards.
      const double out = skew > 0 ? 1.5 : -1.5;
      for (double a : {skew + out, skew, skew + 2 * out}) {
        if (std::fabs(a) <= max_skew_deg + 3 || std::fabs(a) >= 87) {
          angles.push_back(a);
        }
      }
    }
    angles.push_back(0.0);
    for (double a = 10; a <= max_skew_deg; a += 10) {
      angles.push_back(a);
      angles.push_back(-a);
    }
    int attempts = 0;
    for (double angle : angles) {
      if (attempts++ >= kMaxAttempts) break;
      const cv::Mat candidate = angle == 0.0 ? gray : Rotate(gray, angle);
      if (std::optional<std::string> bytes = TryDecode(candidate, angle == 0.0)) {
        return Pdf417Read{.bytes = *std::move(bytes), .rotation_deg = angle};
      }
    }
    return absl::NotFoundError("no PDF417 barcode could be decoded");
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("barcode reading failed: ", e.what()));
  }
}

}  // namespace vouch::ocr
