#include "checks/minimum_age_check.h"

#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class MinimumAgeCheckTest : public ::testing::Test {
 protected:
  MinimumAgeCheckTest() { policy_.minimum_age = 18; }
  Policy policy_ = testing::TestPolicy();
  OpenedElement passport_ = testing::Passport();
  OpenedElement personal_ = testing::PersonalDetails();
};

TEST_F(MinimumAgeCheckTest, AdultByTheMrzPasses) {
  Findings findings(policy_);
  MinimumAgeCheck().Run(testing::ReadPassport(passport_), testing::EvidenceWith(&personal_),
                        findings);
  EXPECT_THAT(findings.checks(), ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(MinimumAgeCheckTest, UnderTheMinimumFails) {
  policy_.minimum_age = 60;  // The specimen holder is 52 on kToday.
  Findings findings(policy_);
  MinimumAgeCheck().Run(testing::ReadPassport(passport_), testing::EvidenceWith(&personal_),
                        findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_FAIL, "under_minimum_age")));
}

TEST_F(MinimumAgeCheckTest, TypedBirthDateWhenTheDocumentGivesNone) {
  testing::SetField(personal_, "birth_date", "28.11.2008");  // 17 on kToday.
  DocumentEvidence doc = StartDocumentEvidence(passport_);
  Resolve(doc);
  Findings findings(policy_);
  MinimumAgeCheck().Run(doc, testing::EvidenceWith(&personal_), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_FAIL, "under_minimum_age")));
}

TEST_F(MinimumAgeCheckTest, NoBirthDateAnywhereAsksForOne) {
  testing::SetField(personal_, "birth_date", "");
  DocumentEvidence doc = StartDocumentEvidence(passport_);
  Resolve(doc);
  Findings findings(policy_);
  MinimumAgeCheck().Run(doc, testing::EvidenceWith(&personal_), findings);
  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_FAIL, "birth_date_missing")));
  ASSERT_EQ(findings.errors().size(), 1u);
  EXPECT_EQ(findings.errors()[0].message(), "Enter your date of birth.");
}

TEST_F(MinimumAgeCheckTest, WithoutIdentityDocumentAPersonDecides) {
  Findings findings(policy_);
  const OpenedSubmission submission;
  MinimumAgeCheck().Run(submission, testing::EvidenceWith(&personal_), findings);
  EXPECT_THAT(findings.checks(), ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_REVIEW,
                                                     "no_identity_document")));
}

TEST_F(MinimumAgeCheckTest, NoMinimumNoCheck) {
  policy_.minimum_age = 0;
  Findings findings(policy_);
  MinimumAgeCheck().Run(testing::ReadPassport(passport_), testing::EvidenceWith(&personal_),
                        findings);
  EXPECT_THAT(findings.checks(), IsEmpty());
}

}  // namespace
}  // namespace vouch::verifier::pipeline
