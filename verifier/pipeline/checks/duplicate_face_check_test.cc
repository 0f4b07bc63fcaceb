// DuplicateFaceCheck alone: the face 1:N index's answer is the
// evidence, written by hand.
#include "checks/duplicate_face_check.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/check_testing.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vouch::testing::StatusIs;
using FaceAction = Policy::Duplicates::Action;

class DuplicateFaceCheckTest : public testing::OneCheckTest<DuplicateFaceCheck> {
 protected:
  DuplicateFaceCheckTest() {
    policy_.duplicates.face = FaceAction::kReview;
    DuplicateEvidence d;
    d.face_looked_up = true;
    d.faces_searchable = true;
    evidence_.duplicates = d;
  }
};

TEST_F(DuplicateFaceCheckTest, NoLikeFacePasses) {
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_face", v1::CHECK_OUTCOME_PASS, "")));
  EXPECT_EQ(decision_, v1::DECISION_VERIFIED);
}

TEST_F(DuplicateFaceCheckTest, AnotherUsersFaceOnAnotherDocumentIsReviewedWithoutTellingTheUser) {
  evidence_.duplicates->matches.faces = {{"ver_other", 0.93f, false}};
  EXPECT_THAT(Run(),
              ElementsAre(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW, "duplicate_face")));
  EXPECT_EQ(decision_, v1::DECISION_NEEDS_REVIEW);
  EXPECT_EQ(errors_, 0u);
}

TEST_F(DuplicateFaceCheckTest, AForgedFaceIsReviewedAsForged) {
  evidence_.duplicates->matches.faces = {{"ver_a", 0.9f, false}, {"ver_forged", 0.8f, true}};
  EXPECT_THAT(Run(),
              ElementsAre(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW, "duplicate_forged")));
  EXPECT_EQ(decision_, v1::DECISION_NEEDS_REVIEW);
}

TEST_F(DuplicateFaceCheckTest, NoFaceToLookUpIsSkipped) {
  evidence_.duplicates->face_looked_up = false;
  EXPECT_THAT(Run(),
              ElementsAre(CheckIs("duplicate_face", v1::CHECK_OUTCOME_SKIPPED, "duplicate_face")));
  EXPECT_EQ(decision_, v1::DECISION_VERIFIED);
}

TEST_F(DuplicateFaceCheckTest, OffRunsNothingAndIgnoresMatches) {
  policy_.duplicates.face = FaceAction::kOff;
  evidence_.duplicates->matches.faces = {{"ver_other", 0.93f, false}};
  EXPECT_THAT(Run(), IsEmpty());
}

TEST_F(DuplicateFaceCheckTest, WithoutAFaceIndexTheCheckIsUnavailable) {
  evidence_.duplicates->faces_searchable = false;
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW,
                                         "duplicate_index_unavailable")));
  evidence_.duplicates.reset();
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_face", v1::CHECK_OUTCOME_REVIEW,
                                         "duplicate_index_unavailable")));
}

constexpr absl::string_view kFaceConfig = testing::kOnePolicyConfig;

TEST(DuplicateFaceCheckPolicyTest, KeysAreParsedAndDefaultOffAt060) {
  absl::StatusOr<Config> config = Config::Parse(kFaceConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config->FindPolicy("kyc"))->duplicates.face, FaceAction::kOff);
  EXPECT_DOUBLE_EQ((*config->FindPolicy("kyc"))->duplicates.face_similarity, 0.60);
  EXPECT_FALSE((*config->FindPolicy("kyc"))->duplicates.enabled());
  config = Config::Parse(
      absl::StrCat(kFaceConfig, "duplicate_face = \"review\"\nduplicate_face_similarity = 0.75\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  const Policy& p = **config->FindPolicy("kyc");
  EXPECT_EQ(p.duplicates.face, FaceAction::kReview);
  EXPECT_DOUBLE_EQ(p.duplicates.face_similarity, 0.75);
  EXPECT_TRUE(p.duplicates.enabled());
  config = Config::Parse(absl::StrCat(kFaceConfig, "duplicate_face_similarity = 1\n"));
  ASSERT_TRUE(config.ok()) << config.status();
}

TEST(DuplicateFaceCheckPolicyTest, BadValuesAreRefusedNamingTheKey) {
  EXPECT_THAT(Config::Parse(absl::StrCat(kFaceConfig, "duplicate_face = \"reject\"\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate_face")));
  EXPECT_THAT(Config::Parse(absl::StrCat(kFaceConfig, "duplicate_face_similarity = 0.1\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate_face_similarity")));
  EXPECT_THAT(Config::Parse(absl::StrCat(kFaceConfig, "duplicate_face_similarity = \"high\"\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate_face_similarity")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
