#ifndef VOUCH_PASSPORT_ERRORS_H_
#define VOUCH_PASSPORT_ERRORS_H_

// Error categories of the passport module.
//
// Every failure of this module is an absl::Status (code kInvalidArgument,
// except kResourceExhausted for kLimit and kInternal for OpenSSL failures that
// are not caused by the input) whose payload carries exactly one
// ErrorCategory, named as in shared/vectors/passport/README.md. Messages name
// the part that failed ("credentials", "passport/front_side") and never
// contain decrypted bytes, secrets or keys.

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vouch::passport {

// One category per failure; names as in shared/vectors/passport/README.md.
enum class ErrorCategory {
  kBase64,              // "base64": not strict padded standard base64
  kLength,              // "length": ciphertext empty or not a multiple of 16
  kHashLength,          // "hash_length": a hash is not 32 bytes
  kSecretLength,        // "secret_length": a secret is not 32 bytes
  kRsa,                 // "rsa": OAEP decryption failed, or an unusable key
  kHashMismatch,        // "hash_mismatch": SHA-256 of padded plaintext differs
  kPadding,             // "padding": first byte < 32 or > length
  kJson,                // "json": not a UTF-8 JSON object / wrong shape
  kNonceMismatch,       // "nonce_mismatch": nonce missing or different
  kMissingCredentials,  // "missing_credentials": element/file w/o credentials
  kType,                // "type": unknown/duplicate type, field not allowed
  kSecretChecksum,      // "secret_checksum": strict mode only
  kLimit,               // "limit": a configured size or count limit exceeded
  kInternal,            // "internal": OpenSSL failed for a reason not in input
};

// "base64", "hash_mismatch", ...
absl::string_view ErrorCategoryName(ErrorCategory category);

// The category attached to a Status made by this module, if any.
std::optional<ErrorCategory> GetErrorCategory(const absl::Status& status);

// Makes a Status of `category` with `message` (which must not contain
// secrets or decrypted bytes).
absl::Status PassportError(ErrorCategory category, absl::string_view message);

}  // namespace vouch::passport

#endif  // VOUCH_PASSPORT_ERRORS_H_
