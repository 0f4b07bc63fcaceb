// Duplicate detection through the whole pipeline (#17): the real
// Store-backed index on the in-memory store, the fake reader's specimen
// passport submitted by several Telegram users.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/verification_pipeline.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Not;
using ::testing::Property;
using ::vouch::testing::FixedClock;
using ::vouch::testing::IsOk;
using Action = Policy::Duplicates::Action;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 27, 12, 0, 0), absl::UTCTimeZone());

auto CheckIs(const std::string& name, v1::CheckOutcome outcome, const std::string& reason) {
  return AllOf(Property(&v1::Check::name, name), Property(&v1::Check::outcome, outcome),
               Property(&v1::Check::reason, reason));
}

class RecordingCapture final : public ReviewCapture {
 public:
  void Capture(const OpenedSubmission&, const std::vector<DocumentEvidence>&,
               const AttestationRequest&, const v1::Summary&) override {
    ++captures;
  }
  void CaptureDuplicates(const dedup::DuplicateMatches& m) override { matches = m; }
  int captures = 0;
  dedup::DuplicateMatches matches;
};

class DuplicatePipelineTest : public ::testing::Test {
 protected:
  DuplicatePipelineTest() {
    request_.set_passport_data_json(R"({"data":[],"credentials":{}})");
    request_.set_nonce("nonce-1");
    policy_ = *Config::Default().FindPolicy("default").value();
    policy_.duplicates.document = Action::kReview;
    std::vector<dedup::DedupKey> keys;
    const std::string secret(32, 'k');
    keys.push_back(dedup::DedupKey{dedup::DedupKeyId(secret), SecureBytes(secret)});
    index_ =
        dedup::NewStoreDuplicateIndex(*dedup::DedupKeyring::FromKeys(std::move(keys)), *store_);
  }

  // Runs user `user`'s submission as verification `id` and, as the engine
  // does in the transaction that stores the result, records its entries.
  v1::VerificationResult Submit(int64_t user, const std::string& id,
                                RecordingCapture* capture = nullptr) {
    request_.set_telegram_user_id(user);
    std::vector<storage::DuplicateEntry> entries;
    PipelineInput input{&request_, &policy_, id, "svc.example", capture, nullptr};
    input.duplicate_index = index_.get();
    input.duplicate_entries = &entries;
    absl::StatusOr<v1::VerificationResult> r = pipeline_.Run(input, reader_, nullptr);
    EXPECT_THAT(r, IsOk());
    EXPECT_THAT(store_->RecordDuplicates(entries), IsOk());
    last_entries_ = entries;
    return r.ok() ? *r : v1::VerificationResult();
  }

  v1::VerifyRequest request_;
  Policy policy_;
  testing::FakePassportOpener opener_;
  testing::FakeDocumentReader reader_;
  testing::FakeAttestationIssuer issuer_;
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  FixedClock clock_{kNow};
  VerificationPipeline pipeline_{opener_, issuer_, *store_, clock_};
  std::unique_ptr<dedup::DuplicateIndex> index_;
  std::vector<storage::DuplicateEntry> last_entries_;
};

TEST_F(DuplicatePipelineTest, ASecondUserWithTheSameDocumentIsHeldTheSameUserIsNot) {
  const v1::VerificationResult first = Submit(42, "ver_1");
  EXPECT_EQ(first.decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(first.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_PASS, "")));
  ASSERT_EQ(last_entries_.size(), 2u);  // The document and the person.
  EXPECT_EQ(last_entries_[0].scope, "service:svc.example");
  EXPECT_EQ(last_entries_[0].expire_time, kNow + policy_.duplicates.ttl);

  RecordingCapture capture;
  const v1::VerificationResult second = Submit(43, "ver_2", &capture);
  EXPECT_EQ(second.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(second.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                                "duplicate_document")));
  EXPECT_FALSE(second.has_attestation());
  // The case shows the other verification id, nothing else of it.
  EXPECT_EQ(capture.captures, 1);
  EXPECT_THAT(capture.matches.documents,
              ElementsAre(Field(&storage::DuplicateEntry::verification_id, "ver_1")));
  // Its entries are held with the case: until a reviewer approves, they hold
  // nobody else (the owner below is not held because of this attempt).
  ASSERT_EQ(last_entries_.size(), 2u);
  EXPECT_TRUE(last_entries_[0].held);

  const v1::VerificationResult again = Submit(42, "ver_3");
  EXPECT_EQ(again.decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(again.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(DuplicatePipelineTest, AnApprovedCasesEntriesCountOnceConfirmed) {
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  RecordingCapture capture;
  EXPECT_EQ(Submit(43, "ver_2", &capture).decision(), v1::DECISION_NEEDS_REVIEW);
  // A reviewer approves ver_2 (review/: ConfirmDuplicates): user 42 now
  // meets user 43's entry.
  ASSERT_EQ(*store_->ConfirmDuplicates("ver_2"), 2);
  const v1::VerificationResult again = Submit(42, "ver_3", &capture);
  EXPECT_EQ(again.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(capture.matches.documents,
              ElementsAre(Field(&storage::DuplicateEntry::verification_id, "ver_2")));
}

TEST_F(DuplicatePipelineTest, UnderARejectPolicyTheSecondUserIsRejected) {
  policy_.duplicates.document = Action::kReject;
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  const v1::VerificationResult second = Submit(43, "ver_2");
  EXPECT_EQ(second.decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(second.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_FAIL,
                                                "duplicate_document")));
  EXPECT_EQ(second.errors_json(), "[]");  // The user is told nothing.
  EXPECT_TRUE(last_entries_.empty());     // A rejected result records nothing.
}

TEST_F(DuplicatePipelineTest, ADocumentRejectedAsForgedIsReviewedForItsOwnUserToo) {
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  ASSERT_EQ(*store_->MarkDuplicatesForged("ver_1"), 2);
  const v1::VerificationResult again = Submit(42, "ver_2");
  EXPECT_EQ(again.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(again.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                               "duplicate_forged")));
}

TEST_F(DuplicatePipelineTest, AnotherServicesEntriesAreNotSeenUnderServiceScope) {
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  request_.set_telegram_user_id(43);
  std::vector<storage::DuplicateEntry> entries;
  PipelineInput input{&request_, &policy_, "ver_2", "other.example"};
  input.duplicate_index = index_.get();
  input.duplicate_entries = &entries;
  absl::StatusOr<v1::VerificationResult> r = pipeline_.Run(input, reader_, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);

  policy_.duplicates.provider_scope = true;  // Provider-wide: both services share entries.
  EXPECT_EQ(Submit(44, "ver_3").decision(), v1::DECISION_VERIFIED);
  request_.set_telegram_user_id(43);
  input.verification_id = "ver_4";
  r = pipeline_.Run(input, reader_, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
}

TEST_F(DuplicatePipelineTest, WithThePolicyOffNothingIsLookedUpOrRecorded) {
  policy_.duplicates.document = Action::kOff;
  const v1::VerificationResult first = Submit(42, "ver_1");
  EXPECT_TRUE(last_entries_.empty());
  EXPECT_THAT(first.checks(), Not(Contains(Property(&v1::Check::name, "duplicate_document"))));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
