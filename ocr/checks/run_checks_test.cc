#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/checks.h"
#include "synthetic_document.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vouch::ocr::synthetic::RenderScene;
using ::vouch::ocr::synthetic::SceneOptions;
using ::vouch::testing::StatusIs;

TEST(RunChecksTest, WithoutModelsFaceChecksAreUnavailableNeverPass) {
  CheckInput input;
  input.front = RenderScene(SceneOptions{});
  SceneOptions back;
  back.back_side = true;
  input.back = RenderScene(back);
  input.selfie = cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 120, 160));

  absl::StatusOr<CheckReport> report = RunChecks(input, /*models=*/nullptr);

  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::string> names;
  for (const CheckResult& c : report->AllChecks()) names.push_back(c.name);
  EXPECT_THAT(names,
              ElementsAre("resolution", "focus", "glare", "exposure", "cutoff", "colour", "screen",
                          "resolution", "focus", "glare", "exposure", "cutoff", "colour", "screen",
                          "document_face", "selfie_face", "face_match", "barcode"));
  ASSERT_TRUE(report->faces.has_value());
  for (const CheckResult* c :
       {&report->faces->document_face, &report->faces->selfie_face, &report->faces->face_match}) {
    EXPECT_EQ(c->verdict, CheckVerdict::kUnavailable) << c->name;
    EXPECT_THAT(c->reason, HasSubstr("install"));
  }
  EXPECT_TRUE(report->faces->selfie_embedding.empty());
  // The synthetic back carries no barcode.
  ASSERT_TRUE(report->barcode.has_value());
  EXPECT_EQ(report->barcode->check.verdict, CheckVerdict::kFail);
  EXPECT_EQ(report->barcode->check.source, TelegramSource::kReverseSide);
  EXPECT_FALSE(report->barcode->aamva.has_value());
  // Back-side quality checks map to reverse_side.
  EXPECT_EQ(report->AllChecks()[7].source, TelegramSource::kReverseSide);
}

TEST(RunChecksTest, FrontOnlyRunsQualityChecksOnly) {
  CheckInput input;
  input.front = RenderScene(SceneOptions{});

  absl::StatusOr<CheckReport> report = RunChecks(input, nullptr);

  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->AllChecks().size(), 7u);
  EXPECT_FALSE(report->faces.has_value());
  EXPECT_FALSE(report->barcode.has_value());
  EXPECT_NE(report->front.perceptual_hash, 0u);
}

TEST(RunChecksTest, DocumentTypeDecidesBackZonesAndBarcodeRequirement) {
  CheckInput input;
  input.front = RenderScene(SceneOptions{});
  SceneOptions back;
  back.back_side = true;
  back.glare = synthetic::GlareZone::kMrz;
  input.back = RenderScene(back);
  CheckOptions id_card;
  id_card.document_type = DocumentType::kIdentityCard;
  CheckOptions licence;
  licence.document_type = DocumentType::kDriverLicense;

  absl::StatusOr<CheckReport> as_id = RunChecks(input, nullptr, id_card);
  absl::StatusOr<CheckReport> as_dl = RunChecks(input, nullptr, licence);

  ASSERT_TRUE(as_id.ok()) << as_id.status();
  ASSERT_TRUE(as_dl.ok()) << as_dl.status();
  // An identity card's back has its MRZ where the glare is; a licence back
  // has no MRZ zone (the same glare is on its printed details).
  EXPECT_THAT(as_id->back->checks[2].reason, HasSubstr("machine-readable zone"));
  EXPECT_THAT(as_dl->back->checks[2].reason, HasSubstr("printed details"));
  // Only a licence must carry a PDF417.
  EXPECT_EQ(as_id->barcode->check.verdict, CheckVerdict::kUnavailable);
  EXPECT_EQ(as_dl->barcode->check.verdict, CheckVerdict::kFail);
}

TEST(RunChecksTest, RejectsMissingFrontAndNon8BitImages) {
  EXPECT_THAT(RunChecks(CheckInput{}, nullptr), StatusIs(absl::StatusCode::kInvalidArgument));
  CheckInput input;
  input.front = RenderScene(SceneOptions{});
  input.selfie = cv::Mat(10, 10, CV_32FC3, cv::Scalar(0));
  EXPECT_THAT(RunChecks(input, nullptr), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::ocr
