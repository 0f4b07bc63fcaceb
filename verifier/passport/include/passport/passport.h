#ifndef VOUCH_PASSPORT_PASSPORT_H_
#define VOUCH_PASSPORT_PASSPORT_H_

// Telegram Passport: the Bot API PassportData format and its decryption.
// See ../shared/docs/telegram-passport.md (§3–§7) for the formats and rules.
//
// Every failure is an absl::Status whose payload carries one error category
// (ErrorCategory below, the names of shared/vectors/passport/README.md);
// messages never contain decrypted bytes or secrets.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"

namespace vouch::passport {

// One category per failure; names as in shared/vectors/passport/README.md.
enum class ErrorCategory {
  kBase64,
  kLength,
  kHashLength,
  kSecretLength,
  kRsa,
  kHashMismatch,
  kPadding,
  kJson,
  kNonceMismatch,
  kMissingCredentials,
  kType,
  kSecretChecksum,
  kLimit,  // A configured size or count limit was exceeded.
};

// "base64", "hash_mismatch", ...
absl::string_view ErrorCategoryName(ErrorCategory category);

// The category attached to a Status made by this module, if any.
std::optional<ErrorCategory> GetErrorCategory(const absl::Status& status);

}  // namespace vouch::passport

#endif  // VOUCH_PASSPORT_PASSPORT_H_
