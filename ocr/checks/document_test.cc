#include "ocr/document.h"

#include "checks/quality_internal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "synthetic_document.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::vouch::ocr::synthetic::RenderCard;
using ::vouch::ocr::synthetic::RenderScene;
using ::vouch::ocr::synthetic::SceneOptions;
using ::vouch::testing::StatusIs;

TEST(DetectDocumentTest, FindsCardAndRectifiesToItsAspect) {
  SceneOptions o;
  o.rotation_deg = 7;

  absl::StatusOr<DocumentDetection> doc = DetectDocument(RenderScene(o));

  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->found);
  EXPECT_EQ(doc->sides_touching, 0);
  // ID-1 is 85.60 × 53.98 mm (aspect 1.586); the card is 1000 px wide in a
  // 1400 × 1050 photo (fill ~0.43).
  const double aspect = static_cast<double>(doc->rectified.cols) / doc->rectified.rows;
  EXPECT_NEAR(aspect, 85.60 / 53.98, 0.08);
  EXPECT_NEAR(doc->rectified.cols, 1000, 60);
  EXPECT_NEAR(doc->fill, 0.43, 0.08);
}

TEST(DetectDocumentTest, BlankOutlineIsJudgedOnTheWholeFrame) {
  // A featureless light panel (the largest quadrilateral) beside a printed
  // strip on a dark background: the panel holds no print, so the measures
  // get the whole frame.
  cv::Mat scene(600, 900, CV_8UC3, cv::Scalar(40, 40, 40));
  scene(cv::Rect(150, 100, 600, 380)).setTo(cv::Scalar(215, 215, 215));
  for (int x = 160; x < 740; x += 20) {
    cv::rectangle(scene, cv::Rect(x, 520, 10, 40), cv::Scalar(230, 230, 230), cv::FILLED);
  }

  absl::StatusOr<DocumentDetection> doc = DetectDocument(scene);

  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(doc->found);  // The panel's outline, kept for the cut-off.
  EXPECT_NEAR(doc->corners[0].x, 150, 10);
  EXPECT_EQ(doc->rectified.size(), scene.size());
}

TEST(DetectDocumentTest, ReportsBorderContactWhenACornerIsCut) {
  SceneOptions o;
  o.cut_corner = 2;

  absl::StatusOr<DocumentDetection> doc = DetectDocument(RenderScene(o));

  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_GE(doc->sides_touching, 1);
  EXPECT_GT(doc->border_contact, 0.03);
}

TEST(DetectDocumentTest, WholeFrameWhenTheDocumentFillsIt) {
  // A flatbed-style scan cropped to the card: no document edge is visible.
  const cv::Mat card = RenderCard(3, 900, false, true);

  absl::StatusOr<DocumentDetection> doc = DetectDocument(card);

  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_FALSE(doc->found);
  EXPECT_EQ(doc->rectified.size(), card.size());
}

TEST(DetectDocumentTest, TheQualityChecksVariantSharesItsHalvingAndSkipsADistrustedWarp) {
  // The variant RunQualityChecks uses (time only, session 18): the same
  // outline and rectification, detection's first halving handed out, and
  // no warp for an outline the caller will not use.
  SceneOptions o;
  o.rotation_deg = 7;
  const cv::Mat photo = RenderScene(o);  // 1400 x 1050: detection halves it.
  absl::StatusOr<DocumentDetection> plain = DetectDocument(photo);
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(plain->found);

  cv::Mat half;
  absl::StatusOr<DocumentDetection> kept = internal::DetectDocument(
      photo, [](const DocumentDetection&) { return true; }, &half);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->corners, plain->corners);
  EXPECT_EQ(cv::norm(kept->rectified, plain->rectified, cv::NORM_INF), 0);
  cv::Mat expected;
  cv::resize(photo, expected, cv::Size(photo.cols / 2, photo.rows / 2), 0, 0, cv::INTER_AREA);
  ASSERT_EQ(half.size(), expected.size());
  EXPECT_EQ(cv::norm(half, expected, cv::NORM_INF), 0);
  // Shrink from that halving is Shrink from the photo.
  const cv::Size size(700, 525);
  EXPECT_EQ(
      cv::norm(internal::Shrink(photo, size, half), internal::Shrink(photo, size), cv::NORM_INF),
      0);

  absl::StatusOr<DocumentDetection> dropped = internal::DetectDocument(
      photo, [](const DocumentDetection&) { return false; }, nullptr);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(dropped->corners, plain->corners);
  EXPECT_TRUE(dropped->rectified.empty());
}

TEST(DetectDocumentTest, HalvingAnOddSizedPhotoGivesOpenCvsPixels) {
  // HalveArea computes cv::resize's general area resampler (an odd side)
  // itself, faster: the same pixels, bit for bit, so that no outline moves.
  cv::RNG rng(18);
  for (const cv::Size size : {cv::Size(1001, 751), cv::Size(1000, 751), cv::Size(1001, 750),
                              cv::Size(999, 1333), cv::Size(7, 5), cv::Size(640, 480)}) {
    cv::Mat photo(size, CV_8UC3);
    rng.fill(photo, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(photo(cv::Rect(0, 0, size.width / 2, size.height)),
                     photo(cv::Rect(0, 0, size.width / 2, size.height)), cv::Size(5, 5), 1.5);
    cv::Mat expected;
    cv::resize(photo, expected, cv::Size(size.width / 2, size.height / 2), 0, 0, cv::INTER_AREA);
    const cv::Mat half = internal::HalveArea(photo);
    ASSERT_EQ(half.size(), expected.size()) << size;
    EXPECT_EQ(cv::norm(half, expected, cv::NORM_INF), 0) << size;
  }
  // Columns of 10 and 11 (each pair's mean 10.5, halfway between two
  // levels) with an odd number of rows: sums at or within a rounding
  // error of a tie, where only the same float operations and the same
  // rounding give the same pixels.
  cv::Mat stripes(751, 1000, CV_8UC3);
  for (int x = 0; x < stripes.cols; ++x) stripes.col(x).setTo(cv::Scalar::all(10 + x % 2));
  cv::Mat expected;
  cv::resize(stripes, expected, cv::Size(500, 375), 0, 0, cv::INTER_AREA);
  EXPECT_EQ(cv::norm(internal::HalveArea(stripes), expected, cv::NORM_INF), 0);
}

TEST(DetectDocumentTest, RejectsEmptyAndNon8BitImages) {
  EXPECT_THAT(DetectDocument(cv::Mat()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DetectDocument(cv::Mat(100, 100, CV_32FC3, cv::Scalar(0))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DetectDocument(cv::Mat(100, 100, CV_8UC4, cv::Scalar(0))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DetectDocumentTest, SurvivesTinyAndFlatImages) {
  EXPECT_TRUE(DetectDocument(cv::Mat(1, 1, CV_8UC1, cv::Scalar(0))).ok());
  EXPECT_TRUE(DetectDocument(cv::Mat(3, 5000, CV_8UC3, cv::Scalar(9))).ok());
}

TEST(PerceptualHashTest, NearDuplicatesAreCloseAndDifferentCardsFar) {
  const cv::Mat a = RenderCard(1, 800, false, true);
  cv::Mat a_again;
  cv::resize(a, a_again, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
  a_again.convertTo(a_again, -1, 0.9, 10);  // Other exposure, other size.
  const cv::Mat b = RenderCard(2, 800, true, true);

  absl::StatusOr<uint64_t> ha = PerceptualHash(a);
  absl::StatusOr<uint64_t> ha2 = PerceptualHash(a_again);
  absl::StatusOr<uint64_t> hb = PerceptualHash(b);

  ASSERT_TRUE(ha.ok() && ha2.ok() && hb.ok());
  EXPECT_LE(HammingDistance(*ha, *ha2), 6);
  EXPECT_GE(HammingDistance(*ha, *hb), 16);
}

TEST(PerceptualHashTest, RejectsEmptyImage) {
  EXPECT_THAT(PerceptualHash(cv::Mat()), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::ocr
