#ifndef VOUCH_PASSPORT_INTERNAL_CRYPTO_H_
#define VOUCH_PASSPORT_INTERNAL_CRYPTO_H_

#include <openssl/evp.h>

#include <cstdint>

#include "absl/strings/string_view.h"

namespace vouch::passport::internal {

inline constexpr size_t kHashSize = 32;    // SHA-256
inline constexpr size_t kSecretSize = 32;  // credentials/data/file secrets
inline constexpr int kMinPadding = 32;
inline constexpr int kMaxPadding = 255;

// Algorithms fetched once per process (OpenSSL 3 fetch is not free).
const EVP_MD* Sha1();
const EVP_MD* Sha256();
const EVP_MD* Sha512();
const EVP_CIPHER* Aes256Cbc();

// The byte sum of a secret mod 255 equals 239 [PE #overview].
bool SecretChecksumOk(absl::string_view secret);

// Fills `out` from the OpenSSL DRBG; aborts if it cannot (a broken RNG must
// never produce secrets).
void RandomBytesOrDie(void* out, size_t size);

// SHA-256 of `data` (32 raw bytes).
std::string Sha256Of(absl::string_view data);

// Equality in time independent of the contents and of the lengths (both
// sides are hashed first).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace vouch::passport::internal

#endif  // VOUCH_PASSPORT_INTERNAL_CRYPTO_H_
