// The real services, engine, pipeline and store through real gRPC stubs on an
// in-process channel; fake decryption, reader and issuer (STYLE.md snippet 8).

#include "service/verification_service.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/error_details.h>

#include <atomic>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "review/case_sealer.h"
#include "review/review_queue.h"
#include "rpc/errors.h"
#include "testing/fake_authenticator.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::service {
namespace {

// RFC 7517 Appendix A.1 example P-256 public key.
constexpr char kHolderJwk[] =
    R"({"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",)"
    R"("y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"})";

using testing::FakeAttestationIssuer;
using testing::FakeDocumentReader;
using testing::FakeDocumentReaderFactory;
using testing::FakePassportOpener;
using testing::GatedReaderFactory;
using ::vouch::testing::FixedPrincipalAuthenticator;

google::rpc::Status Details(const grpc::Status& status) {
  google::rpc::Status details;
  details.ParseFromString(status.error_details());
  return details;
}

std::string ReasonOf(const grpc::Status& status) {
  const google::rpc::Status details = Details(status);
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

// The system time plus an offset a test moves (thread-safe: the engine's
// threads read it).
class ShiftedClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now() + absl::Nanoseconds(offset_ns_.load()); }
  void Advance(absl::Duration d) { offset_ns_ += absl::ToInt64Nanoseconds(d); }

 private:
  std::atomic<int64_t> offset_ns_{0};
};

class ServiceTest : public ::testing::Test {
 protected:
  void StartWith(pipeline::DocumentReaderFactory& factory, int workers, int capacity) {
    pool_ = *WorkerPool::Create(workers, capacity, factory);
    EngineOptions options;
    options.max_files_bytes = 1000;
    options.job_poll = absl::Milliseconds(20);
    options.job_reserve = 0;
    options.review_keys = review_keys_;
    engine_ = std::make_unique<VerificationEngine>(options, config_, pipeline_, *store_, *pool_,
                                                   clock_, metrics_);
    engine_->Start();
    // Other processes' changes (a write straight to the store stands for
    // one), polled as with SQLite.
    ChangeFeedOptions feed_options;
    feed_options.poll = absl::Milliseconds(20);
    feed_ = std::make_unique<ChangeFeed>(
        *store_, feed_options, [this](const std::string& id) { engine_->NotifyChanged(id); },
        [](const std::string&) {});
    feed_->Start();
    service_ = std::make_unique<VerificationService>(*engine_, service_caller_, feed_.get());
    attestations_ = std::make_unique<AttestationsService>(issuer_, *store_, admin_caller_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    builder.RegisterService(attestations_.get());
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
    stub_ = v1::Verification::NewStub(channel_);
  }
  void SetUp() override { StartWith(factory_, 2, 4); }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (feed_) feed_->Stop();
    if (engine_) engine_->StopAccepting();
    if (pool_) pool_->Drain();
  }

  v1::VerifyRequest Request() {
    v1::VerifyRequest r;
    r.set_passport_data_json(R"({"data":[],"credentials":{}})");
    r.set_nonce("nonce-1");
    r.set_telegram_user_id(42);
    r.set_relying_service("svc.example");
    return r;
  }

  grpc::Status Verify(const v1::VerifyRequest& request, v1::VerificationResult* response) {
    grpc::ClientContext context;
    return stub_->Verify(&context, request, response);
  }

  pipeline::Config config_ =
      *pipeline::Config::Parse(std::string(pipeline::EmbeddedDefaultToml()) + R"(
[policies.bank_only]
relying_services = ["bank"]
[policies.badge]
[policies.badge.telegram]
verify_user = true
custom_description = "Passport checked"
)");
  // The callers every RPC is answered for: the relying service of Request()
  // and an admin operator (Revoke, GetAttestationStatus).
  const FixedPrincipalAuthenticator service_caller_ =
      FixedPrincipalAuthenticator::Service("svc.example");
  const FixedPrincipalAuthenticator admin_caller_ =
      FixedPrincipalAuthenticator::Operator("admin.example", auth::OperatorRole::kAdmin);
  FakePassportOpener opener_;
  FakeAttestationIssuer issuer_;
  FakeDocumentReaderFactory factory_;
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  ShiftedClock clock_;
  const review::StorageKeyRing* review_keys_ = nullptr;  // Set before StartWith.
  Metrics metrics_;
  pipeline::VerificationPipeline pipeline_{opener_, issuer_, *store_, clock_};
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<VerificationEngine> engine_;
  std::unique_ptr<ChangeFeed> feed_;
  std::unique_ptr<VerificationService> service_;
  std::unique_ptr<AttestationsService> attestations_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Verification::Stub> stub_;
};

TEST_F(ServiceTest, VerifyReturnsDecisionAndStoresIt) {
  v1::VerificationResult response;

  grpc::Status status = Verify(Request(), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(response.state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_THAT(response.verification_id(), ::testing::StartsWith("ver_"));
  EXPECT_EQ(response.verification_id().size(), 30u);
  EXPECT_FALSE(response.attestation().sd_jwt().empty());

  grpc::ClientContext context;
  v1::GetVerificationRequest get;
  get.set_verification_id(response.verification_id());
  v1::VerificationResult stored;
  ASSERT_TRUE(stub_->GetVerification(&context, get, &stored).ok());
  EXPECT_EQ(stored.decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(stored.attestation().attestation_id(), response.attestation().attestation_id());
  EXPECT_THAT(metrics_.Render(),
              ::testing::HasSubstr("vouch_verifications_total{decision=\"DECISION_VERIFIED\"} 1"));
}

// The credential comes back from GetVerification only within the
// policy's pickup window (5 minutes by default), is kept sealed until then,
// and the purge deletes it after; the answer then says so.
class PickupWindowTest : public ServiceTest {
 protected:
  void SetUp() override {
    review_keys_ = &ring_;
    StartWith(factory_, 2, 4);
  }
  v1::VerificationResult Get(const std::string& id) {
    grpc::ClientContext context;
    v1::GetVerificationRequest get;
    get.set_verification_id(id);
    v1::VerificationResult out;
    EXPECT_TRUE(stub_->GetVerification(&context, get, &out).ok());
    return out;
  }
  const review::StorageKeyRing ring_ = *review::StorageKeyRing::FromKeys([] {
    std::vector<SecureBytes> keys;
    keys.push_back(SecureBytes(std::string(review::kStorageKeyBytes, 'k')));
    return keys;
  }());
};

TEST_F(PickupWindowTest, CredentialIsReturnedWithinTheWindowOnlyAndThenDeleted) {
  v1::VerificationResult response;
  ASSERT_TRUE(Verify(Request(), &response).ok());
  ASSERT_EQ(response.decision(), v1::DECISION_VERIFIED);
  const std::string sd_jwt = response.attestation().sd_jwt();
  ASSERT_FALSE(sd_jwt.empty());
  const std::string id = response.verification_id();
  EXPECT_EQ(response.attestation().disclosure_digests_size(), 1);
  EXPECT_FALSE(response.attestation().pickup_expired());
  const absl::Time until =
      absl::FromUnixSeconds(response.attestation().pickup_expire_time().seconds());
  EXPECT_GT(until, clock_.Now() + absl::Minutes(4));
  EXPECT_LE(until, clock_.Now() + absl::Minutes(5));

  // At rest: the decision, the checks and the digests; the credential only
  // sealed.
  absl::StatusOr<storage::VerificationRecord> record = store_->GetVerification(id);
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(absl::StrContains(record->result, sd_jwt));
  EXPECT_FALSE(absl::StrContains(record->result, "header.payload.sig"));
  v1::VerificationResult at_rest;
  ASSERT_TRUE(at_rest.ParseFromString(record->result));
  EXPECT_TRUE(at_rest.attestation().sd_jwt().empty());
  EXPECT_FALSE(at_rest.attestation().sealed_sd_jwt().empty());
  EXPECT_EQ(at_rest.attestation().disclosure_digests(0),
            response.attestation().disclosure_digests(0));
  EXPECT_GT(at_rest.checks_size(), 0);

  // Within the window: the credential, and no envelope.
  v1::VerificationResult within = Get(id);
  EXPECT_EQ(within.attestation().sd_jwt(), sd_jwt);
  EXPECT_FALSE(within.attestation().pickup_expired());
  EXPECT_TRUE(within.attestation().sealed_sd_jwt().empty());

  // The purge before the window ends drops nothing.
  review::ReviewQueue queue(config_, *store_, ring_, issuer_, clock_, nullptr);
  EXPECT_THAT(queue.DropExpiredCredentials(), ::vouch::testing::IsOkAndHolds(0));

  // After it: the result without the credential, saying so...
  clock_.Advance(absl::Minutes(5));
  v1::VerificationResult after = Get(id);
  EXPECT_EQ(after.decision(), v1::DECISION_VERIFIED);
  EXPECT_TRUE(after.attestation().sd_jwt().empty());
  EXPECT_TRUE(after.attestation().pickup_expired());
  EXPECT_EQ(after.attestation().attestation_id(), response.attestation().attestation_id());
  EXPECT_EQ(after.attestation().disclosure_digests_size(), 1);
  // ...and the purge deletes the sealed copy, once.
  EXPECT_THAT(queue.DropExpiredCredentials(), ::vouch::testing::IsOkAndHolds(1));
  EXPECT_THAT(queue.DropExpiredCredentials(), ::vouch::testing::IsOkAndHolds(0));
  absl::StatusOr<std::vector<storage::AuditEvent>> audit = store_->ListAudit(0, 100);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);  // Audited once, with the count only.
  EXPECT_EQ(audit->back().action, "retention.credentials");
  EXPECT_EQ(audit->back().detail, R"({"credentials":1})");
  EXPECT_EQ(audit->back().verification_id, "");
  record = store_->GetVerification(id);
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(at_rest.ParseFromString(record->result));
  EXPECT_TRUE(at_rest.attestation().sealed_sd_jwt().empty());
  EXPECT_TRUE(at_rest.attestation().sealed_key_id().empty());
  EXPECT_EQ(at_rest.attestation().disclosure_digests_size(), 1);
  EXPECT_EQ(at_rest.decision(), v1::DECISION_VERIFIED);
  EXPECT_TRUE(Get(id).attestation().pickup_expired());
}

// Telegram badge: a VERIFIED result under a policy with verify_user
// queues one verifyUser call for the submission's user in the Store's
// outbox, with the result; a repeat of the same request queues nothing more,
// and other policies queue nothing. The result carries the badge's state.
TEST_F(ServiceTest, VerifiedUnderABadgePolicyQueuesOneVerifyUser) {
  v1::VerifyRequest request = Request();
  request.set_policy("badge");
  request.set_idempotency_key("badge-1");
  v1::VerificationResult response;
  ASSERT_TRUE(Verify(request, &response).ok());
  ASSERT_EQ(response.decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(response.telegram_badge().state(), v1::TelegramBadge::STATE_PENDING);
  const std::vector<storage::BadgeItem> items = *store_->FindBadges(response.verification_id());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].request.action, storage::BadgeAction::kVerify);
  EXPECT_EQ(items[0].request.user_id, 42);
  EXPECT_EQ(items[0].request.custom_description, "Passport checked");
  EXPECT_EQ(items[0].state, storage::BadgeState::kPending);
  v1::VerificationResult again;
  ASSERT_TRUE(Verify(request, &again).ok());
  EXPECT_EQ(again.verification_id(), response.verification_id());
  v1::VerificationResult plain;
  ASSERT_TRUE(Verify(Request(), &plain).ok());
  ASSERT_EQ(plain.decision(), v1::DECISION_VERIFIED);
  EXPECT_FALSE(plain.has_telegram_badge());
  EXPECT_TRUE(store_->FindBadges(plain.verification_id())->empty());
  EXPECT_EQ(store_->CountBadges()->pending, 1);

  // The dispatcher's outcome shows in GetVerification.
  std::vector<storage::BadgeItem> claimed = *store_->ClaimBadges(absl::Now(), 10, absl::Minutes(1));
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(store_
                  ->RecordBadgeAttempt(claimed[0], storage::BadgeState::kFailed, absl::Now(),
                                       "400 Bad Request: USER_ID_INVALID", absl::Now())
                  .ok());
  grpc::ClientContext context;
  v1::GetVerificationRequest get;
  get.set_verification_id(response.verification_id());
  v1::VerificationResult stored;
  ASSERT_TRUE(stub_->GetVerification(&context, get, &stored).ok());
  EXPECT_EQ(stored.telegram_badge().state(), v1::TelegramBadge::STATE_FAILED);
  EXPECT_EQ(stored.telegram_badge().error(), "400 Bad Request: USER_ID_INVALID");
  EXPECT_EQ(stored.telegram_badge().attempts(), 1);
}

TEST_F(ServiceTest, MalformedRequestListsFieldViolations) {
  v1::VerifyRequest request = Request();
  request.clear_nonce();
  request.set_telegram_user_id(0);
  v1::VerificationResult response;

  grpc::Status status = Verify(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "INVALID_REQUEST");
  google::rpc::BadRequest bad;
  bool found = false;
  const google::rpc::Status details = Details(status);
  for (const google::protobuf::Any& any : details.details()) {
    found = found || any.UnpackTo(&bad);
  }
  ASSERT_TRUE(found);
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(0).field(), "nonce");
  EXPECT_EQ(bad.field_violations(1).field(), "telegram_user_id");
}

// A holder JWK is checked at intake: a malformed one, or one holding
// a private key, is INVALID_ARGUMENT naming the field, and nothing is stored.
TEST_F(ServiceTest, BadHolderJwkIsRefusedAtIntakeAndNothingIsStored) {
  const std::string private_jwk =
      std::string(kHolderJwk).substr(0, std::string(kHolderJwk).size() - 1) +
      R"(,"d":"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"})";
  const std::vector<std::string> jwks = {"{}", "not json", private_jwk,
                                         R"({"kty":"oct","k":"c2VjcmV0"})"};
  for (const std::string& jwk : jwks) {
    v1::VerifyRequest request = Request();
    request.set_idempotency_key("jwk-intake");
    request.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(jwk);
    v1::VerificationResult response;
    grpc::Status status = Verify(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << jwk;
    google::rpc::BadRequest bad;
    bool found = false;
    const google::rpc::Status details = Details(status);
    for (const google::protobuf::Any& any : details.details()) {
      found = found || any.UnpackTo(&bad);
    }
    ASSERT_TRUE(found) << jwk;
    ASSERT_EQ(bad.field_violations_size(), 1) << jwk;
    EXPECT_EQ(bad.field_violations(0).field(), "attestation.wallet.holder_jwk_json");
    if (jwk == private_jwk) {
      EXPECT_THAT(bad.field_violations(0).description(), ::testing::HasSubstr("private"));
    }
  }
  // Nothing stored: the idempotency key is still free, and no job waits.
  EXPECT_EQ(*store_->PendingJobCount(), 0);
  v1::VerifyRequest good = Request();
  good.set_idempotency_key("jwk-intake");
  good.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(kHolderJwk);
  v1::VerificationResult response;
  EXPECT_TRUE(Verify(good, &response).ok());
}

// A wallet offer needs the issuer endpoints. Without them the request is
// refused at intake, before the submission is opened or a job is queued, not
// after the whole verification has run.
TEST_F(ServiceTest, WalletOfferWithoutIssuerEndpointsIsRefusedAtIntake) {
  v1::VerifyRequest request = Request();
  request.set_idempotency_key("offer-intake");
  request.mutable_attestation()->mutable_wallet_offer();
  v1::VerificationResult response;
  grpc::Status status = Verify(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "MODULE_UNAVAILABLE");
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("--http-listen"));
  grpc::ClientContext context;
  v1::SubmitResponse submitted;
  grpc::Status async = stub_->Submit(&context, request, &submitted);
  EXPECT_EQ(async.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Nothing stored: no job waits, and the idempotency key is still free.
  EXPECT_EQ(*store_->PendingJobCount(), 0);
  v1::VerifyRequest direct = Request();
  direct.set_idempotency_key("offer-intake");
  EXPECT_TRUE(Verify(direct, &response).ok());
}

// Deeply nested or non-JSON passport_data_json is a malformed request:
// INVALID_ARGUMENT naming the field, not RESOURCE_EXHAUSTED.
TEST_F(ServiceTest, NestedOrBrokenPassportJsonNamesTheField) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const std::string very_deep = std::string(100000, '[');
  for (const std::string& text : {deep, very_deep, std::string("{\"data\": [")}) {
    v1::VerifyRequest request = Request();
    request.set_passport_data_json(text);
    v1::VerificationResult response;
    grpc::Status status = Verify(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << text.substr(0, 20);
    google::rpc::BadRequest bad;
    bool found = false;
    const google::rpc::Status details = Details(status);
    for (const google::protobuf::Any& any : details.details()) {
      found = found || any.UnpackTo(&bad);
    }
    ASSERT_TRUE(found);
    ASSERT_EQ(bad.field_violations_size(), 1);
    EXPECT_EQ(bad.field_violations(0).field(), "passport_data_json");
  }
}

TEST_F(ServiceTest, UnknownPolicyIsNotFound) {
  v1::VerifyRequest request = Request();
  request.set_policy("nope");
  v1::VerificationResult response;

  grpc::Status status = Verify(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "UNKNOWN_POLICY");
}

TEST_F(ServiceTest, PolicyOfAnotherServiceIsDenied) {
  v1::VerifyRequest request = Request();
  request.set_policy("bank_only");
  v1::VerificationResult response;

  grpc::Status status = Verify(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "POLICY_NOT_ALLOWED");
}

TEST_F(ServiceTest, WrongNonceIsInvalidArgumentAndReplayedForTheSameKey) {
  v1::VerifyRequest request = Request();
  request.set_nonce("other");
  request.set_idempotency_key("k-nonce");
  v1::VerificationResult response;

  grpc::Status first = Verify(request, &response);
  grpc::Status again = Verify(request, &response);

  EXPECT_EQ(first.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(first), "NONCE_MISMATCH");
  EXPECT_EQ(again.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(again), "NONCE_MISMATCH");
}

TEST_F(ServiceTest, SameIdempotencyKeyGivesOneVerification) {
  v1::VerifyRequest request = Request();
  request.set_idempotency_key("k1");
  v1::VerificationResult a, b, c;

  ASSERT_TRUE(Verify(request, &a).ok());
  ASSERT_TRUE(Verify(request, &b).ok());
  request.set_nonce("nonce-2");
  grpc::Status reused = Verify(request, &c);

  EXPECT_EQ(a.verification_id(), b.verification_id());
  EXPECT_EQ(issuer_.issued, 1);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ReasonOf(reused), "IDEMPOTENCY_KEY_REUSED");
}

TEST_F(ServiceTest, FilesOverTheLimitAreResourceExhausted) {
  v1::VerifyRequest request = Request();
  v1::EncryptedFile* f = request.add_files();
  f->set_file_id("f");
  f->set_content(std::string(1001, 'x'));
  v1::VerificationResult response;

  grpc::Status status = Verify(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(status), "REQUEST_TOO_LARGE");
}

TEST_F(ServiceTest, SubmitThenWatchSeesCompletion) {
  grpc::ClientContext submit_context;
  v1::SubmitResponse submitted;
  ASSERT_TRUE(stub_->Submit(&submit_context, Request(), &submitted).ok());

  grpc::ClientContext watch_context;
  v1::WatchVerificationRequest watch;
  watch.set_verification_id(submitted.verification_id());
  std::unique_ptr<grpc::ClientReader<v1::VerificationResult>> reader =
      stub_->WatchVerification(&watch_context, watch);
  std::vector<v1::VerificationState> states;
  v1::VerificationResult update;
  while (reader->Read(&update)) states.push_back(update.state());
  grpc::Status status = reader->Finish();

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(update.decision(), v1::DECISION_VERIFIED);
}

// Another replica completes a verification this process never ran: the
// store changes, this engine is not told, and the Watch still reports it
// (through the change feed).
TEST_F(ServiceTest, WatchSeesACompletionWrittenByAnotherProcess) {
  storage::NewVerification created;
  created.record.id = "ver_elsewhere";
  created.record.relying_service = "svc.example";
  created.record.request_digest = "digest";
  created.record.policy = "default";
  created.record.state = storage::VerificationState::kRunning;
  created.record.create_time = created.record.update_time = absl::Now();
  ASSERT_TRUE(store_->CreateVerification(created).ok());

  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchVerificationRequest watch;
  watch.set_verification_id("ver_elsewhere");
  std::unique_ptr<grpc::ClientReader<v1::VerificationResult>> reader =
      stub_->WatchVerification(&watch_context, watch);
  v1::VerificationResult update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.state(), v1::VERIFICATION_STATE_RUNNING);

  v1::VerificationResult done;
  done.set_verification_id("ver_elsewhere");
  done.set_state(v1::VERIFICATION_STATE_COMPLETED);
  done.set_decision(v1::DECISION_REJECTED);
  ASSERT_TRUE(store_
                  ->FinishVerification("ver_elsewhere", storage::VerificationState::kCompleted,
                                       done.SerializeAsString(), absl::Now(), nullptr)
                  .ok());
  std::vector<v1::VerificationResult> later;
  while (reader->Read(&update)) later.push_back(update);
  const grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();  // Not the deadline.
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(later[0].decision(), v1::DECISION_REJECTED);
}

// Telegram badge: with follow_badge, Watch stays open after VERIFIED
// while the badge may change and sends each change (PENDING -> SET, with a
// removal queued -> REMOVED), then ends; without it the stream ends at the
// decision as before.
TEST_F(ServiceTest, WatchWithFollowBadgeSendsTheBadgesChanges) {
  v1::VerifyRequest request = Request();
  request.set_policy("badge");
  v1::VerificationResult verified;
  ASSERT_TRUE(Verify(request, &verified).ok());
  ASSERT_EQ(verified.telegram_badge().state(), v1::TelegramBadge::STATE_PENDING);
  const std::string id = verified.verification_id();

  v1::WatchVerificationRequest watch;
  watch.set_verification_id(id);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto plain = stub_->WatchVerification(&context, watch);
    v1::VerificationResult update;
    int messages = 0;
    while (plain->Read(&update)) ++messages;
    ASSERT_TRUE(plain->Finish().ok());
    EXPECT_EQ(messages, 1);  // Ends at the decision, badge or not.
  }
  watch.set_follow_badge(true);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = stub_->WatchVerification(&context, watch);
  v1::VerificationResult update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(update.telegram_badge().state(), v1::TelegramBadge::STATE_PENDING);

  // What the dispatcher does, each outcome followed by its notification (as
  // vouchd wires it): a removal queued behind the verify, the verify made...
  storage::BadgeRequest removal{id, 42, storage::BadgeAction::kRemove, "", absl::InfinitePast()};
  ASSERT_TRUE(store_->EnqueueBadge(removal, absl::Now()).ok());
  std::vector<storage::BadgeItem> claimed = *store_->ClaimBadges(absl::Now(), 10, absl::Minutes(1));
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].request.action, storage::BadgeAction::kVerify);
  ASSERT_TRUE(
      store_
          ->RecordBadgeAttempt(claimed[0], storage::BadgeState::kDone, absl::Now(), "", absl::Now())
          .ok());
  engine_->NotifyChanged(id);
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.telegram_badge().state(), v1::TelegramBadge::STATE_SET);
  EXPECT_TRUE(update.telegram_badge().has_remove_time());
  // ...and the removal made: the badge is settled, the stream ends.
  claimed = *store_->ClaimBadges(absl::Now(), 10, absl::Minutes(1));
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].request.action, storage::BadgeAction::kRemove);
  ASSERT_TRUE(
      store_
          ->RecordBadgeAttempt(claimed[0], storage::BadgeState::kDone, absl::Now(), "", absl::Now())
          .ok());
  engine_->NotifyChanged(id);
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.telegram_badge().state(), v1::TelegramBadge::STATE_REMOVED);
  EXPECT_FALSE(reader->Read(&update));
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();  // Not the deadline.
}

TEST_F(ServiceTest, SubmitWithSameKeyIsDeduplicated) {
  v1::VerifyRequest request = Request();
  request.set_idempotency_key("async-1");
  v1::SubmitResponse a, b;
  grpc::ClientContext c1, c2;

  ASSERT_TRUE(stub_->Submit(&c1, request, &a).ok());
  ASSERT_TRUE(stub_->Submit(&c2, request, &b).ok());

  EXPECT_EQ(a.verification_id(), b.verification_id());
  EXPECT_FALSE(a.deduplicated());
  EXPECT_TRUE(b.deduplicated());
}

TEST_F(ServiceTest, WatchOfUnknownIdIsNotFound) {
  grpc::ClientContext context;
  v1::WatchVerificationRequest watch;
  watch.set_verification_id("ver_unknown");
  auto reader = stub_->WatchVerification(&context, watch);
  v1::VerificationResult update;
  while (reader->Read(&update)) {
  }
  grpc::Status status = reader->Finish();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "UNKNOWN_VERIFICATION");
}

TEST_F(ServiceTest, AttestationsServesJwksMetadataAndStatusList) {
  auto stub = v1::Attestations::NewStub(channel_);
  v1::GetJwksResponse jwks;
  v1::GetIssuerMetadataResponse metadata;
  v1::GetStatusListResponse list;
  v1::GetStatusListRequest unknown;
  unknown.set_uri("https://elsewhere/1");
  grpc::ClientContext c1, c2, c3, c4;

  ASSERT_TRUE(stub->GetJwks(&c1, v1::GetJwksRequest(), &jwks).ok());
  ASSERT_TRUE(stub->GetIssuerMetadata(&c2, v1::GetIssuerMetadataRequest(), &metadata).ok());
  grpc::Status not_found = stub->GetStatusList(&c3, unknown, &list);
  unknown.set_uri("https://vouch.invalid/status/1");
  ASSERT_TRUE(stub->GetStatusList(&c4, unknown, &list).ok());

  EXPECT_EQ(jwks.jwks_json(), R"({"keys":[]})");
  EXPECT_EQ(metadata.metadata_json(), R"({"issuer":"https://vouch.invalid"})");
  EXPECT_EQ(not_found.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list.status_list_jwt(), "status.list.jwt");
}

TEST_F(ServiceTest, WithoutIssuerAttestationsAreFailedPrecondition) {
  pipeline::UnavailableAttestationIssuer unavailable;
  AttestationsService none(unavailable, *store_, admin_caller_);
  grpc::ServerBuilder builder;
  builder.RegisterService(&none);
  auto server = builder.BuildAndStart();
  auto stub = v1::Attestations::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext context;
  v1::GetJwksResponse jwks;

  grpc::Status status = stub->GetJwks(&context, v1::GetJwksRequest(), &jwks);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "MODULE_UNAVAILABLE");
  server->Shutdown();
}

TEST_F(ServiceTest, RevokeUnknownAttestationIsNotFound) {
  auto stub = v1::Attestations::NewStub(channel_);
  grpc::ClientContext context;
  v1::RevokeRequest request;
  request.set_attestation_id("nope");
  v1::RevokeResponse response;

  grpc::Status status = stub->Revoke(&context, request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, RevokeWalletAttestation) {
  v1::VerifyRequest request = Request();
  request.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(kHolderJwk);
  v1::VerificationResult verified;
  ASSERT_TRUE(Verify(request, &verified).ok());
  auto stub = v1::Attestations::NewStub(channel_);
  v1::RevokeRequest revoke;
  revoke.set_attestation_id(verified.attestation().attestation_id());
  v1::RevokeResponse first, second;
  grpc::ClientContext c1, c2;

  ASSERT_TRUE(stub->Revoke(&c1, revoke, &first).ok());
  ASSERT_TRUE(stub->Revoke(&c2, revoke, &second).ok());

  EXPECT_TRUE(first.changed());
  EXPECT_FALSE(second.changed());
  revoke.set_suspend(true);
  grpc::ClientContext c3;
  grpc::Status final_status = stub->Revoke(&c3, revoke, &second);
  EXPECT_EQ(final_status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(final_status), "ALREADY_REVOKED");
}

TEST_F(ServiceTest, RevokeDirectModeAttestationIsFailedPrecondition) {
  v1::VerificationResult verified;
  ASSERT_TRUE(Verify(Request(), &verified).ok());
  auto stub = v1::Attestations::NewStub(channel_);
  v1::RevokeRequest revoke;
  revoke.set_attestation_id(verified.attestation().attestation_id());
  v1::RevokeResponse response;
  grpc::ClientContext context;

  grpc::Status status = stub->Revoke(&context, revoke, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "NO_STATUS_ENTRY");
}

class OverloadTest : public ServiceTest {
 protected:
  void SetUp() override { StartWith(gated_, 1, 0); }
  void TearDown() override {
    if (!gated_.release.HasBeenNotified()) gated_.release.Notify();
    ServiceTest::TearDown();
  }
  GatedReaderFactory gated_;
};

TEST_F(OverloadTest, FullPoolAnswersResourceExhaustedWithRetryInfo) {
  auto slow = std::make_unique<grpc::ClientContext>();
  v1::VerificationResult slow_response;
  grpc::Status slow_status;
  absl::Notification slow_done;
  const v1::VerifyRequest slow_request = Request();
  stub_->async()->Verify(slow.get(), &slow_request, &slow_response, [&](grpc::Status s) {
    slow_status = s;
    slow_done.Notify();
  });
  gated_.entered.WaitForNotification();

  v1::VerificationResult response;
  grpc::Status status = Verify(Request(), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(status), "OVERLOADED");
  google::rpc::RetryInfo retry;
  bool found = false;
  const google::rpc::Status details = Details(status);
  for (const google::protobuf::Any& any : details.details()) {
    found = found || any.UnpackTo(&retry);
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(retry.retry_delay().seconds(), 1);
  gated_.release.Notify();
  slow_done.WaitForNotification();
  EXPECT_TRUE(slow_status.ok()) << slow_status.error_message();
}

TEST_F(OverloadTest, ExpiredDeadlineStopsTheWork) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  v1::VerificationResult response;
  v1::VerifyRequest request = Request();
  request.set_idempotency_key("deadline");

  grpc::Status status = stub_->Verify(&context, request, &response);
  gated_.release.Notify();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The pipeline sees the deadline after the blocked read and abandons the
  // verification, so the key can be used again and nothing was issued.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(issuer_.issued, 0);
  v1::VerificationResult retried;
  EXPECT_TRUE(Verify(request, &retried).ok());
}

TEST_F(OverloadTest, CancelledCallStopsTheWork) {
  grpc::ClientContext context;
  v1::VerificationResult response;
  v1::VerifyRequest request = Request();
  request.set_idempotency_key("cancelled");
  grpc::Status status;
  absl::Notification done;
  stub_->async()->Verify(&context, &request, &response, [&](grpc::Status s) {
    status = s;
    done.Notify();
  });
  gated_.entered.WaitForNotification();

  context.TryCancel();
  done.WaitForNotification();
  // The client's callback runs at once; the server learns of the
  // cancellation when the stream reset arrives: give it that time (it has
  // nothing to observe before the pipeline polls).
  absl::SleepFor(absl::Milliseconds(500));
  gated_.release.Notify();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  // The pipeline sees the cancellation after the blocked read and abandons
  // the verification: nothing is issued and the key can be used again.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(issuer_.issued, 0);
  v1::VerificationResult retried;
  EXPECT_TRUE(Verify(request, &retried).ok());
  EXPECT_EQ(issuer_.issued, 1);
}

}  // namespace
}  // namespace vouch::verifier::service
