#ifndef VOUCH_OCR_FACE_H_
#define VOUCH_OCR_FACE_H_

// Face detection, landmarks and embeddings with the ONNX models installed by
// models/face/install.sh (see models/face/README.md for their provenance).

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::ocr {

inline constexpr int kFaceEmbeddingSize = 512;

struct Face {
  cv::Rect2f box;        // In the input image.
  float confidence = 0;  // Detector score, 0..1.
  // 68 landmarks (iBUG 300-W order) in the input image; empty until
  // FaceModels::Landmarks ran.
  std::vector<cv::Point2f> landmarks;
  // Head pose in degrees, fitted to the landmarks with a 3-D mean face
  // (0, 0, 0 = looking straight into the camera); see face/head_pose.h.
  // pose_known is false without landmarks or when the fit failed.
  bool pose_known = false;
  double yaw_deg = 0;
  double pitch_deg = 0;
  double roll_deg = 0;
  // How far the landmarks are from any pose of the 3-D mean face: RMS
  // reprojection error over the landmarks' RMS radius (0 = a perfect fit).
  double landmark_fit_error = 0;
  // Detail in the face: the standard deviation of the Laplacian of the
  // face crop resampled to 112×112 grey, over the crop's own standard
  // deviation (so lighting and contrast cancel out). Median 0.38 (p1 0.18)
  // on sharp photos, ~0.08 for a face blurred by a Gaussian of 2 % of its
  // height (models/face/README.md).
  double sharpness = 0;
};

// The three networks. Thread-compatible: cv::dnn::Net is not thread-safe, so
// give each worker thread its own FaceModels.
class FaceModels {
 public:
  // Loads fr_detect.onnx, fr_landmark.onnx and fr_feature.onnx from
  // `model_dir`. Errors: kNotFound when a file is missing (run
  // models/face/install.sh), kFailedPrecondition when OpenCV cannot load one.
  static absl::StatusOr<std::unique_ptr<FaceModels>> Load(absl::string_view model_dir);

  virtual ~FaceModels() = default;

  // Faces in `image` (8-bit BGR), best first, with landmarks and pose.
  // Errors: kInvalidArgument for an empty/non-BGR image, kInternal when
  // inference fails.
  virtual absl::StatusOr<std::vector<Face>> Detect(const cv::Mat& image) = 0;

  // L2-normalised 512-d embedding of `face` (which must carry landmarks),
  // aligned with a 5-point similarity transform to 112×112.
  // Errors: kInvalidArgument without landmarks, kInternal on inference.
  virtual absl::StatusOr<std::vector<float>> Embed(const cv::Mat& image, const Face& face) = 0;
};

// Cosine similarity of two embeddings (-1..1); 0 when sizes differ or
// either is empty.
double CosineSimilarity(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_FACE_H_
