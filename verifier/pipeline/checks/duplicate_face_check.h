#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_DUPLICATE_FACE_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_DUPLICATE_FACE_CHECK_H_

// duplicate_face (docs/dedup.md): what the face 1:N index answered for
// the submission's face (Evidence::duplicates, filled by the pipeline before
// the consistency stage).
//   - the same face (cosine similarity >= duplicate_face_similarity) on
//     another document of another Telegram user: NEEDS_REVIEW when
//     duplicate_face = "review" (reason duplicate_face);
//   - the face of a verification a reviewer rejected as forged: NEEDS_REVIEW,
//     whoever submits it (duplicate_forged).
// The same user verifying again is never held, and the same document is
// duplicate_document's finding. No Passport error: nothing for the user to
// fix. No face to look up (no portrait or selfie with one usable face):
// SKIPPED.

#include <algorithm>

#include "pipeline/check.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class DuplicateFaceCheck final : public SubmissionCheck {
 public:
  void Run(const OpenedSubmission&, const Evidence& evidence, Findings& findings) const override {
    const Policy::Duplicates& policy = findings.policy().duplicates;
    if (policy.face == Policy::Duplicates::Action::kOff) return;
    const absl::string_view element = evidence.documents.empty()
                                          ? absl::string_view("")
                                          : evidence.documents.front().element->type;
    if (!evidence.duplicates.has_value() || !evidence.duplicates->faces_searchable) {
      findings.Unavailable(kName, element, Reason::kDuplicateIndexUnavailable, ErrorTarget::None());
      return;
    }
    const DuplicateEvidence& d = *evidence.duplicates;
    if (!d.face_looked_up) {
      findings.Skipped(kName, element, Reason::kDuplicateFace);
      return;
    }
    const std::vector<dedup::FaceDuplicate>& faces = d.matches.faces;
    if (std::any_of(faces.begin(), faces.end(),
                    [](const dedup::FaceDuplicate& f) { return f.forged; })) {
      findings.Review(kName, element, Reason::kDuplicateForged);
    } else if (faces.empty()) {
      findings.Binary(kName, element, true, Reason::kDuplicateFace, ErrorTarget::None());
    } else {
      findings.Review(kName, element, Reason::kDuplicateFace);
    }
  }

  static absl::Status ParseFace(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<std::string> text = value.String();
    if (!text.ok()) return text.status();
    if (*text == "off") {
      policy.duplicates.face = Policy::Duplicates::Action::kOff;
    } else if (*text == "review") {
      policy.duplicates.face = Policy::Duplicates::Action::kReview;
    } else {
      return value.Bad("must be \"off\" or \"review\"");
    }
    return absl::OkStatus();
  }
  // Above every impostor pair of the face calibration (highest 0.503 on
  // docgen pages, 0.445 on photos; models/face/README.md), since one face is
  // compared with every face of the scope; genuine pairs of one photo score
  // 0.89 and more.
  static absl::Status ParseSimilarity(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<double> s = value.Number();
    if (!s.ok()) return s.status();
    if (!(*s >= 0.3 && *s <= 1.0)) return value.Bad("must be between 0.3 and 1");
    policy.duplicates.face_similarity = *s;
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {{"duplicate_face", &ParseFace},
                                              {"duplicate_face_similarity", &ParseSimilarity}};

 private:
  static constexpr absl::string_view kName = "duplicate_face";
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_DUPLICATE_FACE_CHECK_H_
