#ifndef VOUCH_VERIFIER_REVIEW_CASE_CAPTURE_H_
#define VOUCH_VERIFIER_REVIEW_CASE_CAPTURE_H_

// Review capture: what a review case keeps of a NEEDS_REVIEW verification
// (every element with its decrypted fields and images, the MRZ readings, the
// pending attestation). MakeReviewCase (review_queue.h) seals it.

#include <vector>

#include "pipeline/review_capture.h"
#include "review/case_sealer.h"
#include "vouch/v1/review.pb.h"

namespace vouch::verifier::review {

// Fills a CaseContent, wiped when the capture is destroyed. One per
// verification; thread-compatible.
class CaseCapture final : public pipeline::ReviewCapture {
 public:
  void Capture(const pipeline::OpenedSubmission& submission,
               const std::vector<pipeline::DocumentEvidence>& documents,
               const pipeline::AttestationRequest& attestation,
               const v1::Summary& summary) override;
  // Duplicate detection: the matching verification ids.
  void CaptureDuplicates(const dedup::DuplicateMatches& matches) override;

  v1::CaseContent& content() { return opened_.content(); }

 private:
  OpenedCase opened_;
};

}  // namespace vouch::verifier::review

#endif  // VOUCH_VERIFIER_REVIEW_CASE_CAPTURE_H_
