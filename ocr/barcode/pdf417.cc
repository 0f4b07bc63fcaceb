// PDF417 reading with zxing-cpp 1.4 and a rotation search.

#include <algorithm>
#include <chrono>
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
    const ZXing::ImageView view(gray.data, gray.cols, gray.rows, ZXing::ImageFormat::Lum,
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
      cv::RotatedRect(cv::Point2f(), gray.size(), static_cast<float>(deg)).boundingRect2f();
  m.at<double>(0, 2) += box.width / 2.0 - center.x;
  m.at<double>(1, 2) += box.height / 2.0 - center.y;
  cv::Mat out;
  cv::warpAffine(gray, out, m, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(255));
  return out;
}

// What one gradient pass tells about the image: the dominant stroke
// direction and how large the biggest region of dense parallel bars is.
struct BarAnalysis {
  // The angle (degrees, -90..90) by which to rotate so that the strongest
  // family of parallel edges (the PDF417 bars) becomes vertical.
  double skew = 0;
  // Largest 8-connected region of "bar" blocks (8x8 px at ≤600 px: strong
  // edges, ≥ 70 % of their energy along the dominant direction), as a
  // share of the frame.
  double bar_region = 0;
};

// Gradient orientations are histogrammed, weighted by squared magnitude,
// so the dense bar pattern outweighs text; then blocks whose edges mostly
// follow that direction are grouped.
BarAnalysis AnalyseBars(const cv::Mat& gray) {
  cv::Mat small = gray;
  if (std::max(gray.cols, gray.rows) > 600) {
    const double s = 600.0 / std::max(gray.cols, gray.rows);
    cv::resize(gray, small, cv::Size(), s, s, cv::INTER_AREA);
  }
  cv::Mat gx, gy;
  cv::Sobel(small, gx, CV_32F, 1, 0);
  cv::Sobel(small, gy, CV_32F, 0, 1);
  cv::Mat angle(small.size(), CV_16S, cv::Scalar(-1));  // 0..179, -1 weak.
  cv::Mat mag2(small.size(), CV_32F, cv::Scalar(0));
  std::vector<double> hist(180, 0.0);
  for (int y = 0; y < small.rows; ++y) {
    const float* px = gx.ptr<float>(y);
    const float* py = gy.ptr<float>(y);
    int16_t* pa = angle.ptr<int16_t>(y);
    float* pm = mag2.ptr<float>(y);
    for (int x = 0; x < small.cols; ++x) {
      const double m2 = px[x] * px[x] + py[x] * py[x];
      if (m2 < 400.0) continue;
      double a = std::atan2(py[x], px[x]) * 180.0 / M_PI;  // -180..180
      if (a < 0) a += 180.0;                               // 0..180
      const int bin = static_cast<int>(a) % 180;
      hist[bin] += m2;
      pa[x] = static_cast<int16_t>(bin);
      pm[x] = static_cast<float>(m2);
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
  BarAnalysis out;
  // Gradient of vertical bars points along x (0° or 180°); bring the peak
  // there. The result (-90..90) makes the bars vertical, leaving only an
  // upside-down ambiguity, which the PDF417 detector handles itself.
  out.skew = best + 0.5;  // 0..180
  if (out.skew > 90) out.skew -= 180;

  // Bar blocks. A printed PDF417 edge has m2 ~1e5..1e6 (Sobel of a
  // 100-200 level step); the mean over a block of bars stays above 1e4
  // even blurred, while paper and guilloche stay far below.
  constexpr int kBlock = 8;
  const int bw = small.cols / kBlock, bh = small.rows / kBlock;
  if (bw < 2 || bh < 2) return out;
  cv::Mat bars(bh, bw, CV_8U, cv::Scalar(0));
  for (int by = 0; by < bh; ++by) {
    for (int bx = 0; bx < bw; ++bx) {
      double along = 0, total = 0;
      for (int y = by * kBlock; y < (by + 1) * kBlock; ++y) {
        const int16_t* pa = angle.ptr<int16_t>(y);
        const float* pm = mag2.ptr<float>(y);
        for (int x = bx * kBlock; x < (bx + 1) * kBlock; ++x) {
          if (pa[x] < 0) continue;
          total += pm[x];
          int d = std::abs(pa[x] - best) % 180;
          d = std::min(d, 180 - d);
          if (d <= 12) along += pm[x];
        }
      }
      if (total / (kBlock * kBlock) > 1e4 && along >= 0.7 * total) {
        bars.at<uint8_t>(by, bx) = 255;
      }
    }
  }
  // Bridge the gaps between codeword columns, then the largest region.
  cv::morphologyEx(bars, bars, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(bars, labels, stats, centroids, 8);
  int largest = 0;
  for (int i = 1; i < n; ++i) {
    largest = std::max(largest, stats.at<int>(i, cv::CC_STAT_AREA));
  }
  out.bar_region = static_cast<double>(largest) / (bw * bh);
  return out;
}

// Smallest bar region worth decoding. An AAMVA PDF417 covers ~40 % of a
// licence back, so ~8 % of a frame the card spans half the width of.
// Measured with tests/bench_checks: synthetic symbol backs 0.18-0.28,
// docgen TD1 pages (text, guilloche, MRZ) 0.002-0.021, blank 0.
constexpr double kMinBarRegion = 0.035;

}  // namespace

absl::StatusOr<Pdf417Read> ReadPdf417(const cv::Mat& image, const Pdf417Options& options) {
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3)) {
    return absl::InvalidArgumentError("image must be non-empty, 8-bit, with 1 or 3 channels");
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&start] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  const double max_skew_deg = std::clamp(options.max_skew_deg, 0.0, 45.0);
  const int max_attempts = std::clamp(options.max_attempts, 1, 20);
  try {
    cv::Mat gray = image;
    if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
    if (std::max(gray.cols, gray.rows) > kMaxDecodeSide) {
      const double s = static_cast<double>(kMaxDecodeSide) / std::max(gray.cols, gray.rows);
      cv::resize(gray, gray, cv::Size(), s, s, cv::INTER_AREA);
    }
    if (!gray.isContinuous()) gray = gray.clone();

    const BarAnalysis bars = AnalyseBars(gray);
    if (options.presence_test && bars.bar_region < kMinBarRegion) {
      return absl::NotFoundError("no PDF417 barcode: no bar pattern found");
    }
    // Candidates: the measured skew (y points down, so rotating by +skew
    // undoes a skew of +skew degrees) and its neighbours, which are cheap
    // (upright, no quarter turns); as is, with quarter turns and harder;
    // then a coarse sweep.
    std::vector<double> angles;
    const double skew = bars.skew;
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
    double last = 0;  // Duration of the previous attempt: the next one's pace.
    for (double angle : angles) {
      if (attempts >= max_attempts) break;
      const double now = elapsed_ms();
      if (attempts > 0 && options.time_budget_ms > 0 && now + last > options.time_budget_ms) {
        break;
      }
      ++attempts;
      const cv::Mat candidate = angle == 0.0 ? gray : Rotate(gray, angle);
      std::optional<std::string> bytes = TryDecode(candidate, angle == 0.0);
      last = elapsed_ms() - now;
      if (bytes.has_value()) {
        return Pdf417Read{.bytes = *std::move(bytes), .rotation_deg = angle, .attempts = attempts};
      }
    }
    return absl::NotFoundError(
        absl::StrCat("no PDF417 barcode could be decoded (", attempts, " attempts)"));
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("barcode reading failed: ", e.what()));
  }
}

}  // namespace vouch::ocr
