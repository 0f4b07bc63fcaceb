// Raw image measures behind the quality checks. Every function here may
// throw cv::Exception; quality.cc calls them inside one try block.

#include <algorithm>
#include <cmath>
#include <vector>

#include "checks/quality_internal.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

// Measures run on copies of bounded width: the checks judge the document,
// and a fixed working scale makes their numbers comparable across inputs.
cv::Mat ToGrayWidth(const cv::Mat& bgr, int max_width) {
  cv::Mat gray;
  if (bgr.channels() == 3) {
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  } else {
    gray = bgr;
  }
  if (gray.cols > max_width) {
    const double s = static_cast<double>(max_width) / gray.cols;
    cv::resize(gray, gray, cv::Size(), s, s, cv::INTER_AREA);
  }
  return gray;
}

cv::Mat ToWidth(const cv::Mat& bgr, int max_width) {
  if (bgr.cols <= max_width) return bgr;
  cv::Mat out;
  const double s = static_cast<double>(max_width) / bgr.cols;
  cv::resize(bgr, out, cv::Size(), s, s, cv::INTER_AREA);
  return out;
}

// Value at quantile q (0..1) of an 8-bit single-channel image.
double Quantile8(const cv::Mat& gray, double q) {
  int hist[256] = {0};
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) ++hist[row[x]];
  }
  const double target = q * static_cast<double>(gray.total());
  double acc = 0;
  for (int v = 0; v < 256; ++v) {
    acc += hist[v];
    if (acc >= target) return v;
  }
  return 255;
}

cv::Rect ZoneRect(const cv::Rect2d& zone, cv::Size size) {
  const cv::Rect r(static_cast<int>(zone.x * size.width),
                   static_cast<int>(zone.y * size.height),
                   static_cast<int>(zone.width * size.width),
                   static_cast<int>(zone.height * size.height));
  return r & cv::Rect(0, 0, size.width, size.height);
}

double Coverage(const cv::Mat& mask, const cv::Rect2d& zone) {
  const cv::Rect r = ZoneRect(zone, mask.size());
  if (r.area() == 0) return 0;
  return static_cast<double>(cv::countNonZero(mask(r))) / r.area();
}

}  // namespace

double MeasureFocus(const cv::Mat& bgr) {
  // Two-scale edge sharpness. Smoothing an edge of blur width s with a
  // Gaussian of width b leaves a peak gradient ∝ 1/sqrt(s² + b²), so the
  // ratio R of the strongest gradients after b1 = 1 and b2 = 3 px is
  // sqrt(s² + 9) / sqrt(s² + 1): 3 for a perfect edge, → 1 as s grows. It
  // does not depend on contrast, and b1 suppresses sensor noise (which
  // fools single-scale Laplacian measures). Score = (R - 1) / 2, 0..1.
  const cv::Mat gray = ToGrayWidth(bgr, 800);
  auto peak_gradient = [&](double sigma) {
    cv::Mat smooth, gx, gy, mag;
    cv::GaussianBlur(gray, smooth, cv::Size(), sigma);
    cv::Sobel(smooth, gx, CV_16S, 1, 0, 3);
    cv::Sobel(smooth, gy, CV_16S, 0, 1, 3);
    cv::Mat ax, ay;
    cv::convertScaleAbs(gx, ax, 0.25);
    cv::convertScaleAbs(gy, ay, 0.25);
    cv::max(ax, ay, mag);  // Chessboard norm: cheap, and a ratio is taken.
    // Mean of the top 1% of gradients: the document's sharpest edges.
    return std::max(1.0, [&] {
      int hist[256] = {0};
      for (int y = 0; y < mag.rows; ++y) {
        const uint8_t* row = mag.ptr<uint8_t>(y);
        for (int x = 0; x < mag.cols; ++x) ++hist[row[x]];
      }
      const double want = std::max(1.0, 0.01 * mag.total());
      double taken = 0, sum = 0;
      for (int v = 255; v >= 0 && taken < want; --v) {
        const double k = std::min<double>(hist[v], want - taken);
        taken += k;
        sum += k * v;
      }
      return sum / want;
    }());
  };
  const double fine = peak_gradient(1.0);
  const double coarse = peak_gradient(3.0);
  const double ratio = fine / coarse;
  return std::clamp((ratio - 1.0) / 2.0, 0.0, 1.0);
}

GlareMeasure MeasureGlare(const cv::Mat& bgr, const DocumentLayout& layout) {
  // Specular glare: every channel clipped. Opening removes clipped specks
  // (white print, paper between letters) smaller than a glare spot.
  const cv::Mat img = ToWidth(bgr, 800);
  std::vector<cv::Mat> ch;
  cv::split(img, ch);
  cv::Mat min_channel = ch[0];
  for (size_t i = 1; i < ch.size(); ++i) cv::min(min_channel, ch[i], min_channel);
  cv::Mat mask;
  cv::threshold(min_channel, mask, 249, 255, cv::THRESH_BINARY);
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
  GlareMeasure out;
  out.paper = Quantile8(min_channel, 0.5);
  out.mrz = Coverage(mask, layout.mrz);
  out.portrait = Coverage(mask, layout.portrait);
  out.data = Coverage(mask, layout.data);
  out.document = static_cast<double>(cv::countNonZero(mask)) / mask.total();
  return out;
}

ExposureMeasure MeasureExposure(const cv::Mat& bgr) {
  const cv::Mat gray = ToGrayWidth(bgr, 800);
  ExposureMeasure out;
  out.median = Quantile8(gray, 0.5);
  out.dark_p1 = Quantile8(gray, 0.01);
  const double p99 = Quantile8(gray, 0.99);
  // Too dark: the paper (median) is far from white. Washed out: the ink
  // (1st percentile) is nearly as bright as the paper.
  const double dark_score = std::clamp((out.median - 45.0) / (110.0 - 45.0), 0.0, 1.0);
  const double contrast = p99 - out.dark_p1;
  const double bright_score =
      std::min(std::clamp((215.0 - out.dark_p1) / (215.0 - 150.0), 0.0, 1.0),
               std::clamp((contrast - 25.0) / (80.0 - 25.0), 0.0, 1.0));
  out.too_dark = dark_score < bright_score;
  out.score = std::min(dark_score, bright_score);
  return out;
}

double MeasureColourSpread(const cv::Mat& bgr) {
  if (bgr.channels() != 3) return 0;
  const cv::Mat img = ToWidth(bgr, 300);
  cv::Mat lab;
  cv::cvtColor(img, lab, cv::COLOR_BGR2Lab);
  std::vector<cv::Mat> ch;
  cv::split(lab, ch);
  // Distance of each pixel's (a, b) from the median (a, b): a uniform tint
  // (a grey copy under warm light) has no spread; printed colour has.
  const int ma = static_cast<int>(Quantile8(ch[1], 0.5));
  const int mb = static_cast<int>(Quantile8(ch[2], 0.5));
  // Histogram of the (integer) distance, capped at 127.
  int hist[128] = {0};
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* a = ch[1].ptr<uint8_t>(y);
    const uint8_t* b = ch[2].ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      const int da = a[x] - ma, db = b[x] - mb;
      const int d = static_cast<int>(std::sqrt(static_cast<float>(da * da + db * db)));
      ++hist[std::min(d, 127)];
    }
  }
  const double target = 0.95 * static_cast<double>(img.total());
  double acc = 0;
  for (int d = 0; d < 128; ++d) {
    acc += hist[d];
    if (acc >= target) return d;
  }
  return 127;
}

}  // namespace vouch::ocr::internal
