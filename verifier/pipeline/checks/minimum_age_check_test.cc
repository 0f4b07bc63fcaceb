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

// A birth date the MRZ prints partly unknown bounds the age: old enough on
// its latest possible day passes, too young on its earliest fails, and where
// the unknown part decides a person looks. The typed date (12.08.1974)
// never stands in for the unknown part.
TEST_F(MinimumAgeCheckTest, BirthDatePrintedPartlyUnknownBoundsTheAge) {
  const auto run = [&](const DayRange& birth) {
    MrzFields mrz = testing::PrintedSpecimenMrz();
    mrz.birth_date = std::nullopt;
    mrz.birth_date_range = birth;
    Findings findings(policy_);
    MinimumAgeCheck().Run(testing::ReadDocument(passport_, mrz), testing::EvidenceWith(&personal_),
                          findings);
    return findings.checks();
  };
  // kToday is 2026-11-27.
  EXPECT_THAT(
      run({absl::CivilDay(2008, 1, 1), absl::CivilDay(2008, 12, 31)}),
      ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_REVIEW, "birth_date_partly_unknown")));
  EXPECT_THAT(run({absl::CivilDay(2008, 11, 1), absl::CivilDay(2008, 11, 27)}),
              ElementsAre(CheckIs("minimum_age", v1::CHECK_OUTCOME_PASS, "")));
  EXPECT_THAT(run({absl::CivilDay(2008, 12, 1), absl::CivilDay(2008, 12, 31)}),
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
