#include "checks/expiry_check.h"

#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;

TEST(ExpiryCheckTest, PassesBeforeTheMrzExpiryDate) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  Findings findings(policy);

  ExpiryCheck().Run(testing::ReadPassport(e), testing::EvidenceWith(nullptr), findings);

  EXPECT_THAT(findings.checks(), ElementsAre(CheckIs("expiry", v1::CHECK_OUTCOME_PASS, "")));
}

TEST(ExpiryCheckTest, TheMrzDateWinsOverTheTypedOne) {
  const Policy policy = testing::TestPolicy();
  OpenedElement e = testing::Passport();
  testing::SetField(e, "expiry_date", "01.01.2030");
  DocumentEvidence doc = testing::ReadPassport(e);
  doc.mrz->fields.expiry_date = absl::CivilDay(2020, 1, 1);
  Resolve(doc);
  Findings findings(policy);

  ExpiryCheck().Run(doc, testing::EvidenceWith(nullptr), findings);

  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("expiry", v1::CHECK_OUTCOME_FAIL, "document_expired")));
  ASSERT_EQ(findings.errors().size(), 1u);
  EXPECT_EQ(findings.errors()[0].source(), "front_side");
  EXPECT_EQ(findings.errors()[0].message(), "The document has expired. Upload a valid document.");
}

TEST(ExpiryCheckTest, FallsBackToTheTypedDate) {
  const Policy policy = testing::TestPolicy();
  OpenedElement e = testing::Passport();
  testing::SetField(e, "expiry_date", "26.11.2026");  // The day before kToday.
  DocumentEvidence doc = StartDocumentEvidence(e);
  Resolve(doc);
  Findings findings(policy);

  ExpiryCheck().Run(doc, testing::EvidenceWith(nullptr), findings);

  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("expiry", v1::CHECK_OUTCOME_FAIL, "document_expired")));
}

TEST(ExpiryCheckTest, SkippedWithoutAnyDate) {
  const Policy policy = testing::TestPolicy();
  OpenedElement e = testing::Passport();
  testing::SetField(e, "expiry_date", "");
  DocumentEvidence doc = StartDocumentEvidence(e);
  Resolve(doc);
  Findings findings(policy);

  ExpiryCheck().Run(doc, testing::EvidenceWith(nullptr), findings);

  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("expiry", v1::CHECK_OUTCOME_SKIPPED, "no_expiry_date")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
