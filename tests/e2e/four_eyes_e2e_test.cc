// Four-eyes end to end (docs/review.md), against a real vouchd whose policy
// has `[policies.default.review] four_eyes_override = true`: a senior
// reviewer's approve of a NEEDS_REVIEW case only escalates it (the
// verification stays NEEDS_REVIEW); that same operator can neither take it
// back nor confirm it, a plain reviewer cannot claim it; a second senior
// reviewer claims and confirms it: VERIFIED, `review.confirmed_by_senior`,
// and an attestation that vouch-verify accepts. Needs the face models (the
// face match is what sends the submission to review).

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "postgres_e2e_helpers.h"
#include "review_e2e_config.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kAudience[] = "demo-shop.example";

v1::VerificationResult Get(v1::Verification::Stub& stub, const std::string& id) {
  v1::VerificationResult result;
  EXPECT_TRUE(FetchVerification(stub, id, kE2eServiceToken, &result).ok()) << id;
  return result;
}

TEST(FourEyesE2eTest, SeniorApproveEscalatesAndOnlyAnotherSeniorConfirms) {
  ASSERT_TRUE(FaceModelsPresent());
  const std::string dir = FreshTestDir("four_eyes_e2e");
  WriteReviewConfigs(dir, /*four_eyes=*/true);
  VouchdProcess vouchd(dir + "/data");
  ASSERT_TRUE(
      vouchd.Start({"--config", dir + "/vouchd.toml", "--auth-config", dir + "/auth.toml"}));
  auto stub = StubFor(vouchd);
  v1::VerifyRequest request = DocgenSampleRequest(dir, vouchd.data_dir());
  request.mutable_attestation()->mutable_direct()->set_audience(kAudience);
  const std::string id = SubmitAsync(*stub, request, kE2eServiceToken);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(WaitTerminal(*stub, {id}, kE2eServiceToken, std::chrono::seconds(60))[id],
            v1::VERIFICATION_STATE_COMPLETED);
  ASSERT_EQ(Get(*stub, id).decision(), v1::DECISION_NEEDS_REVIEW) << Get(*stub, id).DebugString();
  const std::string server = vouchd.address();

  // bob (senior) claims and approves: recorded as the first decision only.
  auto [claim_rc, claim_out] = VouchctlAs(kBobToken, server, "queue claim --json");
  ASSERT_EQ(claim_rc, 0) << claim_out;
  ASSERT_EQ(ParseJsonOrEmpty(claim_out).value(Json::json_pointer("/case/case_id"), ""), id);
  auto [approve_rc, approve_out] = VouchctlAs(
      kBobToken, server, absl::StrCat("queue approve ", id, " --reason document_ok --json"));
  ASSERT_EQ(approve_rc, 0) << approve_out;
  const Json escalated = ParseJsonOrEmpty(approve_out);
  EXPECT_EQ(escalated.value("escalated", false), true) << approve_out;
  EXPECT_EQ(escalated.value(Json::json_pointer("/result/decision"), ""), "DECISION_NEEDS_REVIEW")
      << approve_out;
  EXPECT_FALSE(escalated.contains(Json::json_pointer("/result/attestation"))) << approve_out;
  const v1::VerificationResult waiting = Get(*stub, id);
  EXPECT_EQ(waiting.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_FALSE(waiting.has_attestation());
  auto [plain_rc, plain_out] =
      VouchctlAs(kBobToken, server, absl::StrCat("queue approve ", id, " --reason document_ok"));
  EXPECT_EQ(plain_rc, 4) << plain_out;  // the escalation dropped bob's claim
  EXPECT_THAT(plain_out, HasSubstr("CASE_NOT_CLAIMED"));

  // bob cannot take it for the second review, alice (not senior) neither
  // (CASE_CLAIMED: not claimable by them at this stage, exit 4); for both
  // there is nothing to claim.
  for (const char* token : {kBobToken, kAliceToken}) {
    auto [by_id_rc, by_id_out] = VouchctlAs(token, server, absl::StrCat("queue claim ", id));
    EXPECT_EQ(by_id_rc, 4) << by_id_out;
    EXPECT_THAT(by_id_out, HasSubstr("FAILED_PRECONDITION: CASE_CLAIMED"));
    auto [next_rc, next_out] = VouchctlAs(token, server, "queue claim");
    EXPECT_EQ(next_rc, 3) << next_out;
  }
  EXPECT_EQ(Get(*stub, id).decision(), v1::DECISION_NEEDS_REVIEW);

  // carol, another senior, claims the next case (this one) and confirms.
  auto [carol_claim_rc, carol_claim_out] = VouchctlAs(kCarolToken, server, "queue claim --json");
  ASSERT_EQ(carol_claim_rc, 0) << carol_claim_out;
  EXPECT_EQ(ParseJsonOrEmpty(carol_claim_out).value(Json::json_pointer("/case/case_id"), ""), id);
  auto [confirm_rc, confirm_out] = VouchctlAs(
      kCarolToken, server, absl::StrCat("queue approve ", id, " --reason document_ok --json"));
  ASSERT_EQ(confirm_rc, 0) << confirm_out;
  const Json confirmed = ParseJsonOrEmpty(confirm_out);
  EXPECT_EQ(confirmed.value("escalated", false), false) << confirm_out;
  EXPECT_EQ(confirmed.value(Json::json_pointer("/result/decision"), ""), "DECISION_VERIFIED");
  EXPECT_EQ(confirmed.value(Json::json_pointer("/result/review/confirmed_by_senior"), false), true)
      << confirm_out;
  const v1::VerificationResult final_result = Get(*stub, id);
  EXPECT_EQ(final_result.decision(), v1::DECISION_VERIFIED);
  EXPECT_TRUE(final_result.review().confirmed_by_senior());
  EXPECT_EQ(final_result.review().reason(), "document_ok");
  const std::string sd_jwt = final_result.attestation().sd_jwt();
  ASSERT_FALSE(sd_jwt.empty());
  EXPECT_EQ(confirmed.value(Json::json_pointer("/result/attestation/sd_jwt"), ""), sd_jwt);

  // The attestation verifies offline for the audience, and not for another.
  std::ofstream(dir + "/token") << sd_jwt;
  auto [jwks_rc, jwks] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " attest jwks --key-dir ", vouchd.data_dir(), "/keys/attest"));
  ASSERT_EQ(jwks_rc, 0) << jwks;
  std::ofstream(dir + "/jwks.json") << jwks;
  auto [verify_rc, claims] =
      RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", dir, "/jwks.json --token - --aud ",
                            kAudience, " < ", dir, "/token"),
               StderrTo::kOutput);
  EXPECT_EQ(verify_rc, 0) << claims;
  EXPECT_THAT(claims, HasSubstr("document_verified"));
  auto [wrong_rc, wrong_out] =
      RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", dir,
                            "/jwks.json --token - --aud other.example < ", dir, "/token"),
               StderrTo::kOutput);
  EXPECT_NE(wrong_rc, 0) << wrong_out;

  // Decided: the case is gone.
  auto [show_rc, show_out] = VouchctlAs(kCarolToken, server, absl::StrCat("queue show ", id));
  EXPECT_EQ(show_rc, 5) << show_out;
  EXPECT_THAT(show_out, HasSubstr("UNKNOWN_CASE"));
  EXPECT_EQ(vouchd.Stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::testing
