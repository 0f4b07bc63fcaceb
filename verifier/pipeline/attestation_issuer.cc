#include "pipeline/attestation_issuer.h"

#include "rpc/errors.h"

namespace vouch::verifier::pipeline {
namespace {

absl::Status Unavailable() {
  return rpc::WithReason(absl::FailedPreconditionError("attestation issuing is not available"),
                         rpc::reasons::kUnavailableModule);
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

}  // namespace vouch::verifier::pipeline

namespace vouch::verifier::pipeline {

// ---- Wallet offer mode ----
absl::StatusOr<v1::CredentialOffer> AttestationIssuer::Offer(
    const AttestationRequest& /*request*/, absl::string_view /*verification_id*/) {
  return rpc::WithReason(
      absl::FailedPreconditionError(
          "wallet offers need vouchd's issuer endpoints (--http-listen and [issuer] url)"),
      rpc::reasons::kUnavailableModule);
}

}  // namespace vouch::verifier::pipeline
