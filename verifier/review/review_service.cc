#include "review/review_service.h"

#include "rpc/authenticated_unary.h"

namespace vouch::verifier::review {

grpc::ServerUnaryReactor* ReviewService::ListCases(grpc::CallbackServerContext* context,
                                                   const v1::ListCasesRequest* request,
                                                   v1::ListCasesResponse* response) {
  return rpc::AuthenticatedUnary(context, authenticator_, response, [&](const auth::Principal& p) {
    return queue_.List(p, *request);
  });
}

grpc::ServerUnaryReactor* ReviewService::ClaimCase(grpc::CallbackServerContext* context,
                                                   const v1::ClaimCaseRequest* request,
                                                   v1::ClaimCaseResponse* response) {
  return rpc::AuthenticatedUnary(context, authenticator_, response, [&](const auth::Principal& p) {
    return queue_.Claim(p, *request);
  });
}

grpc::ServerUnaryReactor* ReviewService::GetCase(grpc::CallbackServerContext* context,
                                                 const v1::GetCaseRequest* request,
                                                 v1::CaseDetail* response) {
  return rpc::AuthenticatedUnary(context, authenticator_, response, [&](const auth::Principal& p) {
    return queue_.Show(p, *request);
  });
}

grpc::ServerUnaryReactor* ReviewService::ApproveCase(grpc::CallbackServerContext* context,
                                                     const v1::ApproveCaseRequest* request,
                                                     v1::DecisionResponse* response) {
  return rpc::AuthenticatedUnary(context, authenticator_, response, [&](const auth::Principal& p) {
    return queue_.Approve(p, *request);
  });
}

grpc::ServerUnaryReactor* ReviewService::RejectCase(grpc::CallbackServerContext* context,
                                                    const v1::RejectCaseRequest* request,
                                                    v1::DecisionResponse* response) {
  return rpc::AuthenticatedUnary(context, authenticator_, response, [&](const auth::Principal& p) {
    return queue_.Reject(p, *request);
  });
}

grpc::ServerUnaryReactor* ReviewService::ReleaseCase(grpc::CallbackServerContext* context,
                                                     const v1::ReleaseCaseRequest* request,
                                                     v1::ReleaseCaseResponse* response) {
  return rpc::AuthenticatedUnary(
      context, authenticator_, response,
      [&](const auth::Principal& p) -> absl::StatusOr<v1::ReleaseCaseResponse> {
        absl::Status s = queue_.Release(p, *request);
        if (!s.ok()) return s;
        return v1::ReleaseCaseResponse();
      });
}

// The reviewer's reversal.
grpc::ServerUnaryReactor* ReviewService::ReverseVerification(
    grpc::CallbackServerContext* context, const v1::ReverseVerificationRequest* request,
    v1::ReverseVerificationResponse* response) {
  return rpc::AuthenticatedUnary(context, authenticator_, response, [&](const auth::Principal& p) {
    return queue_.Reverse(p, *request);
  });
}

}  // namespace vouch::verifier::review
