// Duplicate detection through the engine: the index entries of a
// VERIFIED result are stored in the transaction that stores it (Verify's
// FinishVerification, a job's CompleteJob), and a second Telegram user with
// the same document is held while the same user is not. Real engine,
// pipeline, Store-backed index and in-memory store; fake decryption, reader
// and issuer.
#include <chrono>
#include <thread>

#include "absl/synchronization/notification.h"
#include "dedup/duplicate_index.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/verification_engine.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::service {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::FakeAttestationIssuer;
using testing::FakeDocumentReaderFactory;
using testing::FakePassportOpener;
using ::testing::Property;
using ::vouch::testing::IsOk;

auto CheckIs(const std::string& name, v1::CheckOutcome outcome, const std::string& reason) {
  return AllOf(Property(&v1::Check::name, name), Property(&v1::Check::outcome, outcome),
               Property(&v1::Check::reason, reason));
}

class DuplicateEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<dedup::DedupKey> keys;
    const std::string secret(32, 'd');
    keys.push_back(dedup::DedupKey{dedup::DedupKeyId(secret), SecureBytes(secret)});
    index_ =
        dedup::NewStoreDuplicateIndex(*dedup::DedupKeyring::FromKeys(std::move(keys)), *store_);
    pool_ = *WorkerPool::Create(1, 4, factory_);
    EngineOptions options;
    options.job_poll = absl::Milliseconds(20);
    options.job_reserve = 0;
    options.duplicate_index = index_.get();
    engine_ = std::make_unique<VerificationEngine>(options, config_, pipeline_, *store_, *pool_,
                                                   clock_, metrics_);
    engine_->Start();
  }
  void TearDown() override {
    engine_->StopAccepting();
    pool_->Drain();
  }

  v1::VerifyRequest Request(int64_t user) {
    v1::VerifyRequest r;
    r.set_passport_data_json(R"({"data":[],"credentials":{}})");
    r.set_nonce("nonce-1");
    r.set_telegram_user_id(user);
    r.set_relying_service("svc.example");
    r.set_policy("dedup");
    return r;
  }

  v1::VerificationResult Verify(int64_t user) {
    absl::Notification done;
    absl::StatusOr<v1::VerificationResult> out;
    const v1::VerifyRequest request = Request(user);  // Must outlive the call.
    engine_->Verify(request, nullptr, [&](absl::StatusOr<v1::VerificationResult> r) {
      out = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_THAT(out, IsOk());
    return out.ok() ? *out : v1::VerificationResult();
  }

  // The entries a lookup by another user (999) finds.
  std::vector<storage::DuplicateEntry> IndexedFor(int64_t user) {
    dedup::DuplicateSubject probe;
    probe.scope = "service:svc.example";
    probe.telegram_user_id = user;
    probe.document = dedup::DocumentIdentity{"SWE", "passport", "L898902C3"};
    absl::StatusOr<dedup::DuplicateMatches> m = index_->Find(probe, absl::Now());
    EXPECT_THAT(m, IsOk());
    return m.ok() ? m->documents : std::vector<storage::DuplicateEntry>();
  }

  pipeline::Config config_ =
      *pipeline::Config::Parse(std::string(pipeline::EmbeddedDefaultToml()) + R"(
[policies.dedup]
required_elements = ["personal_details", "passport"]
duplicate_document = "review"
)");
  FakePassportOpener opener_;
  FakeAttestationIssuer issuer_;
  FakeDocumentReaderFactory factory_;
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  SystemClock clock_;
  Metrics metrics_;
  pipeline::VerificationPipeline pipeline_{opener_, issuer_, *store_, clock_};
  std::unique_ptr<dedup::DuplicateIndex> index_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<VerificationEngine> engine_;
};

TEST_F(DuplicateEngineTest, ASecondUserIsHeldTheSameUserIsNot) {
  const v1::VerificationResult first = Verify(42);
  ASSERT_EQ(first.decision(), v1::DECISION_VERIFIED);
  // Stored with the result: another user's lookup finds it.
  std::vector<storage::DuplicateEntry> indexed = IndexedFor(999);
  ASSERT_EQ(indexed.size(), 1u);
  EXPECT_EQ(indexed[0].verification_id, first.verification_id());
  EXPECT_FALSE(indexed[0].held);

  const v1::VerificationResult second = Verify(43);
  EXPECT_EQ(second.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(second.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                                "duplicate_document")));
  EXPECT_EQ(IndexedFor(999).size(), 1u);  // No review queue here: nothing recorded.

  const v1::VerificationResult again = Verify(42);
  EXPECT_EQ(again.decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(IndexedFor(999).size(), 2u);  // The owner's second verification.
}

TEST_F(DuplicateEngineTest, AJobCompletionStoresTheEntriesWithItsResult) {
  absl::StatusOr<v1::SubmitResponse> submitted = engine_->Submit(Request(42));
  ASSERT_THAT(submitted, IsOk());
  const std::string id = submitted->verification_id();
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<storage::VerificationRecord> r = store_->GetVerification(id);
    ASSERT_THAT(r, IsOk());
    if (storage::IsTerminal(r->state)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<storage::DuplicateEntry> indexed = IndexedFor(999);
  ASSERT_EQ(indexed.size(), 1u);
  EXPECT_EQ(indexed[0].verification_id, id);
  EXPECT_EQ(Verify(43).decision(), v1::DECISION_NEEDS_REVIEW);
}

}  // namespace
}  // namespace vouch::verifier::service
