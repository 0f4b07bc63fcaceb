// End to end with a docgen-made sample (tests/docgen/vouch_sample: a TD3
// page whose portrait is a real face, a selfie of that face, typed data
// matching the MRZ), sealed with vouchctl for a real vouchd's generated key
// and submitted with vouchctl, as deploy/demo.sh does. Needs the face models
// and the sample face (models/face/install.sh, fetch_samples.sh): without
// them the tests FAIL with that message (a missing face match could never
// give VERIFIED).

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy_toml.h"
#include "sealed_submit_fixture.h"
#include "testing/cli_run.h"
#include "vouchd_process.h"

namespace vouch {
namespace {

using ::vouch::testing::FaceModelsPresent;
using ::vouch::testing::FreshTestDir;
using ::vouch::testing::ReadFileOrEmpty;
using ::vouch::testing::RunShell;
using ::vouch::testing::VouchdProcess;

class SampleE2eTest : public ::vouch::testing::SealedSubmitE2eTest {
 protected:
  SampleE2eTest() : SealedSubmitE2eTest("vouchd_sample") {}

  // Makes the sample (extra vouch_sample flags), seals it for vouchd's key,
  // submits it; returns the VerificationResult JSON.
  nlohmann::json MakeSealSubmit(const std::string& sample_flags) {
    const std::string sample = dir_ + "/sample";
    auto [mk_rc, mk_out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce e2e-sample-nonce --face ", VOUCH_SOURCE_DIR,
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

// A refugee's or a national document may print an unknown birth day as
// ICAO has it (`7408<<`, fillers counting 0 in the check digit). The holder
// typed the first of the month, which the document can neither confirm nor
// refute: a person looks, told why. Before, the reader put a digit in each
// filler's place: here `4` (the check fails: review as `mrz_unreadable`,
// nothing for the person to go on); where it chose `0` (which the check
// cannot tell from a filler) the date was impossible, the read `invalid`,
// and the holder REJECTED for something they cannot fix.
TEST_F(SampleE2eTest, BirthDayPrintedUnknownGoesToAPersonNotRejected) {
  const nlohmann::json r = MakeSealSubmit("--birth-date '7408<<'");
  ASSERT_EQ(r.value("decision", ""), "DECISION_NEEDS_REVIEW") << r.dump(2);
  EXPECT_FALSE(r.contains("errors")) << r.dump(2);
  EXPECT_FALSE(r.contains("attestation")) << r.dump(2);
  std::set<std::string> reviewed;
  for (const auto& c : r["checks"]) {
    if (c.value("outcome", "") == "CHECK_OUTCOME_REVIEW") reviewed.insert(c.value("name", ""));
    if (c.value("name", "") == "mrz_vs_typed.birth_date") {
      EXPECT_EQ(c.value("reason", ""), "birth_date_partly_unknown") << c.dump();
    }
  }
  EXPECT_THAT(reviewed, ::testing::ElementsAre("mrz_vs_typed.birth_date")) << r.dump(2);
}

// ---- at rest after the pickup window ----

// `value` as it could sit in a file: plain, UTF-16LE, and the base64 and
// base64url text it makes at each of the three alignments inside a longer
// encoded string (the characters that depend on its neighbours left out).
std::vector<std::string> Encodings(const std::string& value) {
  std::vector<std::string> out = {value};
  std::string utf16;
  for (char c : value) utf16 += std::string{c, '\0'};
  out.push_back(utf16);
  for (int k = 0; k < 3; ++k) {
    const std::string shifted = std::string(k, '\0') + value;
    std::string b64;
    absl::Base64Escape(shifted, &b64);
    const size_t full = shifted.size() / 3 * 4;  // Characters of whole groups.
    const size_t skip = k == 0 ? 0 : 4;          // The group with the neighbour's bytes.
    if (full < skip + 8) continue;
    const std::string middle = b64.substr(skip, full - skip);
    out.push_back(middle);
    out.push_back(absl::StrReplaceAll(middle, {{"+", "-"}, {"/", "_"}}));
  }
  return out;
}

// The default policy disclosing names and the birth date, with a 1 s pickup
// window, and a purge every 200 ms.
class AtRestE2eTest : public ::vouch::testing::SealedSubmitE2eTest {
 protected:
  AtRestE2eTest()
      : SealedSubmitE2eTest(
            "vouchd_at_rest",
            absl::StrReplaceAll(
                ::vouch::testing::DefaultPolicyToml("attestation_pickup_window = \"1s\"\n"),
                {{"\"verification\"]",
                  "\"verification\", \"given_name\", \"family_name\","
                  " \"birthdate\"]"}}),
            {"--purge-seconds", "0.2"}) {}
};

TEST_F(AtRestE2eTest, NoDisclosedValueAtRestOrInLogsOnceThePickupWindowHasPassed) {
  const std::string sample = dir_ + "/sample";
  auto [mk_rc, mk_out] = RunShell(absl::StrCat(
      VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce e2e-rest-nonce --face ", VOUCH_SOURCE_DIR,
      "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
  ASSERT_EQ(mk_rc, 0) << mk_out;
  const nlohmann::json r = SealSubmit(sample, "e2e-rest-nonce");
  ASSERT_EQ(r.value("decision", ""), "DECISION_VERIFIED") << r.dump(2);
  const std::string sd_jwt = r["attestation"].value("sd_jwt", "");
  ASSERT_FALSE(sd_jwt.empty()) << r.dump(2);
  EXPECT_FALSE(r["attestation"].value("pickup_expire_time", "").empty()) << r.dump(2);

  // The disclosed values, from the credential's disclosures
  // (base64url of ["salt", "name", value]).
  std::vector<std::string> needles;
  std::vector<std::string> parts = absl::StrSplit(sd_jwt, '~', absl::SkipEmpty());
  ASSERT_GE(parts.size(), 2u);
  needles.push_back(parts[0]);  // The issuer-signed JWT.
  std::set<std::string> disclosed;
  for (size_t i = 1; i < parts.size(); ++i) {
    needles.push_back(parts[i]);
    std::string json;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[i], &json)) << parts[i];
    const nlohmann::json d = nlohmann::json::parse(json, nullptr, false);
    if (!d.is_array() || d.size() != 3 || !d[2].is_string()) continue;
    const std::string name = d[1].get<std::string>();
    if (name == "given_name" || name == "family_name" || name == "birthdate") {
      disclosed.insert(name);
      for (const std::string& e : Encodings(d[2].get<std::string>())) needles.push_back(e);
    }
  }
  EXPECT_EQ(disclosed, (std::set<std::string>{"given_name", "family_name", "birthdate"}));
  EXPECT_EQ(r["attestation"]["disclosure_digests"].size(), parts.size() - 1) << r.dump(2);

  // The window passes; the purge deletes the sealed credential.
  bool purged = false;
  for (int i = 0; i < 100 && !purged; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    purged = vouchd_->Log().find("pickup window deleted count=1") != std::string::npos;
  }
  EXPECT_TRUE(purged) << vouchd_->Log();
  ASSERT_EQ(vouchd_->Stop(), 0);

  int files = 0;
  std::vector<std::string> paths = {vouchd_->data_dir() + ".log"};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(vouchd_->data_dir())) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  }
  for (const std::string& path : paths) {
    const std::string bytes = ReadFileOrEmpty(path);
    ++files;
    for (const std::string& needle : needles) {
      EXPECT_EQ(bytes.find(needle), std::string::npos)
          << path << " holds a disclosed value or the credential";
    }
  }
  EXPECT_GE(files, 3);  // The log, vouch.db, keys...
  vouchd_.reset();      // Stopped already: TearDown skips it.
}
// ---- end at rest ----

}  // namespace
}  // namespace vouch
