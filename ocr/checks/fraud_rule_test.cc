// The decision rule for fraud signals (ApplyFraudRule): one signal alone
// never fails a submission; two different certain signals may.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/checks.h"

namespace vouch::ocr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CheckResult Signal(const std::string& name, CheckVerdict verdict,
                   CheckKind kind = CheckKind::kFraud) {
  CheckResult c;
  c.name = name;
  c.verdict = verdict;
  c.kind = kind;
  c.reason = "looks like a photo of a screen: photograph the paper document itself";
  return c;
}

TEST(FraudRuleTest, OneCertainSignalAloneBecomesReviewWithAReason) {
  CheckResult screen = Signal("screen", CheckVerdict::kFail);

  ApplyFraudRule({&screen});

  EXPECT_EQ(screen.verdict, CheckVerdict::kReview);
  EXPECT_THAT(screen.reason, HasSubstr("photograph the paper document itself"));
  EXPECT_THAT(screen.reason, HasSubstr("one signal alone"));
}

TEST(FraudRuleTest, TheSameSignalOnFrontAndBackIsOneSignal) {
  CheckResult front = Signal("screen", CheckVerdict::kFail);
  CheckResult back = Signal("screen", CheckVerdict::kFail);

  ApplyFraudRule({&front, &back});

  EXPECT_EQ(front.verdict, CheckVerdict::kReview);
  EXPECT_EQ(back.verdict, CheckVerdict::kReview);
}

TEST(FraudRuleTest, TwoDifferentCertainSignalsStayFailed) {
  CheckResult screen = Signal("screen", CheckVerdict::kFail);
  CheckResult colour = Signal("colour", CheckVerdict::kFail);

  ApplyFraudRule({&screen, &colour, nullptr});

  EXPECT_EQ(screen.verdict, CheckVerdict::kFail);
  EXPECT_EQ(colour.verdict, CheckVerdict::kFail);
  EXPECT_THAT(screen.reason, Not(HasSubstr("one signal alone")));
}

TEST(FraudRuleTest, AnUncertainSecondSignalDoesNotConfirm) {
  CheckResult screen = Signal("screen", CheckVerdict::kFail);
  CheckResult colour = Signal("colour", CheckVerdict::kReview);

  ApplyFraudRule({&screen, &colour});

  EXPECT_EQ(screen.verdict, CheckVerdict::kReview);
  EXPECT_EQ(colour.verdict, CheckVerdict::kReview);
}

TEST(FraudRuleTest, QualityChecksAreLeftAlone) {
  CheckResult focus = Signal("focus", CheckVerdict::kFail, CheckKind::kQuality);
  CheckResult screen = Signal("screen", CheckVerdict::kFail);

  ApplyFraudRule({&focus, &screen});

  EXPECT_EQ(focus.verdict, CheckVerdict::kFail);
  EXPECT_EQ(screen.verdict, CheckVerdict::kReview);
}

TEST(FraudRuleTest, RunChecksAppliesTheRuleToQualityReports) {
  // A grey, flat page: colour is certain (a black-and-white copy) but it is
  // the only fraud signal, so RunChecks reports it for review.
  const cv::Mat grey(700, 1000, CV_8UC3, cv::Scalar(200, 200, 200));
  CheckInput input;
  input.front = grey;
  absl::StatusOr<CheckReport> r = RunChecks(input, nullptr);
  ASSERT_TRUE(r.ok()) << r.status();

  for (const CheckResult& c : r->front.checks) {
    if (c.kind == CheckKind::kFraud) {
      EXPECT_NE(c.verdict, CheckVerdict::kFail) << c.name;
    }
    if (c.name == "colour") {
      EXPECT_EQ(c.verdict, CheckVerdict::kReview);
    }
  }
}

}  // namespace
}  // namespace vouch::ocr
