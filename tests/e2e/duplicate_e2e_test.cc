// Duplicate detection end to end (#17, docs/dedup.md): a real vouchd whose
// default policy has duplicate_document = "review", the docgen sample
// (passport L898902C3, a real MRZ and face) sealed once with vouchctl and
// submitted by two Telegram users. The first is VERIFIED; the second is held
// for review with the duplicate_document reason; the first user verifying
// again is not held. With duplicate_face = "review", the same face photo on
// another document from a third user is held (duplicate_face), the first
// user with it is not. Needs the face models (a missing face match could
// never give VERIFIED). The match is audited and counted on /metrics.

#include <cstdint>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy_toml.h"
#include "sealed_submit_fixture.h"
#include "testing/cli_run.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DuplicateE2eTest : public SealedSubmitE2eTest {
 protected:
  DuplicateE2eTest()
      : SealedSubmitE2eTest("duplicate_e2e", DefaultPolicyToml("duplicate_document = \"review\"\n"
                                                               "duplicate_face = \"review\"\n")) {}

  // Makes the docgen sample (passport L898902C3, or `number`: another
  // document with the same face photo) and seals it for vouchd's Passport
  // key.
  void MakeAndSeal(const std::string& number = "") {
    const std::string sample = dir_ + "/sample" + number;
    auto [mk_rc, mk_out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce ", kNonce, " --face ", VOUCH_SOURCE_DIR,
        "/models/face/samples/astronaut.png --face-box 120,0,210,273",
        number.empty() ? "" : " --document-number ", number, " 2>&1"));
    ASSERT_EQ(mk_rc, 0) << mk_out;
    Seal(sample);
  }

  // Submits the sealed sample as Telegram user `user`; the result's JSON.
  nlohmann::json SubmitAs(int64_t user) { return Submit(kNonce, user); }

  static nlohmann::json CheckNamed(const nlohmann::json& result, const std::string& name) {
    for (const auto& c : result.value("checks", nlohmann::json::array())) {
      if (c.value("name", "") == name) return c;
    }
    return nlohmann::json::object();
  }

  static constexpr char kNonce[] = "e2e-duplicate-nonce";
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
  EXPECT_EQ(CheckNamed(again, "duplicate_face").value("outcome", ""), "CHECK_OUTCOME_PASS")
      << again.dump(2);

  // The face 1:N index (duplicate_face): the same face photo on another
  // document, from a third user, is held; the first user with that document
  // is not.
  ASSERT_NO_FATAL_FAILURE(MakeAndSeal("X7654321"));
  const nlohmann::json face = SubmitAs(1003);
  EXPECT_EQ(face.value("decision", ""), "DECISION_NEEDS_REVIEW") << face.dump(2);
  const nlohmann::json face_check = CheckNamed(face, "duplicate_face");
  EXPECT_EQ(face_check.value("outcome", ""), "CHECK_OUTCOME_REVIEW") << face.dump(2);
  EXPECT_EQ(face_check.value("reason", ""), "duplicate_face") << face.dump(2);
  EXPECT_EQ(CheckNamed(face, "duplicate_document").value("outcome", ""), "CHECK_OUTCOME_PASS")
      << face.dump(2);
  EXPECT_FALSE(face.contains("errors")) << face.dump(2);
  const nlohmann::json own = SubmitAs(1001);
  EXPECT_EQ(own.value("decision", ""), "DECISION_VERIFIED") << own.dump(2);
  auto [face_metrics_rc, face_metrics] =
      RunShell(absl::StrCat("curl -sf http://", vouchd_->metrics_address(), "/metrics"));
  ASSERT_EQ(face_metrics_rc, 0);
  EXPECT_THAT(face_metrics, HasSubstr("vouch_duplicate_matches_total{kind=\"face\"} 2\n"));

  // Nothing of the document in vouchd's log.
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("L898902C3")));
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("ERIKSSON")));
}

}  // namespace
}  // namespace vouch::testing
