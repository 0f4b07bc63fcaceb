#include "pipeline/attestation_issuer.h"

#include "rpc/errors.h"

namespace vouch::verifier {
namespace {

absl::Status Unavailable() {
  return WithReason(absl::FailedPreconditionError("attestation issuing is not available"),
                    reasons::kUnavailableModule);
}

}  // namespace

absl::StatusOr<IssuedAttestation> UnavailableAttestationIssuer::Issue(
    const AttestationRequest& /*request*/) {
  return Unavailable();
}
absl::StatusOr<std::string> UnavailableAttestationIssuer::Jwks() { return Unavailable(); }
absl::StatusOr<std::string> UnavailableAttestationIssuer::IssuerMetadata() { return Unavailable(); }
absl::StatusOr<std::string> UnavailableAttestationIssuer::StatusList(const std::string& /*uri*/) {
  return Unavailable();
}
absl::StatusOr<bool> UnavailableAttestationIssuer::Revoke(const std::string& /*attestation_id*/,
                                                          bool /*suspend*/) {
  return false;
}

}  // namespace vouch::verifier
