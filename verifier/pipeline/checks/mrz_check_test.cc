#include "checks/mrz_check.h"

#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class MrzCheckTest : public ::testing::Test {
 protected:
  MrzCheckTest() { policy_.checks["mrz"] = {0.9, 0.6}; }

  std::vector<v1::Check> Run(const DocumentEvidence& doc) {
    Findings findings(policy_);
    MrzCheck().Run(doc, testing::EvidenceWith(nullptr), findings);
    return findings.checks();
  }

  Policy policy_ = testing::TestPolicy();
  OpenedElement passport_ = testing::Passport();
};

TEST_F(MrzCheckTest, ValidConfidentReadPasses) {
  EXPECT_THAT(Run(testing::ReadPassport(passport_)),
              ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(MrzCheckTest, LowConfidenceGoesToReview) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz->fields.confidence = 0.7;
  EXPECT_THAT(Run(doc), ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW,
                                            "mrz_low_confidence_uncertain")));
}

// A check digit failing as printed is one certain fraud signal: alone it
// goes to a person (the two-signal rule, Findings::ConfirmFraud, may turn
// it into FAIL); a document that does not add up otherwise goes to a person.
TEST_F(MrzCheckTest, CheckDigitFailingAsPrintedIsOneFraudSignal) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz->fields.check_digits_ok = false;
  doc.mrz->fields.printed_checks_fail = true;
  EXPECT_THAT(Run(doc), ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW,
                                            "mrz_check_digits_single_signal")));

  doc.mrz->fields.printed_checks_fail = false;  // An unknown state code, say.
  EXPECT_THAT(Run(doc), ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW, "mrz_implausible")));
}

TEST_F(MrzCheckTest, PassportWithoutMrzFails) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz.reset();
  EXPECT_THAT(Run(doc), ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_FAIL, "mrz_not_found")));
}

TEST_F(MrzCheckTest, UnreadableBandGoesToReview) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz.reset();
  doc.mrz_unreadable = true;
  EXPECT_THAT(Run(doc), ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW, "mrz_unreadable")));
}

TEST_F(MrzCheckTest, LicenceWithBarcodeRecordIsSkipped) {
  OpenedElement licence = testing::Element("driver_license");
  DocumentEvidence doc = StartDocumentEvidence(licence);
  doc.front_read = doc.mrz_checked = true;
  doc.barcode = ToEvidence(BarcodeFields());
  EXPECT_THAT(Run(doc),
              ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_SKIPPED, "mrz_absent_barcode_read")));
}

TEST_F(MrzCheckTest, ReaderThatDidNotRunIsUnavailable) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz_checked = false;
  EXPECT_THAT(Run(doc),
              ElementsAre(CheckIs("mrz", v1::CHECK_OUTCOME_REVIEW, "mrz_reader_unavailable")));
}

TEST_F(MrzCheckTest, NothingWhenNoSideWasRead) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.front_read = false;
  EXPECT_THAT(Run(doc), IsEmpty());
}

}  // namespace
}  // namespace vouch::verifier::pipeline
