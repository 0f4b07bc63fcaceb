#include "base/hex_digest.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"

namespace vouch {

std::string RandomHex(int bytes) {
  if (bytes < 0 || bytes > kMaxRandomHexBytes) {
    std::fprintf(stderr, "RandomHex: %d bytes is outside [0, %d]\n", bytes, kMaxRandomHexBytes);
    std::abort();  // A caller's bug: its count is a constant.
  }
  std::string raw(static_cast<size_t>(bytes), '\0');
  if (bytes > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes) != 1) {
    std::abort();  // No entropy: unsafe to go on.
  }
  return absl::BytesToHexString(raw);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    std::abort();  // SHA-256 unavailable.
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

}  // namespace vouch
