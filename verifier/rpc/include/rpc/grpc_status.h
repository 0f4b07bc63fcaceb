#ifndef VOUCH_VERIFIER_RPC_GRPC_STATUS_H_
#define VOUCH_VERIFIER_RPC_GRPC_STATUS_H_

// absl::Status → grpc::Status, in one place (STYLE.md §7.2.4). The codes map
// one to one; payloads made with rpc/errors.h become google.rpc details
// (ErrorInfo, BadRequest, RetryInfo) in grpc-status-details-bin. Every error
// carries an ErrorInfo: when none was attached, one with the code's name as
// reason. Messages are truncated and carry no keys or document data.

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace vouch::verifier::rpc {

google::rpc::Status ToRpcStatus(const absl::Status& status);
grpc::Status ToGrpcStatus(const absl::Status& status);
// The inverse of ToRpcStatus, for stored errors replayed to a caller.
absl::Status FromRpcStatus(const google::rpc::Status& status);

}  // namespace vouch::verifier::rpc

#endif  // VOUCH_VERIFIER_RPC_GRPC_STATUS_H_
