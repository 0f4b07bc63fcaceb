// Runs the built `vouchctl ocr check` on synthetic photos: JSON shape, exit
// codes, degraded face checks without models.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "synthetic_document.h"
#include "testing/cli_run.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

using ::vouch::testing::CliRun;
using ::vouch::testing::ReadFileOrEmpty;

// ctest runs each TEST in its own process, possibly in parallel: every
// process works in its own folder.
fs::path ProcessDir() {
  return fs::path(::testing::TempDir()) / ("ocr_check_cli_" + std::to_string(::getpid()));
}

CliRun Vouchctl(const std::string& args) {
  return ::vouch::testing::RunCli(VOUCHCTL_PATH, args, ProcessDir());
}

class OcrCheckCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(ProcessDir() / "in");
    fs::create_directories(*dir_);
    vouch::ocr::synthetic::SceneOptions o;
    ASSERT_TRUE(cv::imwrite((*dir_ / "front.jpg").string(), vouch::ocr::synthetic::RenderScene(o)));
    o.blur_sigma = 4;
    ASSERT_TRUE(
        cv::imwrite((*dir_ / "blurred.jpg").string(), vouch::ocr::synthetic::RenderScene(o)));
    std::ofstream(*dir_ / "not_an_image.jpg") << "hello";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(ProcessDir(), ec);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Path(const char* name) { return (*dir_ / name).string(); }
  static fs::path* dir_;
};
fs::path* OcrCheckCliTest::dir_ = nullptr;

TEST_F(OcrCheckCliTest, JsonHasEveryQualityCheck) {
  const CliRun run = Vouchctl("ocr check --json --document " + Path("front.jpg"));

  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json j = Json::parse(run.out);
  ASSERT_EQ(j["checks"].size(), 7u);
  EXPECT_EQ(j["checks"][1]["name"], "focus");
  EXPECT_EQ(j["checks"][1]["verdict"], "pass");
  EXPECT_EQ(j["checks"][1]["source"], "front_side");
  EXPECT_TRUE(j["checks"][1]["score"].is_number());
  EXPECT_TRUE(j["checks"][1]["threshold"].is_number());
  EXPECT_TRUE(j["face_match"].is_null());
  EXPECT_TRUE(j["barcode"].is_null());
  EXPECT_TRUE(j["ms"].is_number_integer());
  EXPECT_EQ(j["perceptual_hash"].get<std::string>().size(), 16u);
}

TEST_F(OcrCheckCliTest, BlurredPhotoFailsFocusButExitsZero) {
  const CliRun run = Vouchctl("ocr check --json --document " + Path("blurred.jpg"));

  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json j = Json::parse(run.out);
  EXPECT_EQ(j["checks"][1]["name"], "focus");
  EXPECT_EQ(j["checks"][1]["verdict"], "fail");
  EXPECT_THAT(j["checks"][1]["reason"].get<std::string>(), HasSubstr("blurry"));
}

TEST_F(OcrCheckCliTest, SelfieWithoutModelsIsAnErrorNamingTheFolder) {
  const CliRun run = Vouchctl("ocr check --json --document " + Path("front.jpg") + " --selfie " +
                              Path("front.jpg") + " --face-models /nonexistent/models");

  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("error: face models in /nonexistent/models"));
  EXPECT_THAT(run.err, HasSubstr("install.sh"));
  EXPECT_EQ(run.out, "");
}

TEST_F(OcrCheckCliTest, TableWithoutJson) {
  const CliRun run = Vouchctl("ocr check --document " + Path("front.jpg"));

  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("focus"));
  EXPECT_THAT(run.out, HasSubstr("pass: sharp"));
}

TEST_F(OcrCheckCliTest, UndecodableFileExitsOne) {
  const CliRun run = Vouchctl("ocr check --document " + Path("not_an_image.jpg"));

  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("error:"));
}

TEST_F(OcrCheckCliTest, DocumentTypeIsAcceptedAndValidated) {
  const CliRun ok = Vouchctl("ocr check --json --type td3 --document " + Path("front.jpg"));
  const CliRun bad = Vouchctl("ocr check --type spaceship --document " + Path("front.jpg"));
  const CliRun contradiction =
      Vouchctl("ocr check --licence --type passport --document " + Path("front.jpg"));

  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown document type"));
  EXPECT_EQ(contradiction.exit_code, 2);
  EXPECT_THAT(contradiction.err, HasSubstr("contradicts"));
}

TEST_F(OcrCheckCliTest, MissingDocumentIsUsageError) {
  EXPECT_EQ(Vouchctl("ocr check --json").exit_code, 2);
  EXPECT_EQ(Vouchctl("ocr check --document /nonexistent.jpg").exit_code, 2);
}

}  // namespace
