#include "checks/face_match_check.h"

#include "gtest/gtest.h"
#include "rpc/errors.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;

class FaceMatchCheckTest : public ::testing::Test {
 protected:
  FaceMatchCheckTest() { policy_.checks["face_match"] = {0.45, 0.30}; }

  std::vector<v1::Check> Run(absl::StatusOr<double> similarity) {
    DocumentEvidence doc = testing::ReadDocument(passport_, mrz_);
    doc.mrz_on_front = from_front_;
    doc.face_similarity = std::move(similarity);
    Findings findings(policy_);
    FaceMatchCheck().Run(doc, testing::EvidenceWith(nullptr), findings);
    errors_ = findings.errors();
    return findings.checks();
  }

  static absl::Status NoDocumentFace() {
    return rpc::WithReason(absl::NotFoundError("no face"), "document_no_face");
  }

  Policy policy_ = testing::TestPolicy();
  OpenedElement passport_ = testing::Passport();
  MrzFields mrz_ = testing::PrintedSpecimenMrz();
  bool from_front_ = true;
  std::vector<v1::PassportElementError> errors_;
};

TEST_F(FaceMatchCheckTest, SimilarFacesPass) {
  EXPECT_THAT(Run(0.8), ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(FaceMatchCheckTest, InTheReviewBandGoesToReview) {
  EXPECT_THAT(Run(0.35), ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW,
                                             "face_mismatch_uncertain")));
}

TEST_F(FaceMatchCheckTest, DifferentFacesFailOnTheSelfie) {
  EXPECT_THAT(Run(0.1),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "face_mismatch")));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].source(), "selfie");
  EXPECT_EQ(errors_[0].message(), "The selfie does not match the document photo.");
}

TEST_F(FaceMatchCheckTest, NoFaceFails) {
  EXPECT_THAT(Run(absl::NotFoundError("no face")),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "face_not_found")));
}

TEST_F(FaceMatchCheckTest, SeveralFacesInTheSelfieFailOnTheSelfieWithWhy) {
  EXPECT_THAT(Run(rpc::WithReason(absl::NotFoundError("two faces"), "selfie_several_faces")),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "selfie_several_faces")));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].source(), "selfie");
  EXPECT_EQ(errors_[0].message(),
            "The selfie shows more than one face. Take a new selfie of yourself alone.");
}

TEST_F(FaceMatchCheckTest, NoPortraitOnTheDocumentFailsOnTheFrontSide) {
  // The front's MRZ is not valid: nothing says the page shown carries the
  // portrait, so the user is asked for it.
  mrz_.check_digits_ok = false;
  EXPECT_THAT(Run(NoDocumentFace()),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "document_no_face")));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].source(), "front_side");
}

TEST_F(FaceMatchCheckTest, NoPortraitDetectedOnAReadPassportPageGoesToReview) {
  // A valid TD3 MRZ on the front: this is the data page, which prints the
  // portrait; the detector missed it (or it is covered), so a person looks.
  EXPECT_THAT(Run(NoDocumentFace()), ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW,
                                                         "document_portrait_not_detected")));
  EXPECT_TRUE(errors_.empty());
}

TEST_F(FaceMatchCheckTest, NoPortraitOnACardsMrzSideFailsOnTheFrontSide) {
  // A TD1 card prints its MRZ on the back: a front showing it is the wrong
  // side, and the user can send the portrait side.
  mrz_.format = "TD1";
  mrz_.document_code = "ID";
  EXPECT_THAT(Run(NoDocumentFace()),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "document_no_face")));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].source(), "front_side");
}

TEST_F(FaceMatchCheckTest, NoPortraitWhenThePassportMrzWasReadOnTheBackFails) {
  from_front_ = false;
  EXPECT_THAT(Run(NoDocumentFace()),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "document_no_face")));
}

TEST_F(FaceMatchCheckTest, ATurnedFaceGoesToReviewWithoutAnError) {
  EXPECT_THAT(Run(rpc::WithReason(absl::UnimplementedError("turned"), "selfie_face_turned")),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW, "selfie_face_turned")));
  EXPECT_TRUE(errors_.empty());
}

TEST_F(FaceMatchCheckTest, AnUnknownFaceReasonKeepsTheGenericOutcome) {
  EXPECT_THAT(Run(rpc::WithReason(absl::NotFoundError("no face"), "selfie_on_fire")),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "face_not_found")));
}

TEST_F(FaceMatchCheckTest, NoFaceModelIsUnavailable) {
  EXPECT_THAT(
      Run(absl::UnimplementedError("no model")),
      ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW, "face_match_unavailable")));
}

TEST_F(FaceMatchCheckTest, MissingSelfieFailsWhenThePolicyRequiresOne) {
  policy_.require_selfie = true;
  passport_.selfie.reset();
  EXPECT_THAT(Run(0.8),
              ElementsAre(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL, "selfie_missing")));
}

TEST_F(FaceMatchCheckTest, InternalErrorsAreNotFindings) {
  EXPECT_FALSE(FaceMatchCheck::IsFinding(absl::InternalError("model crashed")));
  EXPECT_TRUE(FaceMatchCheck::IsFinding(absl::NotFoundError("no face")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
