// RequiredElementsCheck and ImageQualityCheck, each alone.
#include "checks/image_quality_check.h"
#include "checks/required_elements_check.h"
#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;

TEST(RequiredElementsCheckTest, OneFindingPerRequirement) {
  Policy policy = testing::TestPolicy();
  policy.required_elements = {{"personal_details"}, {"passport", "identity_card"}};
  OpenedSubmission submission;
  submission.elements.push_back(testing::Passport());
  Findings findings(policy);

  RequiredElementsCheck().Run(submission, testing::EvidenceWith(nullptr), findings);

  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("required.personal_details", v1::CHECK_OUTCOME_FAIL,
                                  "required_element_missing"),
                          CheckIs("required.passport|identity_card", v1::CHECK_OUTCOME_PASS, "")));
}

QualitySignal Signal(const std::string& name, QualitySignal::Verdict verdict, bool fraud) {
  QualitySignal q;
  q.name = name;
  q.verdict = verdict;
  q.fraud = fraud;
  q.score = 0.1;
  q.threshold = 0.5;
  return q;
}

TEST(ImageQualityCheckTest, FailedQualityOnAReadPageGoesToReview) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  ImageFindings read;
  read.quality_checked = true;
  read.mrz = testing::PrintedSpecimenMrz();
  read.quality.push_back(Signal("glare", QualitySignal::Verdict::kFail, false));
  Findings findings(policy);

  ImageQualityCheck().Run(e, *e.front_side, "front_side", read, findings);

  EXPECT_THAT(findings.checks(),
              ElementsAre(CheckIs("quality.glare.front_side", v1::CHECK_OUTCOME_REVIEW,
                                  "poor_glare_on_read_page")));
}

TEST(ImageQualityCheckTest, FailedQualityOnAnUnreadPageFails) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  ImageFindings read;
  read.quality_checked = true;
  read.quality.push_back(Signal("focus", QualitySignal::Verdict::kFail, false));
  Findings findings(policy);

  ImageQualityCheck().Run(e, *e.front_side, "front_side", read, findings);

  EXPECT_THAT(findings.checks(), ElementsAre(CheckIs("quality.focus.front_side",
                                                     v1::CHECK_OUTCOME_FAIL, "poor_focus")));
}

TEST(ImageQualityCheckTest, TwoCertainFraudSignalsFailOneGoesToReview) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  ImageFindings read;
  read.quality_checked = true;
  read.quality.push_back(Signal("screen", QualitySignal::Verdict::kFail, true));
  Findings one(policy);
  ImageQualityCheck().Run(e, *e.front_side, "front_side", read, one);
  one.ConfirmFraud();
  EXPECT_THAT(one.checks(),
              ElementsAre(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_REVIEW,
                                  "poor_screen_single_signal")));

  read.quality.push_back(Signal("colour", QualitySignal::Verdict::kFail, true));
  Findings two(policy);
  ImageQualityCheck().Run(e, *e.front_side, "front_side", read, two);
  two.ConfirmFraud();
  EXPECT_THAT(
      two.checks(),
      ElementsAre(CheckIs("quality.screen.front_side", v1::CHECK_OUTCOME_FAIL, "poor_screen"),
                  CheckIs("quality.colour.front_side", v1::CHECK_OUTCOME_FAIL, "poor_colour")));
}

TEST(ImageQualityCheckTest, QualityNotCheckedIsUnavailable) {
  const Policy policy = testing::TestPolicy();
  const OpenedElement e = testing::Passport();
  Findings findings(policy);
  ImageQualityCheck().Run(e, *e.front_side, "front_side", ImageFindings(), findings);
  EXPECT_THAT(findings.checks(), ElementsAre(CheckIs("quality.front_side", v1::CHECK_OUTCOME_REVIEW,
                                                     "quality_unavailable")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
