#include "ocr/face_gate.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace vouch::ocr {

absl::string_view FaceProblemName(FaceProblem problem) {
  switch (problem) {
    case FaceProblem::kNone:
      return "none";
    case FaceProblem::kNoFace:
      return "no_face";
    case FaceProblem::kSeveralFaces:
      return "several_faces";
    case FaceProblem::kTooSmall:
      return "too_small";
    case FaceProblem::kUnmeasurable:
      return "unmeasurable";
    case FaceProblem::kBlurred:
      return "blurred";
    case FaceProblem::kTurned:
      return "turned";
  }
  return "unknown";
}

std::string FaceProblemReason(FaceProblem problem, absl::string_view where) {
  switch (problem) {
    case FaceProblem::kNone:
      return "";
    case FaceProblem::kNoFace:
      return absl::StrCat("no face found ", where, ": make sure the face is fully visible and lit");
    case FaceProblem::kSeveralFaces:
      return absl::StrCat("more than one face found ", where,
                          ": only one person may be in the picture");
    case FaceProblem::kTooSmall:
      return absl::StrCat("the face ", where, " is too small: move the camera closer");
    case FaceProblem::kUnmeasurable:
      return absl::StrCat("the face ", where, " could not be measured: show the whole face");
    case FaceProblem::kBlurred:
      return absl::StrCat("the face ", where, " is blurred: hold the camera still, in good light");
    case FaceProblem::kTurned:
      return absl::StrCat("the face ", where, " is turned or tilted: look straight at the camera");
  }
  return "";
}

FaceSelection SelectOneFace(const std::vector<Face>& faces, const FaceOptions& options) {
  FaceSelection out;
  if (faces.empty()) return out;
  // Detect returns the largest first; do not rely on it.
  const Face* largest = &faces.front();
  for (const Face& f : faces) {
    if (f.box.height > largest->box.height) largest = &f;
  }
  out.face = *largest;
  for (const Face& f : faces) {
    if (f.box.height >= kSecondaryFaceRatio * largest->box.height) {
      ++out.faces_counted;
    }
  }
  const Face& face = *largest;
  if (out.faces_counted > 1) {
    out.problem = FaceProblem::kSeveralFaces;
  } else if (face.box.height < options.min_face_px) {
    out.problem = FaceProblem::kTooSmall;
  } else if (face.landmarks.size() != 68 || !face.pose_known) {
    out.problem = FaceProblem::kUnmeasurable;
  } else if (face.sharpness < options.min_sharpness) {
    out.problem = FaceProblem::kBlurred;
  } else if (std::fabs(face.yaw_deg) > options.max_yaw_deg ||
             std::fabs(face.pitch_deg) > options.max_pitch_deg ||
             std::fabs(face.roll_deg) > options.max_roll_deg) {
    out.problem = FaceProblem::kTurned;
  } else {
    out.problem = FaceProblem::kNone;
  }
  return out;
}

}  // namespace vouch::ocr
