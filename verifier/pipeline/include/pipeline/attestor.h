#ifndef VOUCH_VERIFIER_PIPELINE_ATTESTOR_H_
#define VOUCH_VERIFIER_PIPELINE_ATTESTOR_H_

// The one path from a decision to an attestation (docs/architecture.md,
// "Attestation"). Both the pipeline (an automatic VERIFIED) and the review
// queue (an approval) attest through an Attestor: it is the only caller of
// AttestationIssuer::Issue and the only maker of the AttestationRecord, which
// its caller hands to the Store call that stores the result
// (FinishVerification, CompleteJob, DecideCase), so the record and the result
// are written in one transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/secure_bytes.h"
#include "pipeline/attestation_issuer.h"
#include "storage/store.h"
#include "vouch/v1/review.pb.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::pipeline {

// An issued attestation in the two shapes its callers need.
struct Attested {
  // For the result (VerificationResult.attestation).
  v1::Attestation attestation;
  // For the Store, in the transaction that stores the result. None in
  // wallet offer mode: the wallet's credential is recorded when the
  // issuer endpoints issue it.
  std::optional<storage::AttestationRecord> record;
};

// ---- Wallet offer mode and the pickup window ----
//
// The result as the Store keeps it: a credential offer's uri, offer_json and
// tx_code are sealed under the storage key ring `keys` (review's
// StorageKeyRing: Seal(context, plaintext), active_key_id(), Open(context,
// key_id, sealed); null: dropped), never kept in the clear. A credential
// (sd_jwt) is never kept in the clear either: it is sealed the same way when
// the result carries a pickup_expire_time (StampPickupWindow) and `keys` is
// set, else dropped; its disclosure digests stay. Other results are
// serialized as they are.
template <typename KeyRing>
std::string SerializeResultForStore(const v1::VerificationResult& result,
                                    absl::string_view verification_id, const KeyRing* keys);
// Undoes it on a result read from the Store: restores the offer's secrets
// when `keys` opens them (null: they stay out, for a reviewer), and the
// credential when `keys` opens it and `now` is before its pickup_expire_time
// (from then on pickup_expired is set); always drops the sealed fields.
template <typename KeyRing>
void OpenStoredOffer(v1::VerificationResult& result, absl::string_view verification_id,
                     const KeyRing* keys, absl::Time now);

// Sets a credential's pickup_expire_time (`pickup_until`) and its disclosure
// digests; nothing for a result without a credential (sd_jwt).
void StampPickupWindow(v1::VerificationResult& result, absl::Time pickup_until);

namespace attestor_internal {
std::string PickupContext(absl::string_view verification_id);
// base64url(SHA-256(disclosure)) of each disclosure of `sd_jwt`, in order.
std::vector<std::string> DisclosureDigests(absl::string_view sd_jwt);
std::string OfferContext(absl::string_view verification_id);
std::string OfferSecrets(const v1::CredentialOffer& offer);  // Serialized uri, JSON, tx_code.
void RestoreOfferSecrets(absl::string_view secrets, v1::CredentialOffer& offer);
void ClearOfferSecrets(v1::CredentialOffer& offer);
}  // namespace attestor_internal

template <typename KeyRing>
std::string SerializeResultForStore(const v1::VerificationResult& result,
                                    absl::string_view verification_id, const KeyRing* keys) {
  const bool has_offer = result.attestation().has_credential_offer();
  const bool has_credential = !result.attestation().sd_jwt().empty();
  if (!has_offer && !has_credential) return result.SerializeAsString();
  v1::VerificationResult stored = result;
  if (has_offer) {
    v1::CredentialOffer& offer = *stored.mutable_attestation()->mutable_credential_offer();
    if (keys != nullptr) {
      std::string secrets = attestor_internal::OfferSecrets(offer);
      offer.set_sealed(keys->Seal(attestor_internal::OfferContext(verification_id), secrets));
      offer.set_sealed_key_id(keys->active_key_id());
      WipeMemory(secrets.data(), secrets.size());
    }
    attestor_internal::ClearOfferSecrets(offer);
  }
  if (has_credential) {  // Sealed for the pickup window, or dropped.
    v1::Attestation& a = *stored.mutable_attestation();
    if (keys != nullptr && a.has_pickup_expire_time()) {
      a.set_sealed_sd_jwt(
          keys->Seal(attestor_internal::PickupContext(verification_id), a.sd_jwt()));
      a.set_sealed_key_id(keys->active_key_id());
    }
    WipeMemory(a.mutable_sd_jwt()->data(), a.sd_jwt().size());
    a.clear_sd_jwt();
  }
  return stored.SerializeAsString();
}

template <typename KeyRing>
void OpenStoredOffer(v1::VerificationResult& result, absl::string_view verification_id,
                     const KeyRing* keys, absl::Time now) {
  if (!result.has_attestation()) return;
  if (v1::Attestation& a = *result.mutable_attestation(); a.has_pickup_expire_time()) {
    const absl::Time until = absl::FromUnixSeconds(a.pickup_expire_time().seconds()) +
                             absl::Nanoseconds(a.pickup_expire_time().nanos());
    if (now < until && keys != nullptr && !a.sealed_sd_jwt().empty()) {
      auto opened = keys->Open(attestor_internal::PickupContext(verification_id), a.sealed_key_id(),
                               a.sealed_sd_jwt());
      if (opened.ok()) a.set_sd_jwt(std::string(opened->view()));
    }
    if (now >= until) a.set_pickup_expired(true);
  }
  result.mutable_attestation()->clear_sealed_sd_jwt();
  result.mutable_attestation()->clear_sealed_key_id();
  if (!result.attestation().has_credential_offer()) return;
  v1::CredentialOffer& offer = *result.mutable_attestation()->mutable_credential_offer();
  if (keys != nullptr && !offer.sealed().empty()) {
    auto opened = keys->Open(attestor_internal::OfferContext(verification_id),
                             offer.sealed_key_id(), offer.sealed());
    if (opened.ok()) attestor_internal::RestoreOfferSecrets(opened->view(), offer);
  }
  offer.clear_sealed();
  offer.clear_sealed_key_id();
}
// ---- end wallet offer mode ----

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

  // Whether the issuer makes wallet offers (AttestationIssuer::MakesOffers).
  bool MakesOffers() const { return issuer_.MakesOffers(); }

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

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_ATTESTOR_H_
