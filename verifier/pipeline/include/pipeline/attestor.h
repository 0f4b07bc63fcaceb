#ifndef VOUCH_VERIFIER_PIPELINE_ATTESTOR_H_
#define VOUCH_VERIFIER_PIPELINE_ATTESTOR_H_

// The one path from a decision to an attestation (docs/architecture.md,
// "Attestation"). Both the pipeline (an automatic VERIFIED) and the review
// queue (an approval) attest through an Attestor: it is the only caller of
// AttestationIssuer::Issue and the only maker of the AttestationRecord, which
// its caller hands to the Store call that stores the result
// (FinishVerification, CompleteJob, DecideCase), so the record and the result
// are written in one transaction.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pipeline/attestation_issuer.h"
#include "storage/store.h"
#include "vouch/v1/review.pb.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier {

// An issued attestation in the two shapes its callers need.
struct Attested {
  // For the result (VerificationResult.attestation).
  v1::Attestation attestation;
  // For the Store, in the transaction that stores the result.
  AttestationRecord record;
};

// Issues attestations. Thread-safe (the issuer is).
class Attestor {
 public:
  // `issuer` is not owned and must outlive the attestor.
  explicit Attestor(AttestationIssuer& issuer) : issuer_(issuer) {}

  // Issues `request` for verification `verification_id`. Errors: those of
  // AttestationIssuer::Issue (kInvalidArgument for a malformed holder JWK,
  // kInternal, kUnavailable).
  absl::StatusOr<Attested> Attest(const AttestationRequest& request,
                                  absl::string_view verification_id) const;

 private:
  AttestationIssuer& issuer_;
};

// The attestation a review case keeps for its approval, and back. The
// request's personal claims are copied into the proto (sealed by the review
// module); `verification_time` is not kept: an approval attests at its own
// time, `now`.
v1::PendingAttestation ToPendingAttestation(const AttestationRequest& request,
                                            const v1::Summary& summary);
AttestationRequest FromPendingAttestation(const v1::PendingAttestation& pending, absl::Time now);

// Wipes the personal claims (names, birth date) of a request that is done with.
void WipePersonalClaims(AttestationClaims& claims);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_PIPELINE_ATTESTOR_H_
