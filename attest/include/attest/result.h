#ifndef VOUCH_ATTEST_RESULT_H_
#define VOUCH_ATTEST_RESULT_H_

// The error vocabulary of the offline verification library.
//
// Why not absl::Status: this library is meant to be embedded by relying
// services, so it links nothing but OpenSSL, nlohmann-json and the standard
// library (see docs/attest.md). An abseil dependency would force a specific
// abseil build (its ABI changes between releases) on every consumer. The
// signer half, which only vouch itself links, converts these errors to
// absl::Status at its boundary.

#include <string>
#include <utility>
#include <variant>

namespace vouch::attest {

// One code per distinct reason a token is refused. Stable: relying services
// may switch on them. Each failure maps to exactly one code.
enum class ErrorCode {
  kMalformed,               // Serialization, base64url, JSON or claim types.
  kUnsupportedAlgorithm,    // alg not allow-listed (none, HS*, unknown).
  kMissingKid,              // No kid in the issuer-signed JWT header.
  kUnknownKid,              // kid not in the JWKS.
  kKeyMismatch,             // JWK type/curve/alg does not fit the header alg.
  kBadSignature,            // Issuer signature does not verify.
  kWrongType,               // typ is not dc+sd-jwt (or kb+jwt, statuslist+jwt).
  kMissingClaim,            // A required plaintext claim is absent.
  kExpired,                 // exp (+ skew) is in the past.
  kNotYetValid,             // nbf (- skew) is in the future.
  kIssuedInFuture,          // iat (- skew) is in the future.
  kUnsupportedDigestAlg,    // _sd_alg other than sha-256.
  kInvalidDisclosure,       // Bad disclosure shape, reserved or forbidden name.
  kDuplicateDisclosure,     // The same disclosure (digest) sent twice.
  kDuplicateDigest,         // A digest referenced twice in the payload.
  kUnreferencedDisclosure,  // A disclosure that no digest references.
  kClaimOverride,           // A disclosure re-defines an existing claim.
  kWrongAudience,           // aud does not match the expected audience.
  kKeyBindingRequired,      // KB-JWT required but absent.
  kKeyBindingInvalid,       // KB-JWT shape, cnf or signature problems.
  kWrongNonce,              // KB-JWT nonce does not match.
  kStaleKeyBinding,         // KB-JWT iat outside the accepted window.
  kSdHashMismatch,          // KB-JWT sd_hash does not match the presentation.
  kStatusUnavailable,       // Status check required but no usable list.
  kInvalidStatusList,       // Status list token bad (sig, typ, sub, size).
  kRevoked,                 // Status INVALID (0x1) or application value 0x3.
  kSuspended,               // Status SUSPENDED (0x2).
  kInvalidJwks,             // JWKS unusable (private key, duplicate kid...).
  kInvalidArgument,         // Caller input (presenting, keys) unusable.
  kInternal,                // OpenSSL failure that is not the input's fault.
};

// Lower-case stable name of `code`, e.g. "bad_signature".
const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // Human-readable; never contains key material.

  // "bad_signature: issuer signature does not verify".
  std::string ToString() const;
};

// A value or an Error. Minimal on purpose (a subset of absl::StatusOr).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit like StatusOr
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  // Precondition for the value accessors: ok(). For error(): !ok().
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_RESULT_H_
