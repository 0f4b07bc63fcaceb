#ifndef VOUCH_ATTEST_OPENID4VCI_H_
#define VOUCH_ATTEST_OPENID4VCI_H_

// The issuer side of OpenID for Verifiable Credential Issuance 1.0 that is
// cryptography (docs/wallet.md): random codes, their stored hashes, the
// c_nonce, and the `jwt` key proof (Appendix F.1) whose key becomes the
// credential's cnf. The HTTP endpoints are vouchd's (verifier/http).
// Thread-safe (NonceMinter is immutable after construction).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/secure_bytes.h"
#include "nlohmann/json.hpp"

namespace vouch::attest {

// base64url (no padding) of `bytes` bytes from RAND_bytes.
std::string RandomUrlToken(size_t bytes = 32);
// `count` decimal digits, each uniform (RAND_bytes, rejection sampling).
std::string RandomDigits(int count);
// base64url(SHA-256(text)): how codes and tokens are stored.
std::string HashForStorage(std::string_view text);
// JSON as attest reads it (duplicate member names and depth > 32 refused).
// Errors: kInvalidArgument.
absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text);

// c_nonce values that need no storage: base64url(expiry ‖ 16 random bytes ‖
// HMAC-SHA256(key, "vouch/c_nonce/v1" ‖ expiry ‖ random)), so every replica
// holding the key accepts them until they expire.
class NonceMinter {
 public:
  // `key`: at least 32 bytes.
  NonceMinter(SecureBytes key, int64_t lifetime_seconds);
  std::string Mint(int64_t now) const;
  // Made with this key and not expired at `now`.
  bool Valid(std::string_view nonce, int64_t now) const;
  int64_t lifetime_seconds() const { return lifetime_; }

 private:
  std::string Mac(std::string_view data) const;
  SecureBytes key_;
  int64_t lifetime_;
};

// Why a key proof was refused (each is the OAuth error `invalid_proof`,
// except kNonceMissing: `invalid_nonce`).
enum class ProofRefusal {
  kNone,
  kMalformed,       // not a compact JWS of JSON objects, or over 8 KiB, or crit
  kWrongType,       // typ is not openid4vci-proof+jwt
  kAlgorithm,       // alg is not ES256
  kPrivateKey,      // the header's jwk carries private members (d, ...)
  kUnsupportedKey,  // no jwk, a kid/x5c instead, or not an EC P-256 public key
  kSignature,       // the signature does not verify with the jwk
  kAudience,        // aud is not the credential issuer
  kIssuedAt,        // iat missing, too old or in the future
  kNonceMissing,    // no nonce claim
};
const char* ProofRefusalName(ProofRefusal refusal);

struct KeyProofOptions {
  std::string audience;  // the Credential Issuer Identifier
  int64_t now = 0;
  int64_t max_age_seconds = 300;
  int64_t skew_seconds = 60;
};

struct KeyProofCheck {
  ProofRefusal refusal = ProofRefusal::kNone;
  std::string jwk_json;  // the proven public key (public members only)
  std::string nonce;     // the proof's nonce, for the caller to check
  bool ok() const { return refusal == ProofRefusal::kNone; }
};

// Verifies an openid4vci-proof+jwt: typ, alg ES256, a public P-256 `jwk`
// header (never one with private members), the signature, aud, iat within
// [now - max_age - skew, now + skew] and the presence of a nonce.
KeyProofCheck VerifyKeyProof(std::string_view jwt, const KeyProofOptions& options);

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_OPENID4VCI_H_
