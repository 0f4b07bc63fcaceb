#ifndef VOUCH_PASSPORT_SEAL_H_
#define VOUCH_PASSPORT_SEAL_H_

// The sealing side: what a user's Telegram app (plus the Bot API server) does.
// From plaintext elements and scans and the provider's public key, produces a
// Bot API PassportData and the encrypted files. Used by tests, demos and
// benchmarks; see docs/passport.md.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"
#include "passport/types.h"

namespace vouch::passport {

// The provider's RSA public key (SPKI PEM "BEGIN PUBLIC KEY", as Telegram
// clients require). Thread-safe: immutable.
class PassportPublicKey {
 public:
  // Errors: kInvalidArgument (category kRsa) for unparsable PEM, a non-RSA
  // key or a size outside 2048..4096 bits.
  static absl::StatusOr<PassportPublicKey> FromPem(absl::string_view pem);

  // RSA-OAEP(SHA-1, MGF1-SHA-1) encryption.
  absl::StatusOr<std::string> RsaEncrypt(absl::string_view plaintext) const;

  struct Impl;

 private:
  explicit PassportPublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A provider key pair made by GenerateProviderKey.
struct ProviderKey {
  SecureBytes private_key_pem;  // PKCS#8 "BEGIN PRIVATE KEY", unencrypted
  std::string public_key_pem;   // SPKI "BEGIN PUBLIC KEY"
};
// Errors: kInvalidArgument (category kRsa) unless 2048 <= bits <= 4096.
absl::StatusOr<ProviderKey> GenerateProviderKey(int bits = 2048);

// One file to seal: its bytes (normally a JPEG) and the file_id it gets.
struct PlainFile {
  std::string file_id;  // empty: a random one is generated
  SecureBytes bytes;
};

// One element to seal.
struct PlainElement {
  ElementType type = ElementType::kPersonalDetails;
  std::string data_json;  // types with encrypted data: the JSON object text
  std::string value;      // phone_number / email
  std::optional<PlainFile> front_side;
  std::optional<PlainFile> reverse_side;
  std::optional<PlainFile> selfie;
  std::vector<PlainFile> files;
  std::vector<PlainFile> translation;
};

struct SealOptions {
  // Fixed padding length (32..255) instead of a random one in 32..255; for
  // tests.
  std::optional<int> padding_len;
  // Put the nonce under the legacy `payload` key (Passport 1.0).
  bool legacy_payload_key = false;
  // Unix time written into PassportFile.file_date.
  int64_t file_date = 0;
};

struct SealedPassport {
  std::string passport_data_json;  // Bot API PassportData
  std::map<std::string, std::string> encrypted_files_by_file_id;
};

// Encrypts `value` as §5.1 describes: random padding of 32..255 bytes
// (or `padding_len`), hash = SHA-256(padded), KDF from `secret` and hash,
// AES-256-CBC. Returns {ciphertext, hash}.
struct SealedValue {
  std::string ciphertext;
  std::string hash;  // raw 32 bytes
};
absl::StatusOr<SealedValue> SealValue(absl::string_view secret, absl::string_view value,
                                      std::optional<int> padding_len = {});

// A random 32-byte secret whose byte sum mod 255 is 239 (as clients make).
SecureBytes NewPassportSecret();

// Seals `elements` for `key`. Errors: kInvalidArgument with category kType
// for a duplicate type or a field the type does not have, kJson for element
// data that is not a JSON object.
absl::StatusOr<SealedPassport> SealPassportData(const PassportPublicKey& key,
                                                const std::vector<PlainElement>& elements,
                                                absl::string_view nonce,
                                                const SealOptions& options = {});

}  // namespace vouch::passport

#endif  // VOUCH_PASSPORT_SEAL_H_
