// Face checks without models (hermetic): the degraded paths.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;

TEST(RunFaceChecksTest, WithoutModelsEveryFaceCheckIsUnavailable) {
  const cv::Mat doc(400, 600, CV_8UC3, cv::Scalar(200, 200, 200));
  const cv::Mat selfie(480, 640, CV_8UC3, cv::Scalar(100, 120, 140));

  absl::StatusOr<FaceReport> r = RunFaceChecks(doc, selfie, nullptr);

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->document_face.verdict, CheckVerdict::kUnavailable);
  EXPECT_EQ(r->selfie_face.verdict, CheckVerdict::kUnavailable);
  EXPECT_EQ(r->face_match.verdict, CheckVerdict::kUnavailable);
  EXPECT_EQ(r->face_match.name, "face_match");
  EXPECT_EQ(r->face_match.source, TelegramSource::kSelfie);
  EXPECT_EQ(r->document_face.source, TelegramSource::kFrontSide);
  EXPECT_TRUE(r->document_embedding.empty());
  EXPECT_TRUE(r->selfie_embedding.empty());
}

TEST(RunFaceChecksTest, RejectsUnusableImages) {
  const cv::Mat ok(100, 100, CV_8UC3, cv::Scalar(0));
  EXPECT_THAT(RunFaceChecks(cv::Mat(), ok, nullptr), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RunFaceChecks(ok, cv::Mat(10, 10, CV_32FC3), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CosineSimilarityTest, BasicCases) {
  const std::vector<float> a = {1, 0, 0}, b = {0, 1, 0}, c = {-2, 0, 0};

  EXPECT_DOUBLE_EQ(CosineSimilarity(a, a), 1.0);
  EXPECT_DOUBLE_EQ(CosineSimilarity(a, b), 0.0);
  EXPECT_DOUBLE_EQ(CosineSimilarity(a, c), -1.0);
  EXPECT_DOUBLE_EQ(CosineSimilarity(a, {1, 0}), 0.0);
  EXPECT_DOUBLE_EQ(CosineSimilarity({}, {}), 0.0);
  EXPECT_DOUBLE_EQ(CosineSimilarity({0, 0, 0}, a), 0.0);
}

TEST(FaceModelsTest, MissingModelsAreNotFound) {
  EXPECT_THAT(FaceModels::Load("/nonexistent/vouch/models"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("install.sh")));
}

TEST(FaceModelsTest, CorruptModelIsFailedPrecondition) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("corrupt_face_models_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* name : {"fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx"}) {
    std::ofstream(dir / name) << "not an onnx model";
  }

  EXPECT_THAT(FaceModels::Load(dir.string()), StatusIs(absl::StatusCode::kFailedPrecondition));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace vouch::ocr
