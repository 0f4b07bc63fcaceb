// Head pose from landmarks whose true pose is known: the template projected
// through a pinhole camera at chosen angles.

#include "face/head_pose.h"

#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/calib3d.hpp"

namespace vouch::ocr {
namespace {

// A camera unlike the one the estimator assumes (focal length, distance),
// so the test does not share its model. The face's centre is on the
// optical axis: the estimate is relative to the line of sight to the face
// (a face off the axis that looks into the camera reads frontal), and on
// the axis that is the camera's frame.
constexpr double kFocalPx = 900;
constexpr double kDistanceCm = 45;
const cv::Point2d kPrincipal(320, 240);

cv::Point3d TemplateCentre() {
  cv::Point3d sum(0, 0, 0);
  for (const cv::Point3f& p : HeadTemplate()) sum += cv::Point3d(p);
  return sum * (1.0 / kHeadTemplatePoints);
}

// 68 landmarks of the template seen at `pose`; the points the template does
// not cover sit at the face's centre (the estimator must ignore them).
std::vector<cv::Point2f> Project(const HeadPose& pose, double noise_px = 0, unsigned seed = 1) {
  const cv::Mat rot = RotationOf(pose);
  cv::Mat rvec;
  cv::Rodrigues(rot, rvec);
  // Rotate about the template's centre and put that centre on the axis.
  const cv::Point3d c = TemplateCentre();
  const cv::Mat c_mat = (cv::Mat_<double>(3, 1) << c.x, c.y, c.z);
  const cv::Mat tvec = cv::Mat((cv::Mat_<double>(3, 1) << 0, 0, kDistanceCm)) - rot * c_mat;
  const cv::Mat camera =
      (cv::Mat_<double>(3, 3) << kFocalPx, 0, kPrincipal.x, 0, kFocalPx, kPrincipal.y, 0, 0, 1);
  const std::vector<cv::Point3f> object(HeadTemplate().begin(), HeadTemplate().end());
  std::vector<cv::Point2f> projected;
  cv::projectPoints(object, rvec, tvec, camera, cv::noArray(), projected);
  std::mt19937 rng(seed);
  std::normal_distribution<float> jitter(0, static_cast<float>(noise_px));
  cv::Point2f centre(0, 0);
  for (const cv::Point2f& p : projected) centre += p;
  centre *= 1.0f / projected.size();
  std::vector<cv::Point2f> landmarks(68, centre);
  for (int i = 0; i < kHeadTemplatePoints; ++i) {
    cv::Point2f p = projected[i];
    if (noise_px > 0) p += cv::Point2f(jitter(rng), jitter(rng));
    landmarks[HeadTemplateLandmarks()[i]] = p;
  }
  return landmarks;
}

struct PoseCase {
  HeadPose truth;
  double tolerance_deg;
};

class HeadPoseTest : public ::testing::TestWithParam<PoseCase> {};

TEST_P(HeadPoseTest, RecoversKnownAngles) {
  const PoseCase& c = GetParam();

  const std::optional<HeadPose> pose = EstimateHeadPose(Project(c.truth));

  ASSERT_TRUE(pose.has_value());
  EXPECT_NEAR(pose->yaw_deg, c.truth.yaw_deg, c.tolerance_deg);
  EXPECT_NEAR(pose->pitch_deg, c.truth.pitch_deg, c.tolerance_deg);
  EXPECT_NEAR(pose->roll_deg, c.truth.roll_deg, c.tolerance_deg);
}

// The estimator assumes its own focal length and principal point, so the
// perspective differs from the projection's: a few degrees of tolerance.
INSTANTIATE_TEST_SUITE_P(KnownAngles, HeadPoseTest,
                         ::testing::Values(PoseCase{{0, 0, 0}, 3}, PoseCase{{30, 0, 0}, 4},
                                           PoseCase{{-30, 0, 0}, 4}, PoseCase{{60, 0, 0}, 5},
                                           PoseCase{{-60, 0, 0}, 5}, PoseCase{{0, 30, 0}, 4},
                                           PoseCase{{0, -30, 0}, 4}, PoseCase{{0, 0, 30}, 3},
                                           PoseCase{{0, 0, -60}, 3}, PoseCase{{30, 15, 10}, 5}));

TEST(HeadPoseNoiseTest, FrontalStaysFrontalUnderLandmarkNoise) {
  // The projected face is ~150 px wide; 2 px of noise per point is what a
  // 64×64 landmark regressor leaves on such a face.
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const std::optional<HeadPose> pose = EstimateHeadPose(Project({0, 0, 0}, /*noise_px=*/2, seed));

    ASSERT_TRUE(pose.has_value());
    EXPECT_LT(std::fabs(pose->yaw_deg), 10) << "seed " << seed;
    EXPECT_LT(std::fabs(pose->roll_deg), 5) << "seed " << seed;
  }
}

TEST(HeadPoseNoiseTest, TurnedFaceReadsTurnedUnderLandmarkNoise) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const std::optional<HeadPose> pose =
        EstimateHeadPose(Project({45, 0, 0}, /*noise_px=*/2, seed));

    ASSERT_TRUE(pose.has_value());
    EXPECT_GT(pose->yaw_deg, 30) << "seed " << seed;
  }
}

TEST(HeadPoseTest, NeedsSixtyEightLandmarks) {
  EXPECT_FALSE(EstimateHeadPose({}).has_value());
  EXPECT_FALSE(EstimateHeadPose(std::vector<cv::Point2f>(5)).has_value());
}

TEST(HeadPoseTest, CoincidentLandmarksHaveNoPose) {
  EXPECT_FALSE(EstimateHeadPose(std::vector<cv::Point2f>(68, {10, 10})).has_value());
}

}  // namespace
}  // namespace vouch::ocr
