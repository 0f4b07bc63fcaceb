// DocumentTypeCheck, DocumentKindCheck and IssuingCountryCheck, each alone.
#include "checks/document_kind_check.h"
#include "checks/document_type_check.h"
#include "checks/issuing_country_check.h"
#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DocumentTypeCheckTest, AcceptsAListedType) {
  Policy policy = testing::TestPolicy();
  policy.allowed_document_types = {"identity_card", "passport"};
  const OpenedElement e = testing::Passport();
  Findings findings(policy);
  DocumentTypeCheck().Run(testing::ReadPassport(e), testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("document_type_allowed", v1::CHECK_OUTCOME_PASS, "")));
}

TEST(DocumentTypeCheckTest, RejectsAnotherType) {
  Policy policy = testing::TestPolicy();
  policy.allowed_document_types = {"identity_card"};
  const OpenedElement e = testing::Passport();
  Findings findings(policy);
  DocumentTypeCheck().Run(testing::ReadPassport(e), testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("document_type_allowed", v1::CHECK_OUTCOME_FAIL,
                                  "document_type_not_allowed")));
  ASSERT_EQ(findings.errors().size(), 1u);
  EXPECT_EQ(findings.errors()[0].source(), "unspecified");
}

TEST(DocumentTypeCheckTest, AnEmptyListAcceptsAny) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  Findings findings(policy);
  DocumentTypeCheck().Run(testing::ReadPassport(e), testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(), IsEmpty());
}

// A valid MRZ of `format` and `code` on an element of `type`: the
// document_type_matches_mrz check alone.
std::vector<v1::Check> RunKind(const std::string& type, const std::string& format,
                               const std::string& code, bool internal_passport = false) {
  const Policy policy = testing::TestPolicy();
  OpenedElement e = testing::Element(type);
  e.front_side = testing::File("front");
  pipeline::MrzFields mrz = testing::PrintedSpecimenMrz();
  mrz.format = format;
  mrz.document_code = code;
  mrz.internal_passport = internal_passport;
  Findings findings(policy);
  DocumentKindCheck().Run(testing::ReadDocument(e, mrz), testing::EvidenceWith(nullptr), findings);
  return findings.checks();
}

const auto kKindPass = CheckIs("document_type_matches_mrz", v1::CHECK_OUTCOME_PASS, "");
const auto kKindFail =
    CheckIs("document_type_matches_mrz", v1::CHECK_OUTCOME_FAIL, "document_kind_mismatch");

TEST(DocumentKindCheckTest, EachTypeAcceptsItsOwnKind) {
  EXPECT_THAT(RunKind("passport", "TD3", "P"), ElementsAre(kKindPass));
  EXPECT_THAT(RunKind("passport", "TD3", "PD"), ElementsAre(kKindPass));  // Diplomatic.
  EXPECT_THAT(RunKind("identity_card", "TD1", "I"), ElementsAre(kKindPass));
  EXPECT_THAT(RunKind("identity_card", "TD1", "ID"), ElementsAre(kKindPass));
  EXPECT_THAT(RunKind("identity_card", "TD2", "AC"), ElementsAre(kKindPass));
  EXPECT_THAT(RunKind("identity_card", "TD1", "C"), ElementsAre(kKindPass));
  EXPECT_THAT(RunKind("internal_passport", "TD3", "PN", true), ElementsAre(kKindPass));
  // States that issue their internal passport as a card.
  EXPECT_THAT(RunKind("internal_passport", "TD1", "ID"), ElementsAre(kKindPass));
  EXPECT_THAT(RunKind("driver_license", "TD1", "D1"), ElementsAre(kKindPass));
}

// The user chose one type and sent another document: a visa, a card or an
// internal passport is no passport, a passport book is no identity card.
// The user is told on the scan what to fix.
TEST(DocumentKindCheckTest, AnotherKindOfDocumentFailsOnTheScan) {
  EXPECT_THAT(RunKind("passport", "MRVA", "V"), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("passport", "TD1", "ID"), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("passport", "TD3", "PN", true), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("identity_card", "TD3", "P"), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("identity_card", "MRVB", "V"), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("internal_passport", "TD3", "P"), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("internal_passport", "MRVA", "VB"), ElementsAre(kKindFail));
  EXPECT_THAT(RunKind("driver_license", "TD3", "P"), ElementsAre(kKindFail));

  const Policy policy = testing::TestPolicy();
  OpenedElement e = testing::Element("passport");
  e.front_side = testing::File("front");
  pipeline::MrzFields visa = testing::PrintedSpecimenMrz();
  visa.format = "MRVA";
  visa.document_code = "V";
  Findings findings(policy);
  DocumentKindCheck().Run(testing::ReadDocument(e, visa), testing::EvidenceWith(nullptr), findings);
  ASSERT_EQ(findings.errors().size(), 1u);
  EXPECT_EQ(findings.errors()[0].source(), "front_side");
  EXPECT_EQ(findings.errors()[0].type(), "passport");
}

// A code its layout does not carry (a `P` on a card, an `I` in a passport
// book, an unknown letter): a person looks, nobody is rejected.
TEST(DocumentKindCheckTest, ACodeTheLayoutDoesNotCarryGoesToReview) {
  const auto review =
      CheckIs("document_type_matches_mrz", v1::CHECK_OUTCOME_REVIEW, "document_kind_unclear");
  EXPECT_THAT(RunKind("passport", "TD1", "P"), ElementsAre(review));
  EXPECT_THAT(RunKind("identity_card", "TD3", "I"), ElementsAre(review));
  EXPECT_THAT(RunKind("identity_card", "TD1", "X"), ElementsAre(review));
  EXPECT_THAT(RunKind("passport", "TD3", ""), ElementsAre(review));
}

TEST(DocumentKindCheckTest, NothingWithoutAValidMrz) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  DocumentEvidence doc = testing::ReadPassport(e);
  doc.mrz->fields.check_digits_ok = false;
  Findings findings(policy);
  DocumentKindCheck().Run(doc, testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(), IsEmpty());
}

TEST(IssuingCountryCheckTest, ComparesTheMrzIssuingState) {
  Policy policy = testing::TestPolicy();
  policy.allowed_issuing_countries = {"D"};
  const OpenedElement e = testing::Passport();
  Findings findings(policy);
  IssuingCountryCheck().Run(testing::ReadPassport(e), testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("issuing_country_allowed", v1::CHECK_OUTCOME_FAIL,
                                  "issuing_country_not_allowed")));
}

TEST(IssuingCountryCheckTest, UnknownCountryGoesToReview) {
  Policy policy = testing::TestPolicy();
  policy.allowed_issuing_countries = {"UTO"};
  const OpenedElement e = testing::Passport();
  DocumentEvidence doc = StartDocumentEvidence(e);  // Nothing read.
  Resolve(doc);
  Findings findings(policy);
  IssuingCountryCheck().Run(doc, testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("issuing_country_allowed", v1::CHECK_OUTCOME_REVIEW,
                                  "issuing_country_unknown")));
}

TEST(IssuingCountryCheckTest, BarcodeCountryWhenThereIsNoMrz) {
  Policy policy = testing::TestPolicy();
  policy.allowed_issuing_countries = {"USA"};
  const OpenedElement e = testing::Element("driver_license");
  DocumentEvidence doc = StartDocumentEvidence(e);
  BarcodeFields record;
  record.country = "USA";
  doc.barcode = ToEvidence(record);
  Resolve(doc);
  Findings findings(policy);
  IssuingCountryCheck().Run(doc, testing::EvidenceWith(nullptr), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("issuing_country_allowed", v1::CHECK_OUTCOME_PASS, "")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
