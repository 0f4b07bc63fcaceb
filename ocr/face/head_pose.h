#ifndef VOUCH_OCR_FACE_HEAD_POSE_H_
#define VOUCH_OCR_FACE_HEAD_POSE_H_

// Head pose (yaw, pitch, roll) from the 68 iBUG landmarks, by fitting a 3-D
// mean-face template with cv::solvePnP.

#include <array>
#include <optional>
#include <vector>

#include "opencv2/core/types.hpp"

namespace vouch::ocr {

// Tait-Bryan angles in degrees of the head relative to the camera; all 0 for
// a face looking straight into the camera, upright. The rotation is
// R = Rz(roll) · Ry(yaw) · Rx(pitch) in OpenCV's camera frame (x right,
// y down, z away from the camera).
struct HeadPose {
  double yaw_deg = 0;    // Turned left/right.
  double pitch_deg = 0;  // Nodding up/down.
  double roll_deg = 0;   // Tilted in the image plane.
  // How well the template fits: RMS reprojection error of the template
  // points over their RMS distance from their centre (0 = perfect). Large
  // for landmarks that are not a face's (a false detection, a face the
  // landmark network could not read).
  double fit_error = 0;
};

// The landmarks the template covers (iBUG 300-W indices) and their 3-D
// positions in the camera frame of a frontal face, in centimetres (x right,
// y down, z away from the camera; origin between the eyes, roughly).
inline constexpr int kHeadTemplatePoints = 14;
const std::array<int, kHeadTemplatePoints>& HeadTemplateLandmarks();
const std::array<cv::Point3f, kHeadTemplatePoints>& HeadTemplate();

// The rotation matrix (3×3, CV_64F) of `pose` (R = Rz · Ry · Rx).
cv::Mat RotationOf(const HeadPose& pose);

// Estimates the pose from 68 landmarks in image pixels. The camera is
// modelled with its principal point at the landmarks' centre and a focal
// length of a few face widths, which holds for a selfie, a scan of a
// document portrait and a tight crop alike. nullopt when there are not 68
// landmarks or the fit fails (degenerate points).
std::optional<HeadPose> EstimateHeadPose(const std::vector<cv::Point2f>& landmarks);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_FACE_HEAD_POSE_H_
