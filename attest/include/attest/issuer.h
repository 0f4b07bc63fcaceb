#ifndef VOUCH_ATTEST_ISSUER_H_
#define VOUCH_ATTEST_ISSUER_H_

// Issues SD-JWT VCs (typ dc+sd-jwt) in profile IDV-SDJWT-VC-1
// (docs/attest.md): plaintext iss/iat/nbf/exp/vct/_sd_alg (+ aud, cnf,
// status); every claim of CredentialClaims selectively disclosable with a
// fresh 128-bit salt; decoy digests; a pairwise pseudonymous `sub` per
// relying service.
//
// Thread-safety: Issue() may be called concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/key_set.h"
#include "attest/status_list.h"
#include "base/secure_bytes.h"

namespace vouch::attest {

// What vouch attests about a verified user. Unset optionals are left out.
struct CredentialClaims {
  std::string telegram_user_id;  // Input to the pairwise sub; never emitted.
  bool document_verified = true;
  struct Evidence {
    std::string document_type;               // e.g. "passport".
    std::string issuing_country;             // ISO 3166-1 alpha-3 as in the MRZ.
    std::vector<std::string> checks_passed;  // e.g. {"mrz_check_digits"}.
  };
  struct Verification {
    std::string assurance_level;  // e.g. "substantial".
    int64_t time = 0;             // Unix seconds of the decision.
    Evidence evidence;
  };
  std::optional<Verification> verification;
  // Threshold (years) -> holder is at least that old. Each its own
  // disclosure under age_equal_or_over, e.g. {18: true, 21: false}.
  std::map<int, bool> age_equal_or_over;
  std::vector<std::string> nationalities;  // Each element disclosable.
  std::optional<std::string> birthdate;    // YYYY-MM-DD.
  std::optional<std::string> given_name;
  std::optional<std::string> family_name;
};

struct IssuerConfig {
  std::string issuer;  // iss: an https URL.
  std::string vct = "https://vouch.example/credentials/identity-verification/1";
  // Secret for pairwise subjects (>= 32 bytes). Not copied elsewhere.
  SecureBytes pairwise_secret;
  int64_t direct_lifetime_seconds = 15 * 60;
  int64_t wallet_lifetime_seconds = 30 * 24 * 3600;
  // Time granularity for iat/nbf/exp (ARF ISSU_36: coarse times).
  int64_t time_granularity_seconds = 60;
  int decoys_min = 1;  // Decoy digests per _sd array and per array.
  int decoys_max = 3;
};

struct IssueOptions {
  std::string service_id;  // The relying service: pairwise sub, direct aud.
  // Wallet mode when set: the holder's public JWK (JSON object text). Adds
  // cnf.jwk and a status list entry; no aud.
  std::optional<std::string> holder_jwk_json;
  std::optional<int64_t> lifetime_seconds;  // Overrides the mode default.
  std::optional<int64_t> now;               // Unset = the system clock.
};

struct IssuedCredential {
  std::string token;                   // <jwt>~<disclosure>~...~
  std::string credential_id;           // Random; key for revocation. Not in token.
  std::optional<uint32_t> status_idx;  // Wallet mode only.
  std::string status_uri;              // With status_idx.
  int64_t expires_at = 0;
};

class Issuer {
 public:
  // `keys` and `status_list` are not owned and must outlive the issuer.
  // `status_list` (a StatusList, or any StatusAllocator) may be null (then
  // wallet mode is refused unless the lifetime is <= 24 h, which needs no
  // status list).
  // Errors: kInvalidArgument for a bad config (non-https iss, short secret).
  static absl::StatusOr<std::unique_ptr<Issuer>> Create(IssuerConfig config, const KeySet& keys,
                                                        StatusAllocator* status_list);

  // Errors: kInvalidArgument for bad claims/options (empty service_id, bad
  // holder JWK, non-positive lifetime); kFailedPrecondition without an
  // active key; errors of the StatusAllocator.
  absl::StatusOr<IssuedCredential> Issue(const CredentialClaims& claims,
                                         const IssueOptions& options) const;

  // Checks a wallet holder's JWK as Issue() will: a JSON object holding a
  // supported public key (EC P-256, OKP Ed25519) and no private or
  // symmetric members. Errors: kInvalidArgument saying what is wrong.
  static absl::Status ValidateHolderJwk(absl::string_view jwk_json);

  // base64url(HMAC-SHA256(secret, encode(user_id, service_id))) where encode
  // is a domain tag and both strings with 8-byte big-endian length prefixes.
  std::string PairwiseSubject(absl::string_view telegram_user_id,
                              absl::string_view service_id) const;

  // JSON of CredentialClaims as read by `vouchctl attest issue --claims`.
  static absl::StatusOr<CredentialClaims> ClaimsFromJson(absl::string_view json);

  ~Issuer();

 private:
  Issuer(IssuerConfig config, const KeySet& keys, StatusAllocator* status_list);
  struct KeyedHmac;  // HMAC-SHA256 context keyed with the pairwise secret.
  std::unique_ptr<KeyedHmac> hmac_;
  IssuerConfig config_;
  const KeySet& keys_;
  StatusAllocator* status_list_;
};

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_ISSUER_H_
