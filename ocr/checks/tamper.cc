// Tampering signals, first version. Each is a score in 0..1 with a reason,
// never a verdict: they are weak on their own and a human weighs them.

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checks/quality_internal.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

cv::Rect ZoneRect(const cv::Rect2d& zone, cv::Size size) {
  const cv::Rect r(static_cast<int>(zone.x * size.width), static_cast<int>(zone.y * size.height),
                   static_cast<int>(zone.width * size.width),
                   static_cast<int>(zone.height * size.height));
  return r & cv::Rect(0, 0, size.width, size.height);
}

// Maps a ratio between two regions' statistics to 0..1: within 2× of each
// other scores 0 (natural variation between a photo and printed text), 8×
// apart scores 1.
double RatioScore(double a, double b) {
  if (a <= 0 || b <= 0) return 0;
  const double r = std::fabs(std::log(a / b));
  return std::clamp((r - std::log(2.0)) / (std::log(8.0) - std::log(2.0)), 0.0, 1.0);
}

// Software names that image editors write into EXIF Software / XMP
// CreatorTool / Photoshop IRB. Phone camera apps write none of these.
constexpr std::array<const char*, 10> kEditors = {
    "Adobe Photoshop", "GIMP",    "paint.net", "Pixelmator", "Affinity Photo",
    "Snapseed",        "PicsArt", "Photopea",  "Lightroom",  "Photoshop 3.0"};

TamperSignal EditorMetadata(absl::string_view encoded) {
  TamperSignal s{.name = "editor_metadata", .score = 0, .detail = "no editor metadata"};
  if (encoded.empty()) {
    s.detail = "file bytes not given";
    return s;
  }
  // Metadata sits in the first segments; bound the scan.
  const absl::string_view head = encoded.substr(0, 256 * 1024);
  for (const char* editor : kEditors) {
    if (absl::StrContains(head, editor)) {
      s.score = 1;
      s.detail = absl::StrCat("file metadata names an image editor (", editor, ")");
      return s;
    }
  }
  return s;
}

// Sensor-noise level: median absolute high-pass residual over flat pixels
// only (low gradient), so that edges (text, the portrait's contours) do not
// count as noise. A photo pasted from another source has another noise.
double NoiseLevel(const cv::Mat& gray) {
  cv::Mat smooth, residual, gx, gy, grad;
  cv::medianBlur(gray, smooth, 3);
  cv::absdiff(gray, smooth, residual);
  cv::Sobel(smooth, gx, CV_16S, 1, 0);
  cv::Sobel(smooth, gy, CV_16S, 0, 1);
  cv::Mat ax, ay;
  cv::convertScaleAbs(gx, ax);
  cv::convertScaleAbs(gy, ay);
  cv::max(ax, ay, grad);
  int hist[256] = {0};
  int n = 0;
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* r = residual.ptr<uint8_t>(y);
    const uint8_t* g = grad.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) {
      if (g[x] > 40) continue;
      ++hist[r[x]];
      ++n;
    }
  }
  if (n < 100) return 0;
  // Mean of the residual in flat areas (the median is 0 for mild noise).
  double sum = 0;
  for (int v = 0; v < 256; ++v) sum += static_cast<double>(v) * hist[v];
  return sum / n + 0.05;
}

TamperSignal PortraitNoise(const cv::Mat& gray, const DocumentLayout& layout) {
  TamperSignal s{.name = "portrait_noise", .score = 0, .detail = ""};
  const cv::Rect p = ZoneRect(layout.portrait, gray.size());
  const cv::Rect d = ZoneRect(layout.data, gray.size());
  if (p.area() < 400 || d.area() < 400) {
    s.detail = "no portrait zone on this side";
    return s;
  }
  const double np = NoiseLevel(gray(p)), nd = NoiseLevel(gray(d));
  s.score = RatioScore(np, nd);
  s.detail = absl::StrFormat("portrait noise %.2f vs data zone %.2f (a pasted photo often differs)",
                             np, nd);
  return s;
}

TamperSignal PortraitErrorLevel(const cv::Mat& bgr, const DocumentLayout& layout) {
  // Error-level analysis: recompress once at a fixed quality; regions that
  // were compressed differently before (a pasted photo) change by a
  // different amount than the rest of the page.
  TamperSignal s{.name = "portrait_ela", .score = 0, .detail = ""};
  const cv::Rect p = ZoneRect(layout.portrait, bgr.size());
  const cv::Rect d = ZoneRect(layout.data, bgr.size());
  if (p.area() < 400 || d.area() < 400) {
    s.detail = "no portrait zone on this side";
    return s;
  }
  // Only the two zones are recompressed (each on its own), which halves
  // the cost against the whole page.
  auto error_level = [](const cv::Mat& zone) {
    std::vector<uint8_t> buf;
    cv::imencode(".jpg", zone, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
    const cv::Mat again = cv::imdecode(buf, cv::IMREAD_COLOR);
    if (again.empty() || again.size() != zone.size()) return -1.0;
    cv::Mat diff;
    cv::absdiff(zone, again, diff);
    const cv::Scalar m = cv::mean(diff);
    return m[0] + m[1] + m[2] + 1e-3;
  };
  const double ep = error_level(bgr(p));
  const double ed = error_level(bgr(d));
  if (ep < 0 || ed < 0) {
    s.detail = "recompression failed";
    return s;
  }
  s.score = RatioScore(ep, ed);
  s.detail = absl::StrFormat("portrait error level %.2f vs data zone %.2f", ep, ed);
  return s;
}

TamperSignal MrzGlyphs(const cv::Mat& gray, const DocumentLayout& layout) {
  // OCR-B (ICAO Doc 9303 Part 3 §4, ISO 1073-2) is monospaced with one cap
  // height: glyphs of the MRZ share a height and sit on common baselines.
  // Characters typed in with another font, or pasted, break that.
  TamperSignal s{.name = "mrz_glyphs", .score = 0, .detail = ""};
  const cv::Rect z = ZoneRect(layout.mrz, gray.size());
  if (z.area() < 400) {
    s.detail = "no MRZ zone on this side";
    return s;
  }
  cv::Mat bin, labels, stats, centroids;
  cv::threshold(gray(z), bin, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  const int n = cv::connectedComponentsWithStats(bin, labels, stats, centroids);
  std::vector<int> heights;
  for (int i = 1; i < n; ++i) {
    const int h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH);
    if (h >= 6 && w >= 2 && h < z.height / 2) heights.push_back(h);
  }
  if (heights.size() < 20) {
    s.detail = "too few MRZ glyphs to judge";
    return s;
  }
  std::sort(heights.begin(), heights.end());
  const double median = heights[heights.size() / 2];
  // Full-height glyphs (letters, digits; the filler '<' is shorter, noise
  // smaller): the share whose height is more than 15% off the median.
  int full = 0, off = 0;
  for (int h : heights) {
    if (h < 0.6 * median || h > 2.0 * median) continue;
    ++full;
    if (std::fabs(h - median) > 0.15 * median) ++off;
  }
  if (full < 10) {
    s.detail = "too few full-height MRZ glyphs";
    return s;
  }
  const double share = static_cast<double>(off) / full;
  // Printed OCR-B: a few percent (segmentation noise); a retyped field in
  // another font or size: a large share.
  s.score = std::clamp((share - 0.05) / (0.20 - 0.05), 0.0, 1.0);
  s.detail = absl::StrFormat("%.0f%% of MRZ glyphs off the common height", share * 100);
  return s;
}

}  // namespace

std::vector<TamperSignal> MeasureTamperSignals(const cv::Mat& rectified,
                                               const DocumentLayout& layout,
                                               absl::string_view encoded,
                                               const cv::Mat& given_gray) {
  cv::Mat bgr = rectified;
  if (bgr.cols > 800) {
    const double s = 800.0 / bgr.cols;
    cv::resize(rectified, bgr, cv::Size(), s, s, cv::INTER_AREA);
  }
  cv::Mat gray = given_gray;
  if (gray.empty() || gray.size() != bgr.size() || gray.channels() != 1) {
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  }
  return {MrzGlyphs(gray, layout), PortraitErrorLevel(bgr, layout), PortraitNoise(gray, layout),
          EditorMetadata(encoded)};
}

}  // namespace vouch::ocr::internal
