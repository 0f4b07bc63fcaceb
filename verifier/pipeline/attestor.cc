#include "pipeline/attestor.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/secure_bytes.h"
#include "base/status_macros.h"

namespace vouch::verifier::pipeline {

absl::StatusOr<Attested> Attestor::Attest(const AttestationRequest& request,
                                          absl::string_view verification_id) const {
  if (request.wallet_offer) {  // The wallet gets the credential.
    Attested out;
    out.attestation.set_format("dc+sd-jwt");
    VOUCH_ASSIGN_OR_RETURN(*out.attestation.mutable_credential_offer(),
                           issuer_.Offer(request, verification_id));
    return out;
  }
  VOUCH_ASSIGN_OR_RETURN(IssuedAttestation issued, issuer_.Issue(request));
  Attested out;
  v1::Attestation& a = out.attestation;
  a.set_format("dc+sd-jwt");
  a.set_kid(issued.kid);
  a.set_attestation_id(issued.attestation_id);
  a.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(issued.expire_time));
  a.set_status_list_uri(issued.status_list_uri);
  a.set_status_list_index(issued.status_list_index);
  a.set_sd_jwt(std::move(issued.sd_jwt));
  out.record =
      storage::AttestationRecord{issued.attestation_id,
                                 std::string(verification_id),
                                 request.relying_service,
                                 issued.expire_time,
                                 issued.status_list_uri,
                                 issued.status_list_uri.empty() ? -1 : issued.status_list_index,
                                 0};
  return out;
}

void StampPickupWindow(v1::VerificationResult& result, absl::Time pickup_until) {
  if (result.attestation().sd_jwt().empty()) return;
  v1::Attestation& a = *result.mutable_attestation();
  const int64_t seconds = absl::ToUnixSeconds(pickup_until);
  a.mutable_pickup_expire_time()->set_seconds(seconds);
  a.mutable_pickup_expire_time()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(pickup_until - absl::FromUnixSeconds(seconds))));
  a.clear_disclosure_digests();
  for (std::string& d : attestor_internal::DisclosureDigests(a.sd_jwt())) {
    a.add_disclosure_digests(std::move(d));
  }
}

v1::PendingAttestation ToPendingAttestation(const AttestationRequest& request,
                                            const v1::Summary& summary) {
  v1::PendingAttestation a;
  a.set_audience(request.audience);
  a.set_holder_jwk_json(request.holder_jwk_json);
  a.set_lifetime_seconds(absl::ToInt64Seconds(request.lifetime));
  a.set_telegram_user_id(request.telegram_user_id);
  a.set_relying_service(request.relying_service);
  const AttestationClaims& c = request.claims;
  for (int age : c.age_equal_or_over) a.add_age_equal_or_over(age);
  for (const std::string& n : c.nationalities) a.add_nationalities(n);
  a.set_include_verification(c.include_verification);
  a.set_document_type(c.document_type);
  a.set_issuing_country(c.issuing_country);
  for (const std::string& p : c.checks_passed) a.add_checks_passed(p);
  if (c.given_name.has_value()) a.set_given_name(*c.given_name);
  if (c.family_name.has_value()) a.set_family_name(*c.family_name);
  if (c.birthdate.has_value()) a.set_birthdate(*c.birthdate);
  *a.mutable_summary() = summary;
  a.set_wallet_offer(request.wallet_offer);
  a.set_offer_lifetime_seconds(absl::ToInt64Seconds(request.offer_lifetime));
  a.set_offer_tx_code_length(request.offer_tx_code_length);
  return a;
}

AttestationRequest FromPendingAttestation(const v1::PendingAttestation& p, absl::Time now) {
  AttestationRequest attest;
  AttestationClaims& claims = attest.claims;
  claims.verification_time = now;
  claims.age_equal_or_over.assign(p.age_equal_or_over().begin(), p.age_equal_or_over().end());
  claims.nationalities.assign(p.nationalities().begin(), p.nationalities().end());
  claims.include_verification = p.include_verification();
  claims.document_type = p.document_type();
  claims.issuing_country = p.issuing_country();
  claims.checks_passed.assign(p.checks_passed().begin(), p.checks_passed().end());
  if (p.has_given_name()) claims.given_name = p.given_name();
  if (p.has_family_name()) claims.family_name = p.family_name();
  if (p.has_birthdate()) claims.birthdate = p.birthdate();
  attest.audience = p.audience();
  attest.holder_jwk_json = p.holder_jwk_json();
  attest.lifetime = absl::Seconds(p.lifetime_seconds());
  attest.telegram_user_id = p.telegram_user_id();
  attest.relying_service = p.relying_service();
  attest.wallet_offer = p.wallet_offer();
  attest.offer_lifetime = absl::Seconds(p.offer_lifetime_seconds());
  attest.offer_tx_code_length = p.offer_tx_code_length();
  return attest;
}

namespace attestor_internal {

std::string PickupContext(absl::string_view verification_id) {
  return absl::StrCat("attestation-pickup:", verification_id);
}

std::vector<std::string> DisclosureDigests(absl::string_view sd_jwt) {
  std::vector<std::string> digests;
  bool first = true;  // The issuer-signed JWT.
  for (absl::string_view part : absl::StrSplit(sd_jwt, '~')) {
    if (first || part.empty()) {
      first = false;
      continue;
    }
    unsigned char hash[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(part.data()), part.size(), hash);
    std::string digest;
    absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(hash), sizeof(hash)),
                              &digest);
    digests.push_back(std::move(digest));
  }
  return digests;
}

std::string OfferContext(absl::string_view verification_id) {
  return absl::StrCat("credential-offer:", verification_id);
}

std::string OfferSecrets(const v1::CredentialOffer& offer) {
  v1::CredentialOffer secrets;
  secrets.set_uri(offer.uri());
  secrets.set_offer_json(offer.offer_json());
  secrets.set_tx_code(offer.tx_code());
  return secrets.SerializeAsString();
}

void RestoreOfferSecrets(absl::string_view secrets, v1::CredentialOffer& offer) {
  v1::CredentialOffer opened;
  if (!opened.ParseFromArray(secrets.data(), static_cast<int>(secrets.size()))) return;
  offer.set_uri(opened.uri());
  offer.set_offer_json(opened.offer_json());
  offer.set_tx_code(opened.tx_code());
}

void ClearOfferSecrets(v1::CredentialOffer& offer) {
  for (std::string* s :
       {offer.mutable_uri(), offer.mutable_offer_json(), offer.mutable_tx_code()}) {
    WipeMemory(s->data(), s->size());
    s->clear();
  }
}

}  // namespace attestor_internal

void WipePersonalClaims(AttestationClaims& claims) {
  for (std::optional<std::string>* s :
       {&claims.given_name, &claims.family_name, &claims.birthdate}) {
    if (s->has_value()) WipeMemory((*s)->data(), (*s)->size());
  }
}

}  // namespace vouch::verifier::pipeline
