// SelectOneFace on hand-made detections: one reason per problem.

#include "ocr/face_gate.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::ocr {
namespace {

using ::testing::HasSubstr;

// A frontal, sharp, 120 px face with (dummy) landmarks.
Face GoodFace(float x = 100, float height = 120) {
  Face f;
  f.box = cv::Rect2f(x, 50, height * 0.8f, height);
  f.confidence = 0.99f;
  f.landmarks.assign(68, cv::Point2f(x + 10, 60));
  f.pose_known = true;
  f.sharpness = 1.0;
  return f;
}

TEST(SelectOneFaceTest, OneGoodFaceHasNoProblem) {
  const FaceSelection s = SelectOneFace({GoodFace()}, FaceOptions());

  EXPECT_EQ(s.problem, FaceProblem::kNone);
  EXPECT_EQ(s.faces_counted, 1);
  ASSERT_TRUE(s.face.has_value());
  EXPECT_FLOAT_EQ(s.face->box.height, 120);
}

TEST(SelectOneFaceTest, NoFace) {
  const FaceSelection s = SelectOneFace({}, FaceOptions());

  EXPECT_EQ(s.problem, FaceProblem::kNoFace);
  EXPECT_FALSE(s.face.has_value());
  EXPECT_THAT(FaceProblemReason(s.problem, "in the selfie"),
              HasSubstr("no face found in the selfie"));
}

TEST(SelectOneFaceTest, TwoComparableFacesAreSeveral) {
  const FaceSelection s = SelectOneFace({GoodFace(100, 120), GoodFace(400, 100)}, FaceOptions());

  EXPECT_EQ(s.problem, FaceProblem::kSeveralFaces);
  EXPECT_EQ(s.faces_counted, 2);
  EXPECT_EQ(FaceProblemName(s.problem), "several_faces");
}

TEST(SelectOneFaceTest, SmallGhostPortraitIsNotCounted) {
  const FaceSelection s = SelectOneFace({GoodFace(400, 40), GoodFace(100, 120)}, FaceOptions());

  EXPECT_EQ(s.problem, FaceProblem::kNone);
  EXPECT_EQ(s.faces_counted, 1);
  EXPECT_FLOAT_EQ(s.face->box.height, 120);  // The largest, not the first.
}

TEST(SelectOneFaceTest, TinyFaceIsTooSmall) {
  const FaceSelection s = SelectOneFace({GoodFace(100, 30)}, FaceOptions());

  EXPECT_EQ(s.problem, FaceProblem::kTooSmall);
  EXPECT_THAT(FaceProblemReason(s.problem, "in the selfie"), HasSubstr("too small"));
}

TEST(SelectOneFaceTest, FaceWithoutPoseIsUnmeasurable) {
  Face f = GoodFace();
  f.pose_known = false;

  EXPECT_EQ(SelectOneFace({f}, FaceOptions()).problem, FaceProblem::kUnmeasurable);
}

TEST(SelectOneFaceTest, SoftFaceIsBlurred) {
  Face f = GoodFace();
  f.sharpness = FaceOptions().min_sharpness / 2;

  const FaceSelection s = SelectOneFace({f}, FaceOptions());

  EXPECT_EQ(s.problem, FaceProblem::kBlurred);
  EXPECT_THAT(FaceProblemReason(s.problem, "in the selfie"), HasSubstr("blurred"));
}

TEST(SelectOneFaceTest, EachAngleOverItsLimitIsTurned) {
  const FaceOptions o;
  for (double Face::*angle : {&Face::yaw_deg, &Face::pitch_deg, &Face::roll_deg}) {
    Face f = GoodFace();
    f.*angle = -(std::max({o.max_yaw_deg, o.max_pitch_deg, o.max_roll_deg}) + 1);

    const FaceSelection s = SelectOneFace({f}, o);

    EXPECT_EQ(s.problem, FaceProblem::kTurned);
    EXPECT_THAT(FaceProblemReason(s.problem, "on the document"), HasSubstr("turned or tilted"));
  }
}

}  // namespace
}  // namespace vouch::ocr
