#ifndef VOUCH_BASE_HEX_DIGEST_H_
#define VOUCH_BASE_HEX_DIGEST_H_

// Random ids and SHA-256 digests as lowercase hex (OpenSSL underneath).

#include <string>

#include "absl/strings/string_view.h"

namespace vouch {

// The most bytes RandomHex makes at once (its callers want 16).
inline constexpr int kMaxRandomHexBytes = 1024;

// `bytes` random bytes from OpenSSL's CSPRNG, as 2 * bytes hex digits:
// lease tokens, receipt ids. `bytes` must be in [0, kMaxRandomHexBytes]:
// the callers pass constants, so a count outside is a programming error
// and aborts, naming it (no error to handle at every call). Also aborts
// when the CSPRNG fails (no entropy: unsafe to go on).
std::string RandomHex(int bytes);

// The SHA-256 of `data`, as 64 hex digits.
std::string Sha256Hex(absl::string_view data);

}  // namespace vouch

#endif  // VOUCH_BASE_HEX_DIGEST_H_
