// Raw image measures behind the quality checks. Every function here may
// throw cv::Exception; quality.cc calls them inside one try block.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "checks/quality_internal.h"
#include "opencv2/core/hal/intrin.hpp"
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

// Values at several quantiles of an 8-bit single-channel image, from one
// histogram.
template <size_t N>
std::array<double, N> Quantiles8(const cv::Mat& gray, const std::array<double, N>& qs) {
  int hist[256] = {0};
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) ++hist[row[x]];
  }
  std::array<double, N> out;
  for (size_t i = 0; i < N; ++i) {
    const double target = qs[i] * static_cast<double>(gray.total());
    double acc = 0;
    out[i] = 255;
    for (int v = 0; v < 256; ++v) {
      acc += hist[v];
      if (acc >= target) {
        out[i] = v;
        break;
      }
    }
  }
  return out;
}

// Value at quantile q (0..1) of an 8-bit single-channel image.
double Quantile8(const cv::Mat& gray, double q) { return Quantiles8<1>(gray, {q})[0]; }

// Darkest-channel level from which a pixel counts as clipped (glare).
constexpr int kGlareClipLevel = 250;

cv::Rect ZoneRect(const cv::Rect2d& zone, cv::Size size) {
  const cv::Rect r(static_cast<int>(zone.x * size.width), static_cast<int>(zone.y * size.height),
                   static_cast<int>(zone.width * size.width),
                   static_cast<int>(zone.height * size.height));
  return r & cv::Rect(0, 0, size.width, size.height);
}

double Coverage(const cv::Mat& mask, const cv::Rect2d& zone) {
  const cv::Rect r = ZoneRect(zone, mask.size());
  if (r.area() == 0) return 0;
  return static_cast<double>(cv::countNonZero(mask(r))) / r.area();
}

// A clipped blob is glare only when it stands out from its own
// surroundings the way a specular highlight does:
// - contrast: the far ring, from kGlareRingInner to kGlareRingOuter times
//   the blob's equivalent radius beyond its edge, is at least
//   kGlareContrast levels below clipping (darkest channel, median). White
//   paper clipped evenly (a scan, a bright white page) is as bright as its
//   surroundings;
// - fade: the fall from the blob's rim to the far ring's level is gradual:
//   no kGlareEdgePx px of the profile (the median of each 1-px ring out
//   from the blob) hold more than kGlareEdgeShare of it. A highlight is
//   the reflection of a light out of the document's plane, so out of
//   focus, and fades out over the document. A white area of
//   the page or its background (paper between two cards, a margin, a pale
//   panel) ends at the print or the cards' edges around it in one step as
//   sharp as the print: on the real specimens the bench held for glare,
//   51-98 % of the fall in 2 px; on the bench's glare spots that the
//   previous test caught, at most 41 %.
// On paper that is clipped itself (median >= kClippedPaperLevel) a spot
// merges with the paper around it and the blob's rim is the print, so the
// fade cannot be seen; there the halo test, which decided everywhere
// before, still decides, and it decides only whether the check can
// judge (quality.cc: such a page never fails on glare): the near ring, up
// to kGlareRingNear radii out, brighter than the far ring by
// kGlareHaloShare of the step. (On other paper the halo test let white
// paper through when the print around it grows darker further out, and
// missed fades narrower than 0.2 radii.)
constexpr double kGlareRingNear = 0.2;
constexpr double kGlareHaloShare = 0.25;
constexpr double kGlareRingInner = 0.5;
constexpr double kGlareRingOuter = 1.0;
constexpr double kGlareMinRingPx = 4;
constexpr double kGlareContrast = 15;
constexpr int kGlareEdgePx = 2;
constexpr double kGlareEdgeShare = 0.45;

// The median darkest-channel level of each 1-px ring around a blob out to
// `outer` px (rings[k]: distance in (k, k + 1]; -1 when empty), of its
// near ring (up to `near_edge`) and of its far ring (distance in (inner,
// outer]), in one pass over the blob's box.
struct BlobSurroundings {
  double near = -1, far = -1;
  std::vector<double> rings;
};

BlobSurroundings Surroundings(const cv::Mat& min_channel, const cv::Mat& distance, double near_edge,
                              double inner, double outer) {
  const int n = static_cast<int>(std::ceil(outer));
  const int far_bin = n, near_bin = n + 1;
  std::vector<std::array<int, 256>> hist(n + 2, std::array<int, 256>{});
  std::vector<int> count(n + 2, 0);
  for (int y = 0; y < distance.rows; ++y) {
    const float* d = distance.ptr<float>(y);
    const uint8_t* v = min_channel.ptr<uint8_t>(y);
    for (int x = 0; x < distance.cols; ++x) {
      if (d[x] <= 0 || d[x] > outer) continue;
      const int ring = std::min(n - 1, static_cast<int>(std::ceil(d[x])) - 1);
      ++hist[ring][v[x]];
      ++count[ring];
      if (d[x] > inner) {
        ++hist[far_bin][v[x]];
        ++count[far_bin];
      } else if (d[x] <= near_edge) {
        ++hist[near_bin][v[x]];
        ++count[near_bin];
      }
    }
  }
  auto median = [&](int k) {
    if (count[k] == 0) return -1.0;
    const double target = 0.5 * count[k];
    int acc = 0;
    for (int v = 0; v < 256; ++v) {
      acc += hist[k][v];
      if (acc >= target) return static_cast<double>(v);
    }
    return 255.0;
  };
  BlobSurroundings out;
  out.far = median(far_bin);
  out.near = median(near_bin);
  out.rings.resize(n);
  for (int k = 0; k < n; ++k) out.rings[k] = median(k);
  return out;
}

}  // namespace

double SteepestFallShare(const std::vector<double>& rings, double far, double inner) {
  if (rings.empty() || rings[0] - far <= 0) return 1;
  double steepest = 0;
  for (size_t k = 0; k + kGlareEdgePx < rings.size() && static_cast<double>(k) < inner; ++k) {
    if (rings[k] < 0 || rings[k + kGlareEdgePx] < 0) continue;
    steepest = std::max(steepest, rings[k] - rings[k + kGlareEdgePx]);
  }
  return steepest / (rings[0] - far);
}

namespace {

// A labelled blob's bounding box and pixel count.
struct BlobBox {
  int left = std::numeric_limits<int>::max(), top = std::numeric_limits<int>::max();
  int right = -1, bottom = -1, area = 0;
};

// Every label's box, in one pass over the labels. (OpenCV's
// connectedComponentsWithStats took ~5x as long as labelling alone, which
// is what the glare measure's time went to: docs/checks.md, session 16,
// round 2.)
std::vector<BlobBox> BlobBoxes(const cv::Mat& labels, int n) {
  std::vector<BlobBox> boxes(n);
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (row[x] == 0) continue;
      BlobBox& b = boxes[row[x]];
      b.left = std::min(b.left, x);
      b.right = std::max(b.right, x);
      b.top = std::min(b.top, y);
      b.bottom = std::max(b.bottom, y);
      ++b.area;
    }
  }
  return boxes;
}

cv::Mat GlareBlobs(const cv::Mat& min_channel, const cv::Mat& clipped, bool paper_clipped) {
  cv::Mat glare = cv::Mat::zeros(clipped.size(), CV_8U);
  // The blobs are labelled within the box that holds every clipped pixel
  // (none on many pages: nothing to label). Each blob is judged on its own,
  // so the labels' order does not matter.
  const cv::Rect clipped_box = cv::boundingRect(clipped);
  if (clipped_box.area() == 0) return glare;
  cv::Mat labels;
  const int n = cv::connectedComponents(clipped(clipped_box), labels, 8, CV_32S);
  const std::vector<BlobBox> boxes = BlobBoxes(labels, n);
  const cv::Rect frame(0, 0, clipped.cols, clipped.rows);
  for (int i = 1; i < n; ++i) {
    const BlobBox& b = boxes[i];
    const double radius = std::sqrt(b.area / CV_PI);
    const double near_edge = std::max(kGlareMinRingPx, kGlareRingNear * radius);
    const double inner = std::max(near_edge + kGlareMinRingPx, kGlareRingInner * radius);
    const double outer = std::max(inner + kGlareMinRingPx, kGlareRingOuter * radius);
    const int pad = static_cast<int>(std::ceil(outer)) + 1;
    const cv::Rect box(clipped_box.x + b.left - pad, clipped_box.y + b.top - pad,
                       b.right - b.left + 1 + 2 * pad, b.bottom - b.top + 1 + 2 * pad);
    const cv::Rect roi = box & frame;
    // This blob's pixels in the roi: its label where the roi overlaps the
    // labelled box (the rest of the roi holds no clipped pixel).
    cv::Mat blob = cv::Mat::zeros(roi.size(), CV_8U);
    const cv::Rect overlap = roi & clipped_box;
    cv::Mat blob_part = blob(overlap - roi.tl());  // Written in place (same size and type).
    cv::compare(labels(overlap - clipped_box.tl()), i, blob_part, cv::CMP_EQ);
    cv::Mat distance;  // Distance of each pixel to the blob.
    cv::distanceTransform(~blob, distance, cv::DIST_L2, cv::DIST_MASK_3);
    const BlobSurroundings s = Surroundings(min_channel(roi), distance, near_edge, inner, outer);
    if (s.far < 0 || s.near < 0) continue;
    const double step = kGlareClipLevel - s.far;
    if (step < kGlareContrast) continue;
    const bool stands_out = paper_clipped
                                ? s.near - s.far >= kGlareHaloShare * step
                                : SteepestFallShare(s.rings, s.far, inner) <= kGlareEdgeShare;
    if (stands_out) glare(roi).setTo(255, blob);
  }
  return glare;
}

}  // namespace

namespace {

// One destination cell of OpenCV's area resampler for a non-integer
// factor: up to three source indices and their weights, in its order (a
// missing third has weight 0: adding 0 * x changes no sum).
struct AreaCell {
  int src[3] = {0, 0, 0};
  float w[3] = {0, 0, 0};
};

// OpenCV's area table for `ssize` → `dsize` (imgproc's resize for
// INTER_AREA at a non-integer factor, as it computes it: checked
// bit for bit against cv::resize, DetectDocumentTest).
std::vector<AreaCell> AreaTable(int ssize, int dsize) {
  const double scale = 1.0 / (static_cast<double>(dsize) / ssize);
  std::vector<AreaCell> t(dsize);
  for (int d = 0; d < dsize; ++d) {
    const double f1 = d * scale, f2 = f1 + scale;
    const double cell = std::min(scale, ssize - f1);
    int s1 = static_cast<int>(std::ceil(f1));
    int s2 = std::min(static_cast<int>(std::floor(f2)), ssize - 1);
    s1 = std::min(s1, s2);
    int k = 0;
    auto add = [&](int src, double w) {
      if (k < 3) {
        t[d].src[k] = src;
        t[d].w[k] = static_cast<float>(w);
      }
      ++k;
    };
    if (s1 - f1 > 1e-3) add(s1 - 1, (s1 - f1) / cell);
    for (int sx = s1; sx < s2; ++sx) add(sx, 1.0 / cell);
    if (f2 - s2 > 1e-3) add(s2, std::min(std::min(f2 - s2, 1.0), cell) / cell);
    if (k > 3) return {};  // Not a halving: the caller falls back to cv::resize.
  }
  return t;
}

// acc = beta * b (first) or acc += beta * b, w floats: the product rounded
// to float, then the sum, as the scalar loop does (a multiply and an add,
// never a fused multiply-add), four lanes at a time.
void AccumulateRow(float* __restrict acc, const float* __restrict b, float beta, int w,
                   bool first) {
  int i = 0;
#if CV_SIMD128
  const cv::v_float32x4 vbeta = cv::v_setall_f32(beta);
  if (first) {
    for (; i + 4 <= w; i += 4) cv::v_store(acc + i, vbeta * cv::v_load(b + i));
  } else {
    for (; i + 4 <= w; i += 4)
      cv::v_store(acc + i, cv::v_load(acc + i) + vbeta * cv::v_load(b + i));
  }
#endif
  if (first) {
    for (; i < w; ++i) acc[i] = beta * b[i];
  } else {
    for (; i < w; ++i) acc[i] += beta * b[i];
  }
}

// out[3 dx + c] = (s[6 dx + c] + s[6 dx + 3 + c]) / 2 for dx < n, a BGR
// row's pixels paired (each sum exact in float, as the scalar loop makes
// it), sixteen source pixels at a time.
void PairRow(const uint8_t* s, float* out, int n) {
  int dx = 0;
#if CV_SIMD128
  const cv::v_uint32x4 low16 = cv::v_setall_u32(0xFFFF);
  const cv::v_float32x4 half = cv::v_setall_f32(0.5f);
  auto pairs = [&](const cv::v_uint16x8& x) {
    const cv::v_uint32x4 w = cv::v_reinterpret_as_u32(x);
    return cv::v_cvt_f32(cv::v_reinterpret_as_s32((w & low16) + (w >> 16))) * half;
  };
  for (; dx + 8 <= n; dx += 8) {
    cv::v_uint8x16 c[3];
    cv::v_load_deinterleave(s + 6 * dx, c[0], c[1], c[2]);
    cv::v_float32x4 lo[3], hi[3];
    for (int ch = 0; ch < 3; ++ch) {
      cv::v_uint16x8 a, b;
      cv::v_expand(c[ch], a, b);
      lo[ch] = pairs(a);
      hi[ch] = pairs(b);
    }
    cv::v_store_interleave(out + 3 * dx, lo[0], lo[1], lo[2]);
    cv::v_store_interleave(out + 3 * dx + 12, hi[0], hi[1], hi[2]);
  }
#endif
  for (; dx < n; ++dx) {
    const uint8_t* p = s + 6 * dx;
    out[3 * dx] = static_cast<float>(p[0] + p[3]) * 0.5f;
    out[3 * dx + 1] = static_cast<float>(p[1] + p[4]) * 0.5f;
    out[3 * dx + 2] = static_cast<float>(p[2] + p[5]) * 0.5f;
  }
}

// The three-tap horizontal sums of HalveArea for a BGR row (columns that
// do not pair up): for each cell, ((s0 w0 + s1 w1) + s2 w2) per channel,
// the three channels in one 4-lane vector (the same products and sums as
// the scalar loop, which adds them to 0 first: 0 + x is x). Stops before
// the first cell whose 4-byte loads would pass the row's end, or whose
// 4-lane store would pass `out`'s; returns the cells done.
int TapRow(const uint8_t* s, const std::vector<AreaCell>& xt, int cols, float* out) {
  int dx = 0;
#if CV_SIMD128
  const int n = static_cast<int>(xt.size());
  for (; dx + 1 < n; ++dx) {
    const AreaCell& c = xt[dx];
    if (std::max({c.src[0], c.src[1], c.src[2]}) + 1 >= cols) break;
    auto tap = [&](int k) {
      // The 4 bytes copied first: v_load_expand_q reads them as one int,
      // which needs 4-byte alignment (UBSan), and a cell starts anywhere.
      alignas(4) uint8_t bytes[4];
      std::memcpy(bytes, s + 3 * c.src[k], sizeof(bytes));
      const cv::v_uint32x4 px = cv::v_load_expand_q(bytes);
      return cv::v_cvt_f32(cv::v_reinterpret_as_s32(px)) * cv::v_setall_f32(c.w[k]);
    };
    cv::v_store(out + 3 * dx, (tap(0) + tap(1)) + tap(2));
  }
#endif
  return dx;
}

}  // namespace

cv::Mat HalveArea(const cv::Mat& src) {
  const cv::Size size(src.cols / 2, src.rows / 2);
  cv::Mat dst;
  // Even sides: OpenCV's own 2 x 2 path, fast. An odd side sends
  // cv::resize to its general area resampler, 13-19x slower (a 2130 x 1539
  // photo: 12.7 ms against 0.7 ms); this computes that resampler's result
  // bit for bit (its table, its float sums in its order, its rounding),
  // twice as fast where the columns pair up (a 1539-row photo), as fast
  // where they do not; the pairing (or a cell's three taps), the rows'
  // weighted sums and the rounding to 8 bits several values at a time
  // (session 19), in the same float operations. A faster halving that leaves out the odd
  // row moves detection's outlines (docs/checks.md, "Session 18").
  const bool odd = src.cols % 2 == 1 || src.rows % 2 == 1;
  std::vector<AreaCell> xt, yt;
  if (odd && src.type() == CV_8UC3 && size.width > 0 && size.height > 0) {
    xt = AreaTable(src.cols, size.width);
    yt = AreaTable(src.rows, size.height);
  }
  if (xt.empty() || yt.empty()) {
    cv::resize(src, dst, size, 0, 0, cv::INTER_AREA);
    return dst;
  }
  const int w = size.width * 3;
  dst.create(size, src.type());
  std::vector<float> row(w), sum(w);
  const bool pairs = src.cols % 2 == 0;  // Every column cell: two pixels, 0.5 each.
  int cached = -1;
  auto horizontal = [&](int sy) {
    const uint8_t* s = src.ptr<uint8_t>(sy);
    float* out = row.data();
    if (pairs) {
      // (0 + a / 2) + b / 2 in float: exact, so (a + b) / 2.
      PairRow(s, out, size.width);
      return;
    }
    for (int dx = TapRow(s, xt, src.cols, out); dx < size.width; ++dx) {
      const AreaCell& c = xt[dx];
      for (int ch = 0; ch < 3; ++ch) {
        float acc = 0.f;
        acc += s[3 * c.src[0] + ch] * c.w[0];
        acc += s[3 * c.src[1] + ch] * c.w[1];
        acc += s[3 * c.src[2] + ch] * c.w[2];
        out[3 * dx + ch] = acc;
      }
    }
  };
  for (int dy = 0; dy < size.height; ++dy) {
    const AreaCell& c = yt[dy];
    float* __restrict acc = sum.data();
    for (int k = 0; k < 3; ++k) {
      if (k > 0 && c.w[k] == 0.f) break;  // No such row (adding 0 would change nothing).
      if (c.src[k] != cached) {
        horizontal(c.src[k]);
        cached = c.src[k];
      }
      AccumulateRow(acc, row.data(), c.w[k], w, k == 0);
    }
    // saturate_cast<uint8_t> of each sum (round half to even, clamp), as
    // OpenCV's vectorised float → 8-bit conversion makes it.
    cv::Mat(1, w, CV_32F, acc).convertTo(cv::Mat(1, w, CV_8U, dst.ptr<uint8_t>(dy)), CV_8U);
  }
  return dst;
}

cv::Mat Shrink(const cv::Mat& src, cv::Size size, const cv::Mat& first_half) {
  // OpenCV's INTER_AREA is fast for integer factors and slow otherwise
  // (a 1920 px photo to 1000 px: 12..20 ms of CPU, against ~1 ms to halve
  // it): halve while we can, then finish with a bilinear step, blurred first
  // when it shrinks by more than a quarter.
  cv::Mat cur = src;
  while (cur.cols >= 2 * size.width && cur.rows >= 2 * size.height) {
    cv::Mat half;
    if (cur.data == src.data && first_half.size() == cv::Size(cur.cols / 2, cur.rows / 2) &&
        first_half.type() == src.type()) {
      half = first_half;  // The same call's result, made once by the caller.
    } else {
      half = HalveArea(cur);
    }
    cur = half;
  }
  if (cur.size() == size) return cur.data == src.data ? cur.clone() : cur;
  const double s = std::min(static_cast<double>(size.width) / cur.cols,
                            static_cast<double>(size.height) / cur.rows);
  if (s < 0.75) {
    cv::Mat blurred;
    cv::GaussianBlur(cur, blurred, cv::Size(), 0.5 * (1 / s - 1));
    cur = blurred;
  }
  cv::Mat out;
  cv::resize(cur, out, size, 0, 0, s < 1 ? cv::INTER_LINEAR : cv::INTER_CUBIC);
  return out;
}

cv::Mat WorkingCopy(const cv::Mat& rectified) {
  if (rectified.cols <= 800) return rectified;
  const double s = 800.0 / rectified.cols;
  return Shrink(rectified,
                cv::Size(800, std::max(1, static_cast<int>(std::lround(rectified.rows * s)))));
}

// The share of the working copy's pixels whose gradients stand for the
// document's sharpest edges (focus): 0.1 % of 800 x 500 px is ~400 px, a
// few characters' edges. A larger share (1 %) reaches past the print of a
// page whose print covers little of the judged area (thin strokes on pale
// paper, a small card judged on the whole frame) into soft content (a
// portrait, tints, the table), and reads a sharp page as blurred
// (docs/checks.md, "focus judged on the sharpest edges").
constexpr double kFocusEdgeShare = 0.001;

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
    // Mean of the top kFocusEdgeShare of gradients: the document's sharpest
    // edges.
    return std::max(1.0, [&] {
      int hist[256] = {0};
      for (int y = 0; y < mag.rows; ++y) {
        const uint8_t* row = mag.ptr<uint8_t>(y);
        for (int x = 0; x < mag.cols; ++x) ++hist[row[x]];
      }
      const double want = std::max(1.0, kFocusEdgeShare * mag.total());
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
  cv::Mat clipped;
  cv::threshold(min_channel, clipped, kGlareClipLevel - 1, 255, cv::THRESH_BINARY);
  cv::morphologyEx(clipped, clipped, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
  GlareMeasure out;
  out.paper = Quantile8(min_channel, 0.5);
  const cv::Mat mask = GlareBlobs(min_channel, clipped, out.paper >= kClippedPaperLevel);
  out.mrz = Coverage(mask, layout.mrz);
  out.portrait = Coverage(mask, layout.portrait);
  out.data = Coverage(mask, layout.data);
  out.document = static_cast<double>(cv::countNonZero(mask)) / mask.total();
  out.clipped = static_cast<double>(cv::countNonZero(clipped)) / clipped.total();
  return out;
}

// 95th-percentile luminance from which a page's brightest parts show it was
// lit (score 1), and below which they show it was not (score 0).
constexpr double kLitBrightest = 170;
constexpr double kDarkBrightest = 90;

ExposureMeasure MeasureExposure(const cv::Mat& bgr) {
  const cv::Mat gray = ToGrayWidth(bgr, 800);
  ExposureMeasure out;
  // One histogram for the four quantiles (each Quantile8 call would count
  // the whole image again).
  const std::array<double, 4> q = Quantiles8<4>(gray, {0.5, 0.01, 0.95, 0.99});
  out.median = q[0];
  out.dark_p1 = q[1];
  const double p95 = q[2];
  const double p99 = q[3];
  // Too dark: the paper (median) is far from white, and so are the page's
  // brightest parts (95th percentile): a dark document (a payment card, a
  // dark cover or background) photographed in good light has a dark median
  // but bright print and highlights; an underexposed photo has neither.
  // Washed out: the ink (1st percentile) is nearly as bright as the paper.
  const double dark_score =
      std::max(std::clamp((out.median - 45.0) / (110.0 - 45.0), 0.0, 1.0),
               std::clamp((p95 - kDarkBrightest) / (kLitBrightest - kDarkBrightest), 0.0, 1.0));
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
  const cv::Mat small = ToWidth(bgr, 300);
  // Without its margin: an outline a few pixels off takes in the table or
  // the scanner's lid along the edges, whose colour is not the document's
  // (a grey copy on a coloured table read as colour).
  const int mx = static_cast<int>(small.cols * kColourMargin);
  const int my = static_cast<int>(small.rows * kColourMargin);
  const cv::Mat img = small(cv::Rect(mx, my, small.cols - 2 * mx, small.rows - 2 * my));
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
  const double target = kColourPercentile * static_cast<double>(img.total());
  double acc = 0;
  for (int d = 0; d < 128; ++d) {
    acc += hist[d];
    if (acc >= target) return d;
  }
  return 127;
}

}  // namespace vouch::ocr::internal
