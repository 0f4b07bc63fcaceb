#ifndef VOUCH_VERIFIER_REVIEW_REVIEW_SERVICE_H_
#define VOUCH_VERIFIER_REVIEW_REVIEW_SERVICE_H_

// gRPC edge of the review queue: authenticates the caller, converts, and
// nothing else. Thread-safe.

#include "auth/principal.h"
#include "review/review_queue.h"
#include "vouch/v1/review.grpc.pb.h"

namespace vouch::verifier::review {

class ReviewService final : public v1::Review::CallbackService {
 public:
  // Not owned; must outlive the service.
  ReviewService(ReviewQueue& queue, const auth::Authenticator& authenticator)
      : queue_(queue), authenticator_(authenticator) {}

 private:
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const v1::ListCasesRequest* request,
                                      v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* ClaimCase(grpc::CallbackServerContext* context,
                                      const v1::ClaimCaseRequest* request,
                                      v1::ClaimCaseResponse* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request,
                                    v1::CaseDetail* response) override;
  grpc::ServerUnaryReactor* ApproveCase(grpc::CallbackServerContext* context,
                                        const v1::ApproveCaseRequest* request,
                                        v1::DecisionResponse* response) override;
  grpc::ServerUnaryReactor* RejectCase(grpc::CallbackServerContext* context,
                                       const v1::RejectCaseRequest* request,
                                       v1::DecisionResponse* response) override;
  grpc::ServerUnaryReactor* ReleaseCase(grpc::CallbackServerContext* context,
                                        const v1::ReleaseCaseRequest* request,
                                        v1::ReleaseCaseResponse* response) override;
  // The reviewer's reversal.
  grpc::ServerUnaryReactor* ReverseVerification(grpc::CallbackServerContext* context,
                                                const v1::ReverseVerificationRequest* request,
                                                v1::ReverseVerificationResponse* response) override;

  ReviewQueue& queue_;
  const auth::Authenticator& authenticator_;
};

}  // namespace vouch::verifier::review

#endif  // VOUCH_VERIFIER_REVIEW_REVIEW_SERVICE_H_
