#include "review/review_queue.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pipeline/verification_pipeline.h"
#include "review/case_capture.h"
#include "rpc/errors.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/review_fixtures.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::review {
namespace {

using testing::kAlice;
using testing::kReviewNow;
using testing::ReviewKeyRing;
using ::vouch::testing::FixedClock;

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeAttestationIssuer;
using testing::FakeDocumentReader;
using testing::FakePassportOpener;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const auth::Principal kCarol{auth::PrincipalKind::kOperator, "carol",
                             auth::OperatorRole::kReviewer};
const auth::Principal kBob{auth::PrincipalKind::kOperator, "bob",
                           auth::OperatorRole::kSeniorReviewer};
const auth::Principal kDave{auth::PrincipalKind::kOperator, "dave", auth::OperatorRole::kAdmin};
const auth::Principal kService{auth::PrincipalKind::kService, "svc.example",
                               auth::OperatorRole::kNone};

std::string Reason(const absl::Status& s) {
  std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(s);
  return info.has_value() ? info->reason() : "";
}

class ReviewQueueTest : public ::testing::Test {
 protected:
  ReviewQueueTest() {
    config_ = *pipeline::Config::Parse(R"toml(
[issuer]
url = "https://vouch.invalid"
[policies.default]
required_elements = ["personal_details", "passport"]
require_selfie = true
minimum_age = 18
disclosable_claims = ["document_verified", "age_equal_or_over"]
[policies.default.checks]
face_match = { pass = 0.9, review = 0.3 }
[policies.default.review]
retention = "2h"
[policies.fourEyes]
required_elements = ["personal_details", "passport"]
minimum_age = 18
[policies.fourEyes.checks]
face_match = { pass = 0.9, review = 0.3 }
[policies.fourEyes.review]
four_eyes_override = true
[policies.kept]
required_elements = ["personal_details", "passport"]
[policies.kept.checks]
face_match = { pass = 0.9, review = 0.3 }
[policies.kept.review]
keep_after_decision = true
retention = "1h"
[policies.badge]
required_elements = ["personal_details", "passport"]
[policies.badge.checks]
face_match = { pass = 0.9, review = 0.3 }
[policies.badge.telegram]
verify_user = true
custom_description = "Reviewed by vouch"
[policies.retained]
required_elements = ["personal_details", "passport"]
result_retention = "1h"
idempotency_key_retention = "30m"
[policies.retained.checks]
face_match = { pass = 0.9, review = 0.3 }
)toml");
    request_.set_passport_data_json(R"({"data":[],"credentials":{}})");
    request_.set_nonce("nonce-1");
    request_.set_telegram_user_id(42);
    request_.mutable_attestation()->mutable_direct()->set_audience("shop.example");
    reader_.similarity = 0.8;  // in the review band
  }

  // Runs the pipeline and stores the verification with its case, as the
  // engine does. Returns the id.
  // Finishes the running verification `id` as completed with `result`, and
  // its attestation `attestation_id` at status-list index `index`, valid for
  // an hour from kReviewNow.
  void FinishWithAttestation(const std::string& id, const std::string& attestation_id,
                             int64_t index, const std::string& result) {
    const storage::AttestationRecord a{attestation_id,
                                       id,
                                       "svc.example",
                                       kReviewNow + absl::Hours(1),
                                       "https://vouch.invalid/status/1",
                                       index,
                                       0};
    ASSERT_THAT(store_->FinishVerification(id, storage::VerificationState::kCompleted, result,
                                           kReviewNow, nullptr, &a),
                IsOk());
  }

  std::string NeedsReview(const std::string& policy = "default") {
    const std::string id = absl::StrCat("ver_", ++counter_);
    storage::NewVerification nv;
    nv.record = storage::VerificationRecord{
        id, "svc.example", "",          "digest", policy, storage::VerificationState::kRunning,
        "", clock_.Now(),  clock_.Now()};
    EXPECT_THAT(store_->CreateVerification(nv), IsOk());
    const pipeline::Policy& p = **config_.FindPolicy(policy);
    CaseCapture capture;
    pipeline::PipelineInput input{&request_, &p, id, "svc.example", &capture};
    absl::StatusOr<v1::VerificationResult> result = pipeline_.Run(input, reader_, nullptr);
    EXPECT_THAT(result, IsOk());
    EXPECT_EQ(result->decision(), v1::DECISION_NEEDS_REVIEW);
    EXPECT_EQ(capture.content().elements_size(), 2);
    const storage::ReviewCase c =
        MakeReviewCase(ring_, capture.content(), *result, id, "svc.example", p, clock_.Now());
    EXPECT_EQ(capture.content().elements_size(), 0);  // wiped and cleared
    EXPECT_THAT(store_->FinishVerification(id, storage::VerificationState::kCompleted,
                                           result->SerializeAsString(), clock_.Now(), &c),
                IsOk());
    return id;
  }

  v1::VerificationResult Stored(const std::string& id) {
    v1::VerificationResult r;
    r.ParseFromString(store_->GetVerification(id)->result);
    return r;
  }

  absl::Status Claim(const auth::Principal& p, const std::string& id) {
    v1::ClaimCaseRequest request;
    request.set_case_id(id);
    return queue_.Claim(p, request).status();
  }

  absl::StatusOr<v1::DecisionResponse> Approve(const auth::Principal& p, const std::string& id) {
    v1::ApproveCaseRequest request;
    request.set_case_id(id);
    request.set_reason("document_ok");
    return queue_.Approve(p, request);
  }

  std::vector<storage::AuditEvent> AuditLog() { return *store_->ListAudit(0, 1000); }

  pipeline::Config config_;
  v1::VerifyRequest request_;
  FakePassportOpener opener_;
  FakeDocumentReader reader_;
  FakeAttestationIssuer issuer_;
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  FixedClock clock_{kReviewNow};
  pipeline::VerificationPipeline pipeline_{opener_, issuer_, *store_, clock_};
  StorageKeyRing ring_ = ReviewKeyRing();
  std::vector<std::string> notified_;
  ReviewQueue queue_{config_, *store_, ring_,
                     issuer_, clock_,  [this](const std::string& id) { notified_.push_back(id); }};
  int counter_ = 0;
};

TEST_F(ReviewQueueTest, NeedsReviewBecomesASealedCaseWithoutDisclosingTheSummary) {
  const std::string id = NeedsReview();
  absl::StatusOr<storage::ReviewCase> c = store_->GetCase(id);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->reasons, ElementsAre("face_match"));
  EXPECT_EQ(c->key_id, ring_.active_key_id());
  EXPECT_EQ(c->delete_after, kReviewNow + absl::Hours(2));
  EXPECT_THAT(c->sealed, Not(HasSubstr("Eriksson")));
  EXPECT_THAT(c->sealed, Not(HasSubstr("L898902C3")));
  const v1::VerificationResult r = Stored(id);
  EXPECT_EQ(r.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r.summary().age_equal_or_over(), IsEmpty());
  EXPECT_EQ(issuer_.issued, 0);
}

TEST_F(ReviewQueueTest, ServicesAndRolelessCallersAreRefused) {
  NeedsReview();
  EXPECT_THAT(queue_.List(kService, {}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Reason(queue_.List(kService, {}).status()), "OPERATOR_REQUIRED");
  const auth::Principal roleless{auth::PrincipalKind::kOperator, "eve", auth::OperatorRole::kNone};
  EXPECT_THAT(queue_.Claim(roleless, {}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(queue_.List(kAlice, {}), IsOk());
}

TEST_F(ReviewQueueTest, ListFiltersByPolicyReasonAndAge) {
  NeedsReview("default");
  clock_.Set(kReviewNow + absl::Minutes(30));
  NeedsReview("fourEyes");
  v1::ListCasesRequest request;
  EXPECT_EQ(queue_.List(kAlice, request)->cases_size(), 2);
  request.mutable_filter()->set_policy("fourEyes");
  ASSERT_EQ(queue_.List(kAlice, request)->cases_size(), 1);
  EXPECT_EQ(queue_.List(kAlice, request)->cases(0).case_id(), "ver_2");
  request.mutable_filter()->clear_policy();
  request.mutable_filter()->set_reason("mrz");
  EXPECT_EQ(queue_.List(kAlice, request)->cases_size(), 0);
  request.mutable_filter()->set_reason("face_match");
  request.mutable_filter()->set_min_age_seconds(20 * 60);  // older than 20 minutes
  ASSERT_EQ(queue_.List(kAlice, request)->cases_size(), 1);
  EXPECT_EQ(queue_.List(kAlice, request)->cases(0).case_id(), "ver_1");
  request.set_limit(5000);
  EXPECT_THAT(queue_.List(kAlice, request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ReviewQueueTest, ShowNeedsTheClaimAndListsFieldsChecksAndImages) {
  const std::string id = NeedsReview();
  v1::GetCaseRequest show;
  show.set_case_id(id);
  EXPECT_EQ(Reason(queue_.Show(kAlice, show).status()), "CASE_NOT_CLAIMED");
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  EXPECT_EQ(Reason(Claim(kCarol, id)), "CASE_CLAIMED");
  EXPECT_EQ(Reason(queue_.Show(kCarol, show).status()), "CASE_NOT_CLAIMED");
  absl::StatusOr<v1::CaseDetail> d = queue_.Show(kAlice, show);
  ASSERT_THAT(d, IsOk());
  bool last_name = false, document_no = false;
  for (const v1::FieldComparison& f : d->fields()) {
    if (f.element() == "personal_details" && f.field() == "last_name") {
      last_name = true;
      EXPECT_EQ(f.typed(), "Eriksson");
      EXPECT_EQ(f.extracted(), "ERIKSSON");
    }
    if (f.element() == "passport" && f.field() == "document_no") {
      document_no = true;
      EXPECT_EQ(f.extracted(), "L898902C3");
    }
  }
  EXPECT_TRUE(last_name && document_no);
  EXPECT_THAT(d->checks(), Contains(::testing::Property(&v1::Check::name, "face_match")));
  ASSERT_EQ(d->images_size(), 2);
  EXPECT_EQ(d->images(0).source(), "front_side");
  EXPECT_EQ(d->images(0).content(), "front");
  EXPECT_EQ(d->images(1).source(), "selfie");
  // A lease that ran out is no claim.
  clock_.Set(kReviewNow + absl::Minutes(16));
  EXPECT_EQ(Reason(queue_.Show(kAlice, show).status()), "CASE_NOT_CLAIMED");
  EXPECT_THAT(Claim(kCarol, id), IsOk());
}

TEST_F(ReviewQueueTest, ApproveIssuesTheAttestationCompletesAndDeletesTheCase) {
  const std::string id = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  EXPECT_EQ(Reason(Approve(kCarol, id).status()), "CASE_NOT_CLAIMED");
  v1::ApproveCaseRequest bad;
  bad.set_case_id(id);
  bad.set_reason("Not A Code");
  EXPECT_THAT(queue_.Approve(kAlice, bad), StatusIs(absl::StatusCode::kInvalidArgument));

  absl::StatusOr<v1::DecisionResponse> d = Approve(kAlice, id);
  ASSERT_THAT(d, IsOk());
  EXPECT_FALSE(d->escalated());
  EXPECT_EQ(d->result().decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(d->result().attestation().attestation_id(), "att-1");
  EXPECT_EQ(d->result().review().reason(), "document_ok");
  EXPECT_FALSE(d->result().review().confirmed_by_senior());
  EXPECT_THAT(d->result().summary().age_equal_or_over(), ElementsAre(18));
  EXPECT_EQ(issuer_.last_request.audience, "shop.example");
  EXPECT_EQ(issuer_.last_request.telegram_user_id, 42);
  EXPECT_EQ(issuer_.last_request.relying_service, "svc.example");
  EXPECT_THAT(issuer_.last_request.claims.age_equal_or_over, ElementsAre(18));
  EXPECT_EQ(Stored(id).decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(store_->GetAttestation("att-1"), IsOk());
  EXPECT_THAT(store_->GetCase(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(notified_, ElementsAre(id));
  // A second decision finds no case.
  EXPECT_THAT(Approve(kAlice, id), StatusIs(absl::StatusCode::kNotFound));

  std::vector<std::string> actions;
  for (const storage::AuditEvent& e : AuditLog()) {
    actions.push_back(e.action);
    EXPECT_EQ(e.actor, "alice");
    EXPECT_EQ(e.verification_id, id);
    EXPECT_THAT(e.detail, Not(HasSubstr("Eriksson")));
  }
  EXPECT_THAT(actions, ElementsAre("case.claim", "case.approve"));
}

// Telegram badge: an approval under a policy with verify_user queues
// one verifyUser for the submission's user in the Store's outbox, in the
// decision's transaction; other policies queue nothing.
TEST_F(ReviewQueueTest, ApprovalUnderABadgePolicyQueuesVerifyUser) {
  const std::string id = NeedsReview("badge");
  const std::string plain = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  ASSERT_THAT(Approve(kAlice, id), IsOk());
  ASSERT_THAT(Claim(kAlice, plain), IsOk());
  ASSERT_THAT(Approve(kAlice, plain), IsOk());
  const std::vector<storage::BadgeItem> items = *store_->FindBadges(id);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].request.action, storage::BadgeAction::kVerify);
  EXPECT_EQ(items[0].request.user_id, 42);
  EXPECT_EQ(items[0].request.custom_description, "Reviewed by vouch");
  EXPECT_TRUE(store_->FindBadges(plain)->empty());
  EXPECT_EQ(store_->CountBadges()->pending, 1);
}

TEST_F(ReviewQueueTest, ApprovalRecordsItsAttestationInTheDecisionsTransaction) {
  const std::string id = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  // The id the issuer will hand out is taken: the decision's transaction
  // fails, and with it the attestation record.
  ASSERT_THAT(store_->RecordAttestation({"att-1", "ver_other", "svc", kReviewNow, "", -1, 0}),
              IsOk());

  EXPECT_THAT(Approve(kAlice, id), StatusIs(absl::StatusCode::kAlreadyExists));

  EXPECT_EQ(Stored(id).decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(store_->GetCase(id), IsOk());
  EXPECT_THAT(store_->GetAttestationByVerification(id), StatusIs(absl::StatusCode::kNotFound));
  // Approving again issues a new attestation, recorded with the decision.
  ASSERT_THAT(Approve(kAlice, id), IsOk());
  absl::StatusOr<storage::AttestationRecord> recorded = store_->GetAttestationByVerification(id);
  ASSERT_THAT(recorded, IsOk());
  EXPECT_EQ(recorded->attestation_id, "att-2");
  EXPECT_EQ(recorded->relying_service, "svc.example");
}

TEST_F(ReviewQueueTest, RejectNamesElementsFieldsAndFilesWithTheirHashes) {
  const std::string id = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  v1::RejectCaseRequest request;
  request.set_case_id(id);
  request.set_reason("data_mismatch");
  v1::ErrorTarget* t = request.add_errors();
  t->set_element("personal_details");
  t->set_field("no_such_field");
  EXPECT_THAT(queue_.Reject(kAlice, request), StatusIs(absl::StatusCode::kInvalidArgument));
  t->set_element("utility_bill");
  t->set_field("");
  EXPECT_THAT(queue_.Reject(kAlice, request), StatusIs(absl::StatusCode::kInvalidArgument));
  t->set_element("personal_details");
  t->set_field("last_name");
  v1::ErrorTarget* selfie = request.add_errors();
  selfie->set_element("passport");
  selfie->set_field("selfie");
  selfie->set_message("Take a new selfie.");
  v1::ErrorTarget* whole = request.add_errors();
  whole->set_element("passport");

  absl::StatusOr<v1::DecisionResponse> d = queue_.Reject(kAlice, request);
  ASSERT_THAT(d, IsOk());
  const v1::VerificationResult& r = d->result();
  EXPECT_EQ(r.decision(), v1::DECISION_REJECTED);
  EXPECT_FALSE(r.has_attestation());
  ASSERT_EQ(r.errors_size(), 3);
  EXPECT_EQ(r.errors(0).source(), "data");
  EXPECT_EQ(r.errors(0).field_name(), "last_name");
  EXPECT_EQ(r.errors(0).data_hash(), "cGQtZGF0YS1oYXNo");
  EXPECT_EQ(r.errors(1).source(), "selfie");
  EXPECT_EQ(r.errors(1).file_hash(), "c2VsZmllLWhhc2g=");
  EXPECT_EQ(r.errors(1).message(), "Take a new selfie.");
  EXPECT_EQ(r.errors(2).source(), "unspecified");
  EXPECT_EQ(r.errors(2).element_hash(), "ZWxlbWVudC1oYXNoLXBw");
  const nlohmann::json errors = nlohmann::json::parse(r.errors_json());
  EXPECT_EQ(errors[0]["data_hash"], "cGQtZGF0YS1oYXNo");
  EXPECT_FALSE(errors[0].contains("file_hash"));
  EXPECT_EQ(Stored(id).decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(store_->GetCase(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(issuer_.issued, 0);
}

// The note goes to the audit log in clear: one that quotes the case's
// names, numbers or dates (as the fake passport has them: Anna Maria
// Eriksson, L898902C3, 12.08.1974) is refused, in any case or separator,
// and nothing is decided; a note that describes is accepted.
TEST_F(ReviewQueueTest, NoteQuotingDocumentDataIsRefused) {
  const std::string id = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  for (const char* note : {"surname ERIKSSON on the page", "eriksson", "doc l898902c3 looks fine",
                           "number L-898 902 C3", "born 12.08.1974", "dob 1974-08-12", "mrz 740812",
                           "given name maria differs"}) {
    v1::ApproveCaseRequest approve;
    approve.set_case_id(id);
    approve.set_reason("document_ok");
    approve.set_note(note);
    absl::Status s = queue_.Approve(kAlice, approve).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << note;
    EXPECT_EQ(Reason(s), "NOTE_HAS_DOCUMENT_DATA") << note;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("riksson")));
    v1::RejectCaseRequest reject;
    reject.set_case_id(id);
    reject.set_reason("data_mismatch");
    reject.set_note(note);
    EXPECT_EQ(Reason(queue_.Reject(kAlice, reject).status()), "NOTE_HAS_DOCUMENT_DATA") << note;
  }
  EXPECT_EQ(Stored(id).decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_EQ(issuer_.issued, 0);
  v1::ApproveCaseRequest ok;
  ok.set_case_id(id);
  ok.set_reason("document_ok");
  ok.set_note("typed surname differs by one letter; scan is clear. Annotated 1974 rules.");
  ASSERT_THAT(queue_.Approve(kAlice, ok), IsOk());
  bool noted = false;
  for (const storage::AuditEvent& e : AuditLog())
    noted = noted || absl::StrContains(e.detail, "one letter");
  EXPECT_TRUE(noted);
}

TEST_F(ReviewQueueTest, RejectWithoutTargetsNamesTheElementUnderReview) {
  const std::string id = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  v1::RejectCaseRequest request;
  request.set_case_id(id);
  request.set_reason("face_differs");
  absl::StatusOr<v1::DecisionResponse> d = queue_.Reject(kAlice, request);
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->result().errors_size(), 1);
  EXPECT_EQ(d->result().errors(0).type(), "passport");
  EXPECT_EQ(d->result().errors(0).source(), "unspecified");
}

TEST_F(ReviewQueueTest, ReleaseLetsAnotherReviewerClaim) {
  const std::string id = NeedsReview();
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  v1::ReleaseCaseRequest release;
  release.set_case_id(id);
  EXPECT_EQ(Reason(queue_.Release(kCarol, release)), "CASE_NOT_CLAIMED");
  EXPECT_THAT(queue_.Release(kAlice, release), IsOk());
  v1::ClaimCaseRequest next;  // the oldest claimable
  absl::StatusOr<v1::ClaimCaseResponse> claimed = queue_.Claim(kCarol, next);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_TRUE(claimed->claimed());
  EXPECT_EQ(claimed->case_().case_id(), id);
  EXPECT_EQ(claimed->case_().claimed_by(), "carol");
  absl::StatusOr<v1::ClaimCaseResponse> none = queue_.Claim(kAlice, next);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->claimed());
  std::vector<std::string> actions;
  for (const storage::AuditEvent& e : AuditLog()) actions.push_back(e.actor + ":" + e.action);
  EXPECT_THAT(actions, ElementsAre("alice:case.claim", "alice:case.release", "carol:case.claim"));
}

TEST_F(ReviewQueueTest, FourEyesApproveWaitsForAnotherSenior) {
  const std::string id = NeedsReview("fourEyes");
  ASSERT_THAT(Claim(kBob, id), IsOk());  // a senior's own first approve
  absl::StatusOr<v1::DecisionResponse> first = Approve(kBob, id);
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->escalated());
  EXPECT_EQ(Stored(id).decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_EQ(issuer_.issued, 0);
  EXPECT_THAT(notified_, IsEmpty());
  ASSERT_EQ(store_->GetCase(id)->stage, storage::CaseStage::kSecondReview);
  // Neither a plain reviewer nor the first operator may confirm.
  EXPECT_THAT(Claim(kAlice, id), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Claim(kBob, id), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(Claim(kDave, id), IsOk());
  absl::StatusOr<v1::DecisionResponse> confirmed = Approve(kDave, id);
  ASSERT_THAT(confirmed, IsOk());
  EXPECT_FALSE(confirmed->escalated());
  EXPECT_EQ(confirmed->result().decision(), v1::DECISION_VERIFIED);
  EXPECT_TRUE(confirmed->result().review().confirmed_by_senior());
  EXPECT_EQ(issuer_.issued, 1);
  std::vector<std::string> actions;
  for (const storage::AuditEvent& e : AuditLog()) actions.push_back(e.actor + ":" + e.action);
  EXPECT_THAT(actions, ElementsAre("bob:case.claim", "bob:case.escalate", "dave:case.claim",
                                   "dave:case.confirm"));
}

TEST_F(ReviewQueueTest, SeniorDeclineRejects) {
  const std::string id = NeedsReview("fourEyes");
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  ASSERT_TRUE(Approve(kAlice, id)->escalated());
  ASSERT_THAT(Claim(kBob, id), IsOk());
  v1::RejectCaseRequest decline;
  decline.set_case_id(id);
  decline.set_reason("override_declined");
  absl::StatusOr<v1::DecisionResponse> d = queue_.Reject(kBob, decline);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->result().decision(), v1::DECISION_REJECTED);
  EXPECT_EQ(AuditLog().back().action, "case.decline");
}

// Retention for the rest, by the purge loop on the injected clock:
// idempotency keys freed, then verifications deleted, each audited with
// counts only and counted on the metrics.
TEST_F(ReviewQueueTest, RetentionFreesKeysThenDeletesVerificationsAndAuditsCounts) {
  storage::NewVerification nv;
  nv.record = {"ver_kept", "svc.example", "key-1",
               "digest",   "retained",    storage::VerificationState::kRunning,
               "",         kReviewNow,    kReviewNow};
  ASSERT_THAT(store_->CreateVerification(nv), IsOk());
  ASSERT_THAT(store_->FinishVerification("ver_kept", storage::VerificationState::kCompleted,
                                         "result", kReviewNow, nullptr),
              IsOk());
  const std::string other = NeedsReview();  // Policy "default": no retention set.

  EXPECT_THAT(queue_.PurgeRetention(), ::vouch::testing::IsOkAndHolds(0));
  const size_t audited = AuditLog().size();
  clock_.Set(kReviewNow + absl::Minutes(31));
  EXPECT_THAT(queue_.PurgeRetention(), ::vouch::testing::IsOkAndHolds(0));
  EXPECT_EQ(store_->GetVerification("ver_kept")->idempotency_key, "");
  ASSERT_EQ(AuditLog().size(), audited + 1);
  EXPECT_EQ(AuditLog().back().action, "retention.purge");
  EXPECT_EQ(AuditLog().back().detail,
            R"({"idempotency_keys":1,"policy":"retained","verifications":0})");
  EXPECT_EQ(AuditLog().back().verification_id, "");

  clock_.Set(kReviewNow + absl::Minutes(61));
  EXPECT_THAT(queue_.PurgeRetention(), ::vouch::testing::IsOkAndHolds(1));
  EXPECT_THAT(store_->GetVerification("ver_kept"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetVerification(other), IsOk());
  EXPECT_EQ(AuditLog().back().detail,
            R"({"idempotency_keys":0,"policy":"retained","verifications":1})");
  EXPECT_THAT(queue_.PurgeRetention(), ::vouch::testing::IsOkAndHolds(0));
  EXPECT_EQ(AuditLog().size(), audited + 2);  // Nothing done, nothing audited.
  const std::string metrics = queue_.RenderRetentionMetrics();
  EXPECT_THAT(metrics, HasSubstr("vouch_retention_purged_total{kind=\"verification\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("vouch_retention_purged_total{kind=\"idempotency_key\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("vouch_retention_purged_total{kind=\"review_case\"} 0\n"));
}

TEST_F(ReviewQueueTest, ExpiredUndecidedCaseIsPurgedAndRejected) {
  const std::string id = NeedsReview();  // retention 2h
  clock_.Set(kReviewNow + absl::Hours(1));
  EXPECT_THAT(queue_.PurgeExpired(), ::vouch::testing::IsOkAndHolds(0));
  clock_.Set(kReviewNow + absl::Hours(2));
  EXPECT_THAT(queue_.PurgeExpired(), ::vouch::testing::IsOkAndHolds(1));
  EXPECT_THAT(store_->GetCase(id), StatusIs(absl::StatusCode::kNotFound));
  const v1::VerificationResult r = Stored(id);
  EXPECT_EQ(r.decision(), v1::DECISION_REJECTED);
  EXPECT_EQ(r.review().reason(), "review_expired");
  EXPECT_THAT(notified_, ElementsAre(id));
  EXPECT_EQ(AuditLog().back().action, "case.purge");
  EXPECT_EQ(AuditLog().back().actor, "vouchd");
}

TEST_F(ReviewQueueTest, KeptCaseStaysDecidedUntilRetention) {
  const std::string id = NeedsReview("kept");  // retention 1h, keep_after_decision
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  ASSERT_THAT(Approve(kAlice, id), IsOk());
  absl::StatusOr<storage::ReviewCase> kept = store_->GetCase(id);
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->stage, storage::CaseStage::kDecided);
  clock_.Set(kReviewNow + absl::Hours(1));
  EXPECT_THAT(queue_.PurgeExpired(), ::vouch::testing::IsOkAndHolds(1));
  EXPECT_THAT(store_->GetCase(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Stored(id).decision(), v1::DECISION_VERIFIED);  // untouched
}

TEST_F(ReviewQueueTest, RotationReSealsOpenCasesUnderTheNewKey) {
  const std::string id = NeedsReview();
  std::vector<SecureBytes> keys;
  keys.push_back(SecureBytes(std::string(32, 'k')));
  keys.push_back(SecureBytes(std::string(32, 'n')));
  const StorageKeyRing rotated = *StorageKeyRing::FromKeys(std::move(keys));
  EXPECT_THAT(RekeyCases(*store_, rotated), ::vouch::testing::IsOkAndHolds(1));
  absl::StatusOr<storage::ReviewCase> c = store_->GetCase(id);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->key_id, rotated.active_key_id());
  // Only the new key is needed now.
  std::vector<SecureBytes> only_new;
  only_new.push_back(SecureBytes(std::string(32, 'n')));
  const StorageKeyRing fresh = *StorageKeyRing::FromKeys(std::move(only_new));
  OpenedCase opened;
  EXPECT_THAT(OpenCase(fresh, *c, opened), IsOk());
  EXPECT_THAT(OpenCase(ring_, *c, opened), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RekeyCases(*store_, rotated), ::vouch::testing::IsOkAndHolds(0));
}

// ---- reviewer's reversal ----

absl::StatusOr<v1::ReverseVerificationResponse> Reverse(ReviewQueue& queue,
                                                        const auth::Principal& p,
                                                        const std::string& id,
                                                        const std::string& reason = "fraud_found") {
  v1::ReverseVerificationRequest request;
  request.set_verification_id(id);
  request.set_reason(reason);
  return queue.Reverse(p, request);
}

int CountAudit(const std::vector<storage::AuditEvent>& log, const std::string& action) {
  return static_cast<int>(std::count_if(
      log.begin(), log.end(), [&](const storage::AuditEvent& e) { return e.action == action; }));
}

TEST_F(ReviewQueueTest, ReversalOfAnApprovalRejectsItAndQueuesTheBadgeRemovalOnce) {
  const std::string id = NeedsReview("badge");
  ASSERT_THAT(Claim(kAlice, id), IsOk());
  ASSERT_THAT(Approve(kAlice, id), IsOk());
  // The approval's credential is stored only sealed, for its pickup window.
  EXPECT_THAT(Stored(id).attestation().sd_jwt(), IsEmpty());
  EXPECT_FALSE(Stored(id).attestation().sealed_sd_jwt().empty());
  notified_.clear();
  clock_.Set(clock_.Now() + absl::Minutes(10));

  absl::StatusOr<v1::ReverseVerificationResponse> reversed = Reverse(queue_, kBob, id);
  EXPECT_TRUE(Stored(id).attestation().sealed_sd_jwt().empty());  // Its sealed copy goes.

  ASSERT_THAT(reversed, IsOk());
  const v1::VerificationResult& r = reversed->result();
  EXPECT_EQ(r.verification_id(), id);
  EXPECT_EQ(r.state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(r.decision(), v1::DECISION_REJECTED);
  EXPECT_EQ(r.reversal().reason(), "fraud_found");
  EXPECT_EQ(r.reversal().reverse_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(r.errors_json(), "[]");
  EXPECT_EQ(r.attestation().attestation_id(), "att-1");  // What was reversed...
  EXPECT_THAT(r.attestation().sd_jwt(), IsEmpty());      // ...without the credential.
  EXPECT_TRUE(r.has_telegram_badge());
  EXPECT_EQ(r.review().reason(), "document_ok");  // The approval stays on record.
  // Stored as answered, notified, audited with the operator.
  const v1::VerificationResult stored = Stored(id);
  EXPECT_EQ(stored.decision(), v1::DECISION_REJECTED);
  EXPECT_EQ(stored.reversal().reason(), "fraud_found");
  EXPECT_THAT(notified_, ElementsAre(id));
  const std::vector<storage::AuditEvent> log = AuditLog();
  ASSERT_EQ(CountAudit(log, "verification.reverse"), 1);
  const storage::AuditEvent& event = *std::find_if(
      log.begin(), log.end(),
      [](const storage::AuditEvent& e) { return e.action == "verification.reverse"; });
  EXPECT_EQ(event.actor, "bob");
  EXPECT_EQ(event.verification_id, id);
  EXPECT_EQ(nlohmann::json::parse(event.detail)["reason"], "fraud_found");
  EXPECT_EQ(nlohmann::json::parse(event.detail)["badge_removal_queued"], true);
  // The badge: verifyUser, then one removeUserVerification for the same user.
  std::vector<storage::BadgeItem> items = *store_->FindBadges(id);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].request.action, storage::BadgeAction::kRemove);
  EXPECT_EQ(items[1].request.user_id, 42);

  // A repeat (by anyone allowed) answers the same and changes nothing.
  clock_.Set(clock_.Now() + absl::Minutes(1));
  absl::StatusOr<v1::ReverseVerificationResponse> again = Reverse(queue_, kDave, id, "other");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->SerializeAsString(), reversed->SerializeAsString());
  EXPECT_EQ(store_->FindBadges(id)->size(), 2u);
  EXPECT_EQ(CountAudit(AuditLog(), "verification.reverse"), 1);
  EXPECT_THAT(issuer_.revoked, IsEmpty());  // Direct mode: no status entry.
  EXPECT_THAT(notified_, ElementsAre(id));
}

TEST_F(ReviewQueueTest, ReversalRevokesAWalletAttestationsStatusEntry) {
  // A VERIFIED wallet-mode result as the engine stores it.
  storage::NewVerification nv;
  nv.record =
      storage::VerificationRecord{"ver_wallet", "svc.example", "",
                                  "digest",     "default",     storage::VerificationState::kRunning,
                                  "",           kReviewNow,    kReviewNow};
  ASSERT_THAT(store_->CreateVerification(nv), IsOk());
  v1::VerificationResult verified;
  verified.set_decision(v1::DECISION_VERIFIED);
  verified.mutable_attestation()->set_attestation_id("att-w");
  verified.mutable_attestation()->set_sd_jwt("jwt~");
  FinishWithAttestation("ver_wallet", "att-w", 7, verified.SerializeAsString());

  ASSERT_THAT(Reverse(queue_, kDave, "ver_wallet"), IsOk());

  EXPECT_EQ(store_->GetAttestation("att-w")->status, 1);
  EXPECT_THAT(issuer_.revoked, ElementsAre("att-w"));         // The published list follows.
  EXPECT_THAT(*store_->FindBadges("ver_wallet"), IsEmpty());  // No badge, nothing to remove.
  EXPECT_EQ(nlohmann::json::parse(AuditLog().back().detail)["revoked_attestations"], 1);
}

// An erased user's revoked attestation row is kept while the credential is
// valid (its status-list entry must stay revoked) and deleted by the
// retention pass once expired, although the policy sets no result_retention
// (the pass runs PurgeVerifications only for policies that do).
TEST_F(ReviewQueueTest, RetentionDeletesTheAttestationRowsAnErasureKeptOnceExpired) {
  storage::NewVerification nv;
  nv.record = {"ver_erased", "svc.example", "key-e",
               "digest",     "default",     storage::VerificationState::kRunning,
               "",           kReviewNow,    kReviewNow};
  ASSERT_THAT(store_->CreateVerification(nv), IsOk());
  FinishWithAttestation("ver_erased", "att-e", 9, "verified");
  storage::ErasureRequest erase;
  erase.verification_ids = {"ver_erased"};
  erase.now = kReviewNow;
  ASSERT_THAT(store_->EraseVerifications(erase), IsOk());
  ASSERT_EQ(store_->GetAttestation("att-e")->status, 1);  // Kept, revoked.

  const size_t audited = AuditLog().size();
  clock_.Set(kReviewNow + absl::Minutes(59));
  EXPECT_THAT(queue_.PurgeRetention(), ::vouch::testing::IsOkAndHolds(0));
  EXPECT_THAT(store_->GetAttestation("att-e"), IsOk());  // Still a valid credential.
  EXPECT_EQ(AuditLog().size(), audited);

  clock_.Set(kReviewNow + absl::Hours(1) + absl::Seconds(1));
  EXPECT_THAT(queue_.PurgeRetention(), ::vouch::testing::IsOkAndHolds(0));  // No verification.
  EXPECT_THAT(store_->GetAttestation("att-e"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_EQ(AuditLog().size(), audited + 1);
  EXPECT_EQ(AuditLog().back().action, "retention.kept_attestations");
  EXPECT_EQ(AuditLog().back().detail, R"({"attestations":1})");
  EXPECT_THAT(queue_.RenderRetentionMetrics(),
              HasSubstr("vouch_retention_purged_total{kind=\"kept_attestation\"} 1\n"));
}

TEST_F(ReviewQueueTest, ReversalIsRefusedWithoutTheRoleAndForWhatIsNotVerified) {
  const std::string approved = NeedsReview("badge");
  ASSERT_THAT(Claim(kAlice, approved), IsOk());
  ASSERT_THAT(Approve(kAlice, approved), IsOk());
  const std::string open = NeedsReview();  // NEEDS_REVIEW
  const std::string rejected = NeedsReview();
  ASSERT_THAT(Claim(kAlice, rejected), IsOk());
  v1::RejectCaseRequest reject;
  reject.set_case_id(rejected);
  reject.set_reason("data_mismatch");
  ASSERT_THAT(queue_.Reject(kAlice, reject), IsOk());
  storage::NewVerification running;
  running.record = storage::VerificationRecord{"ver_running",
                                               "svc.example",
                                               "",
                                               "digest",
                                               "default",
                                               storage::VerificationState::kRunning,
                                               "",
                                               kReviewNow,
                                               kReviewNow};
  ASSERT_THAT(store_->CreateVerification(running), IsOk());

  absl::Status s = Reverse(queue_, kAlice, approved).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Reason(s), "SENIOR_REQUIRED");
  s = Reverse(queue_, kService, approved).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Reason(s), "OPERATOR_REQUIRED");
  s = Reverse(queue_, kBob, "ver_unknown").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(s), "UNKNOWN_VERIFICATION");
  for (const std::string& id : {open, rejected, std::string("ver_running")}) {
    s = Reverse(queue_, kBob, id).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition)) << id;
    EXPECT_EQ(Reason(s), "NOT_VERIFIED") << id;
  }
  EXPECT_THAT(Reverse(queue_, kBob, approved, "Not A Code"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Reverse(queue_, kBob, "", "fraud_found"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Nothing was reversed, removed or audited.
  EXPECT_EQ(Stored(approved).decision(), v1::DECISION_VERIFIED);
  EXPECT_FALSE(Stored(approved).has_reversal());
  EXPECT_EQ(store_->FindBadges(approved)->size(), 1u);
  EXPECT_EQ(CountAudit(AuditLog(), "verification.reverse"), 0);
}
// ---- end reviewer's reversal ----

}  // namespace
}  // namespace vouch::verifier::review
