// Duplicate detection end to end (docs/dedup.md): a real vouchd whose
// default policy has duplicate_document = "review", the docgen sample
// (passport L898902C3, a real MRZ and face) sealed once with vouchctl and
// submitted by two Telegram users. The first is VERIFIED; the second is held
// for review with the duplicate_document reason; the first user verifying
// again is not held. With duplicate_face = "review", the same face photo on
// another document from a third user is held (duplicate_face), the first
// user with it is not. Needs the face models (a missing face match could
// never give VERIFIED). The match is audited and counted on /metrics.
// Erasure (docs/erasure.md), on the same vouchd (no server start of its
// own): the first user's verifications (one more in wallet mode) erased by
// Telegram user with `vouchctl erase`, gone over gRPC, the wallet
// credential revoked, the receipt
// checked with `vouch-verify --receipt` (a tampered copy refused), a replay
// idempotent.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy_toml.h"
#include "sealed_submit_fixture.h"
#include "testing/cli_run.h"
#include "vouch/v1/verification.grpc.pb.h"

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

  // ---- Erasure: everything about user 1001 at service "default" ----
  // A wallet-mode credential too: direct ones (at most a day) have no
  // status-list entry, a wallet one can be revoked.
  auto [holder_rc, holder_out] =
      RunShell(absl::StrCat(VOUCHCTL_PATH, " attest keygen --key-dir ", dir_, "/holder && ",
                            VOUCHCTL_PATH, " attest jwks --key-dir ", dir_, "/holder"));
  ASSERT_EQ(holder_rc, 0) << holder_out;
  nlohmann::json holder =
      nlohmann::json::parse(holder_out.substr(holder_out.find('{')), nullptr, false);
  ASSERT_FALSE(holder.is_discarded()) << holder_out;
  holder = holder["keys"][0];
  for (const char* member : {"kid", "use", "alg"}) holder.erase(member);
  std::ofstream(dir_ + "/holder.jwk") << holder.dump();
  auto [wallet_rc, wallet_out] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " submit --server ", vouchd_->address(), " --token-file ",
                   vouchd_->service_token_file(), " --passport-data ", dir_,
                   "/sealed/passport_data.json", " --files-dir ", dir_, "/sealed --nonce ", kNonce,
                   " --holder-jwk ", dir_, "/holder.jwk --user-id 1001 --json"));
  ASSERT_EQ(wallet_rc, 0) << wallet_out;
  const nlohmann::json wallet = nlohmann::json::parse(wallet_out, nullptr, false);
  ASSERT_EQ(wallet.value("decision", ""), "DECISION_VERIFIED") << wallet_out;
  const std::string receipt = dir_ + "/receipt.jws";
  const std::string admin =
      absl::StrCat("VOUCH_TOKEN=$(cat ", vouchd_->admin_token_file(), ") ", VOUCHCTL_PATH);
  auto [erase_rc, erase_out] = RunShell(
      absl::StrCat(admin, " erase --server ", vouchd_->address(),
                   " --tls off --telegram-user 1001 --service default --json --out ", receipt));
  ASSERT_EQ(erase_rc, 0) << erase_out;
  const nlohmann::json stated = nlohmann::json::parse(erase_out, nullptr, false);
  ASSERT_FALSE(stated.is_discarded()) << erase_out;
  const nlohmann::json erased_ids = stated["erased"]["verification_ids"];
  for (const nlohmann::json* r : {&first, &again, &own, &wallet}) {
    EXPECT_NE(std::find(erased_ids.begin(), erased_ids.end(), (*r)["verification_id"]),
              erased_ids.end())
        << stated.dump(2);
  }
  // The other users' verifications are not the first user's.
  EXPECT_EQ(std::find(erased_ids.begin(), erased_ids.end(), second["verification_id"]),
            erased_ids.end());
  EXPECT_EQ(stated["erased"]["verifications"], 4) << stated.dump(2);
  EXPECT_EQ(stated["erased"]["attestations_revoked"], 1) << stated.dump(2);
  EXPECT_EQ(stated["erased"]["attestations_deleted"], 3) << stated.dump(2);
  ASSERT_EQ(stated["revoked"].size(), 1u) << stated.dump(2);
  EXPECT_EQ(stated["revoked"][0]["attestation_id"], wallet["attestation"]["attestation_id"]);
  EXPECT_GE(stated["erased"]["face_entries"].get<int>(), 1) << stated.dump(2);
  // The result is gone, over gRPC.
  auto channel = grpc::CreateChannel(vouchd_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Verification::NewStub(channel);
  for (const nlohmann::json* r : {&first, &second}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
    v1::GetVerificationRequest get;
    get.set_verification_id((*r)["verification_id"].get<std::string>());
    v1::VerificationResult got;
    const grpc::Status status = stub->GetVerification(&context, get, &got);
    EXPECT_EQ(status.error_code(), r == &first ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::OK)
        << status.error_message();
  }
  // The wallet credential is revoked (its status-list row is kept).
  auto [status_rc, status_out] =
      RunShell(absl::StrCat(admin, " attest status --server ", vouchd_->address(), " --tls off ",
                            wallet["verification_id"].get<std::string>()));
  EXPECT_EQ(status_rc, 0) << status_out;
  EXPECT_THAT(status_out, HasSubstr("status revoked"));
  // The receipt verifies offline against vouchd's JWKS, and states the erasure.
  const std::string jwks = dir_ + "/jwks.json";
  auto [jwks_rc, jwks_out] = RunShell(absl::StrCat(VOUCHCTL_PATH, " attest jwks --key-dir ",
                                                   vouchd_->data_dir(), "/keys/attest > ", jwks));
  ASSERT_EQ(jwks_rc, 0) << jwks_out;
  auto [verify_rc, verify_out] =
      RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", jwks, " --receipt ", receipt, " 2>&1"));
  EXPECT_EQ(verify_rc, 0) << verify_out;
  const nlohmann::json verified = nlohmann::json::parse(verify_out, nullptr, false);
  ASSERT_FALSE(verified.is_discarded()) << verify_out;
  EXPECT_EQ(verified["erased"], stated["erased"]);
  EXPECT_EQ(verified["request"]["telegram_user_id"], 1001);
  // A tampered copy (it claims one verification more) is refused.
  std::string jws;
  std::getline(std::ifstream(receipt), jws);
  nlohmann::json more = verified;
  more["erased"]["verifications"] = more["erased"]["verifications"].get<int>() + 1;
  const size_t first_dot = jws.find('.');
  const size_t second_dot = jws.find('.', first_dot + 1);
  std::ofstream(dir_ + "/tampered.jws")
      << jws.substr(0, first_dot + 1) << absl::WebSafeBase64Escape(more.dump())
      << jws.substr(second_dot) << "\n";
  auto [tampered_rc, tampered_out] = RunShell(
      absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", jwks, " --receipt ", dir_, "/tampered.jws 2>&1"));
  EXPECT_EQ(tampered_rc, 1) << tampered_out;
  EXPECT_THAT(tampered_out, HasSubstr("invalid: bad_signature"));
  // A replay by id is idempotent: nothing left, the id listed as unmatched.
  auto [replay_rc, replay_out] = RunShell(
      absl::StrCat(admin, " erase --server ", vouchd_->address(), " --tls off --json --out ", dir_,
                   "/replay.jws --verification ", first["verification_id"].get<std::string>()));
  ASSERT_EQ(replay_rc, 0) << replay_out;
  const nlohmann::json replay = nlohmann::json::parse(replay_out, nullptr, false);
  EXPECT_EQ(replay["erased"]["verifications"], 0) << replay_out;
  EXPECT_EQ(replay["unmatched_verification_ids"], nlohmann::json({first["verification_id"]}));
  // Audited without the person's data.
  auto [erase_audit_rc, erase_audit] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " audit export --data-dir ", vouchd_->data_dir(), " 2>&1"));
  ASSERT_EQ(erase_audit_rc, 0) << erase_audit;
  int erasures = 0;
  std::istringstream erase_lines(erase_audit);
  for (std::string line; std::getline(erase_lines, line);) {
    const nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || e.value("action", "") != "erasure.erase") continue;
    ++erasures;
    EXPECT_EQ(e.value("verification_id", "?"), "") << line;
    EXPECT_THAT(e.value("detail", ""), Not(HasSubstr("telegram_user_id"))) << line;
    EXPECT_THAT(e.value("detail", ""), Not(HasSubstr(first.value("verification_id", "?")))) << line;
  }
  EXPECT_EQ(erasures, 2) << erase_audit;

  // Nothing of the document in vouchd's log.
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("L898902C3")));
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("ERIKSSON")));
}

}  // namespace
}  // namespace vouch::testing
