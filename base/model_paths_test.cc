#include "base/model_paths.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ModelPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("model_paths_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A models folder holding `files` (relative paths), each non-empty.
  std::string MakeModels(const std::string& name, const std::vector<std::string>& files) {
    const fs::path dir = root_ / name;
    fs::create_directories(dir);
    for (const std::string& f : files) {
      fs::create_directories((dir / f).parent_path());
      std::ofstream(dir / f) << "model";
    }
    return dir.string();
  }

  // A build-tree layout: root/build/bin/tool and root/src/models.
  ModelsDirInputs DevelopmentBuild() {
    ModelsDirInputs in;
    in.executable = (root_ / "build" / "bin" / "tool").string();
    in.installed_relative = "../share/vouch/models";
    in.build_tree = (root_ / "build").string();
    in.source_models = MakeModels("src/models", {});
    return in;
  }

  fs::path root_;
};

TEST_F(ModelPathsTest, ExplicitSourcesWinInOrderFlagConfigEnvironment) {
  ModelsDirInputs in = DevelopmentBuild();
  in.flag = "/flag";
  in.config = "/config";
  in.environment = "/env";

  EXPECT_EQ(ResolveModelsDir(in)->source, "--models-dir");
  in.flag.clear();
  EXPECT_EQ(ResolveModelsDir(in)->path, "/config");
  in.config.clear();
  absl::StatusOr<ModelsDir> env = ResolveModelsDir(in);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->path, "/env");
  EXPECT_EQ(env->source, "VOUCH_MODELS_DIR");
}

TEST_F(ModelPathsTest, ExplicitFolderIsTakenEvenWhenMissingSoATypoIsNotSkipped) {
  ModelsDirInputs in = DevelopmentBuild();
  in.flag = (root_ / "typo").string();

  absl::StatusOr<ModelsDir> dir = ResolveModelsDir(in);

  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->path, in.flag);
  const absl::Status check = CheckModelFiles(*dir, {ModelComponent::kMrz});
  EXPECT_EQ(check.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(check.message()),
              AllOf(HasSubstr(in.flag + "/mrz/ocrb_glyphs.bin"), HasSubstr("--models-dir")));
}

TEST_F(ModelPathsTest, InstalledLayoutBesideTheExecutable) {
  ModelsDirInputs in = DevelopmentBuild();
  in.executable = (root_ / "prefix" / "bin" / "vouchd").string();
  const std::string installed = MakeModels("prefix/share/vouch/models", {});

  absl::StatusOr<ModelsDir> dir = ResolveModelsDir(in);

  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->path, installed);
  EXPECT_EQ(dir->source, "installed");
}

TEST_F(ModelPathsTest, SourceTreeOnlyForAnExecutableInsideTheBuildTree) {
  ModelsDirInputs in = DevelopmentBuild();

  absl::StatusOr<ModelsDir> dev = ResolveModelsDir(in);
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(dev->path, in.source_models);
  EXPECT_EQ(dev->source, "source tree");

  in.executable = (root_ / "elsewhere" / "bin" / "tool").string();
  absl::StatusOr<ModelsDir> other = ResolveModelsDir(in);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(other.status().message()),
              AllOf(HasSubstr("VOUCH_MODELS_DIR: (not set)"),
                    HasSubstr((root_ / "elsewhere/share/vouch/models").string()),
                    HasSubstr("not in the build tree"), HasSubstr("--models-dir DIR")));
}

TEST_F(ModelPathsTest, BuildTreePrefixOfAnotherFolderIsNotInside) {
  ModelsDirInputs in = DevelopmentBuild();
  in.executable = (root_ / "build-other" / "tool").string();

  EXPECT_EQ(ResolveModelsDir(in).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelPathsTest, CheckNamesEveryMissingOrEmptyFileAndTheFix) {
  ModelsDir dir;
  dir.path = MakeModels("partial", {"mrz/ocrb_glyphs.bin", "face/fr_detect.onnx"});
  dir.source = "VOUCH_MODELS_DIR";
  dir.searched = {"--models-dir: (not set)", "VOUCH_MODELS_DIR: " + dir.path};
  std::ofstream(fs::path(dir.path) / "face/fr_landmark.onnx");  // Empty.

  const absl::Status mrz_only = CheckModelFiles(dir, {ModelComponent::kMrz});
  const absl::Status both = CheckModelFiles(dir, {ModelComponent::kMrz, ModelComponent::kFace});

  EXPECT_EQ(mrz_only.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(
      std::string(mrz_only.message()),
      AllOf(HasSubstr(dir.path + "/mrz/tesseract/mrz.traineddata"), Not(HasSubstr("ocrb_glyphs")),
            HasSubstr("from VOUCH_MODELS_DIR"), HasSubstr("cmake --install")));
  EXPECT_THAT(std::string(both.message()),
              AllOf(HasSubstr("face/fr_landmark.onnx"), HasSubstr("face/fr_feature.onnx"),
                    Not(HasSubstr("fr_detect")), HasSubstr("models/face/install.sh")));
}

TEST_F(ModelPathsTest, CompleteFolderPasses) {
  std::vector<std::string> files = ModelFiles(ModelComponent::kMrz);
  for (const std::string& f : ModelFiles(ModelComponent::kFace)) files.push_back(f);
  ModelsDir dir;
  dir.path = MakeModels("complete", files);

  EXPECT_TRUE(CheckModelFiles(dir, {ModelComponent::kMrz, ModelComponent::kFace}).ok());
}

TEST_F(ModelPathsTest, ComponentNamesRoundTrip) {
  EXPECT_EQ(*ParseModelComponent("face"), ModelComponent::kFace);
  EXPECT_EQ(ModelComponentName(*ParseModelComponent("mrz")), "mrz");
  EXPECT_EQ(ParseModelComponent("ocr").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vouch
