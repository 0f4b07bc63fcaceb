#ifndef VOUCH_VERIFIER_SERVER_PROVIDER_KEYS_H_
#define VOUCH_VERIFIER_SERVER_PROVIDER_KEYS_H_

// The provider's Telegram Passport RSA key in the data directory: made on the
// first start, reused after.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "passport/decrypt.h"
#include "pipeline/passport_opener.h"

namespace vouch::verifier::server {

struct PassportKeyFile {
  std::string path;            // <data-dir>/keys/passport_rsa.pem (0600).
  std::string public_key_pem;  // SPKI PEM, to register with @BotFather.
  bool created = false;        // Made by this call.
  // The loaded key.
  std::optional<passport::PassportDecryptor> decryptor;
};

// Loads the key at <keys_dir>/passport_rsa.pem, or generates an RSA-2048 key
// there (PKCS#8 PEM, mode 0600; the folder 0700) when absent (unless a
// rotation cut off between its renames left passport_rsa.next.pem: that
// becomes the key). Errors:
// kFailedPrecondition for a file that is not a private RSA key or is readable
// by others; kInternal for I/O or OpenSSL failures.
absl::StatusOr<PassportKeyFile> EnsurePassportKey(const std::string& keys_dir);

// --- Passport key rotation while running ------------------------------------

// The Passport keys submissions are opened with: the current key
// (<keys_dir>/passport_rsa.pem) and, after a rotation, the previous one
// (<keys_dir>/passport_rsa.previous.pem), kept so that submissions sealed for
// it before the bot owner re-registered (or still queued) open. A submission
// is tried with the current key first; Telegram Passport carries no key id,
// and RSA-OAEP refuses a wrong key. Thread-safe.
class PassportKeyRing {
 public:
  struct Rotated {
    std::string public_key_pem;  // SPKI PEM of the new key, for @BotFather.
    std::string key_id;          // hex SHA-256 of the new public key (DER).
    std::string previous_key_id;
  };

  // Loads the current key (EnsurePassportKey) and the previous one when
  // present. Errors as EnsurePassportKey.
  static absl::StatusOr<std::unique_ptr<PassportKeyRing>> Load(const std::string& keys_dir);

  // Generates a new current key; the current one becomes the previous (an
  // older previous key is deleted). Files 0600, written under an exclusive
  // lock on <keys_dir>/passport.lock (replicas sharing the directory).
  absl::StatusOr<Rotated> Rotate();
  // Loads the files again when another process rotated them. Returns
  // whether the keys changed.
  absl::StatusOr<bool> Reload();

  // Opens with the keys of the moment (a rotation applies at once).
  std::unique_ptr<pipeline::PassportOpener> NewOpener();

  std::string public_key_pem() const;
  std::string key_id() const;

 private:
  struct Keys;
  explicit PassportKeyRing(std::string keys_dir) : keys_dir_(std::move(keys_dir)) {}
  absl::StatusOr<std::shared_ptr<const Keys>> LoadFiles() const;

  const std::string keys_dir_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Keys> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_PROVIDER_KEYS_H_
