// End to end with a docgen-made sample (tests/docgen/vouch_sample: a TD3
// page whose portrait is a real face, a selfie of that face, typed data
// matching the MRZ), sealed with vouchctl for a real vouchd's generated key
// and submitted with vouchctl, as deploy/demo.sh does. Needs the face models
// and the sample face (models/face/install.sh, fetch_samples.sh): without
// them the tests FAIL with that message (a missing face match could never
// give VERIFIED).

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sealed_submit_fixture.h"
#include "testing/cli_run.h"
#include "vouchd_process.h"

namespace vouch {
namespace {

using ::vouch::testing::FaceModelsPresent;
using ::vouch::testing::FreshTestDir;
using ::vouch::testing::RunShell;
using ::vouch::testing::VouchdProcess;

const std::string kSource = VOUCH_SOURCE_DIR;

class SampleE2eTest : public ::vouch::testing::SealedSubmitE2eTest {
 protected:
  SampleE2eTest() : SealedSubmitE2eTest("vouchd_sample") {}

  // Makes the sample (extra vouch_sample flags), seals it for vouchd's key,
  // submits it; returns the VerificationResult JSON.
  nlohmann::json MakeSealSubmit(const std::string& sample_flags) {
    const std::string sample = dir_ + "/sample";
    auto [mk_rc, mk_out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce e2e-sample-nonce --face ", kSource,
        "/models/face/samples/astronaut.png --face-box 120,0,210,273 ", sample_flags, " 2>&1"));
    EXPECT_EQ(mk_rc, 0) << mk_out;
    return SealSubmit(sample, "e2e-sample-nonce");
  }
};

TEST_F(SampleE2eTest, GenuineSamplePassportIsVerifiedWithAnAcceptedAttestation) {
  const nlohmann::json r = MakeSealSubmit("");
  ASSERT_EQ(r.value("decision", ""), "DECISION_VERIFIED") << r.dump(2);
  EXPECT_FALSE(r.contains("errors")) << r.dump(2);
  bool face_match_ran = false;
  for (const auto& c : r["checks"]) {
    if (c.value("name", "") == "face_match") face_match_ran = true;
  }
  EXPECT_TRUE(face_match_ran) << r.dump(2);
  const std::string token = r["attestation"].value("sd_jwt", "");
  ASSERT_FALSE(token.empty());
  std::ofstream(dir_ + "/token") << token;
  auto [jwks_rc, jwks] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " attest jwks --key-dir ", vouchd_->data_dir(), "/keys/attest"));
  ASSERT_EQ(jwks_rc, 0);
  std::ofstream(dir_ + "/jwks.json") << jwks;
  auto [rc, claims] =
      RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", dir_,
                            "/jwks.json --token - --aud demo-shop.example < ", dir_, "/token"));
  EXPECT_EQ(rc, 0) << claims;
  EXPECT_THAT(claims, ::testing::HasSubstr("document_verified"));
  // Another audience is refused.
  auto [other_rc, other] =
      RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", dir_,
                            "/jwks.json --token - --aud other.example < ", dir_, "/token 2>&1"));
  EXPECT_EQ(other_rc, 1) << other;
}

TEST_F(SampleE2eTest, TypedLastNameNotMatchingTheMrzIsRejectedOnThatField) {
  const nlohmann::json r = MakeSealSubmit("--last-name Andersson");
  ASSERT_EQ(r.value("decision", ""), "DECISION_REJECTED") << r.dump(2);
  EXPECT_FALSE(r.contains("attestation")) << r.dump(2);
  // The data_hash of the personal_details element, from its credentials
  // (decrypted with vouchd's key by vouchctl).
  auto [dec_rc, dec_out] = RunShell(absl::StrCat(
      VOUCHCTL_PATH, " passport decrypt --key ", vouchd_->data_dir(),
      "/keys/passport_rsa.pem --passport-data ", dir_, "/sealed/passport_data.json --files-dir ",
      dir_, "/sealed --nonce e2e-sample-nonce --out-dir ", dir_, "/decrypted"));
  ASSERT_EQ(dec_rc, 0) << dec_out;
  const nlohmann::json decrypted = nlohmann::json::parse(dec_out, nullptr, false);
  ASSERT_FALSE(decrypted.is_discarded());
  const std::string data_hash = decrypted.value(
      nlohmann::json::json_pointer("/credentials/secure_data/personal_details/data/data_hash"),
      std::string());
  ASSERT_FALSE(data_hash.empty()) << dec_out;
  bool found = false;
  for (const auto& e : r["errors"]) {
    if (e.value("source", "") == "data" && e.value("type", "") == "personal_details" &&
        e.value("field_name", "") == "last_name") {
      found = true;
      EXPECT_EQ(e.value("data_hash", ""), data_hash);
    }
  }
  EXPECT_TRUE(found) << r.dump(2);
}

}  // namespace
}  // namespace vouch
