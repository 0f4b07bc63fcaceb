#include "mrz/glyph_classifier.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "opencv2/core.hpp"
#include "opencv2/freetype.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

// Squared distances are divided by this to give scores: a gap of 0.1 in
// squared distance (unit vectors) is 2 units of log-likelihood.
constexpr float kTemperature = 0.05f;

// Features scored together by the kernel (register tile: kRows features
// x 8 sample lanes).
constexpr int kRows = 4;
constexpr int kDim = kFeatureWidth * kFeatureHeight;

typedef float Lanes8 __attribute__((vector_size(32)));

// best[r * kMrzAlphabetSize + c] = max over class c's samples of the dot
// product with feature row r (rows: `n`, a multiple of kRows). Samples are
// GlyphClassifier's blocks (kDim rows of 8 lanes); one block is loaded
// once for every feature tile, so the model streams through the cache once
// per call. With kTwoBlocks, a tile is two blocks by kRows features, so
// each feature value loaded feeds two multiply-adds (the kernel is
// load-bound); that needs 16 vector registers (AVX2), so the baseline
// build keeps one block per tile.
template <bool kTwoBlocks>
__attribute__((always_inline)) inline void MaxDotPerClassBody(const float* blocks,
                                                              const int* class_begin,
                                                              const float* feats, int n,
                                                              float* best) {
  // Running maxima per feature row, 8 lanes each (plain floats: a vector
  // of Lanes8 is not reliably 32-byte aligned when inlined into the AVX2
  // kernel).
  std::vector<float> running(static_cast<size_t>(n) * 8);
  // running[r] = max(running[r], v), lane-wise (a macro, not a lambda: a
  // lambda is a function of its own, compiled for the baseline and called
  // with AVX vectors from the AVX2 kernel).
#define VOUCH_GLYPH_UPDATE(r, v)                              \
  do {                                                        \
    Lanes8 old_;                                              \
    float* at_ = running.data() + static_cast<size_t>(r) * 8; \
    __builtin_memcpy(&old_, at_, sizeof(old_));               \
    old_ = (v) > old_ ? (v) : old_;                           \
    __builtin_memcpy(at_, &old_, sizeof(old_));               \
  } while (0)
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    if (class_begin[c] == class_begin[c + 1]) continue;
    std::fill(running.begin(), running.end(), -2.f);
    int b = class_begin[c];
    for (; kTwoBlocks && b + 1 < class_begin[c + 1]; b += 2) {
      const float* block0 = blocks + static_cast<size_t>(b) * kDim * 8;
      const float* block1 = block0 + static_cast<size_t>(kDim) * 8;
      for (int r = 0; r < n; r += kRows) {
        const float* f0 = feats + static_cast<size_t>(r) * kDim;
        const float* f1 = f0 + kDim;
        const float* f2 = f1 + kDim;
        const float* f3 = f2 + kDim;
        Lanes8 a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
        for (int d = 0; d < kDim; ++d) {
          Lanes8 s, t;
          __builtin_memcpy(&s, block0 + d * 8, sizeof(s));
          __builtin_memcpy(&t, block1 + d * 8, sizeof(t));
          const float v0 = f0[d], v1 = f1[d], v2 = f2[d], v3 = f3[d];
          a0 += s * v0;
          b0 += t * v0;
          a1 += s * v1;
          b1 += t * v1;
          a2 += s * v2;
          b2 += t * v2;
          a3 += s * v3;
          b3 += t * v3;
        }
        a0 = a0 > b0 ? a0 : b0;
        a1 = a1 > b1 ? a1 : b1;
        a2 = a2 > b2 ? a2 : b2;
        a3 = a3 > b3 ? a3 : b3;
        VOUCH_GLYPH_UPDATE(r, a0);
        VOUCH_GLYPH_UPDATE(r + 1, a1);
        VOUCH_GLYPH_UPDATE(r + 2, a2);
        VOUCH_GLYPH_UPDATE(r + 3, a3);
      }
    }
    for (; b < class_begin[c + 1]; ++b) {
      const float* block = blocks + static_cast<size_t>(b) * kDim * 8;
      for (int r = 0; r < n; r += kRows) {
        const float* f0 = feats + static_cast<size_t>(r) * kDim;
        const float* f1 = f0 + kDim;
        const float* f2 = f1 + kDim;
        const float* f3 = f2 + kDim;
        Lanes8 a0{}, a1{}, a2{}, a3{};
        for (int d = 0; d < kDim; ++d) {
          Lanes8 s;
          __builtin_memcpy(&s, block + d * 8, sizeof(s));
          a0 += s * f0[d];
          a1 += s * f1[d];
          a2 += s * f2[d];
          a3 += s * f3[d];
        }
        VOUCH_GLYPH_UPDATE(r, a0);
        VOUCH_GLYPH_UPDATE(r + 1, a1);
        VOUCH_GLYPH_UPDATE(r + 2, a2);
        VOUCH_GLYPH_UPDATE(r + 3, a3);
      }
    }
    for (int r = 0; r < n; ++r) {
      const float* lanes = running.data() + static_cast<size_t>(r) * 8;
      float m = lanes[0];
      for (int k = 1; k < 8; ++k) m = std::max(m, lanes[k]);
      best[static_cast<size_t>(r) * kMrzAlphabetSize + c] = m;
    }
  }
}

#undef VOUCH_GLYPH_UPDATE

// The kernel for CPUs with AVX2 and FMA, and for the rest; MaxDotPerClass
// picks one at run time. (GCC's target_clones("arch=haswell") dispatches on
// the CPU model, not its features: newer CPUs got the baseline.)
#if defined(__x86_64__) && defined(__GNUC__)
#define VOUCH_GLYPH_KERNEL_AVX2 1
__attribute__((target("avx2,fma"))) void MaxDotPerClassAvx2(const float* blocks,
                                                            const int* class_begin,
                                                            const float* feats, int n,
                                                            float* best) {
  MaxDotPerClassBody<true>(blocks, class_begin, feats, n, best);
}
#endif

void MaxDotPerClass(const float* blocks, const int* class_begin, const float* feats, int n,
                    float* best) {
#ifdef VOUCH_GLYPH_KERNEL_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) {
    MaxDotPerClassAvx2(blocks, class_begin, feats, n, best);
    return;
  }
#endif
  MaxDotPerClassBody<false>(blocks, class_begin, feats, n, best);
}

}  // namespace

cv::Mat CellThumb(const cv::Mat& gray_cell) {
  cv::Mat small;
  cv::resize(gray_cell, small, cv::Size(kFeatureWidth, kFeatureHeight), 0, 0, cv::INTER_AREA);
  return small;
}

cv::Mat ThumbFeature(const cv::Mat& thumb) {
  cv::Mat f;
  thumb.convertTo(f, CV_32F, -1.0 / 255, 1.0);  // Ink high.
  f = f.reshape(1, 1).clone();
  const cv::Scalar mean = cv::mean(f);
  f -= mean[0];
  const double norm = cv::norm(f);
  if (norm > 1e-6) f /= norm;
  return f;
}

cv::Mat CellFeature(const cv::Mat& gray_cell) { return ThumbFeature(CellThumb(gray_cell)); }

absl::StatusOr<std::vector<GlyphSample>> LoadGlyphModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no glyph model at ", path));
  char magic[9];
  int32_t header[3];
  in.read(magic, 9);
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  if (!in || std::string(magic, 9) != "VOUCHGLY1" || header[0] != kFeatureWidth ||
      header[1] != kFeatureHeight || header[2] <= 0 || header[2] > 2'000'000) {
    return absl::InvalidArgumentError(absl::StrCat("malformed glyph model ", path));
  }
  std::vector<GlyphSample> samples;
  samples.reserve(header[2]);
  for (int i = 0; i < header[2]; ++i) {
    unsigned char label;
    in.read(reinterpret_cast<char*>(&label), 1);
    cv::Mat thumb(kFeatureHeight, kFeatureWidth, CV_8U);
    in.read(reinterpret_cast<char*>(thumb.data), kFeatureWidth * kFeatureHeight);
    if (!in || label >= kMrzAlphabetSize) {
      return absl::InvalidArgumentError(absl::StrCat("truncated glyph model ", path));
    }
    samples.push_back({label, thumb});
  }
  return samples;
}

absl::Status SaveGlyphModel(const std::string& path, const std::vector<GlyphSample>& samples) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const int32_t header[3] = {kFeatureWidth, kFeatureHeight, static_cast<int32_t>(samples.size())};
  out.write("VOUCHGLY1", 9);
  out.write(reinterpret_cast<const char*>(header), sizeof(header));
  for (const GlyphSample& s : samples) {
    const unsigned char label = static_cast<unsigned char>(s.label);
    out.write(reinterpret_cast<const char*>(&label), 1);
    cv::Mat t = s.thumb.isContinuous() ? s.thumb : s.thumb.clone();
    out.write(reinterpret_cast<const char*>(t.data), kFeatureWidth * kFeatureHeight);
  }
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<GlyphClassifier>> GlyphClassifier::FromSamples(
    const std::vector<GlyphSample>& samples) {
  if (samples.empty()) return absl::InvalidArgumentError("no glyph samples");
  auto classifier = std::unique_ptr<GlyphClassifier>(new GlyphClassifier());
  std::array<std::vector<cv::Mat>, kMrzAlphabetSize> by_class;
  for (const GlyphSample& s : samples) {
    if (s.label < 0 || s.label >= kMrzAlphabetSize) {
      return absl::InvalidArgumentError("glyph sample label out of range");
    }
    by_class[s.label].push_back(ThumbFeature(s.thumb));
  }
  int blocks = 0;
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    classifier->class_begin_[c] = blocks;
    blocks += static_cast<int>((by_class[c].size() + kBlock - 1) / kBlock);
  }
  classifier->class_begin_[kMrzAlphabetSize] = blocks;
  std::vector<float>& out = classifier->blocks_;
  out.assign(static_cast<size_t>(blocks) * kDim * kBlock, 0.f);
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    const std::vector<cv::Mat>& rows = by_class[c];
    for (size_t i = 0; i < rows.size() || (i % kBlock != 0 && !rows.empty()); ++i) {
      const cv::Mat& f = rows[std::min(i, rows.size() - 1)];
      const size_t block = classifier->class_begin_[c] + i / kBlock;
      const size_t lane = i % kBlock;
      const float* src = f.ptr<float>(0);
      for (int d = 0; d < kDim; ++d) {
        out[(block * kDim + d) * kBlock + lane] = src[d];
      }
    }
  }
  return classifier;
}

absl::StatusOr<std::unique_ptr<GlyphClassifier>> GlyphClassifier::Create(
    const std::string& ocr_b_font_path, int samples_per_class) {
  absl::StatusOr<std::vector<GlyphSample>> samples =
      RenderFontSamples(ocr_b_font_path, samples_per_class);
  if (!samples.ok()) return samples.status();
  return FromSamples(*samples);
}

absl::StatusOr<std::vector<GlyphSample>> GlyphClassifier::RenderFontSamples(
    const std::string& ocr_b_font_path, int samples_per_class) {
  std::vector<GlyphSample> out;
  try {
    cv::Ptr<cv::freetype::FreeType2> ft = cv::freetype::createFreeType2();
    ft->loadFontData(ocr_b_font_path, 0);
    // Render each symbol large once; samples are warped copies.
    constexpr int kEm = 96;
    int base = 0;
    const cv::Size h_size = ft->getTextSize("H", kEm, -1, &base);
    const double cap = h_size.height;
    const double advance =
        (ft->getTextSize("HHHHHHHHHHH", kEm, -1, &base).width - h_size.width) / 10.0;
    std::mt19937_64 rng(20260101);
    auto uniform = [&](double lo, double hi) {
      return std::uniform_real_distribution<double>(lo, hi)(rng);
    };
    const int canvas_w = static_cast<int>(advance * 3);
    const int canvas_h = static_cast<int>(cap * 3);
    for (int c = 0; c < kMrzAlphabetSize; ++c) {
      // FreeType2::putText draws on 3-channel images only.
      cv::Mat canvas3(canvas_h, canvas_w, CV_8UC3, cv::Scalar::all(255));
      const std::string s(1, kMrzAlphabet[c]);
      const cv::Size sz = ft->getTextSize(s, kEm, -1, &base);
      const int x0 = static_cast<int>((canvas_w - sz.width) / 2);
      const int baseline = static_cast<int>(cap * 2);  // Cap top at y = cap.
      ft->putText(canvas3, s, cv::Point(x0, baseline), kEm, cv::Scalar::all(0), -1, cv::LINE_AA,
                  true);
      cv::Mat canvas;
      cv::cvtColor(canvas3, canvas, cv::COLOR_BGR2GRAY);
      // Ink centre, so that cells centred on ink match the reader's cells.
      cv::Mat ink = canvas < 128;
      const cv::Rect bbox = cv::boundingRect(ink);
      const double ink_cx = bbox.x + bbox.width / 2.0;
      for (int k = 0; k < samples_per_class; ++k) {
        const double target_cap = uniform(9, 30);
        const double scale = target_cap / cap;
        const double pitch_ratio = uniform(1.0, 1.25);  // pitch / cap
        const int cell_w = std::max(4, static_cast<int>(std::lround(target_cap * pitch_ratio)));
        const int cell_h =
            std::max(6, static_cast<int>(std::lround(target_cap * (1 + 2 * kCellMargin))));
        const double dx = uniform(-0.1, 0.1) * cell_w;
        const double dy = uniform(-0.08, 0.08) * target_cap;
        const double sy = scale * uniform(0.92, 1.08);
        const double sx = sy * uniform(0.96, 1.04);
        const double shear = uniform(-0.04, 0.04);
        // Map canvas -> cell: the cap box [cap, 2 cap] lands at
        // [margin, margin + target_cap]; ink centre at the cell centre.
        cv::Mat m = (cv::Mat_<double>(2, 3) << sx, shear * sx,
                     cell_w / 2.0 + dx - sx * ink_cx - shear * sx * cap * 1.5, 0, sy,
                     kCellMargin * target_cap + dy - sy * cap);
        cv::Mat cell;
        cv::warpAffine(canvas, cell, m, cv::Size(cell_w, cell_h), cv::INTER_LINEAR,
                       cv::BORDER_CONSTANT, cv::Scalar(255));
        // Stroke weight.
        const double w = uniform(0, 1);
        if (w < 0.2) {
          cv::erode(cell, cell, cv::Mat());  // Bolder ink.
        } else if (w > 0.85 && target_cap > 18) {
          cv::dilate(cell, cell, cv::Mat());  // Thinner ink.
        }
        const double sigma = uniform(0, 0.09) * target_cap;
        if (sigma > 0.3) cv::GaussianBlur(cell, cell, cv::Size(0, 0), sigma);
        cv::Mat f;
        cell.convertTo(f, CV_32F);
        const double contrast = uniform(0.35, 1.0);
        f = 255 - (255 - f) * contrast;
        cv::Mat noise(f.size(), CV_32F);
        cv::RNG cv_rng(rng());
        cv_rng.fill(noise, cv::RNG::NORMAL, 0, uniform(0, 12));
        f += noise;
        f.convertTo(cell, CV_8U);
        out.push_back({c, CellThumb(cell)});
      }
    }
  } catch (const cv::Exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot train the OCR-B glyph classifier from ", ocr_b_font_path, ": ", e.what()));
  }
  return out;
}

std::vector<CharScores> GlyphClassifier::Score(const cv::Mat& features) const {
  std::vector<CharScores> out(features.rows);
  if (features.empty()) return out;
  if (features.cols != kDim || features.type() != CV_32F) {
    for (CharScores& s : out) s.fill(-4.f / kTemperature);  // Worst score.
    return out;
  }
  // Features padded to a multiple of kRows (zero rows are ignored).
  const int n = features.rows;
  const int padded_n = (n + kRows - 1) / kRows * kRows;
  std::vector<float> feats(static_cast<size_t>(padded_n) * kDim, 0.f);
  for (int r = 0; r < n; ++r) {
    const float* src = features.ptr<float>(r);
    std::copy(src, src + kDim, feats.begin() + static_cast<size_t>(r) * kDim);
  }
  std::vector<float> best(static_cast<size_t>(padded_n) * kMrzAlphabetSize, -2.f);
  MaxDotPerClass(blocks_.data(), class_begin_.data(), feats.data(), padded_n, best.data());
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < kMrzAlphabetSize; ++c) {
      // Unit vectors: |a - b|^2 = 2 - 2 a.b
      out[r][c] = -(2.f - 2.f * best[static_cast<size_t>(r) * kMrzAlphabetSize + c]) / kTemperature;
    }
  }
  return out;
}

}  // namespace vouch::ocr::internal
