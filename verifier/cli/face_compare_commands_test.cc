// Runs the built `vouchctl ocr face-compare` with the real face models on
// photos from ../shared/corpus/faces (skipped without ../shared): exit
// codes, verdicts and the reason for each unusable photo.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "testing/cli_run.h"
#include "testing/shared_data.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const std::string kModels = std::string(VOUCH_SOURCE_DIR) + "/models/face";

fs::path ProcessDir() {
  return fs::path(::testing::TempDir()) / ("face_compare_cli_" + std::to_string(::getpid()));
}

fs::path Faces() { return ::vouch::testing::SharedDir() / "corpus" / "faces"; }

// Two photos of one person, and one of another (colour photos of adults).
std::string PersonA1() { return (Faces() / "biden" / "biden__facerec_01.jpg").string(); }
std::string PersonA2() { return (Faces() / "biden" / "biden__facerec_02.jpg").string(); }
std::string PersonB() {
  return (Faces() / "deepface_person_01" / "deepface_person_01__deepface_01.jpg").string();
}

::vouch::testing::CliRun Compare(const std::string& a, const std::string& b,
                                 const std::string& extra = "--json") {
  return ::vouch::testing::RunCli(
      VOUCHCTL_PATH, "ocr face-compare " + extra + " --face-models " + kModels + " " + a + " " + b,
      ProcessDir());
}

class FaceCompareCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VOUCH_REQUIRE_SHARED_DIR();
    fs::create_directories(ProcessDir());
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(ProcessDir(), ec);
  }

  // Writes `image` into the test's folder and returns its path.
  static std::string Write(const std::string& name, const cv::Mat& image) {
    const std::string path = (ProcessDir() / name).string();
    EXPECT_TRUE(cv::imwrite(path, image));
    return path;
  }
};

TEST_F(FaceCompareCliTest, SamePersonPasses) {
  const ::vouch::testing::CliRun run = Compare(PersonA1(), PersonA2());

  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json j = Json::parse(run.out);
  EXPECT_TRUE(j["compared"].get<bool>());
  EXPECT_EQ(j["verdict"], "pass");
  EXPECT_GE(j["similarity"].get<double>(), j["threshold"]["pass"].get<double>());
  for (const char* side : {"first", "second"}) {
    EXPECT_TRUE(j[side]["usable"].get<bool>());
    EXPECT_EQ(j[side]["faces"], 1);
    EXPECT_GT(j[side]["box"]["height"].get<double>(), 48);
    EXPECT_LT(std::abs(j[side]["pose"]["yaw_deg"].get<double>()), 25);
    EXPECT_GT(j[side]["sharpness"].get<double>(), 0);
  }
}

TEST_F(FaceCompareCliTest, DifferentPeopleFailButAreCompared) {
  const ::vouch::testing::CliRun run = Compare(PersonA1(), PersonB());

  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json j = Json::parse(run.out);
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_LT(j["similarity"].get<double>(), j["threshold"]["review"].get<double>());
}

TEST_F(FaceCompareCliTest, TextOutputNamesSimilarityAndVerdict) {
  const ::vouch::testing::CliRun run = Compare(PersonA1(), PersonA2(), "");

  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("first photo: face at"));
  EXPECT_THAT(run.out, HasSubstr("yaw"));
  EXPECT_THAT(run.out, HasSubstr(": pass (the same person"));
}

TEST_F(FaceCompareCliTest, PhotoWithoutFaceIsUnusable) {
  const std::string flat = Write("flat.png", cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 100, 110)));

  const ::vouch::testing::CliRun run = Compare(PersonA1(), flat);

  EXPECT_EQ(run.exit_code, 1);
  const Json j = Json::parse(run.out);
  EXPECT_FALSE(j["compared"].get<bool>());
  EXPECT_TRUE(j["similarity"].is_null());
  EXPECT_EQ(j["second"]["problem"], "no_face");
  EXPECT_THAT(run.err, HasSubstr("no face found in the second photo"));
}

TEST_F(FaceCompareCliTest, TwoPeopleAreUnusable) {
  const cv::Mat a = cv::imread(PersonA1(), cv::IMREAD_COLOR);
  cv::Mat both;
  cv::hconcat(a, a, both);

  const ::vouch::testing::CliRun run = Compare(Write("two.jpg", both), PersonA2());

  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Json::parse(run.out)["first"]["problem"], "several_faces");
  EXPECT_THAT(run.err, HasSubstr("more than one face found in the first photo"));
}

TEST_F(FaceCompareCliTest, TinyFaceIsTooSmall) {
  // The face in PersonA1 is ~140 px high: a quarter of it is ~35 px, under
  // min_face_px, on a canvas the detector sees at full size.
  const cv::Mat a = cv::imread(PersonA1(), cv::IMREAD_COLOR);
  cv::Mat tiny;
  cv::resize(a, tiny, cv::Size(), 0.25, 0.25, cv::INTER_AREA);
  cv::Mat canvas(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  tiny.copyTo(canvas(cv::Rect(100, 20, tiny.cols, tiny.rows)));

  const ::vouch::testing::CliRun run = Compare(PersonA2(), Write("tiny.png", canvas));

  EXPECT_EQ(run.exit_code, 1);
  const Json j = Json::parse(run.out);
  EXPECT_EQ(j["second"]["problem"], "too_small") << run.out;
  EXPECT_THAT(run.err, HasSubstr("too small"));
}

TEST_F(FaceCompareCliTest, BlurredFaceIsUnusable) {
  const cv::Mat a = cv::imread(PersonA1(), cv::IMREAD_COLOR);
  cv::Mat blurred;
  cv::GaussianBlur(a, blurred, cv::Size(), 6);

  const ::vouch::testing::CliRun run = Compare(Write("blurred.png", blurred), PersonA2());

  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Json::parse(run.out)["first"]["problem"], "blurred") << run.out;
  EXPECT_THAT(run.err, HasSubstr("is blurred"));
}

TEST_F(FaceCompareCliTest, TiltedFaceIsTurned) {
  const cv::Mat a = cv::imread(PersonA1(), cv::IMREAD_COLOR);
  const cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(a.cols / 2.0f, a.rows / 2.0f), 45, 1);
  cv::Mat tilted;
  cv::warpAffine(a, tilted, rot, a.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);

  const ::vouch::testing::CliRun run = Compare(PersonA2(), Write("tilted.png", tilted));

  EXPECT_EQ(run.exit_code, 1);
  const Json j = Json::parse(run.out);
  EXPECT_EQ(j["second"]["problem"], "turned") << run.out;
  EXPECT_GT(std::abs(j["second"]["pose"]["roll_deg"].get<double>()), 25);
  EXPECT_THAT(run.err, HasSubstr("turned or tilted"));
}

TEST_F(FaceCompareCliTest, FileThatIsNotAnImageIsUnusable) {
  const std::string text = (ProcessDir() / "note.jpg").string();
  std::ofstream(text) << "not an image";

  const ::vouch::testing::CliRun run = Compare(PersonA1(), text);

  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Json::parse(run.out)["second"]["problem"], "not_an_image");
  EXPECT_THAT(run.err, HasSubstr("the second photo is not a usable image"));
}

TEST_F(FaceCompareCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Compare(PersonA1(), "").exit_code, 2);  // One photo only.
  EXPECT_EQ(Compare(PersonA1(), (ProcessDir() / "missing.jpg").string()).exit_code, 2);
}

}  // namespace
