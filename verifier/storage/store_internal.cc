#include "storage/store_internal.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"

namespace vouch::verifier::internal {

absl::Status ValidateNew(const NewVerification& v) {
  const VerificationRecord& r = v.record;
  if (r.id.empty() || r.id.size() > 64) {
    return absl::InvalidArgumentError("verification id must be 1..64 bytes");
  }
  if (r.idempotency_key.size() > 128 || r.relying_service.size() > 256) {
    return absl::InvalidArgumentError("idempotency key or relying service too long");
  }
  if (r.state != VerificationState::kPending && r.state != VerificationState::kRunning) {
    return absl::InvalidArgumentError("a new verification is pending or running");
  }
  if (v.job_payload.has_value() && r.state != VerificationState::kPending) {
    return absl::InvalidArgumentError("a verification with a job starts pending");
  }
  return absl::OkStatus();
}

std::string NewLeaseToken() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // No entropy: unsafe to go on.
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace vouch::verifier::internal
