#ifndef VOUCH_VERIFIER_STORAGE_STORE_INTERNAL_H_
#define VOUCH_VERIFIER_STORAGE_STORE_INTERNAL_H_

// Shared by the Store implementations; not part of the storage API.

#include <string>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "storage/store.h"

namespace vouch::verifier::internal {

// Validates what every implementation requires of a new verification.
absl::Status ValidateNew(const NewVerification& v);

// 128 random bits, hex.
std::string NewLeaseToken();

}  // namespace vouch::verifier::internal

#endif  // VOUCH_VERIFIER_STORAGE_STORE_INTERNAL_H_
