#include "mrz/glyph_classifier.h"

#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "testing/status_matchers.h"

namespace vouch::ocr::internal {
namespace {

using ::vouch::testing::StatusIs;

cv::Mat RandomThumb(std::mt19937& rng) {
  cv::Mat t(kFeatureHeight, kFeatureWidth, CV_8U);
  std::uniform_int_distribution<int> px(0, 255);
  for (int y = 0; y < t.rows; ++y) {
    for (int x = 0; x < t.cols; ++x) t.at<uchar>(y, x) = static_cast<uchar>(px(rng));
  }
  return t;
}

// The blocked, vectorised scoring kernel must give the scores of a plain
// nearest-neighbour search: per class, the best dot product of unit
// features, turned into -(2 - 2 dot) / temperature.
TEST(GlyphClassifierTest, ScoreMatchesBruteForceNearestNeighbour) {
  std::mt19937 rng(7);
  std::vector<GlyphSample> samples;
  // Uneven class sizes: 0 (class 5 absent), 1, and sizes that are not a
  // multiple of the kernel's block.
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    if (c == 5) continue;
    const int count = c == 3 ? 1 : 1 + (c * 7) % 19;
    for (int k = 0; k < count; ++k) samples.push_back({c, RandomThumb(rng)});
  }
  absl::StatusOr<std::unique_ptr<GlyphClassifier>> classifier =
      GlyphClassifier::FromSamples(samples);
  ASSERT_TRUE(classifier.ok()) << classifier.status();
  // 7 queries: not a multiple of the kernel's row tile.
  std::vector<cv::Mat> rows;
  for (int i = 0; i < 7; ++i) {
    // Some queries are exact copies of a sample: their class wins with
    // distance 0.
    rows.push_back(i % 2 ? ThumbFeature(samples[i * 11].thumb) : ThumbFeature(RandomThumb(rng)));
  }
  cv::Mat features;
  cv::vconcat(rows, features);
  const std::vector<CharScores> scores = (*classifier)->Score(features);
  ASSERT_EQ(scores.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    std::array<double, kMrzAlphabetSize> best;
    best.fill(-2.0);
    for (const GlyphSample& s : samples) {
      best[s.label] = std::max(best[s.label], rows[r].dot(ThumbFeature(s.thumb)));
    }
    for (int c = 0; c < kMrzAlphabetSize; ++c) {
      const double expected = -(2.0 - 2.0 * best[c]) / 0.05;
      EXPECT_NEAR(scores[r][c], expected, 1e-3) << "row " << r << " class " << c;
    }
    if (r % 2) {
      EXPECT_NEAR(scores[r][samples[r * 11].label], 0.0, 1e-3);
    }
  }
  // The absent class scores as far as possible.
  EXPECT_NEAR(scores[0][5], -120.0, 1e-3);  // -(2 - 2 * -2) / 0.05
}

TEST(GlyphClassifierTest, RejectsEmptyAndOutOfRangeSamples) {
  EXPECT_THAT(GlyphClassifier::FromSamples({}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::mt19937 rng(1);
  EXPECT_THAT(GlyphClassifier::FromSamples({{kMrzAlphabetSize, RandomThumb(rng)}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::ocr::internal
