#ifndef VOUCH_TESTS_E2E_E2E_TEST_ENV_H_
#define VOUCH_TESTS_E2E_E2E_TEST_ENV_H_

// What end-to-end tests set up before starting vouchd: a private directory
// per test, and (for the tests that need real face matching) a check that
// the face models and the sample face are installed.

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vouch::testing {

// A new empty directory for the running test:
// <gtest TempDir>/<prefix>_<pid>_<test name>, removed first if it was left
// over. Private to this process and test, as ctest runs tests in parallel.
inline std::string FreshTestDir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(::testing::TempDir(), "/", prefix, "_", getpid(), "_",
                                 info != nullptr ? info->name() : "no_test");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Success when the face models and the sample face (models/face/install.sh,
// fetch_samples.sh) are in the source tree; otherwise a failure naming the
// first missing file and how to install it. Tests use it with ASSERT_TRUE:
// without the models a face match cannot run, so they FAIL rather than skip.
inline ::testing::AssertionResult FaceModelsPresent() {
  const std::string source = VOUCH_SOURCE_DIR;
  for (const char* f : {"models/face/fr_detect.onnx", "models/face/fr_landmark.onnx",
                        "models/face/fr_feature.onnx", "models/face/samples/astronaut.png"}) {
    if (!std::filesystem::exists(source + "/" + f)) {
      return ::testing::AssertionFailure()
             << source << "/" << f
             << " is missing: run models/face/install.sh and models/face/fetch_samples.sh";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_E2E_TEST_ENV_H_
