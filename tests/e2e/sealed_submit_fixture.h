// A fixture for end-to-end tests that seal a vouch_sample-style folder
// (PLAIN.json + files) for a real vouchd's generated Passport key with
// `vouchctl passport seal` and submit it with `vouchctl submit`, as
// deploy/demo.sh does, once or as several Telegram users. The including test
// target defines VOUCHCTL_PATH.
// Needs the face models (the fixture asserts them: a missing face match
// could never give VERIFIED).

#ifndef VOUCH_TESTS_E2E_SEALED_SUBMIT_FIXTURE_H_
#define VOUCH_TESTS_E2E_SEALED_SUBMIT_FIXTURE_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
  // `config_toml`: vouchd's --config (written to <dir>/vouchd.toml); empty:
  // vouchd's embedded default. `flags`: more vouchd flags.
  explicit SealedSubmitE2eTest(std::string dir_name, std::string config_toml = "",
                               std::vector<std::string> flags = {})
      : flags_(std::move(flags)),
        dir_name_(std::move(dir_name)),
        config_toml_(std::move(config_toml)) {}

  void SetUp() override {
    ASSERT_TRUE(FaceModelsPresent());
    dir_ = FreshTestDir(dir_name_);
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args;
    if (!config_toml_.empty()) {
      std::ofstream(dir_ + "/vouchd.toml") << config_toml_;
      args = {"--config", dir_ + "/vouchd.toml"};
    }
    args.insert(args.end(), flags_.begin(), flags_.end());
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
    ASSERT_TRUE(vouchd_->Start(args));
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0) << "vouchd did not stop cleanly";
      if (std::getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Seals `sample`/PLAIN.json with its files for vouchd's key into <dir>/sealed.
  void Seal(const std::string& sample) {
    std::filesystem::remove_all(dir_ + "/sealed");
    auto [key_rc, key_out] =
        RunShell(absl::StrCat("openssl pkey -in ", vouchd_->data_dir(),
                              "/keys/passport_rsa.pem -pubout -out ", dir_, "/pub.pem 2>&1"));
    ASSERT_EQ(key_rc, 0) << key_out;
    auto [seal_rc, seal_out] = RunShell(
        absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir_, "/pub.pem --in ", sample,
                     "/PLAIN.json --files-dir ", sample, " --out-dir ", dir_, "/sealed 2>&1"));
    ASSERT_EQ(seal_rc, 0) << seal_out;
  }

  // Submits what Seal sealed with `nonce` in direct mode for
  // demo-shop.example, as Telegram user `user` (vouchctl's default when 0);
  // returns the VerificationResult JSON (an empty object when vouchctl
  // printed none).
  nlohmann::json Submit(const std::string& nonce, int64_t user = 0) {
    const std::string sealed = dir_ + "/sealed";
    auto [rc, out] = RunShell(absl::StrCat(
        VOUCHCTL_PATH, " submit --server ", vouchd_->address(), " --token-file ",
        vouchd_->service_token_file(), " --passport-data ", sealed, "/passport_data.json",
        " --files-dir ", sealed, " --nonce ", nonce, " --aud demo-shop.example",
        user != 0 ? absl::StrCat(" --user-id ", user) : std::string(), " --json"));
    EXPECT_EQ(rc, 0) << out;
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  // Seal, then Submit once.
  nlohmann::json SealSubmit(const std::string& sample, const std::string& nonce) {
    Seal(sample);
    if (HasFatalFailure()) return nlohmann::json::object();
    return Submit(nonce);
  }

  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;
  // More vouchd flags: the constructor's, or set by a derived fixture's constructor.
  std::vector<std::string> flags_;

 private:
  std::string dir_name_;
  std::string config_toml_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_SEALED_SUBMIT_FIXTURE_H_
