// Duplicate detection through the review queue: a second Telegram
// user's submission of an already verified document is a case that lists
// the other verification id; the decision decides what its held index
// entries become.
#include "absl/strings/str_cat.h"
#include "dedup/duplicate_index.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/verification_pipeline.h"
#include "review/case_capture.h"
#include "review/review_queue.h"
#include "testing/faulty_store.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/review_fixtures.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::review {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::kAlice;
using testing::kReviewNow;
using ::testing::Property;
using testing::ReviewKeyRing;
using ::vouch::testing::FixedClock;
using ::vouch::testing::IsOk;

auto MatchIs(const std::string& kind, const std::string& id, bool forged) {
  return AllOf(Property(&v1::DuplicateMatch::kind, kind),
               Property(&v1::DuplicateMatch::verification_id, id),
               Property(&v1::DuplicateMatch::forged, forged));
}

auto CheckIs(const std::string& name, v1::CheckOutcome outcome, const std::string& reason) {
  return AllOf(Property(&v1::Check::name, name), Property(&v1::Check::outcome, outcome),
               Property(&v1::Check::reason, reason));
}

std::unique_ptr<dedup::DuplicateIndex> TestIndex(storage::Store& store) {
  std::vector<dedup::DedupKey> keys;
  const std::string secret(32, 'd');
  keys.push_back(dedup::DedupKey{dedup::DedupKeyId(secret), SecureBytes(secret)});
  return dedup::NewStoreDuplicateIndex(*dedup::DedupKeyring::FromKeys(std::move(keys)), store);
}

class DuplicateReviewTest : public ::testing::Test {
 protected:
  DuplicateReviewTest() {
    config_ = *pipeline::Config::Parse(R"toml(
[issuer]
url = "https://vouch.invalid"
[policies.default]
required_elements = ["personal_details", "passport"]
disclosable_claims = ["document_verified"]
duplicate_document = "review"
)toml");
    request_.set_passport_data_json(R"({"data":[],"credentials":{}})");
    request_.set_nonce("nonce-1");
  }

  // Runs user `user`'s submission and stores it as the engine does: the
  // result, its case and its index entries in one FinishVerification.
  std::pair<std::string, v1::VerificationResult> Submit(int64_t user) {
    const std::string id = absl::StrCat("ver_", ++counter_);
    storage::NewVerification nv;
    nv.record = storage::VerificationRecord{
        id, "svc.example", "",          "digest", "default", storage::VerificationState::kRunning,
        "", clock_.Now(),  clock_.Now()};
    EXPECT_THAT(store_->CreateVerification(nv), IsOk());
    request_.set_telegram_user_id(user);
    const pipeline::Policy& p = **config_.FindPolicy("default");
    CaseCapture capture;
    std::optional<storage::AttestationRecord> attestation;
    std::vector<storage::DuplicateEntry> entries;
    pipeline::PipelineInput input{&request_, &p, id, "svc.example", &capture, &attestation};
    input.duplicate_index = index_.get();
    input.duplicate_entries = &entries;
    absl::StatusOr<v1::VerificationResult> result = pipeline_.Run(input, reader_, nullptr);
    EXPECT_THAT(result, IsOk());
    std::optional<storage::ReviewCase> c;
    if (result->decision() == v1::DECISION_NEEDS_REVIEW) {
      c = MakeReviewCase(ring_, capture.content(), *result, id, "svc.example", p, clock_.Now());
    }
    EXPECT_THAT(store_->FinishVerification(
                    id, storage::VerificationState::kCompleted, result->SerializeAsString(),
                    clock_.Now(), c.has_value() ? &*c : nullptr,
                    attestation.has_value() ? &*attestation : nullptr, {}, entries),
                IsOk());
    return {id, *result};
  }

  v1::CaseDetail ClaimAndShow(const std::string& id) {
    v1::ClaimCaseRequest claim;
    claim.set_case_id(id);
    EXPECT_THAT(queue_.Claim(kAlice, claim).status(), IsOk());
    v1::GetCaseRequest show;
    show.set_case_id(id);
    absl::StatusOr<v1::CaseDetail> detail = queue_.Show(kAlice, show);
    EXPECT_THAT(detail, IsOk());
    return detail.ok() ? *detail : v1::CaseDetail();
  }

  void Reject(const std::string& id, const std::string& reason) {
    v1::RejectCaseRequest r;
    r.set_case_id(id);
    r.set_reason(reason);
    EXPECT_THAT(queue_.Reject(kAlice, r).status(), IsOk());
  }

  pipeline::Config config_;
  v1::VerifyRequest request_;
  testing::FakePassportOpener opener_;
  testing::FakeDocumentReader reader_;
  testing::FakeAttestationIssuer issuer_;
  // Its own duplicate moves can be made to fail: a decision must not
  // need them.
  std::unique_ptr<testing::FaultyStore> store_ =
      std::make_unique<testing::FaultyStore>(storage::NewMemoryStore());
  FixedClock clock_{kReviewNow};
  pipeline::VerificationPipeline pipeline_{opener_, issuer_, *store_, clock_};
  StorageKeyRing ring_ = ReviewKeyRing();
  std::unique_ptr<dedup::DuplicateIndex> index_ = TestIndex(*store_);
  ReviewQueue queue_{config_, *store_, ring_, issuer_, clock_, [](const std::string&) {}};
  int counter_ = 0;
};

TEST_F(DuplicateReviewTest, TheCaseListsTheOtherVerificationIdOnly) {
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
  const auto [id, result] = Submit(43);
  ASSERT_EQ(result.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(result.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                                "duplicate_document")));
  const v1::CaseDetail detail = ClaimAndShow(id);
  // The person rule is off: only the document's match is shown.
  EXPECT_THAT(detail.duplicates(), ElementsAre(MatchIs("document", "ver_1", false)));
  EXPECT_THAT(detail.summary().reasons(), Contains("duplicate_document"));
}

TEST_F(DuplicateReviewTest, RejectedAsForgedTheDocumentIsReviewedForEveryone) {
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
  const std::string held = Submit(43).first;
  // While the case waits, its entries hold nobody: the owner verifies again.
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
  ClaimAndShow(held);
  Reject(held, "forged");

  const auto [id, result] = Submit(42);
  EXPECT_EQ(result.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(result.checks(), Contains(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                                "duplicate_forged")));
  EXPECT_THAT(ClaimAndShow(id).duplicates(), Contains(MatchIs("document", held, true)));
}

TEST_F(DuplicateReviewTest, AnotherRejectDropsTheCasesEntries) {
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
  const std::string held = Submit(43).first;
  ClaimAndShow(held);
  Reject(held, "document_unclear");
  EXPECT_EQ(*store_->DeleteDuplicates(held), 0);  // Already gone.
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
}

TEST_F(DuplicateReviewTest, AnApprovalMakesTheCasesEntriesCount) {
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
  const std::string held = Submit(43).first;
  ClaimAndShow(held);
  v1::ApproveCaseRequest approve;
  approve.set_case_id(held);
  approve.set_reason("same_person_new_account");
  ASSERT_THAT(queue_.Approve(kAlice, approve).status(), IsOk());
  // User 42 now meets user 43's confirmed entry.
  const auto [id, result] = Submit(42);
  EXPECT_EQ(result.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(ClaimAndShow(id).duplicates(), Contains(MatchIs("document", held, false)));
}

// The moves are made in the decision's transaction (DecideCase), not by
// the index's own operations afterwards: with those failing, an approval
// still makes the entries count and a forged reject still marks them.
TEST_F(DuplicateReviewTest, TheDecisionMovesTheEntriesInItsOwnTransaction) {
  store_->fail_duplicate_moves = true;
  EXPECT_EQ(Submit(42).second.decision(), v1::DECISION_VERIFIED);
  const std::string approved = Submit(43).first;
  ClaimAndShow(approved);
  v1::ApproveCaseRequest approve;
  approve.set_case_id(approved);
  approve.set_reason("same_person_new_account");
  ASSERT_THAT(queue_.Approve(kAlice, approve).status(), IsOk());
  const std::string forged = Submit(44).first;
  ClaimAndShow(forged);
  Reject(forged, "forged.photo");

  const auto [id, result] = Submit(42);
  EXPECT_EQ(result.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(ClaimAndShow(id).duplicates(), AllOf(Contains(MatchIs("document", approved, false)),
                                                   Contains(MatchIs("document", forged, true))));
}

}  // namespace
}  // namespace vouch::verifier::review
