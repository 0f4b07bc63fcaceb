// DocumentTypeCheck and IssuingCountryCheck, each alone.
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
