#ifndef VOUCH_VERIFIER_SERVER_PROVIDER_KEYS_H_
#define VOUCH_VERIFIER_SERVER_PROVIDER_KEYS_H_

// The provider's Telegram Passport RSA key in the data directory: made on the
// first start, reused after.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "passport/decrypt.h"

namespace vouch::verifier {

struct PassportKeyFile {
  std::string path;            // <data-dir>/keys/passport_rsa.pem (0600).
  std::string public_key_pem;  // SPKI PEM, to register with @BotFather.
  bool created = false;        // Made by this call.
  // The loaded key.
  std::optional<passport::PassportDecryptor> decryptor;
};

// Loads the key at <keys_dir>/passport_rsa.pem, or generates an RSA-2048 key
// there (PKCS#8 PEM, mode 0600; the folder 0700) when absent. Errors:
// kFailedPrecondition for a file that is not a private RSA key or is readable
// by others; kInternal for I/O or OpenSSL failures.
absl::StatusOr<PassportKeyFile> EnsurePassportKey(const std::string& keys_dir);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_SERVER_PROVIDER_KEYS_H_
