#ifndef VOUCH_BASE_SECURE_BYTES_H_
#define VOUCH_BASE_SECURE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vouch {

// Overwrites `size` bytes at `data` so the compiler cannot elide it
// (OPENSSL_cleanse).
void WipeMemory(void* data, size_t size);

// A byte buffer for secrets and decrypted document data. Its contents are
// wiped when it is destroyed, moved from, cleared or reassigned.
// Move-only so plaintext is never copied by accident; call Clone() to copy.
// Thread-compatible.
class SecureBytes {
 public:
  SecureBytes() = default;
  explicit SecureBytes(size_t size) : bytes_(size) {}
  explicit SecureBytes(absl::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecureBytes(const uint8_t* data, size_t size) : bytes_(data, data + size) {}
  ~SecureBytes() { Clear(); }

  SecureBytes(SecureBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecureBytes& operator=(SecureBytes&& other) noexcept {
    if (this != &other) {
      Clear();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;

  SecureBytes Clone() const { return SecureBytes(data(), size()); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }

  // A view of the bytes; valid while this buffer is alive and unchanged.
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }

  // Shrinks to `size` bytes (no larger than now), wiping the dropped tail.
  void Truncate(size_t size);
  // Drops the first `count` bytes (no more than size()), wiping what moved.
  void DropPrefix(size_t count);
  // Wipes and empties the buffer; capacity is released.
  void Clear();

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace vouch

#endif  // VOUCH_BASE_SECURE_BYTES_H_
