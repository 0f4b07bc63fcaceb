#ifndef VOUCH_OCR_FACE_GATE_H_
#define VOUCH_OCR_FACE_GATE_H_

// Which face of a photo is compared, and whether it is fit to be: exactly
// one face, large, sharp and frontal enough (FaceOptions).

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ocr/checks.h"
#include "ocr/face.h"

namespace vouch::ocr {

// Why a photo's face cannot be compared; kNone when it can.
enum class FaceProblem {
  kNone,
  kNoFace,        // The detector found none.
  kSeveralFaces,  // More than one face of comparable size.
  kTooSmall,      // Face height < FaceOptions::min_face_px.
  kUnmeasurable,  // No landmarks or no pose could be fitted.
  kBlurred,       // Face::sharpness < FaceOptions::min_sharpness.
  kTurned,        // |yaw|, |pitch| or |roll| over FaceOptions' limits.
};

// Stable name for JSON and logs: "none", "no_face", "several_faces",
// "too_small", "unmeasurable", "blurred", "turned".
absl::string_view FaceProblemName(FaceProblem problem);

// A sentence the user can act on, naming `where` the face is ("in the
// selfie", "on the document"). Empty for kNone.
std::string FaceProblemReason(FaceProblem problem, absl::string_view where);

struct FaceSelection {
  FaceProblem problem = FaceProblem::kNoFace;
  // Faces counted: those at least kSecondaryFaceRatio of the largest's height.
  int faces_counted = 0;
  // The largest face (set whenever one was found, even with a problem, so
  // callers can show its box and pose).
  std::optional<Face> face;
};

// A face smaller than this share of the largest one's height is not
// counted: the ghost portrait printed on many documents, and bystanders far
// behind a selfie's subject.
inline constexpr double kSecondaryFaceRatio = 0.55;

// Judges `faces` (FaceModels::Detect's output) against `options`. The
// checks run in the order of FaceProblem, and the first that applies wins.
FaceSelection SelectOneFace(const std::vector<Face>& faces, const FaceOptions& options);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_FACE_GATE_H_
