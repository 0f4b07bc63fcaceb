#ifndef VOUCH_VERIFIER_PIPELINE_ATTESTATION_ISSUER_H_
#define VOUCH_VERIFIER_PIPELINE_ATTESTATION_ISSUER_H_

// The pipeline's view of attestation issuing. The real implementation adapts
// attest's signer; tests pass a fake.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::pipeline {

// What to attest. Only claims the policy allows are filled in; each becomes
// its own disclosure (docs/attestations.md §0).
struct AttestationClaims {
  bool document_verified = true;
  std::vector<int> age_equal_or_over;
  std::vector<std::string> nationalities;  // ISO 3166-1 alpha-2.
  // verification.evidence: document type, issuing country, checks passed.
  bool include_verification = false;
  std::string document_type;
  std::string issuing_country;
  std::vector<std::string> checks_passed;
  absl::Time verification_time;
  std::optional<std::string> given_name;
  std::optional<std::string> family_name;
  std::optional<std::string> birthdate;  // YYYY-MM-DD.
};

struct AttestationRequest {
  AttestationClaims claims;
  // Exactly one of audience (direct mode) and holder_jwk_json (wallet mode).
  std::string audience;
  std::string holder_jwk_json;
  absl::Duration lifetime;
  // Inputs of the pairwise subject (HMAC under the provider secret).
  int64_t telegram_user_id = 0;
  std::string relying_service;
  // ---- Wallet offer mode: make a credential offer instead of issuing.
  bool wallet_offer = false;
  absl::Duration offer_lifetime = absl::Minutes(10);
  int offer_tx_code_length = 0;  // digits; 0: no tx_code
};

struct IssuedAttestation {
  std::string attestation_id;
  std::string sd_jwt;
  std::string kid;
  absl::Time expire_time;
  // Set for credentials with a status list entry (wallet mode).
  std::string status_list_uri;
  int64_t status_list_index = -1;
};

// Signs attestations and publishes the keys. Thread-safe.
class AttestationIssuer {
 public:
  virtual ~AttestationIssuer() = default;

  // Errors: kInvalidArgument for a malformed holder JWK; kInternal on a
  // signing failure.
  virtual absl::StatusOr<IssuedAttestation> Issue(const AttestationRequest& request) = 0;
  // {"keys": [...]}, public keys only.
  virtual absl::StatusOr<std::string> Jwks() = 0;
  // The jwt-vc-issuer metadata document.
  virtual absl::StatusOr<std::string> IssuerMetadata() = 0;
  // A signed statuslist+jwt. Errors: kNotFound for an unknown uri.
  virtual absl::StatusOr<std::string> StatusList(const std::string& uri) = 0;
  // Errors: kNotFound; kFailedPrecondition for a credential without status.
  // Returns whether the status changed.
  virtual absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool suspend) = 0;

  // ---- Wallet offer mode (docs/wallet.md) ----
  // Makes an OpenID4VCI credential offer for `request` (wallet_offer set),
  // bound to `verification_id`; the wallet redeems it at the issuer
  // endpoints. Default: kFailedPrecondition (this issuer makes no offers;
  // vouchd's does when it serves the HTTPS listener).
  virtual absl::StatusOr<v1::CredentialOffer> Offer(const AttestationRequest& request,
                                                    absl::string_view verification_id);
  // Whether Offer can succeed (vouchd serves the issuer endpoints), so a
  // wallet_offer request is refused at intake, before any work, when not.
  virtual bool MakesOffers() const { return false; }
};

// The issuer of a server that issues no attestations (attest not available):
// Issue, Jwks, IssuerMetadata and StatusList fail with FAILED_PRECONDITION,
// reason MODULE_UNAVAILABLE; Revoke changes nothing (it holds no status
// list) and returns false. Thread-safe.
class UnavailableAttestationIssuer final : public AttestationIssuer {
 public:
  absl::StatusOr<IssuedAttestation> Issue(const AttestationRequest& request) override;
  absl::StatusOr<std::string> Jwks() override;
  absl::StatusOr<std::string> IssuerMetadata() override;
  absl::StatusOr<std::string> StatusList(const std::string& uri) override;
  absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool suspend) override;
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_ATTESTATION_ISSUER_H_
