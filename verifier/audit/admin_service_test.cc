// Admin.Erase (docs/erasure.md) over in-process gRPC: a memory Store,
// a fake ErasureSupport (the receipt signer, the user hashes, the status
// list mirror); who may call it, what it erases, what the receipt and the
// audit log say, and each refusal's code.

#include "audit/admin_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/fake_authenticator.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::testing::FixedPrincipalAuthenticator;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class FakeErasure final : public ErasureSupport {
 public:
  std::vector<std::string> UserHashes(int64_t user, const std::string& service) const override {
    return {absl::StrCat("uh-", user, "-", service)};
  }
  void Revoked(const std::string& attestation_id) override { revoked.push_back(attestation_id); }
  absl::StatusOr<std::pair<std::string, std::string>> SignReceipt(
      const std::string& claims_json) override {
    if (!sign_error.ok()) return sign_error;
    nlohmann::json claims = nlohmann::json::parse(claims_json);
    claims["iss"] = "https://vouch.example";
    return std::make_pair(absl::StrCat("header.", claims.dump(), ".sig"), claims.dump());
  }

  std::vector<std::string> revoked;
  absl::Status sign_error;
};

class AdminEraseTest : public ::testing::Test {
 protected:
  AdminEraseTest()
      : store_(storage::NewMemoryStore()),
        admin_(FixedPrincipalAuthenticator::Operator("admin-1", auth::OperatorRole::kAdmin)) {}

  // A VERIFIED verification of "svc" with an attestation on a status list
  // and index entries of Telegram user 42.
  void AddVerified(const std::string& id, int64_t index) {
    storage::NewVerification v;
    v.record.id = id;
    v.record.relying_service = "svc";
    v.record.idempotency_key = "key-" + id;
    v.record.request_digest = "d";
    v.record.policy = "default";
    v.record.state = storage::VerificationState::kRunning;
    v.record.create_time = kT0;
    v.record.update_time = kT0;
    ASSERT_THAT(store_->CreateVerification(v), IsOk());
    const storage::AttestationRecord a{
        "att-" + id, id, "svc", kT0 + absl::Hours(24), "https://vouch.example/status/1", index, 0};
    storage::DuplicateEntry e;
    e.scope = "service:svc";
    e.kind = storage::DuplicateKind::kDocument;
    e.key_id = "k1";
    e.hash = "doc-" + id;
    e.verification_id = id;
    e.user_hash = "uh-42-svc";
    e.create_time = kT0;
    e.expire_time = kT0 + absl::Hours(24 * 365);
    ASSERT_THAT(store_->FinishVerification(id, storage::VerificationState::kCompleted, "verified",
                                           kT0, nullptr, &a, {}, {&e, 1}),
                IsOk());
  }

  grpc::Status Erase(const v1::EraseRequest& request, v1::EraseResponse* response,
                     const FixedPrincipalAuthenticator& caller, ErasureSupport* erasure) {
    AdminService service(*store_, caller, nullptr, erasure);
    grpc::ServerBuilder builder;
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    auto stub = v1::Admin::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
    grpc::ClientContext context;
    const grpc::Status status = stub->Erase(&context, request, response);
    server->Shutdown();
    return status;
  }
  grpc::Status Erase(const v1::EraseRequest& request, v1::EraseResponse* response) {
    return Erase(request, response, admin_, &erasure_);
  }

  static v1::EraseRequest ById(std::vector<std::string> ids) {
    v1::EraseRequest r;
    for (const std::string& id : ids) r.add_verification_ids(id);
    return r;
  }

  std::vector<storage::AuditEvent> Audit() {
    absl::StatusOr<std::vector<storage::AuditEvent>> events = store_->ListAudit(0, 100);
    EXPECT_THAT(events, IsOk());
    return events.ok() ? *events : std::vector<storage::AuditEvent>{};
  }

  std::unique_ptr<storage::Store> store_;
  FixedPrincipalAuthenticator admin_;
  FakeErasure erasure_;
};

TEST_F(AdminEraseTest, ErasesRevokesAndSignsAReceiptOfWhatWasErased) {
  AddVerified("v1", 7);
  AddVerified("v2", 8);
  v1::EraseResponse response;

  ASSERT_TRUE(Erase(ById({"v1"}), &response).ok());

  const nlohmann::json claims = nlohmann::json::parse(response.claims_json());
  EXPECT_EQ(response.receipt(), absl::StrCat("header.", response.claims_json(), ".sig"));
  EXPECT_EQ(claims["iss"], "https://vouch.example");
  EXPECT_EQ(claims["operator"], "admin-1");
  EXPECT_EQ(claims["jti"].get<std::string>().size(), 32u);
  EXPECT_GT(claims["iat"].get<int64_t>(), 0);
  EXPECT_EQ(claims["request"]["verification_ids"], nlohmann::json({"v1"}));
  EXPECT_EQ(claims["erased"]["verification_ids"], nlohmann::json({"v1"}));
  EXPECT_EQ(claims["erased"]["verifications"], 1);
  EXPECT_EQ(claims["erased"]["idempotency_keys"], 1);
  EXPECT_EQ(claims["erased"]["duplicate_entries"], 1);
  EXPECT_EQ(claims["erased"]["attestations_revoked"], 1);
  ASSERT_EQ(claims["revoked"].size(), 1u);
  EXPECT_EQ(claims["revoked"][0]["idx"], 7);
  EXPECT_EQ(claims["revoked"][0]["status_list_uri"], "https://vouch.example/status/1");
  EXPECT_THAT(claims["unmatched_verification_ids"], IsEmpty());
  // The Store's revocation is mirrored into the issuer's list.
  EXPECT_THAT(erasure_.revoked, ElementsAre("att-v1"));
  EXPECT_THAT(store_->GetVerification("v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->GetAttestation("att-v1")->status, 1);
  EXPECT_THAT(store_->GetVerification("v2"), IsOk());

  // Audited: who, the counts and the receipt's id, not whose data.
  const std::vector<storage::AuditEvent> events = Audit();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "erasure.erase");
  EXPECT_EQ(events[0].actor, "admin-1");
  EXPECT_EQ(events[0].verification_id, "");
  const nlohmann::json detail = nlohmann::json::parse(events[0].detail);
  EXPECT_EQ(detail["receipt"], claims["jti"]);
  EXPECT_EQ(detail["verifications"], 1);
  EXPECT_EQ(detail["by_telegram_user"], false);
  EXPECT_EQ(detail["receipt_sha256"].get<std::string>().size(), 64u);
}

TEST_F(AdminEraseTest, AReplayIsIdempotentAndUnknownIdsAreListedUnmatched) {
  AddVerified("v1", 7);
  v1::EraseResponse first, again;
  ASSERT_TRUE(Erase(ById({"v1"}), &first).ok());

  ASSERT_TRUE(Erase(ById({"v1", "never-seen"}), &again).ok());

  const nlohmann::json claims = nlohmann::json::parse(again.claims_json());
  EXPECT_EQ(claims["erased"]["verifications"], 0);
  EXPECT_THAT(claims["erased"]["verification_ids"], IsEmpty());
  EXPECT_EQ(claims["unmatched_verification_ids"], nlohmann::json({"never-seen", "v1"}));
  EXPECT_THAT(claims["revoked"], IsEmpty());
  EXPECT_NE(claims["jti"], nlohmann::json::parse(first.claims_json())["jti"]);
  EXPECT_EQ(store_->GetAttestation("att-v1")->status, 1);  // Still revoked.
}

TEST_F(AdminEraseTest, ByTelegramUserUsesTheKeyedHashesAndAuditsNoUserId) {
  AddVerified("v1", 7);
  v1::EraseRequest request;
  request.set_telegram_user_id(42);
  request.set_relying_service("svc");
  v1::EraseResponse response;

  ASSERT_TRUE(Erase(request, &response).ok());

  const nlohmann::json claims = nlohmann::json::parse(response.claims_json());
  EXPECT_EQ(claims["erased"]["verification_ids"], nlohmann::json({"v1"}));
  EXPECT_EQ(claims["request"]["telegram_user_id"], 42);
  EXPECT_EQ(claims["request"]["relying_service"], "svc");
  const std::vector<storage::AuditEvent> events = Audit();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].detail, HasSubstr("\"by_telegram_user\":true"));
  EXPECT_THAT(events[0].detail, Not(HasSubstr("telegram_user_id")));
  EXPECT_THAT(events[0].detail, Not(HasSubstr("v1")));
}

TEST_F(AdminEraseTest, OnlyAdminOperatorsMayErase) {
  AddVerified("v1", 7);
  v1::EraseResponse response;
  const auto service = FixedPrincipalAuthenticator::Service("svc");
  EXPECT_EQ(Erase(ById({"v1"}), &response, service, &erasure_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const auto reviewer = FixedPrincipalAuthenticator::Operator("rev", auth::OperatorRole::kReviewer);
  EXPECT_EQ(Erase(ById({"v1"}), &response, reviewer, &erasure_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(store_->GetVerification("v1"), IsOk());
  EXPECT_THAT(Audit(), IsEmpty());
}

TEST_F(AdminEraseTest, BadRequestsAndMissingSupportAreRefusedWithNothingErased) {
  AddVerified("v1", 7);
  v1::EraseResponse response;
  EXPECT_EQ(Erase(ById({}), &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Erase(ById({"v1", std::string(65, 'x')}), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::EraseRequest no_service;
  no_service.set_telegram_user_id(42);
  EXPECT_EQ(Erase(no_service, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::EraseRequest negative;
  negative.set_telegram_user_id(-1);
  negative.set_relying_service("svc");
  EXPECT_EQ(Erase(negative, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Erase(ById({"v1"}), &response, admin_, nullptr).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(store_->GetVerification("v1"), IsOk());
}

TEST_F(AdminEraseTest, AReceiptThatCannotBeSignedIsAnInternalErrorAfterTheErasure) {
  AddVerified("v1", 7);
  erasure_.sign_error = absl::FailedPreconditionError("no active key");
  v1::EraseResponse response;

  const grpc::Status status = Erase(ById({"v1"}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), HasSubstr("erase again"));
  EXPECT_THAT(store_->GetVerification("v1"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_EQ(Audit().size(), 1u);  // The erasure happened: audited.
}

}  // namespace
}  // namespace vouch::verifier::audit
