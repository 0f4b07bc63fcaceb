#ifndef VOUCH_VERIFIER_RPC_ERRORS_H_
#define VOUCH_VERIFIER_RPC_ERRORS_H_

// google.rpc error details carried inside absl::Status payloads, so code far
// from the gRPC edge can say *why* (a stable ErrorInfo reason, BadRequest
// field violations, a RetryInfo delay). verifier/service turns them into the
// grpc-status-details-bin trailer in one place (grpc_status.cc).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

namespace vouch::verifier::rpc {

// ErrorInfo.domain of every vouch error.
inline constexpr absl::string_view kErrorDomain = "vouch.dev";

// Stable reasons (ErrorInfo.reason), documented in verification.proto.
namespace reasons {
inline constexpr absl::string_view kInvalidRequest = "INVALID_REQUEST";
inline constexpr absl::string_view kPassportUnreadable = "PASSPORT_UNREADABLE";
inline constexpr absl::string_view kNonceMismatch = "NONCE_MISMATCH";
inline constexpr absl::string_view kUnknownPolicy = "UNKNOWN_POLICY";
inline constexpr absl::string_view kUnknownVerification = "UNKNOWN_VERIFICATION";
inline constexpr absl::string_view kPolicyNotAllowed = "POLICY_NOT_ALLOWED";
inline constexpr absl::string_view kIdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
inline constexpr absl::string_view kInProgress = "VERIFICATION_IN_PROGRESS";
inline constexpr absl::string_view kOverloaded = "OVERLOADED";
inline constexpr absl::string_view kRequestTooLarge = "REQUEST_TOO_LARGE";
inline constexpr absl::string_view kShuttingDown = "SHUTTING_DOWN";
inline constexpr absl::string_view kUnavailableModule = "MODULE_UNAVAILABLE";
inline constexpr absl::string_view kInternal = "INTERNAL";
// The store cannot be reached or written (UNAVAILABLE, with a RetryInfo).
inline constexpr absl::string_view kStoreUnavailable = "STORE_UNAVAILABLE";
// The store is out of disk space (UNAVAILABLE, with a RetryInfo).
inline constexpr absl::string_view kStoreFull = "STORE_FULL";
}  // namespace reasons

// `status` with an ErrorInfo {reason, domain "vouch.dev"} attached.
absl::Status WithReason(absl::Status status, absl::string_view reason);

// kInvalidArgument with reason INVALID_REQUEST and a BadRequest listing each
// (field, description).
absl::Status BadRequestError(const std::vector<std::pair<std::string, std::string>>& violations);

// `status` with a RetryInfo attached.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status);
std::optional<google::rpc::BadRequest> GetBadRequest(const absl::Status& status);
std::optional<google::rpc::RetryInfo> GetRetryInfo(const absl::Status& status);

}  // namespace vouch::verifier::rpc

#endif  // VOUCH_VERIFIER_RPC_ERRORS_H_
