// Duplicate detection through the whole pipeline: the real
// Store-backed index on the in-memory store, the fake reader's specimen
// passport submitted by several Telegram users.
#include <utility>

#include "dedup/face_duplicates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/verification_pipeline.h"
#include "testing/face_embeddings.h"
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

const absl::Time kRunAt =
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
  FixedClock clock_{kRunAt};
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
  EXPECT_EQ(last_entries_[0].expire_time, kRunAt + policy_.duplicates.ttl);

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

// ---- the face 1:N index ----

using testing::RandomUnitFace;

class DuplicateFacePipelineTest : public DuplicatePipelineTest {
 protected:
  DuplicateFacePipelineTest() {
    policy_.duplicates.document = Action::kOff;
    policy_.duplicates.face = Action::kReview;
    std::vector<dedup::DedupKey> keys;
    const std::string secret(32, 'k');
    keys.push_back(dedup::DedupKey{dedup::DedupKeyId(secret), SecureBytes(secret)});
    auto ring = *dedup::DedupKeyring::FromKeys(std::move(keys));
    dedup::FaceSealer sealer;  // Sealing itself is review/'s, tested there.
    sealer.seal = [](absl::string_view, absl::string_view plaintext) {
      return std::make_pair(std::string(plaintext), std::string("sk"));
    };
    sealer.open = [](absl::string_view, absl::string_view,
                     absl::string_view sealed) -> absl::StatusOr<SecureBytes> {
      return SecureBytes(sealed);
    };
    faces_ = std::make_unique<dedup::FaceDuplicateIndex>(ring, std::move(sealer), *store_);
    index_ = dedup::NewStoreDuplicateIndex(ring, *store_, faces_.get());
    reader_.face_embedding = RandomUnitFace(1);
  }
  // Another document: the same MRZ but another issuing state.
  void AnotherDocument() { reader_.by_content["front"].mrz->issuing_state = "FIN"; }

  std::unique_ptr<dedup::FaceDuplicateIndex> faces_;
};

TEST_F(DuplicateFacePipelineTest, AnotherUserWithTheSameFaceOnAnotherDocumentIsHeld) {
  const v1::VerificationResult first = Submit(42, "ver_1");
  EXPECT_EQ(first.decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(first.checks(), Contains(CheckIs("duplicate_face", v1::CHECK_OUTCOME_PASS, "")));
  // The face is recorded with the result (sealed), beside the hashes.
  ASSERT_EQ(last_entries_.size(), 3u);
  EXPECT_EQ(last_entries_[2].kind, storage::DuplicateKind::kFace);
  EXPECT_FALSE(last_entries_[2].held);

  AnotherDocument();
  RecordingCapture capture;
  const v1::VerificationResult second = Submit(43, "ver_2", &capture);
  EXPECT_EQ(second.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(second.checks(),
              Contains(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW, "duplicate_face")));
  EXPECT_EQ(second.errors_json(), "[]");
  // The case shows the other verification id and the similarity only.
  ASSERT_EQ(capture.matches.faces.size(), 1u);
  EXPECT_EQ(capture.matches.faces[0].verification_id, "ver_1");
  EXPECT_NEAR(capture.matches.faces[0].similarity, 1.0, 0.02);
  ASSERT_EQ(last_entries_.size(), 3u);
  EXPECT_TRUE(last_entries_[2].held);  // With the case, as the hashes.

  // The same user on yet another document: not held.
  reader_.by_content["front"].mrz->issuing_state = "NOR";
  const v1::VerificationResult again = Submit(42, "ver_3");
  EXPECT_EQ(again.decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(again.checks(), Contains(CheckIs("duplicate_face", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(DuplicateFacePipelineTest, TheSameDocumentOrAnotherFaceIsNotAFaceDuplicate) {
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  // Another user, the same document: duplicate_document's (off here).
  EXPECT_EQ(Submit(43, "ver_2").decision(), v1::DECISION_VERIFIED);
  // Another user, another document, another face.
  AnotherDocument();
  reader_.face_embedding = RandomUnitFace(5);
  EXPECT_EQ(Submit(44, "ver_3").decision(), v1::DECISION_VERIFIED);
}

TEST_F(DuplicateFacePipelineTest, AFaceRejectedAsForgedIsReviewedForAnyone) {
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  ASSERT_TRUE(store_->MarkDuplicatesForged("ver_1").ok());
  const v1::VerificationResult again = Submit(42, "ver_2");
  EXPECT_EQ(again.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(again.checks(),
              Contains(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW, "duplicate_forged")));
}

TEST_F(DuplicateFacePipelineTest, NoFaceIsSkippedAndWithoutAFaceIndexItIsUnavailable) {
  reader_.face_embedding.clear();
  const v1::VerificationResult none = Submit(42, "ver_1");
  EXPECT_THAT(none.checks(),
              Contains(CheckIs("duplicate_face", v1::CHECK_OUTCOME_SKIPPED, "duplicate_face")));
  EXPECT_EQ(last_entries_.size(), 2u);  // No face entry.

  std::vector<dedup::DedupKey> keys;
  const std::string secret(32, 'k');
  keys.push_back(dedup::DedupKey{dedup::DedupKeyId(secret), SecureBytes(secret)});
  index_ = dedup::NewStoreDuplicateIndex(*dedup::DedupKeyring::FromKeys(std::move(keys)), *store_);
  reader_.face_embedding = RandomUnitFace(1);
  const v1::VerificationResult unavailable = Submit(43, "ver_2");
  EXPECT_EQ(unavailable.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(unavailable.checks(), Contains(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW,
                                                     "duplicate_index_unavailable")));
}

TEST_F(DuplicateFacePipelineTest, WithoutASelfieThePortraitIsLookedUp) {
  opener_.make = [] {
    pipeline::OpenedSubmission s = testing::GenuineSubmission();
    for (pipeline::OpenedElement& e : s.elements) e.selfie.reset();
    return s;
  };
  policy_.require_selfie = false;
  EXPECT_EQ(Submit(42, "ver_1").decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(reader_.portrait_embeddings, 1);
  ASSERT_EQ(last_entries_.size(), 3u);
  AnotherDocument();
  EXPECT_EQ(Submit(43, "ver_2").decision(), v1::DECISION_NEEDS_REVIEW);
}

}  // namespace
}  // namespace vouch::verifier::pipeline
