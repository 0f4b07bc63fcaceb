// Duplicate detection end to end (#17, docs/dedup.md): a real vouchd whose
// default policy has duplicate_document = "review", the docgen sample
// (passport L898902C3, a real MRZ and face) sealed once with vouchctl and
// submitted by two Telegram users. The first is VERIFIED; the second is held
// for review with the duplicate_document reason; the first user verifying
// again is not held. Needs the face models (a missing face match could
// never give VERIFIED). The match is audited and counted on /metrics.

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/cli_run.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// vouchd's embedded default policy (pipeline/policy.cc) with the document
// rule on.
constexpr char kConfig[] = R"toml(
[issuer]
url = "https://vouch.invalid"

[policies.default]
relying_services = ["*"]
required_elements = ["personal_details", "passport|identity_card|driver_license|internal_passport"]
require_selfie = true
minimum_age = 18
disclosable_claims = ["document_verified", "age_equal_or_over", "verification"]
duplicate_document = "review"

[policies.default.checks]
default = { pass = 0.5, review = 0.3 }
mrz = { pass = 0.9, review = 0.6 }
face_match = { pass = 0.45, review = 0.30 }
)toml";

class DuplicateE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(FaceModelsPresent());
    dir_ = FreshTestDir("duplicate_e2e");
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/vouchd.toml") << kConfig;
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
    ASSERT_TRUE(vouchd_->Start({"--config", dir_ + "/vouchd.toml"}));
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0) << "vouchd did not stop cleanly";
      if (std::getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Makes the docgen sample and seals it for vouchd's Passport key, once.
  void MakeAndSeal() {
    const std::string sample = dir_ + "/sample";
    auto [mk_rc, mk_out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce ", kNonce, " --face ", VOUCH_SOURCE_DIR,
        "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
    ASSERT_EQ(mk_rc, 0) << mk_out;
    auto [key_rc, key_out] =
        RunShell(absl::StrCat("openssl pkey -in ", vouchd_->data_dir(),
                              "/keys/passport_rsa.pem -pubout -out ", dir_, "/pub.pem 2>&1"));
    ASSERT_EQ(key_rc, 0) << key_out;
    auto [seal_rc, seal_out] = RunShell(
        absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir_, "/pub.pem --in ", sample,
                     "/PLAIN.json --files-dir ", sample, " --out-dir ", dir_, "/sealed 2>&1"));
    ASSERT_EQ(seal_rc, 0) << seal_out;
  }

  // Submits the sealed sample as Telegram user `user`; the result's JSON.
  nlohmann::json SubmitAs(int64_t user) {
    const std::string sealed = dir_ + "/sealed";
    auto [rc, out] =
        RunShell(absl::StrCat(VOUCHCTL_PATH, " submit --server ", vouchd_->address(),
                              " --token-file ", vouchd_->service_token_file(), " --passport-data ",
                              sealed, "/passport_data.json", " --files-dir ", sealed, " --nonce ",
                              kNonce, " --aud demo-shop.example --user-id ", user, " --json"));
    EXPECT_EQ(rc, 0) << out;
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  static nlohmann::json CheckNamed(const nlohmann::json& result, const std::string& name) {
    for (const auto& c : result.value("checks", nlohmann::json::array())) {
      if (c.value("name", "") == name) return c;
    }
    return nlohmann::json::object();
  }

  static constexpr char kNonce[] = "e2e-duplicate-nonce";
  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;
};

TEST_F(DuplicateE2eTest, TheSameDocumentFromAnotherTelegramUserGoesToReview) {
  ASSERT_NO_FATAL_FAILURE(MakeAndSeal());

  const nlohmann::json first = SubmitAs(1001);
  ASSERT_EQ(first.value("decision", ""), "DECISION_VERIFIED") << first.dump(2);
  EXPECT_EQ(CheckNamed(first, "duplicate_document").value("outcome", ""), "CHECK_OUTCOME_PASS")
      << first.dump(2);

  const nlohmann::json second = SubmitAs(1002);
  EXPECT_EQ(second.value("decision", ""), "DECISION_NEEDS_REVIEW") << second.dump(2);
  const nlohmann::json check = CheckNamed(second, "duplicate_document");
  EXPECT_EQ(check.value("outcome", ""), "CHECK_OUTCOME_REVIEW") << second.dump(2);
  EXPECT_EQ(check.value("reason", ""), "duplicate_document") << second.dump(2);
  // The user is told nothing to fix.
  EXPECT_FALSE(second.contains("errors")) << second.dump(2);

  // The match is audited with the other verification's id only, and
  // counted on /metrics.
  auto [audit_rc, audit] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " audit export --data-dir ", vouchd_->data_dir(), " 2>&1"));
  ASSERT_EQ(audit_rc, 0) << audit;
  bool audited = false;
  std::istringstream lines(audit);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || e.value("action", "") != "duplicate.match") continue;
    audited = true;
    EXPECT_EQ(e.value("verification_id", ""), second.value("verification_id", "?")) << line;
    EXPECT_THAT(e.value("detail", ""), HasSubstr(first.value("verification_id", "?"))) << line;
    EXPECT_THAT(line, Not(HasSubstr("L898902C3")));
  }
  EXPECT_TRUE(audited) << audit;
  auto [metrics_rc, metrics] =
      RunShell(absl::StrCat("curl -sf http://", vouchd_->metrics_address(), "/metrics"));
  ASSERT_EQ(metrics_rc, 0);
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_matches_total{kind=\"document\"} 1\n"));
  // The first user's entries and the held case's (a document and a person
  // each).
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_index_entries 4\n")) << metrics;

  // The first user verifying again is not held.
  const nlohmann::json again = SubmitAs(1001);
  EXPECT_EQ(again.value("decision", ""), "DECISION_VERIFIED") << again.dump(2);

  // Nothing of the document in vouchd's log.
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("L898902C3")));
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("ERIKSSON")));
}

}  // namespace
}  // namespace vouch::testing
