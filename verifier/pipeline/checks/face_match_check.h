#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_FACE_MATCH_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_FACE_MATCH_CHECK_H_

// face_match: the selfie against the document's portrait (the documents
// stage asks the reader for the similarity; this judges it against the
// policy's "face_match" thresholds). Policy key require_selfie.

#include <optional>

#include "pipeline/check.h"
#include "pipeline/document_reader.h"
#include "pipeline/reasons.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class FaceMatchCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence&, Findings& findings) const override {
    const OpenedElement& e = *doc.element;
    if (!e.selfie.has_value() || !e.front_side.has_value()) {
      if (findings.policy().require_selfie) {
        findings.Binary("face_match", e.type, false, Reason::kSelfieMissing,
                        ErrorTarget::Unspecified(e));
      }
      return;
    }
    if (!doc.front_read || !doc.face_similarity.has_value()) {
      findings.Skipped("face_match", e.type, Reason::kDocumentUnreadable);
      return;
    }
    const ErrorTarget target = ErrorTarget::File("selfie", e, *e.selfie);
    const absl::StatusOr<double>& similarity = *doc.face_similarity;
    if (similarity.ok()) {
      findings.Scored("face_match", "face_match", e.type, *similarity, Reason::kFaceMismatch,
                      target);
    } else if (std::optional<Reason> why = FaceFailureReason(similarity.status())) {
      // The reader said which photo and why: a photo to retake fails on that
      // photo, one a person can still compare goes to review.
      const std::optional<FaceFailure> failure = FaceFailureOf(similarity.status());
      if (!failure->retake) {
        findings.Review("face_match", e.type, *why);
      } else if (*why == Reason::kDocumentNoFace && PortraitBesideMrz(doc)) {
        findings.Review("face_match", e.type, Reason::kDocumentPortraitNotDetected);
      } else {
        findings.Binary(
            "face_match", e.type, false, *why,
            failure->selfie ? target : ErrorTarget::File("front_side", e, *e.front_side));
      }
    } else if (absl::IsUnimplemented(similarity.status())) {
      findings.Unavailable("face_match", e.type, Reason::kFaceMatchUnavailable, target);
    } else {
      findings.Binary("face_match", e.type, false, FailureOf(similarity.status()), target);
    }
  }

  // The reader's errors that are a finding about the images (the others
  // end the verification).
  static bool IsFinding(const absl::Status& status) {
    return status.ok() || absl::IsNotFound(status) || absl::IsInvalidArgument(status) ||
           absl::IsResourceExhausted(status) || absl::IsUnimplemented(status);
  }

  static absl::Status ParseRequireSelfie(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<bool> require = value.Bool();
    if (!require.ok()) return require.status();
    policy.require_selfie = *require;
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {{"require_selfie", &ParseRequireSelfie}};

 private:
  // The table's reason for the FaceFailure `status` carries, if any.
  static std::optional<Reason> FaceFailureReason(const absl::Status& status) {
    const std::optional<FaceFailure> failure = FaceFailureOf(status);
    if (!failure.has_value()) return std::nullopt;
    return ReasonByWireName(failure->reason);
  }

  // The front shows a valid MRZ whose layout is printed on the page that
  // carries the holder's portrait: a passport's data page (TD3) or a visa
  // (MRV-A, MRV-B). A TD1 card's MRZ is on the back, so a missing portrait
  // there means the wrong side was sent; a TD2 may be either.
  static bool PortraitBesideMrz(const DocumentEvidence& doc) {
    const MrzEvidence* mrz = doc.usable_mrz();
    if (mrz == nullptr || !doc.mrz_on_front) return false;
    const std::string& format = mrz->fields.format;
    return format == "TD3" || format == "MRVA" || format == "MRVB";
  }

  static Reason FailureOf(const absl::Status& status) {
    if (absl::IsNotFound(status)) return Reason::kFaceNotFound;
    if (absl::IsResourceExhausted(status)) return Reason::kImageTooLarge;
    return Reason::kImageUnreadable;  // kInvalidArgument.
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_FACE_MATCH_CHECK_H_
