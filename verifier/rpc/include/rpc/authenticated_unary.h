#ifndef VOUCH_VERIFIER_RPC_AUTHENTICATED_UNARY_H_
#define VOUCH_VERIFIER_RPC_AUTHENTICATED_UNARY_H_

// The shape of every unary RPC handler, written once: authenticate the caller,
// run the call with its Principal, answer with the result (the value into the
// response, the status through ToGrpcStatus). Handlers check what the caller
// may do (RequireService, RequireOperator) inside the call.

#include <utility>

#include "absl/status/statusor.h"
#include "auth/principal.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "rpc/grpc_status.h"

namespace vouch::verifier::rpc {

// Finishes a unary call with `result`: its value into `*response` when ok,
// and its status, converted.
template <typename Response>
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      absl::StatusOr<Response> result, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const grpc::Status status = ToGrpcStatus(result.status());  // Before the value moves out.
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(status);
  return reactor;
}

// Authenticates the caller with `authenticator` (an unauthenticated call is
// answered with the Authenticator's error and `call` does not run), then
// finishes with `call(principal)`, an absl::StatusOr<Response>.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* AuthenticatedUnary(grpc::CallbackServerContext* context,
                                             const auth::Authenticator& authenticator,
                                             Response* response, Call call) {
  absl::StatusOr<auth::Principal> caller = authenticator.Authenticate(*context);
  if (!caller.ok()) return FinishUnary<Response>(context, caller.status(), response);
  return FinishUnary<Response>(context, call(*caller), response);
}

}  // namespace vouch::verifier::rpc

#endif  // VOUCH_VERIFIER_RPC_AUTHENTICATED_UNARY_H_
