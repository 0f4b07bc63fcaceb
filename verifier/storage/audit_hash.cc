#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/hex_digest.h"
#include "storage/store.h"

namespace vouch::verifier::storage {
namespace {

// Each field as an 8-byte big-endian length and its bytes, so no two
// different events encode the same way.
void AppendField(std::string& out, absl::string_view field) {
  uint64_t n = field.size();
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field.data(), field.size());
}

}  // namespace

std::string AuditEventHash(const AuditEvent& event) {
  std::string encoded = "vouch.audit.v1";
  AppendField(encoded, std::to_string(event.seq));
  AppendField(encoded, std::to_string(absl::ToUnixMicros(event.time)));
  AppendField(encoded, event.actor);
  AppendField(encoded, event.action);
  AppendField(encoded, event.verification_id);
  AppendField(encoded, event.detail);
  AppendField(encoded, event.prev_hash);
  return Sha256Hex(encoded);
}

}  // namespace vouch::verifier::storage
