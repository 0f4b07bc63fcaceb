// A fixture for end-to-end tests that seal a vouch_sample-style folder
// (PLAIN.json + files) for a real vouchd's generated Passport key with
// `vouchctl passport seal` and submit it with `vouchctl submit`, as
// deploy/demo.sh does. The including test target defines VOUCHCTL_PATH.
// Needs the face models (the fixture asserts them: a missing face match
// could never give VERIFIED).

#ifndef VOUCH_TESTS_E2E_SEALED_SUBMIT_FIXTURE_H_
#define VOUCH_TESTS_E2E_SEALED_SUBMIT_FIXTURE_H_

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/cli_run.h"
#include "vouchd_process.h"

namespace vouch::testing {

class SealedSubmitE2eTest : public ::testing::Test {
 protected:
  // `dir_name`: the per-process test folder's name (FreshTestDir).
  explicit SealedSubmitE2eTest(std::string dir_name) : dir_name_(std::move(dir_name)) {}

  void SetUp() override {
    ASSERT_TRUE(FaceModelsPresent());
    dir_ = FreshTestDir(dir_name_);
    std::filesystem::create_directories(dir_);
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
    ASSERT_TRUE(vouchd_->Start());
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0) << "vouchd did not stop cleanly";
      if (std::getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Seals `sample`/PLAIN.json with its files for vouchd's key and submits it
  // with `nonce` in direct mode for demo-shop.example; returns the
  // VerificationResult JSON (an empty object when vouchctl printed none).
  nlohmann::json SealSubmit(const std::string& sample, const std::string& nonce) {
    const std::string sealed = dir_ + "/sealed";
    std::filesystem::remove_all(sealed);
    auto [key_rc, key_out] =
        RunShell(absl::StrCat("openssl pkey -in ", vouchd_->data_dir(),
                              "/keys/passport_rsa.pem -pubout -out ", dir_, "/pub.pem 2>&1"));
    EXPECT_EQ(key_rc, 0) << key_out;
    auto [seal_rc, seal_out] = RunShell(
        absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir_, "/pub.pem --in ", sample,
                     "/PLAIN.json --files-dir ", sample, " --out-dir ", sealed, " 2>&1"));
    EXPECT_EQ(seal_rc, 0) << seal_out;
    auto [rc, out] =
        RunShell(absl::StrCat(VOUCHCTL_PATH, " submit --server ", vouchd_->address(),
                              " --token-file ", vouchd_->service_token_file(), " --passport-data ",
                              sealed, "/passport_data.json --files-dir ", sealed, " --nonce ",
                              nonce, " --aud demo-shop.example --json"));
    EXPECT_EQ(rc, 0) << out;
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;

 private:
  std::string dir_name_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_SEALED_SUBMIT_FIXTURE_H_
