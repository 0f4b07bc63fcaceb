#include "face/head_pose.h"

#include <algorithm>
#include <cmath>

#include "opencv2/calib3d.hpp"
#include "opencv2/core.hpp"

namespace vouch::ocr {
namespace {

constexpr double kRadToDeg = 180.0 / M_PI;
constexpr double kDegToRad = M_PI / 180.0;
constexpr size_t kLandmarkCount = 68;

// Camera-to-face distance assumed by the fit, in template radii (RMS
// distance of the template points from their centre, ~5 cm): ~50 cm, a
// selfie at arm's length. The estimate is insensitive to it (a weak
// perspective), so one value serves selfies, scans and tight crops.
constexpr double kDistanceInRadii = 10.0;

cv::Point3f Centre(const std::array<cv::Point3f, kHeadTemplatePoints>& pts) {
  cv::Point3f sum(0, 0, 0);
  for (const cv::Point3f& p : pts) sum += p;
  return sum * (1.0f / pts.size());
}

double RmsRadius(const std::vector<cv::Point2f>& pts, cv::Point2f centre) {
  double sum = 0;
  for (const cv::Point2f& p : pts) {
    const cv::Point2f d = p - centre;
    sum += d.dot(d);
  }
  return std::sqrt(sum / pts.size());
}

double RmsRadius3(const std::array<cv::Point3f, kHeadTemplatePoints>& pts, cv::Point3f centre) {
  double sum = 0;
  for (const cv::Point3f& p : pts) {
    const cv::Point3f d = p - centre;
    sum += d.dot(d);
  }
  return std::sqrt(sum / pts.size());
}

}  // namespace

const std::array<int, kHeadTemplatePoints>& HeadTemplateLandmarks() {
  // Brow ends, eye corners, nostril wings, mouth corners, lower lip centre,
  // chin: the points a 68-point regressor places most reliably and that are
  // spread in depth. The jaw line (0-16 except the chin) is left out: its
  // points slide along the contour as the head turns.
  static constexpr std::array<int, kHeadTemplatePoints> kIndices = {17, 21, 22, 26, 36, 39, 42,
                                                                    45, 31, 35, 48, 54, 57, 8};
  return kIndices;
}

const std::array<cv::Point3f, kHeadTemplatePoints>& HeadTemplate() {
  // A mean face in centimetres (the 14-point reference shape used by the
  // MIT-licensed lincolnhard/head-pose-estimation), converted from its
  // frame (x towards the subject's right, y up, z towards the viewer) to
  // the camera frame: every axis negated.
  static const std::array<cv::Point3f, kHeadTemplatePoints> kPoints = [] {
    constexpr float kReference[kHeadTemplatePoints][3] = {
        {6.825897f, 6.760612f, 4.402142f},    // 17 brow, outer end (image left)
        {1.330353f, 7.122144f, 6.903745f},    // 21 brow, inner end
        {-1.330353f, 7.122144f, 6.903745f},   // 22 brow, inner end
        {-6.825897f, 6.760612f, 4.402142f},   // 26 brow, outer end
        {5.311432f, 5.485328f, 3.987654f},    // 36 eye, outer corner
        {1.789930f, 5.393625f, 4.413414f},    // 39 eye, inner corner
        {-1.789930f, 5.393625f, 4.413414f},   // 42 eye, inner corner
        {-5.311432f, 5.485328f, 3.987654f},   // 45 eye, outer corner
        {2.005628f, 1.409845f, 6.165652f},    // 31 nostril wing
        {-2.005628f, 1.409845f, 6.165652f},   // 35 nostril wing
        {2.774015f, -2.080775f, 5.048531f},   // 48 mouth corner
        {-2.774015f, -2.080775f, 5.048531f},  // 54 mouth corner
        {0.000000f, -3.116408f, 6.097667f},   // 57 lower lip, centre
        {0.000000f, -7.415691f, 4.070434f}};  // 8 chin
    std::array<cv::Point3f, kHeadTemplatePoints> out;
    for (int i = 0; i < kHeadTemplatePoints; ++i) {
      out[i] = cv::Point3f(-kReference[i][0], -kReference[i][1], -kReference[i][2]);
    }
    return out;
  }();
  return kPoints;
}

cv::Mat RotationOf(const HeadPose& pose) {
  const double p = pose.pitch_deg * kDegToRad;
  const double y = pose.yaw_deg * kDegToRad;
  const double r = pose.roll_deg * kDegToRad;
  const cv::Mat rx = (cv::Mat_<double>(3, 3) << 1, 0, 0, 0, std::cos(p), -std::sin(p), 0,
                      std::sin(p), std::cos(p));
  const cv::Mat ry = (cv::Mat_<double>(3, 3) << std::cos(y), 0, std::sin(y), 0, 1, 0, -std::sin(y),
                      0, std::cos(y));
  const cv::Mat rz = (cv::Mat_<double>(3, 3) << std::cos(r), -std::sin(r), 0, std::sin(r),
                      std::cos(r), 0, 0, 0, 1);
  return rz * ry * rx;
}

std::optional<HeadPose> EstimateHeadPose(const std::vector<cv::Point2f>& landmarks) {
  if (landmarks.size() != kLandmarkCount) return std::nullopt;
  const std::array<cv::Point3f, kHeadTemplatePoints>& model = HeadTemplate();
  std::vector<cv::Point2f> image;
  image.reserve(kHeadTemplatePoints);
  cv::Point2f centre(0, 0);
  for (int idx : HeadTemplateLandmarks()) {
    image.push_back(landmarks[idx]);
    centre += landmarks[idx];
  }
  centre *= 1.0f / kHeadTemplatePoints;
  const double radius_px = RmsRadius(image, centre);
  const cv::Point3f model_centre = Centre(model);
  const double radius_cm = RmsRadius3(model, model_centre);
  if (!(radius_px > 1e-3) || !std::isfinite(radius_px)) return std::nullopt;

  // Principal point at the face, focal length such that the face at the
  // assumed distance has its measured size.
  const double focal = kDistanceInRadii * radius_px;
  const cv::Mat camera =
      (cv::Mat_<double>(3, 3) << focal, 0, centre.x, 0, focal, centre.y, 0, 0, 1);
  // Start from a frontal face centred in front of the camera; the
  // Levenberg-Marquardt refinement then finds the nearest minimum, which
  // avoids the mirror solution a weak perspective allows.
  cv::Mat rvec = cv::Mat::zeros(3, 1, CV_64F);
  cv::Mat tvec = (cv::Mat_<double>(3, 1) << -model_centre.x, -model_centre.y,
                  kDistanceInRadii * radius_cm - model_centre.z);
  try {
    const std::vector<cv::Point3f> object(model.begin(), model.end());
    if (!cv::solvePnP(object, image, camera, cv::noArray(), rvec, tvec,
                      /*useExtrinsicGuess=*/true, cv::SOLVEPNP_ITERATIVE)) {
      return std::nullopt;
    }
    cv::Mat rot;
    cv::Rodrigues(rvec, rot);
    const double* r0 = rot.ptr<double>(0);
    const double* r1 = rot.ptr<double>(1);
    const double* r2 = rot.ptr<double>(2);
    std::vector<cv::Point2f> reprojected;
    cv::projectPoints(object, rvec, tvec, camera, cv::noArray(), reprojected);
    double sq = 0;
    for (int i = 0; i < kHeadTemplatePoints; ++i) {
      const cv::Point2f d = reprojected[i] - image[i];
      sq += d.dot(d);
    }
    HeadPose pose;
    pose.fit_error = std::sqrt(sq / kHeadTemplatePoints) / radius_px;
    pose.yaw_deg = std::asin(std::clamp(-r2[0], -1.0, 1.0)) * kRadToDeg;
    pose.pitch_deg = std::atan2(r2[1], r2[2]) * kRadToDeg;
    pose.roll_deg = std::atan2(r1[0], r0[0]) * kRadToDeg;
    if (!std::isfinite(pose.yaw_deg) || !std::isfinite(pose.pitch_deg) ||
        !std::isfinite(pose.roll_deg)) {
      return std::nullopt;
    }
    return pose;
  } catch (const cv::Exception&) {
    return std::nullopt;  // Degenerate points.
  }
}

}  // namespace vouch::ocr
