#include "base/secure_bytes.h"

#include <openssl/crypto.h>

#include <cassert>
#include <cstring>

namespace vouch {

void WipeMemory(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void SecureBytes::Truncate(size_t size) {
  assert(size <= bytes_.size());
  WipeMemory(bytes_.data() + size, bytes_.size() - size);
  bytes_.resize(size);
}

void SecureBytes::DropPrefix(size_t count) {
  assert(count <= bytes_.size());
  const size_t rest = bytes_.size() - count;
  std::memmove(bytes_.data(), bytes_.data() + count, rest);
  Truncate(rest);
}

void SecureBytes::Clear() {
  // Wipe the whole allocation, not just size(): a shrink may have left
  // plaintext in the spare capacity.
  WipeMemory(bytes_.data(), bytes_.capacity());
  std::vector<uint8_t>().swap(bytes_);
}

}  // namespace vouch
