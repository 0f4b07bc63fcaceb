#include "pipeline/verification_pipeline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using ::vouch::testing::FixedClock;

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeAttestationIssuer;
using testing::FakeDocumentReader;
using testing::FakePassportOpener;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Property;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 27, 12, 0, 0), absl::UTCTimeZone());

auto CheckIs(const std::string& name, v1::CheckOutcome outcome) {
  return AllOf(Property(&v1::Check::name, name), Property(&v1::Check::outcome, outcome));
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    request_.set_passport_data_json(R"({"data":[],"credentials":{}})");
    request_.set_nonce("nonce-1");
    request_.set_telegram_user_id(42);
    policy_ = *Config::Default().FindPolicy("default").value();
  }

  absl::StatusOr<v1::VerificationResult> Run() {
    PipelineInput input{&request_, &policy_, "ver_1", "svc.example"};
    return pipeline_.Run(input, reader_, [this] { return cancelled_; });
  }

  // Edits one decrypted element of the genuine submission.
  void EditElement(const std::string& type, std::function<void(OpenedElement&)> edit) {
    opener_.make = [type, edit] {
      OpenedSubmission s = testing::GenuineSubmission();
      for (OpenedElement& e : s.elements) {
        if (e.type == type) edit(e);
      }
      return absl::StatusOr<OpenedSubmission>(std::move(s));
    };
  }

  v1::VerifyRequest request_;
  Policy policy_;
  bool cancelled_ = false;
  FakePassportOpener opener_;
  FakeDocumentReader reader_;
  FakeAttestationIssuer issuer_;
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  FixedClock clock_{kNow};
  VerificationPipeline pipeline_{opener_, issuer_, *store_, clock_};
};

TEST_F(PipelineTest, GenuineSubmissionIsVerifiedWithAttestation) {
  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(r->errors(), IsEmpty());
  EXPECT_EQ(r->errors_json(), "[]");
  EXPECT_THAT(r->checks(), Contains(CheckIs("mrz", v1::CHECK_OUTCOME_PASS)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("face_match", v1::CHECK_OUTCOME_PASS)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_PASS)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("minimum_age", v1::CHECK_OUTCOME_PASS)));
  EXPECT_EQ(r->attestation().attestation_id(), "att-1");
  EXPECT_EQ(r->attestation().format(), "dc+sd-jwt");
  // Recorded by the caller with the result, not by the pipeline.
  EXPECT_THAT(store_->GetAttestation("att-1"), StatusIs(absl::StatusCode::kNotFound));
  // Direct mode by default, audience = the relying service; only the
  // default policy's claims.
  EXPECT_EQ(issuer_.last_request.audience, "svc.example");
  EXPECT_EQ(issuer_.last_request.lifetime, absl::Minutes(15));
  EXPECT_THAT(issuer_.last_request.claims.age_equal_or_over, ElementsAre(18));
  EXPECT_THAT(issuer_.last_request.claims.nationalities, IsEmpty());
  EXPECT_FALSE(issuer_.last_request.claims.given_name.has_value());
  EXPECT_THAT(r->summary().age_equal_or_over(), ElementsAre(18));
  EXPECT_EQ(r->summary().nationality(), "");
  EXPECT_EQ(r->summary().document_type(), "passport");
  EXPECT_EQ(reader_.forgets, 1);  // The reader dropped what it kept of the images.
}

TEST_F(PipelineTest, HandsTheAttestationRecordToTheCaller) {
  request_.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(R"({"kty":"EC"})");
  std::optional<storage::AttestationRecord> record;
  PipelineInput input{&request_, &policy_, "ver_1", "svc.example", nullptr, &record};

  absl::StatusOr<v1::VerificationResult> r = pipeline_.Run(input, reader_, nullptr);

  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->attestation_id, r->attestation().attestation_id());
  EXPECT_EQ(record->verification_id, "ver_1");
  EXPECT_EQ(record->relying_service, "svc.example");
  EXPECT_EQ(record->status_list_uri, r->attestation().status_list_uri());
  EXPECT_EQ(record->status_list_index, r->attestation().status_list_index());
  EXPECT_EQ(absl::ToUnixSeconds(record->expire_time), r->attestation().expire_time().seconds());
}

TEST_F(PipelineTest, WalletModeUsesHolderKeyAndWalletLifetime) {
  request_.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(R"({"kty":"EC"})");

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(issuer_.last_request.holder_jwk_json, R"({"kty":"EC"})");
  EXPECT_EQ(issuer_.last_request.audience, "");
  EXPECT_EQ(issuer_.last_request.lifetime, absl::Hours(24));
  EXPECT_EQ(r->attestation().status_list_index(), 1001);
}

TEST_F(PipelineTest, MrzNotMatchingTypedNameIsRejectedWithDataError) {
  EditElement("personal_details",
              [](OpenedElement& e) { testing::SetField(e, "last_name", "Andersson"); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL)));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "data");
  EXPECT_EQ(r->errors(0).type(), "personal_details");
  EXPECT_EQ(r->errors(0).field_name(), "last_name");
  EXPECT_EQ(r->errors(0).data_hash(), "cGQtZGF0YS1oYXNo");
  EXPECT_FALSE(r->has_attestation());
  EXPECT_EQ(issuer_.issued, 0);
  // The exact Bot API object, and no document data in it.
  EXPECT_EQ(nlohmann::json::parse(r->errors_json()),
            nlohmann::json::parse(R"([{"source":"data","type":"personal_details",
              "field_name":"last_name","data_hash":"cGQtZGF0YS1oYXNo",
              "message":"The last name does not match the document."}])"));
}

TEST_F(PipelineTest, NativeNameMatchesThroughTransliteration) {
  reader_.by_content["front"].mrz->surname = "SHCHERBAKOVA";
  EditElement("personal_details", [](OpenedElement& e) {
    testing::SetField(e, "last_name", "Scherbakova");  // A non-ICAO Latin spelling.
    testing::SetField(e, "last_name_native", "Щербакова");
  });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->checks(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_PASS)));
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
}

TEST_F(PipelineTest, EachTypedFieldIsComparedWithTheMrz) {
  struct Case {
    std::string element, field, value, check;
  };
  const Case cases[] = {
      {"personal_details", "first_name", "Anne", "mrz_vs_typed.first_name"},
      {"personal_details", "birth_date", "13.08.1974", "mrz_vs_typed.birth_date"},
      {"personal_details", "gender", "male", "mrz_vs_typed.gender"},
      {"personal_details", "country_code", "NO", "mrz_vs_typed.country_code"},
      {"passport", "document_no", "L898902C4", "mrz_vs_typed.document_no"},
      {"passport", "expiry_date", "15.04.2031", "mrz_vs_typed.expiry_date"},
  };
  for (const Case& c : cases) {
    EditElement(c.element, [c](OpenedElement& e) { testing::SetField(e, c.field, c.value); });

    absl::StatusOr<v1::VerificationResult> r = Run();

    ASSERT_THAT(r, IsOk()) << c.check;
    EXPECT_EQ(r->decision(), v1::DECISION_REJECTED) << c.check;
    EXPECT_THAT(r->checks(), Contains(CheckIs(c.check, v1::CHECK_OUTCOME_FAIL)));
    ASSERT_EQ(r->errors_size(), 1) << c.check;
    EXPECT_EQ(r->errors(0).field_name(), c.field);
    EXPECT_EQ(r->errors(0).type(), c.element);
  }
}

TEST_F(PipelineTest, ExpiredDocumentIsRejectedOnTheFrontSide) {
  reader_.by_content["front"].mrz->expiry_date = absl::CivilDay(2026, 11, 26);
  EditElement("passport",
              [](OpenedElement& e) { testing::SetField(e, "expiry_date", "26.11.2026"); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("expiry", v1::CHECK_OUTCOME_FAIL),
                                          Property(&v1::Check::reason, "document_expired"))));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "front_side");
  EXPECT_EQ(r->errors(0).file_hash(), "ZnJvbnQtaGFzaA==");
}

// A visa sent as the passport: its MRZ is valid and every typed field
// matches, but the attestation would call it a passport. The user is told
// on the scan, in Bot API shape.
TEST_F(PipelineTest, AVisaSentAsThePassportIsRejectedOnTheFrontSide) {
  reader_.by_content["front"].mrz->format = "MRVA";
  reader_.by_content["front"].mrz->document_code = "V";

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("document_type_matches_mrz", v1::CHECK_OUTCOME_FAIL),
                             Property(&v1::Check::reason, "document_kind_mismatch"))));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "front_side");
  EXPECT_EQ(r->errors(0).type(), "passport");
  EXPECT_EQ(r->errors(0).file_hash(), "ZnJvbnQtaGFzaA==");
  EXPECT_FALSE(r->has_attestation());
  EXPECT_EQ(issuer_.issued, 0);
}

TEST_F(PipelineTest, UnderAgeIsRejected) {
  reader_.by_content["front"].mrz->birth_date = absl::CivilDay(2008, 11, 28);  // 17 on kNow.
  EditElement("personal_details",
              [](OpenedElement& e) { testing::SetField(e, "birth_date", "28.11.2008"); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("minimum_age", v1::CHECK_OUTCOME_FAIL),
                                          Property(&v1::Check::reason, "under_minimum_age"))));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "unspecified");
  EXPECT_EQ(r->errors(0).element_hash(), "ZWxlbWVudC1oYXNoLXBk");
}

TEST_F(PipelineTest, EighteenthBirthdayIsOldEnough) {
  reader_.by_content["front"].mrz->birth_date = absl::CivilDay(2008, 11, 27);
  EditElement("personal_details",
              [](OpenedElement& e) { testing::SetField(e, "birth_date", "27.11.2008"); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
}

TEST_F(PipelineTest, IssuingCountryAndDocumentTypeRules) {
  policy_.allowed_issuing_countries = {"UTO", "D"};
  policy_.allowed_document_types = {"identity_card"};

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("issuing_country_allowed", v1::CHECK_OUTCOME_FAIL)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("document_type_allowed", v1::CHECK_OUTCOME_FAIL)));
}

TEST_F(PipelineTest, GermanyCodeDMatchesDeu) {
  policy_.allowed_issuing_countries = {"DEU"};
  reader_.by_content["front"].mrz->issuing_state = "D";
  reader_.by_content["front"].mrz->nationality = "D";
  EditElement("personal_details",
              [](OpenedElement& e) { testing::SetField(e, "country_code", "DE"); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
}

TEST_F(PipelineTest, FaceMatchInReviewBandNeedsReviewCitingIt) {
  policy_.checks["face_match"] = CheckThreshold{0.6, 0.45};
  reader_.similarity = 0.5;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW)));
  EXPECT_THAT(r->errors(), IsEmpty());
  EXPECT_FALSE(r->has_attestation());
}

// The default policy's face_match thresholds are calibrated
// (models/face/README.md): below the review band the selfie is rejected,
// with a PassportElementErrorSelfie pointing at the selfie file.
TEST_F(PipelineTest, DefaultPolicyRejectsAClearImpostorOnTheSelfie) {
  reader_.similarity = 0.05;  // An impostor's typical cosine similarity.

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("face_match", v1::CHECK_OUTCOME_FAIL),
                                          Property(&v1::Check::reason, "face_mismatch"))));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "selfie");
  EXPECT_EQ(r->errors(0).type(), "passport");
  EXPECT_EQ(r->errors(0).file_hash(), "c2VsZmllLWhhc2g=");
  EXPECT_EQ(r->errors(0).message(), "The selfie does not match the document photo.");
  EXPECT_FALSE(r->has_attestation());
}

TEST_F(PipelineTest, DefaultPolicyVerifiesAGenuineSelfie) {
  reader_.similarity = 0.7;  // A genuine pair's typical similarity.

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("face_match", v1::CHECK_OUTCOME_PASS)));
  EXPECT_THAT(r->errors(), IsEmpty());
}

TEST_F(PipelineTest, DefaultPolicySendsTheReviewBandToAPerson) {
  const CheckThreshold t = policy_.ThresholdFor("face_match");
  reader_.similarity = (t.pass + t.review) / 2;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW)));
  EXPECT_THAT(r->errors(), IsEmpty());
}

// The front's valid TD3 MRZ says it is the data page, which prints the
// portrait: a portrait the detector does not find goes to a person instead of
// asking the user for a page they already sent.
TEST_F(PipelineTest, PortraitNotDetectedBesideAValidPassportMrzNeedsReview) {
  reader_.similarity = rpc::WithReason(absl::NotFoundError("no face"), "document_no_face");

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("face_match", v1::CHECK_OUTCOME_REVIEW),
                             Property(&v1::Check::reason, "document_portrait_not_detected"))));
  EXPECT_THAT(r->errors(), IsEmpty());
}

TEST_F(PipelineTest, ReaderVerdictsOnQualityAreHonoured) {
  QualitySignal glare{"glare", 0.5, "glare on the photo: tilt the document", 0.97,
                      QualitySignal::Verdict::kFail};
  QualitySignal screen{"screen", 0.5, "", 0.6, QualitySignal::Verdict::kReview};
  reader_.by_content["front"].quality = {glare, screen};
  // No MRZ read on this page: nothing contradicts the glare.
  reader_.by_content["front"].mrz.reset();
  reader_.by_content["front"].mrz_unreadable = true;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("quality.glare.front_side", v1::CHECK_OUTCOME_FAIL)));
  EXPECT_THAT(r->checks(),
              Contains(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_REVIEW)));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "front_side");
  EXPECT_EQ(r->errors(0).message(), "glare on the photo: tilt the document");
}

TEST_F(PipelineTest, QualityFailOnAPageWhoseMrzWasReadValidGoesToReviewNotRejected) {
  // The fixture's front has a valid MRZ: a glare or cut-off failure on it is
  // contradicted by the read, so a person looks and the user is not told to
  // retake.
  QualitySignal glare{"glare", 0.5, "glare on the photo: tilt the document", 0.97,
                      QualitySignal::Verdict::kFail};
  QualitySignal cutoff{"cutoff", 0.1, "the document is cut off", 0.9,
                       QualitySignal::Verdict::kNone};
  reader_.by_content["front"].quality = {glare, cutoff};
  ASSERT_TRUE(reader_.by_content["front"].mrz.has_value());
  ASSERT_TRUE(reader_.by_content["front"].mrz->check_digits_ok);

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("quality.glare.front_side", v1::CHECK_OUTCOME_REVIEW),
                             Property(&v1::Check::reason, "poor_glare_on_read_page"))));
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("quality.cutoff.front_side", v1::CHECK_OUTCOME_REVIEW),
                             Property(&v1::Check::reason, "poor_cutoff_on_read_page"))));
  EXPECT_THAT(r->errors(), IsEmpty());
}

// Fraud signals (screen recapture, black-and-white copy, tampering): one
// signal alone never rejects a genuine user (docs/checks.md, "Decision rule").
QualitySignal Fraud(const std::string& name, double score, QualitySignal::Verdict verdict) {
  QualitySignal q{name, score, "looks like a photo of a screen: photograph the paper document", 0.6,
                  verdict};
  q.fraud = true;
  return q;
}

TEST_F(PipelineTest, GenuinePageWithOneUncertainFraudSignalNeedsReviewNotRejected) {
  reader_.by_content["front"].quality.push_back(
      Fraud("screen", 0.5, QualitySignal::Verdict::kReview));

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(
      r->checks(),
      Contains(AllOf(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_REVIEW),
                     Property(&v1::Check::reason, "poor_screen_uncertain"),
                     Property(&v1::Check::score, 0.5), Property(&v1::Check::threshold, 0.6))));
  EXPECT_THAT(r->errors(), IsEmpty());
}

TEST_F(PipelineTest, OneCertainFraudSignalAloneNeedsReviewNotRejected) {
  reader_.by_content["front"].quality.push_back(
      Fraud("screen", 0.05, QualitySignal::Verdict::kFail));

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_REVIEW),
                             Property(&v1::Check::reason, "poor_screen_single_signal"))));
  EXPECT_THAT(r->errors(), IsEmpty());
}

TEST_F(PipelineTest, SameFraudSignalOnTwoImagesIsOneSignal) {
  // The translation is read with the same reader as the front: the screen
  // signal certain on both images is still one signal.
  EditElement("passport", [](OpenedElement& e) {
    e.translation.push_back(OpenedFile{"tr-id", "dHItaGFzaA==", SecureBytes("front")});
  });
  reader_.by_content["front"].quality.push_back(
      Fraud("screen", 0.05, QualitySignal::Verdict::kFail));

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->errors(), IsEmpty());
}

TEST_F(PipelineTest, TwoAgreeingCertainFraudSignalsReject) {
  QualitySignal colour = Fraud("colour", 0.0, QualitySignal::Verdict::kFail);
  colour.hint = "looks like a black-and-white copy: photograph the original document";
  reader_.by_content["front"].quality.push_back(
      Fraud("screen", 0.05, QualitySignal::Verdict::kFail));
  reader_.by_content["front"].quality.push_back(colour);

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_FAIL),
                             Property(&v1::Check::reason, "poor_screen"))));
  EXPECT_THAT(r->checks(), Contains(CheckIs("quality.colour.front_side", v1::CHECK_OUTCOME_FAIL)));
  // One error per file: the first signal's reason.
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "front_side");
  EXPECT_EQ(r->errors(0).message(),
            "looks like a photo of a screen: photograph the paper document");
}

TEST_F(PipelineTest, CertainFraudSignalWithAnUncertainOneNeedsReview) {
  reader_.by_content["front"].quality.push_back(
      Fraud("screen", 0.05, QualitySignal::Verdict::kFail));
  reader_.by_content["front"].quality.push_back(
      Fraud("tamper", 0.3, QualitySignal::Verdict::kReview));

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->errors(), IsEmpty());
}

TEST_F(PipelineTest, UnreadableMrzGoesToReview) {
  reader_.by_content["front"].mrz.reset();
  reader_.by_content["front"].mrz_unreadable = true;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW),
                                          Property(&v1::Check::reason, "mrz_unreadable"))));
}

TEST_F(PipelineTest, FaceMismatchIsRejectedOnTheSelfie) {
  policy_.checks["face_match"] = CheckThreshold{0.45, 0.30};
  reader_.similarity = 0.1;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "selfie");
  EXPECT_EQ(r->errors(0).file_hash(), "c2VsZmllLWhhc2g=");
}

TEST_F(PipelineTest, GarbageScanIsRejectedNotAnError) {
  reader_.by_content.erase("front");  // The fake answers kInvalidArgument.

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("image.front_side", v1::CHECK_OUTCOME_FAIL),
                                          Property(&v1::Check::reason, "image_unreadable"))));
  EXPECT_EQ(r->errors(0).source(), "front_side");
}

TEST_F(PipelineTest, DecompressionBombIsRejectedAsTooLarge) {
  reader_.errors["front"] = absl::ResourceExhaustedError("60 megapixels > 50");

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(Property(&v1::Check::reason, "image_too_large")));
}

TEST_F(PipelineTest, UnavailableReaderFollowsPolicy) {
  reader_.errors["front"] = absl::UnimplementedError("no OCR");

  absl::StatusOr<v1::VerificationResult> review = Run();
  policy_.unavailable_check = UnavailableCheck::kFail;
  absl::StatusOr<v1::VerificationResult> fail = Run();

  ASSERT_THAT(review, IsOk());
  EXPECT_EQ(review->decision(), v1::DECISION_NEEDS_REVIEW);
  ASSERT_THAT(fail, IsOk());
  EXPECT_EQ(fail->decision(), v1::DECISION_REJECTED);
}

TEST_F(PipelineTest, ReaderWithoutMrzOrQualityNeedsReviewNeverPasses) {
  ImageFindings decoded_only;  // Decoded, but no MRZ reader or quality checks.
  reader_.by_content["front"] = decoded_only;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW),
                                          Property(&v1::Check::reason, "mrz_reader_unavailable"))));
  EXPECT_THAT(r->checks(), Contains(CheckIs("quality.front_side", v1::CHECK_OUTCOME_REVIEW)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("image.front_side", v1::CHECK_OUTCOME_PASS)));
}

TEST_F(PipelineTest, MissingSelfieIsRejectedWhenRequired) {
  EditElement("passport", [](OpenedElement& e) { e.selfie.reset(); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(Property(&v1::Check::reason, "selfie_missing")));
}

TEST_F(PipelineTest, MissingRequiredElementIsRejected) {
  opener_.make = [] {
    OpenedSubmission s = testing::GenuineSubmission();
    s.elements.erase(s.elements.begin());  // Drop personal_details.
    return absl::StatusOr<OpenedSubmission>(std::move(s));
  };

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("required.personal_details", v1::CHECK_OUTCOME_FAIL)));
}

// A document whose MRZ fails a check digit as printed: data changed after
// issue, or an issuer's error that genuine documents in circulation carry.
// No retake changes it. Alone it goes to a person; with a certain screen
// signal, two independent fraud signals agree and it is rejected.
TEST_F(PipelineTest, CheckDigitFailingAsPrintedAloneNeedsReview) {
  reader_.by_content["front"].mrz->check_digits_ok = false;
  reader_.by_content["front"].mrz->printed_checks_fail = true;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(),
              Contains(AllOf(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW),
                             Property(&v1::Check::reason, "mrz_check_digits_single_signal"))));
  EXPECT_THAT(r->errors(), IsEmpty());
  // Without a trustworthy MRZ there is nothing to compare.
  EXPECT_THAT(r->checks(), Not(Contains(Property(&v1::Check::name, "mrz_vs_typed.last_name"))));
}

TEST_F(PipelineTest, CheckDigitFailingAsPrintedWithACertainScreenRejects) {
  reader_.by_content["front"].mrz->check_digits_ok = false;
  reader_.by_content["front"].mrz->printed_checks_fail = true;
  reader_.by_content["front"].quality.push_back(
      Fraud("screen", 0.05, QualitySignal::Verdict::kFail));

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("mrz", v1::CHECK_OUTCOME_FAIL),
                                          Property(&v1::Check::reason, "mrz_check_digits"))));
  EXPECT_THAT(r->checks(), Contains(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_FAIL)));
  ASSERT_GE(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "front_side");
}

TEST_F(PipelineTest, WrongNonceIsAnError) {
  request_.set_nonce("other");
  EXPECT_THAT(Run(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PipelineTest, CancelledStops) {
  cancelled_ = true;
  EXPECT_THAT(Run(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(reader_.reads, 0);
}

TEST_F(PipelineTest, ReaderErrorIsReturnedAndTheReaderForgetsTheImages) {
  reader_.errors["front"] = absl::InternalError("engine failed");

  EXPECT_THAT(Run(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(reader_.forgets, 1);
}

TEST_F(PipelineTest, AnIssuerThatCannotIssueMeansNoVerified) {
  testing::UnavailableIssuer unavailable;
  VerificationPipeline no_issuer(opener_, unavailable, *store_, clock_);
  std::optional<storage::AttestationRecord> record;
  PipelineInput input{&request_, &policy_, "ver_1", "svc", nullptr, &record};
  EXPECT_THAT(no_issuer.Run(input, reader_, nullptr),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("issuer unavailable")));
  EXPECT_FALSE(record.has_value());
}

TEST_F(PipelineTest, ARequestWithoutPassportDataIsInvalid) {
  request_.clear_passport_data_json();

  EXPECT_THAT(Run(), StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("passport_data or passport_data_json is required")));
}

// The structured form reaches the opener as it is, not as JSON text.
TEST_F(PipelineTest, TheStructuredFormReachesTheOpenerAsItIs) {
  request_.mutable_passport_data()->add_data()->set_type("personal_details");
  const v1::PassportData* seen = nullptr;
  std::string seen_json = "unset";
  opener_.observe = [&](const SealedSubmission& s) {
    seen = s.passport_data;
    seen_json = std::string(s.passport_data_json);
  };

  ASSERT_THAT(Run(), IsOk());

  EXPECT_EQ(seen, &request_.passport_data());
  EXPECT_EQ(seen_json, "");
}

// Driver licences: the PDF417 on the back (AAMVA) is checked and compared
// with the typed data.
class LicencePipelineTest : public PipelineTest {
 protected:
  LicencePipelineTest() {
    opener_.make = [] { return absl::StatusOr<OpenedSubmission>(testing::LicenceSubmission()); };
  }
  // Edits one decrypted element of the licence submission.
  void EditLicence(const std::string& type, std::function<void(OpenedElement&)> edit) {
    opener_.make = [type, edit] {
      OpenedSubmission s = testing::LicenceSubmission();
      for (OpenedElement& e : s.elements) {
        if (e.type == type) edit(e);
      }
      return absl::StatusOr<OpenedSubmission>(std::move(s));
    };
  }
  ImageFindings& Back() { return reader_.by_content["licence-back"]; }
};

TEST_F(LicencePipelineTest, ValidAamvaBarcodeMatchingTypedDataIsVerified) {
  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(reader_.last_element_type, "driver_license");
  EXPECT_THAT(r->checks(), Contains(CheckIs("barcode", v1::CHECK_OUTCOME_PASS)));
  // No MRZ on a licence, but the barcode stands in for it.
  EXPECT_THAT(r->checks(), Contains(CheckIs("mrz", v1::CHECK_OUTCOME_SKIPPED)));
  for (const char* field :
       {"last_name", "first_name", "birth_date", "gender", "document_no", "expiry_date"}) {
    EXPECT_THAT(r->checks(),
                Contains(CheckIs(std::string("barcode_vs_typed.") + field, v1::CHECK_OUTCOME_PASS)))
        << field;
  }
  EXPECT_THAT(r->checks(), Contains(CheckIs("minimum_age", v1::CHECK_OUTCOME_PASS)));
  EXPECT_THAT(issuer_.last_request.claims.age_equal_or_over, ElementsAre(18));
}

TEST_F(LicencePipelineTest, TypedLastNameNotInBarcodeIsRejectedWithDataError) {
  EditLicence("personal_details",
              [](OpenedElement& e) { testing::SetField(e, "last_name", "Smith"); });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("barcode_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL)));
  ASSERT_EQ(r->errors_size(), 1);
  EXPECT_EQ(r->errors(0).source(), "data");
  EXPECT_EQ(r->errors(0).type(), "personal_details");
  EXPECT_EQ(r->errors(0).field_name(), "last_name");
  EXPECT_EQ(r->errors(0).data_hash(), "cGQtZGF0YS1oYXNo");
}

TEST_F(LicencePipelineTest, DocumentNumberAndExpiryMismatchNameTheLicenceFields) {
  EditLicence("driver_license", [](OpenedElement& e) {
    testing::SetField(e, "document_no", "D7654321");
    testing::SetField(e, "expiry_date", "15.01.2033");
  });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(),
              Contains(CheckIs("barcode_vs_typed.document_no", v1::CHECK_OUTCOME_FAIL)));
  EXPECT_THAT(r->checks(),
              Contains(CheckIs("barcode_vs_typed.expiry_date", v1::CHECK_OUTCOME_FAIL)));
  std::vector<std::string> fields;
  for (const v1::PassportElementError& e : r->errors()) {
    EXPECT_EQ(e.type(), "driver_license");
    EXPECT_EQ(e.data_hash(), "ZGwtZGF0YS1oYXNo");
    fields.push_back(e.field_name());
  }
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("document_no", "expiry_date"));
}

TEST_F(LicencePipelineTest, BirthDateAndGenderFromBarcodeAreCompared) {
  EditLicence("personal_details", [](OpenedElement& e) {
    testing::SetField(e, "birth_date", "16.01.1990");
    testing::SetField(e, "gender", "male");
  });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(),
              Contains(CheckIs("barcode_vs_typed.birth_date", v1::CHECK_OUTCOME_FAIL)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("barcode_vs_typed.gender", v1::CHECK_OUTCOME_FAIL)));
}

TEST_F(LicencePipelineTest, ExpiredAndUnderAgeFromBarcode) {
  // The barcode's dates decide even when the typed ones say otherwise.
  Back().aamva->expiry_date = absl::CivilDay(2026, 11, 26);
  Back().aamva->birth_date = absl::CivilDay(2009, 1, 15);

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(CheckIs("expiry", v1::CHECK_OUTCOME_FAIL)));
  EXPECT_THAT(r->checks(), Contains(CheckIs("minimum_age", v1::CHECK_OUTCOME_FAIL)));
}

TEST_F(LicencePipelineTest, TruncatedBarcodeNameMatchesAPrefix) {
  Back().aamva->family_name = "SAMP";
  Back().aamva->family_name_truncated = true;

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->checks(), Contains(CheckIs("barcode_vs_typed.last_name", v1::CHECK_OUTCOME_PASS)));
  Back().aamva->family_name_truncated = false;
  r = Run();
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->checks(), Contains(CheckIs("barcode_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL)));
}

TEST_F(LicencePipelineTest, NoBarcodeOnLicenceBackGoesToReviewNotReject) {
  Back().barcode = {"barcode", 0, "the barcode could not be read", 1.0,
                    QualitySignal::Verdict::kFail};
  Back().aamva.reset();

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("barcode", v1::CHECK_OUTCOME_REVIEW),
                                          Property(&v1::Check::reason, "barcode_not_found"))));
  // Without MRZ or barcode a person compares the typed data.
  EXPECT_THAT(r->checks(), Contains(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW)));
  EXPECT_THAT(r->errors(), IsEmpty());
  EXPECT_FALSE(r->has_attestation());
}

TEST_F(LicencePipelineTest, BarcodeThatIsNotAamvaGoesToReview) {
  Back().barcode = {"barcode", 0.5, "not a valid licence record", 1.0,
                    QualitySignal::Verdict::kReview};
  Back().aamva.reset();

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("barcode", v1::CHECK_OUTCOME_REVIEW),
                                          Property(&v1::Check::reason, "barcode_not_aamva"))));
  EXPECT_THAT(r->checks(),
              Not(Contains(Property(&v1::Check::name, ::testing::StartsWith("barcode_vs_typed")))));
}

TEST_F(LicencePipelineTest, IssuingCountryFromBarcode) {
  policy_.allowed_issuing_countries = {"CAN"};
  absl::StatusOr<v1::VerificationResult> r = Run();
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->checks(), Contains(CheckIs("issuing_country_allowed", v1::CHECK_OUTCOME_FAIL)));

  policy_.allowed_issuing_countries = {"USA"};
  r = Run();
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->checks(), Contains(CheckIs("issuing_country_allowed", v1::CHECK_OUTCOME_PASS)));
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
}

TEST_F(LicencePipelineTest, IdentityCardWithoutBarcodeHasNoBarcodeCheck) {
  Back().barcode = {"barcode", 0, "", 1.0, QualitySignal::Verdict::kUnavailable};
  Back().aamva.reset();
  // TD1 cards carry the MRZ on the back, not on the front.
  Back().mrz = testing::SpecimenMrz();
  Back().mrz->format = "TD1";
  Back().mrz->document_code = "I";
  reader_.by_content["front"].mrz.reset();
  opener_.make = [] {
    OpenedSubmission s = testing::GenuineSubmission();
    OpenedElement& card = s.elements[1];
    card.type = "identity_card";
    card.reverse_side = OpenedFile{"lb-id", "bGItaGFzaA==", SecureBytes("licence-back")};
    return absl::StatusOr<OpenedSubmission>(std::move(s));
  };

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(reader_.last_element_type, "identity_card");
  EXPECT_THAT(r->checks(), Not(Contains(Property(&v1::Check::name, "barcode"))));
  EXPECT_EQ(r->decision(), v1::DECISION_VERIFIED);
}

TEST_F(LicencePipelineTest, IdentityCardBackWithoutMrzIsReviewedAsNotFound) {
  Back().barcode = {"barcode", 0, "", 1.0, QualitySignal::Verdict::kUnavailable};
  Back().aamva.reset();
  Back().mrz.reset();
  Back().mrz_unreadable = false;  // No MRZ-like band on the back at all.
  EditLicence("driver_license", [](OpenedElement& e) { e.type = "identity_card"; });

  absl::StatusOr<v1::VerificationResult> r = Run();

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_THAT(r->checks(), Contains(AllOf(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW),
                                          Property(&v1::Check::reason, "mrz_not_found"))));
}

TEST(PassportErrorsJsonTest, EachSourceHasItsOwnMembers) {
  google::protobuf::RepeatedPtrField<v1::PassportElementError> errors;
  v1::PassportElementError* files = errors.Add();
  files->set_source("files");
  files->set_type("utility_bill");
  files->add_file_hashes("aA==");
  files->set_message("m");

  EXPECT_EQ(nlohmann::json::parse(PassportErrorsJson(errors)),
            nlohmann::json::parse(R"([{"source":"files","type":"utility_bill",
                                       "file_hashes":["aA=="],"message":"m"}])"));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
