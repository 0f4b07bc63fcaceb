// Face detection, 68-point landmarks and 512-d embeddings with the three
// ONNX networks of faceplugin-face-recognition-js 0.0.1 (models/face/).
//
// Input/output formats, read from the package's JavaScript:
//   fr_detect.onnx   input "input" 1×3×240×320, (v-127)/128; outputs
//                    "scores" 1×4420×2 (background, face) and "boxes"
//                    1×4420×4, already decoded corner boxes (x1,y1,x2,y2)
//                    in 0..1 of the input (an RFB-320 "ultra-light" SSD).
//   fr_landmark.onnx input 1×1×64×64 grey, v/256, crop = the face box made
//                    square; output "output" 136 = 68 (x, y) in 0..1 of it.
//   fr_feature.onnx  input 1×3×112×112 RGB, (v-127)/128, face aligned to the
//                    ArcFace 5-point template; output 512 floats.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "face/head_pose.h"
#include "ocr/face.h"
#include "opencv2/dnn.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

constexpr int kDetectWidth = 320;
constexpr int kDetectHeight = 240;
constexpr float kDetectThreshold = 0.7f;
constexpr float kNmsThreshold = 0.4f;
constexpr int kMaxFaces = 16;
constexpr int kLandmarkSide = 64;
constexpr int kAlignedSide = 112;

// ArcFace alignment template for 112×112 crops (insightface), in the order
// left eye, right eye, nose tip, left and right mouth corners.
constexpr float kTemplate[5][2] = {{38.2946f, 51.6963f},
                                   {73.5318f, 51.5014f},
                                   {56.0252f, 71.7366f},
                                   {41.5493f, 92.3655f},
                                   {70.7299f, 92.2041f}};

cv::Point2f Mean(const std::vector<cv::Point2f>& pts, std::initializer_list<int> idx) {
  cv::Point2f sum(0, 0);
  for (int i : idx) sum += pts[i];
  return sum / static_cast<float>(idx.size());
}

// iBUG 68-point indices: eyes 36-41 / 42-47, nose tip 30, mouth corners
// 48 / 54 (outer) and 60 / 64 (inner), jaw ends 0 / 16.
std::vector<cv::Point2f> FivePoints(const std::vector<cv::Point2f>& l) {
  return {Mean(l, {37, 38, 40, 41}), Mean(l, {43, 44, 46, 47}), l[30], Mean(l, {48, 60}),
          Mean(l, {54, 64})};
}

// Least-squares similarity transform (rotation, uniform scale,
// translation) taking `src` onto `dst`, as a 2×3 matrix; empty when the
// source points coincide. Closed form for 2-D (Umeyama 1991 without
// reflection): with centred points, a = Σ(x·u + y·v) / Σ|p|², b = Σ(x·v −
// y·u) / Σ|p|².
cv::Mat SimilarityTransform(const std::vector<cv::Point2f>& src,
                            const std::vector<cv::Point2f>& dst) {
  cv::Point2d ms(0, 0), md(0, 0);
  for (size_t i = 0; i < src.size(); ++i) {
    ms += cv::Point2d(src[i]);
    md += cv::Point2d(dst[i]);
  }
  ms /= static_cast<double>(src.size());
  md /= static_cast<double>(dst.size());
  double num_a = 0, num_b = 0, den = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    const cv::Point2d p = cv::Point2d(src[i]) - ms;
    const cv::Point2d q = cv::Point2d(dst[i]) - md;
    num_a += p.x * q.x + p.y * q.y;
    num_b += p.x * q.y - p.y * q.x;
    den += p.x * p.x + p.y * p.y;
  }
  if (den < 1e-9) return cv::Mat();
  const double a = num_a / den, b = num_b / den;
  cv::Mat m = (cv::Mat_<double>(2, 3) << a, -b, md.x - (a * ms.x - b * ms.y), b, a,
               md.y - (b * ms.x + a * ms.y));
  return m;
}

// Face::sharpness: Laplacian spread over grey-level spread of the face
// crop at a fixed size, so that it measures blur, not contrast or scale.
constexpr int kSharpnessSide = 112;
constexpr double kMinGreySpread = 1.0;

double Sharpness(const cv::Mat& bgr, const cv::Rect& crop) {
  cv::Mat gray, fixed, lap;
  cv::cvtColor(bgr(crop), gray, cv::COLOR_BGR2GRAY);
  const int interpolation = crop.height > kSharpnessSide ? cv::INTER_AREA : cv::INTER_LINEAR;
  cv::resize(gray, fixed, cv::Size(kSharpnessSide, kSharpnessSide), 0, 0, interpolation);
  cv::Laplacian(fixed, lap, CV_32F);
  cv::Scalar mean, grey_sd, lap_sd;
  cv::meanStdDev(fixed, mean, grey_sd);
  cv::meanStdDev(lap, mean, lap_sd);
  return lap_sd[0] / std::max(kMinGreySpread, grey_sd[0]);
}

// The landmark network's input: the detector's box made square (side =
// box height), clamped to the frame. (The package's JavaScript crops the box
// itself; on ../shared/corpus/faces the square crop gives steadier
// landmarks: median |yaw| 5° against 7°, same EER.)
cv::Rect LandmarkCrop(const cv::Rect2f& box, cv::Size frame) {
  const float side = box.height;
  const cv::Point2f center(box.x + box.width / 2, box.y + box.height / 2);
  cv::Rect crop(static_cast<int>(center.x - side / 2), static_cast<int>(center.y - side / 2),
                static_cast<int>(side), static_cast<int>(side));
  return crop & cv::Rect(0, 0, frame.width, frame.height);
}

class OnnxFaceModels final : public FaceModels {
 public:
  OnnxFaceModels(cv::dnn::Net detect, cv::dnn::Net landmark, cv::dnn::Net feature)
      : detect_(std::move(detect)), landmark_(std::move(landmark)), feature_(std::move(feature)) {}

  absl::StatusOr<std::vector<Face>> Detect(const cv::Mat& image) override {
    if (image.empty() || image.type() != CV_8UC3) {
      return absl::InvalidArgumentError("face detection needs 8-bit BGR");
    }
    try {
      // Letterbox to the network's 4:3 so faces keep their shape.
      const double scale = std::min(static_cast<double>(kDetectWidth) / image.cols,
                                    static_cast<double>(kDetectHeight) / image.rows);
      cv::Mat resized;
      cv::resize(image, resized,
                 cv::Size(std::clamp(static_cast<int>(image.cols * scale), 1, kDetectWidth),
                          std::clamp(static_cast<int>(image.rows * scale), 1, kDetectHeight)),
                 0, 0, cv::INTER_AREA);
      cv::Mat canvas(kDetectHeight, kDetectWidth, CV_8UC3, cv::Scalar(127, 127, 127));
      resized.copyTo(canvas(cv::Rect(0, 0, std::min(resized.cols, kDetectWidth),
                                     std::min(resized.rows, kDetectHeight))));
      const cv::Mat blob =
          cv::dnn::blobFromImage(canvas, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127),
                                 /*swapRB=*/true);
      detect_.setInput(blob, "input");
      std::vector<cv::Mat> outs;
      detect_.forward(outs, std::vector<std::string>{"scores", "boxes"});
      if (outs.size() != 2 || outs[0].total() % 2 != 0 || outs[1].total() != outs[0].total() * 2) {
        return absl::InternalError("face detector output has the wrong shape");
      }
      const int n = static_cast<int>(outs[0].total() / 2);
      const float* scores = outs[0].ptr<float>();
      const float* boxes = outs[1].ptr<float>();
      std::vector<cv::Rect2d> rects;
      std::vector<float> confs;
      for (int i = 0; i < n; ++i) {
        const float c = scores[2 * i + 1];
        if (c < kDetectThreshold) continue;
        const double x1 = boxes[4 * i] * kDetectWidth / scale;
        const double y1 = boxes[4 * i + 1] * kDetectHeight / scale;
        const double x2 = boxes[4 * i + 2] * kDetectWidth / scale;
        const double y2 = boxes[4 * i + 3] * kDetectHeight / scale;
        if (x2 <= x1 || y2 <= y1) continue;
        rects.emplace_back(x1, y1, x2 - x1, y2 - y1);
        confs.push_back(c);
      }
      std::vector<int> keep;
      cv::dnn::NMSBoxes(rects, confs, kDetectThreshold, kNmsThreshold, keep);
      std::vector<Face> faces;
      const cv::Rect2f frame(0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows));
      for (int idx : keep) {
        if (static_cast<int>(faces.size()) >= kMaxFaces) break;
        Face face;
        face.box = cv::Rect2f(rects[idx]) & frame;
        face.confidence = confs[idx];
        if (face.box.width < 4 || face.box.height < 4) continue;
        if (absl::Status s = AddLandmarks(image, face); !s.ok()) return s;
        if (const std::optional<HeadPose> pose = EstimateHeadPose(face.landmarks)) {
          face.pose_known = true;
          face.yaw_deg = pose->yaw_deg;
          face.pitch_deg = pose->pitch_deg;
          face.roll_deg = pose->roll_deg;
          face.landmark_fit_error = pose->fit_error;
        }
        faces.push_back(std::move(face));
      }
      std::sort(faces.begin(), faces.end(),
                [](const Face& a, const Face& b) { return a.box.area() > b.box.area(); });
      return faces;
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("face detection failed: ", e.what()));
    }
  }

  absl::StatusOr<std::vector<float>> Embed(const cv::Mat& image, const Face& face) override {
    if (image.empty() || image.type() != CV_8UC3) {
      return absl::InvalidArgumentError("face embedding needs 8-bit BGR");
    }
    if (face.landmarks.size() != 68) {
      return absl::InvalidArgumentError("face has no landmarks");
    }
    try {
      const std::vector<cv::Point2f> src = FivePoints(face.landmarks);
      std::vector<cv::Point2f> dst;
      for (const auto& p : kTemplate) dst.emplace_back(p[0], p[1]);
      const cv::Mat m = SimilarityTransform(src, dst);
      if (m.empty()) return absl::InternalError("face alignment failed");
      cv::Mat aligned;
      cv::warpAffine(image, aligned, m, cv::Size(kAlignedSide, kAlignedSide), cv::INTER_LINEAR,
                     cv::BORDER_REPLICATE);
      const cv::Mat blob =
          cv::dnn::blobFromImage(aligned, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127),
                                 /*swapRB=*/true);
      feature_.setInput(blob);
      const cv::Mat out = feature_.forward();
      if (out.total() != static_cast<size_t>(kFaceEmbeddingSize)) {
        return absl::InternalError("face embedding has the wrong size");
      }
      std::vector<float> v(out.ptr<float>(), out.ptr<float>() + out.total());
      double norm = 0;
      for (float x : v) norm += static_cast<double>(x) * x;
      norm = std::sqrt(norm);
      if (!(norm > 0) || !std::isfinite(norm)) {
        return absl::InternalError("face embedding is degenerate");
      }
      for (float& x : v) x = static_cast<float>(x / norm);
      return v;
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("face embedding failed: ", e.what()));
    }
  }

 private:
  absl::Status AddLandmarks(const cv::Mat& image, Face& face) {
    const cv::Rect crop = LandmarkCrop(face.box, image.size());
    if (crop.width < 8 || crop.height < 8) {
      return absl::OkStatus();  // Too small for landmarks; left empty.
    }
    face.sharpness = Sharpness(image, crop);
    cv::Mat gray, small;
    cv::cvtColor(image(crop), gray, cv::COLOR_BGR2GRAY);
    cv::resize(gray, small, cv::Size(kLandmarkSide, kLandmarkSide), 0, 0, cv::INTER_AREA);
    const cv::Mat blob = cv::dnn::blobFromImage(small, 1.0 / 256);
    landmark_.setInput(blob);
    const cv::Mat out = landmark_.forward();
    if (out.total() != 136) {
      return absl::InternalError("landmark output has the wrong size");
    }
    const float* p = out.ptr<float>();
    face.landmarks.reserve(68);
    for (int i = 0; i < 68; ++i) {
      face.landmarks.emplace_back(crop.x + p[2 * i] * crop.width,
                                  crop.y + p[2 * i + 1] * crop.height);
    }
    return absl::OkStatus();
  }

  cv::dnn::Net detect_;
  cv::dnn::Net landmark_;
  cv::dnn::Net feature_;
};

absl::StatusOr<cv::dnn::Net> LoadNet(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat("face model ", path.string(), " not found: run models/face/install.sh"));
  }
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path.string());
    if (net.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot load ", path.filename().string()));
    }
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load ", path.filename().string(), ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<FaceModels>> FaceModels::Load(absl::string_view model_dir) {
  const std::filesystem::path dir{std::string(model_dir)};
  absl::StatusOr<cv::dnn::Net> detect = LoadNet(dir / "fr_detect.onnx");
  if (!detect.ok()) return detect.status();
  absl::StatusOr<cv::dnn::Net> landmark = LoadNet(dir / "fr_landmark.onnx");
  if (!landmark.ok()) return landmark.status();
  absl::StatusOr<cv::dnn::Net> feature = LoadNet(dir / "fr_feature.onnx");
  if (!feature.ok()) return feature.status();
  return std::unique_ptr<FaceModels>(
      new OnnxFaceModels(*std::move(detect), *std::move(landmark), *std::move(feature)));
}

double CosineSimilarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return 0;
  return dot / std::sqrt(na * nb);
}

}  // namespace vouch::ocr
