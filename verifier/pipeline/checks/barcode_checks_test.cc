// BarcodeCheck and BarcodeVsTypedCheck, each alone.
#include "checks/barcode_check.h"
#include "checks/barcode_vs_typed_check.h"
#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

OpenedElement Licence() {
  OpenedElement e = testing::Element("driver_license");
  e.front_side = testing::File("front");
  e.reverse_side = testing::File("back");
  testing::SetFields(e, {{"document_no", "D1234567"}, {"expiry_date", "01.02.2030"}});
  return e;
}

DocumentEvidence WithSignal(const OpenedElement& e, QualitySignal::Verdict verdict) {
  DocumentEvidence doc = StartDocumentEvidence(e);
  doc.back_read = true;
  QualitySignal signal;
  signal.name = "barcode";
  signal.verdict = verdict;
  doc.barcode_signal = signal;
  return doc;
}

TEST(BarcodeCheckTest, NoBarcodeOnALicenceGoesToReview) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = Licence();
  Findings findings(policy);
  BarcodeCheck().Run(WithSignal(e, QualitySignal::Verdict::kFail), testing::EvidenceWith(nullptr),
                     findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("barcode", v1::CHECK_OUTCOME_REVIEW, "barcode_not_found")));
}

TEST(BarcodeCheckTest, NonAamvaBarcodeOnAnIdentityCardIsNotJudged) {
  const Policy policy = testing::TestPolicy();
  OpenedElement e = Licence();
  e.type = "identity_card";
  Findings findings(policy);
  BarcodeCheck().Run(WithSignal(e, QualitySignal::Verdict::kReview), testing::EvidenceWith(nullptr),
                     findings);
  EXPECT_THAT(findings.checks(), IsEmpty());
}

TEST(BarcodeCheckTest, AamvaRecordPasses) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = Licence();
  Findings findings(policy);
  BarcodeCheck().Run(WithSignal(e, QualitySignal::Verdict::kPass), testing::EvidenceWith(nullptr),
                     findings);
  EXPECT_THAT(findings.checks(), ElementsAre(CheckIs("barcode", v1::CHECK_OUTCOME_PASS, "")));
}

TEST(BarcodeVsTypedCheckTest, ComparesTheRecordWithTheTypedData) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = Licence();
  OpenedElement personal = testing::PersonalDetails();
  testing::SetField(personal, "first_name", "Anna");
  DocumentEvidence doc = WithSignal(e, QualitySignal::Verdict::kPass);
  BarcodeFields record;
  record.family_name = "ERIKSSON";
  record.first_name = "ANNA";
  record.document_number = "D1234567";
  record.birth_date = absl::CivilDay(1974, 8, 13);
  record.expiry_date = absl::CivilDay(2030, 2, 1);
  record.sex = "F";
  doc.barcode = ToEvidence(record);
  Findings findings(policy);

  BarcodeVsTypedCheck().Run(doc, testing::EvidenceWith(&personal), findings);

  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("barcode_vs_typed.document_no", v1::CHECK_OUTCOME_PASS, ""),
                          CheckIs("barcode_vs_typed.expiry_date", v1::CHECK_OUTCOME_PASS, ""),
                          CheckIs("barcode_vs_typed.last_name", v1::CHECK_OUTCOME_PASS, ""),
                          CheckIs("barcode_vs_typed.first_name", v1::CHECK_OUTCOME_PASS, ""),
                          CheckIs("barcode_vs_typed.birth_date", v1::CHECK_OUTCOME_FAIL,
                                  "birth_date_mismatch"),
                          CheckIs("barcode_vs_typed.gender", v1::CHECK_OUTCOME_PASS, "")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
