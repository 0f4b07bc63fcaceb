#include "review/review_service.h"

#include "service/grpc_status.h"

namespace vouch::verifier {
namespace {

// Authenticates, runs `call` with the principal, finishes with its result.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                              const Authenticator& authenticator, Response* response, Call call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Principal> caller = authenticator.Authenticate(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<Response> result = call(*caller);
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* ReviewService::ListCases(grpc::CallbackServerContext* context,
                                                   const v1::ListCasesRequest* request,
                                                   v1::ListCasesResponse* response) {
  return Run(context, authenticator_, response,
             [&](const Principal& p) { return queue_.List(p, *request); });
}

grpc::ServerUnaryReactor* ReviewService::ClaimCase(grpc::CallbackServerContext* context,
                                                   const v1::ClaimCaseRequest* request,
                                                   v1::ClaimCaseResponse* response) {
  return Run(context, authenticator_, response,
             [&](const Principal& p) { return queue_.Claim(p, *request); });
}

grpc::ServerUnaryReactor* ReviewService::GetCase(grpc::CallbackServerContext* context,
                                                 const v1::GetCaseRequest* request,
                                                 v1::CaseDetail* response) {
  return Run(context, authenticator_, response,
             [&](const Principal& p) { return queue_.Show(p, *request); });
}

grpc::ServerUnaryReactor* ReviewService::ApproveCase(grpc::CallbackServerContext* context,
                                                     const v1::ApproveCaseRequest* request,
                                                     v1::DecisionResponse* response) {
  return Run(context, authenticator_, response,
             [&](const Principal& p) { return queue_.Approve(p, *request); });
}

grpc::ServerUnaryReactor* ReviewService::RejectCase(grpc::CallbackServerContext* context,
                                                    const v1::RejectCaseRequest* request,
                                                    v1::DecisionResponse* response) {
  return Run(context, authenticator_, response,
             [&](const Principal& p) { return queue_.Reject(p, *request); });
}

grpc::ServerUnaryReactor* ReviewService::ReleaseCase(grpc::CallbackServerContext* context,
                                                     const v1::ReleaseCaseRequest* request,
                                                     v1::ReleaseCaseResponse* response) {
  return Run(context, authenticator_, response,
             [&](const Principal& p) -> absl::StatusOr<v1::ReleaseCaseResponse> {
               absl::Status s = queue_.Release(p, *request);
               if (!s.ok()) return s;
               return v1::ReleaseCaseResponse();
             });
}

}  // namespace vouch::verifier
