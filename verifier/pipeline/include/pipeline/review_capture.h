#ifndef VOUCH_VERIFIER_PIPELINE_REVIEW_CAPTURE_H_
#define VOUCH_VERIFIER_PIPELINE_REVIEW_CAPTURE_H_

// The pipeline's view of review capture: for a NEEDS_REVIEW result, what a
// reviewer needs (the decrypted submission, the MRZ readings) and what an
// approval needs (the attestation it would issue) are handed over while they
// still exist. What a case keeps, and how it is sealed, is review/'s
// (review/case_capture.h).

#include <vector>

#include "pipeline/attestation_issuer.h"
#include "pipeline/evidence.h"
#include "pipeline/passport_opener.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::pipeline {

class ReviewCapture {
 public:
  virtual ~ReviewCapture() = default;
  // Called at most once per Run, for a NEEDS_REVIEW result. The arguments
  // are valid only during the call; `summary` is what approving discloses.
  virtual void Capture(const OpenedSubmission& submission,
                       const std::vector<DocumentEvidence>& documents,
                       const AttestationRequest& attestation, const v1::Summary& summary) = 0;
  // Duplicate detection: the index entries that sent the submission to
  // review (other verification ids, never their data). Called before
  // Capture, only when there are matches.
  virtual void CaptureDuplicates(const dedup::DuplicateMatches& matches) { (void)matches; }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_REVIEW_CAPTURE_H_
