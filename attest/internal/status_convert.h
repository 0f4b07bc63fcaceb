#ifndef VOUCH_ATTEST_INTERNAL_STATUS_CONVERT_H_
#define VOUCH_ATTEST_INTERNAL_STATUS_CONVERT_H_

// The signer speaks absl::Status; the verify library its own Error. This is
// the one place that converts.

#include "absl/status/status.h"
#include "attest/result.h"

namespace vouch::attest::internal {

inline absl::Status ToAbslStatus(const Error& error) {
  const std::string message = error.ToString();
  switch (error.code) {
    case ErrorCode::kInternal:
      return absl::InternalError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

}  // namespace vouch::attest::internal

#endif  // VOUCH_ATTEST_INTERNAL_STATUS_CONVERT_H_
