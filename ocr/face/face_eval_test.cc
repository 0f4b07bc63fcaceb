// ROC arithmetic of the face evaluation on score lists with known answers.

#include "face/face_eval.h"

#include <vector>

#include "gtest/gtest.h"

namespace vouch::ocr::face_eval {
namespace {

TEST(ComputeRocTest, SeparatedScoresHaveNoErrors) {
  const Roc r = ComputeRoc({0.8, 0.9, 0.7}, {0.1, 0.2, 0.3, 0.0});

  EXPECT_DOUBLE_EQ(r.eer, 0);
  EXPECT_GT(r.eer_threshold, 0.3);
  EXPECT_LE(r.eer_threshold, 0.7);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_1e3, 0);
}

TEST(ComputeRocTest, OverlapGivesTheCrossingRate) {
  // 10 genuine, 10 impostor; one genuine (0.25) below one impostor (0.6):
  // at t = 0.6 FMR 1/10, FNMR 1/10.
  const std::vector<double> genuine = {0.25, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78};
  const std::vector<double> impostor = {0.0, 0.05, 0.1, 0.15, 0.2, 0.21, 0.22, 0.23, 0.24, 0.6};

  const Roc r = ComputeRoc(genuine, impostor);

  EXPECT_NEAR(r.eer, 0.1, 1e-9);
  // FMR <= 1e-2 of 10 impostors allows none: the threshold is just above
  // 0.6, and only the genuine 0.25 falls below it.
  EXPECT_GT(r.threshold_fmr_1e2, 0.6);
  EXPECT_NEAR(r.fnmr_at_fmr_1e2, 0.1, 1e-9);
  EXPECT_DOUBLE_EQ(FalseMatchRate(impostor, r.threshold_fmr_1e2), 0);
}

TEST(ComputeRocTest, ThresholdAtFmrAllowsItsShareOfImpostors) {
  std::vector<double> impostor;
  for (int i = 0; i < 1000; ++i) impostor.push_back(i / 1000.0);

  const Roc r = ComputeRoc({0.5, 0.995, 0.9995}, impostor);

  EXPECT_NEAR(FalseMatchRate(impostor, r.threshold_fmr_1e2), 0.01, 1e-9);
  EXPECT_NEAR(FalseMatchRate(impostor, r.threshold_fmr_1e3), 0.001, 1e-9);
  EXPECT_NEAR(r.fnmr_at_fmr_1e3, 2.0 / 3, 1e-9);
}

TEST(ComputeRocTest, EmptyListsGiveAnEmptySummary) {
  const Roc r = ComputeRoc({}, {0.1});

  EXPECT_EQ(r.genuine_scored, 0u);
  EXPECT_DOUBLE_EQ(r.eer, 0);
}

}  // namespace
}  // namespace vouch::ocr::face_eval
