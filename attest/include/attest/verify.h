#ifndef VOUCH_ATTEST_VERIFY_H_
#define VOUCH_ATTEST_VERIFY_H_

// Offline verification of SD-JWT VCs (draft-ietf-oauth-sd-jwt-vc over
// RFC 9901, compact serialization) and SD-JWT+KB presentations, as issued by
// vouch (profile IDV-SDJWT-VC-1, docs/attest.md). Links only OpenSSL,
// nlohmann-json and the standard library, so relying services can embed it:
//
//   find_package(vouch REQUIRED)
//   target_link_libraries(my_service PRIVATE vouch::attest_verify)
//
// Thread-safety: Jwks is immutable after Parse() and safe to share; the free
// functions are thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/result.h"
#include "nlohmann/json.hpp"

namespace vouch::attest {

// A parsed JSON Web Key Set of trusted issuer keys (public keys only).
class Jwks {
 public:
  // Parses `json` ({"keys":[...]}). Keys of unsupported types are skipped;
  // EC P-256 and OKP Ed25519 keys are loaded.
  // Errors: kInvalidJwks for bad JSON, a private key member ("d"), a
  // duplicate or missing kid, or a malformed supported key.
  static Result<Jwks> Parse(std::string_view json);

  Jwks(Jwks&&) noexcept;
  Jwks& operator=(Jwks&&) noexcept;
  ~Jwks();

  size_t size() const;

  struct Impl;  // Private; declared public so internal code can reach it.
  const Impl& impl() const { return *impl_; }

 private:
  explicit Jwks(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct VerifyOptions {
  // Verification time in Unix seconds; unset = the system clock.
  std::optional<int64_t> now;
  // Allowance for clock differences on exp/nbf/iat (seconds).
  int64_t clock_skew_seconds = 60;
  // Accepted issuer/KB algorithms. none and HS* are refused even if listed.
  // "Ed25519" is the RFC 9864 fully-specified name for EdDSA with Ed25519.
  std::vector<std::string> allowed_algs = {"ES256", "EdDSA", "Ed25519"};
  // The relying service's identifier. Checked against a plaintext `aud`
  // (direct mode) and the KB-JWT `aud`. A token that carries an audience is
  // refused when this is unset (RFC 7519 §4.1.3).
  std::optional<std::string> audience;
  // The one-time challenge the relying service issued; required to accept a
  // KB-JWT. Single use is the caller's job.
  std::optional<std::string> nonce;
  // Refuse a credential without a KB-JWT (wallet mode, use case bound to S).
  bool require_key_binding = false;
  // A KB-JWT iat must be within [now - max_age - skew, now + skew].
  int64_t key_binding_max_age_seconds = 300;
  // If the credential has status.status_list and this is set, the status
  // list token (statuslist+jwt, signed by a key in the same JWKS, sub == the
  // credential's uri) is checked.
  std::optional<std::string> status_list_token;
  // Refuse a credential that has a status entry when no list is given.
  bool require_status_check = false;
  // If set, vct must equal it.
  std::optional<std::string> expected_vct;
};

// What a successful verification yields.
struct VerifiedCredential {
  // Plaintext claims plus the disclosed ones, with _sd, _sd_alg and
  // undisclosed array elements removed (RFC 9901 §7.1).
  nlohmann::json claims;
  std::string alg;         // Issuer JWT alg.
  std::string kid;         // Issuer key id.
  bool key_bound = false;  // A KB-JWT was present and verified.
  size_t disclosure_count = 0;
};

// Verifies an SD-JWT VC (`<jwt>~<d>~...~`) or an SD-JWT+KB presentation
// (`<jwt>~<d>~...~<kb-jwt>`) against `jwks`. Returns the disclosed claims,
// or the first failure as exactly one Error (see ErrorCode).
Result<VerifiedCredential> VerifySdJwtVc(std::string_view token, const Jwks& jwks,
                                         const VerifyOptions& options);

// ---- erasure receipts (docs/erasure.md) ----

// The JWS typ of vouch's erasure receipts (Admin.Erase).
inline constexpr char kErasureReceiptType[] = "vouch-erasure-receipt+jwt";

// A verified erasure receipt: what it states, and the key that signed it.
struct VerifiedReceipt {
  nlohmann::json claims;  // iss, jti, iat, operator, request, erased, revoked, ...
  std::string alg;
  std::string kid;
};

// Verifies an erasure receipt (a compact JWS, typ kErasureReceiptType)
// against the issuer's JWKS, offline. options.now, clock_skew_seconds and
// allowed_algs apply; the other options are ignored. Errors: kMalformed,
// kWrongType (another typ: an attestation or a status list is no receipt),
// kUnsupportedAlgorithm, kMissingKid, kUnknownKid, kKeyMismatch,
// kBadSignature, kMissingClaim (iss, jti, iat, operator or erased),
// kIssuedInFuture.
Result<VerifiedReceipt> VerifyErasureReceipt(std::string_view receipt, const Jwks& jwks,
                                             const VerifyOptions& options);

// ---- end erasure receipts ----

// Holder side: builds a presentation from an issued SD-JWT VC.
struct PresentOptions {
  // Claim paths to disclose, dot-separated: "age_equal_or_over.18",
  // "nationalities" (the claim and all its elements), "given_name",
  // "nationalities.0" (one element). A path keeps the disclosures on the way
  // to it and every disclosure beneath it. Unknown paths are an error.
  std::vector<std::string> disclose;
  // The holder's private key (PKCS#8 PEM, P-256 or Ed25519). If set, a KB-JWT
  // is appended with `audience`, `nonce` and `iat`.
  std::optional<std::string> holder_key_pem;
  std::string audience;
  std::string nonce;
  std::optional<int64_t> iat;  // Unset = the system clock.
};

// Keeps the chosen disclosures of `sd_jwt` (verbatim) and drops the others;
// signs a KB-JWT when a holder key is given.
// Errors: kMalformed for an unparsable SD-JWT, kInvalidArgument for an
// unknown path or unusable key.
Result<std::string> Present(std::string_view sd_jwt, const PresentOptions& options);

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_VERIFY_H_
