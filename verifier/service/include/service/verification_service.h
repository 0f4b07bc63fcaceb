#ifndef VOUCH_VERIFIER_SERVICE_VERIFICATION_SERVICE_H_
#define VOUCH_VERIFIER_SERVICE_VERIFICATION_SERVICE_H_

// gRPC front ends. They hold no verification logic: they convert proto to
// engine calls and absl::Status to grpc::Status (grpc_status.h), with the
// callback API so that no gRPC thread blocks on a verification.

#include "auth/principal.h"
#include "pipeline/attestation_issuer.h"
#include "service/change_feed.h"
#include "service/verification_engine.h"
#include "storage/store.h"
#include "vouch/v1/attestations.grpc.pb.h"
#include "vouch/v1/verification.grpc.pb.h"

namespace vouch::verifier {

// Thread-safe.
class VerificationService final : public v1::Verification::CallbackService {
 public:
  // `engine` is not owned and must outlive the service. `authenticator`
  // (not owned; null only for in-process tests) identifies the caller, which
  // must be a relying service: it is the verification's relying service and
  // sees only its own verifications. `feed` (not owned; may be null: this
  // process's own changes only) brings other replicas' changes to Watch: a
  // watched verification is followed while its stream is open.
  explicit VerificationService(VerificationEngine& engine,
                               const Authenticator* authenticator = nullptr,
                               ChangeFeed* feed = nullptr)
      : engine_(engine), authenticator_(authenticator), feed_(feed) {}

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerificationResult* response) override;
  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::SubmitResponse* response) override;
  grpc::ServerUnaryReactor* GetVerification(grpc::CallbackServerContext* context,
                                            const v1::GetVerificationRequest* request,
                                            v1::VerificationResult* response) override;
  grpc::ServerWriteReactor<v1::VerificationResult>* WatchVerification(
      grpc::CallbackServerContext* context, const v1::WatchVerificationRequest* request) override;

 private:
  // The authenticated service id ("" without an authenticator).
  absl::StatusOr<std::string> Caller(const grpc::CallbackServerContext& context) const;

  VerificationEngine& engine_;
  const Authenticator* authenticator_;
  ChangeFeed* const feed_;
};

// Thread-safe.
class AttestationsService final : public v1::Attestations::CallbackService {
 public:
  // `issuer` may be null (attest not linked): calls answer FAILED_PRECONDITION.
  // Not owned; must outlive the service. GetJwks, GetIssuerMetadata and
  // GetStatusList are public (verifiers fetch them); Revoke needs an admin
  // operator when `authenticator` is set (null only in in-process tests),
  // and appends an audit event.
  AttestationsService(AttestationIssuer* issuer, Store& store,
                      const Authenticator* authenticator = nullptr)
      : issuer_(issuer), store_(store), authenticator_(authenticator) {}

  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* context,
                                    const v1::GetJwksRequest* request,
                                    v1::GetJwksResponse* response) override;
  grpc::ServerUnaryReactor* GetIssuerMetadata(grpc::CallbackServerContext* context,
                                              const v1::GetIssuerMetadataRequest* request,
                                              v1::GetIssuerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* GetStatusList(grpc::CallbackServerContext* context,
                                          const v1::GetStatusListRequest* request,
                                          v1::GetStatusListResponse* response) override;
  grpc::ServerUnaryReactor* Revoke(grpc::CallbackServerContext* context,
                                   const v1::RevokeRequest* request,
                                   v1::RevokeResponse* response) override;
  // Admin only, like Revoke (#14).
  grpc::ServerUnaryReactor* GetAttestationStatus(grpc::CallbackServerContext* context,
                                                 const v1::GetAttestationStatusRequest* request,
                                                 v1::AttestationStatus* response) override;

 private:
  absl::Status Available() const;

  AttestationIssuer* issuer_;
  Store& store_;
  const Authenticator* authenticator_;
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_SERVICE_VERIFICATION_SERVICE_H_
