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

namespace vouch::verifier::service {

// Thread-safe.
class VerificationService final : public v1::Verification::CallbackService {
 public:
  // `engine` and `authenticator` are not owned and must outlive the
  // service. `authenticator` identifies the caller, which must be a relying
  // service: it is the verification's relying service and
  // sees only its own verifications. `feed` (not owned; may be null: this
  // process's own changes only) brings other replicas' changes to Watch: a
  // watched verification is followed while its stream is open.
  VerificationService(VerificationEngine& engine, const auth::Authenticator& authenticator,
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
  // The authenticated relying service's id.
  absl::StatusOr<std::string> Caller(const grpc::CallbackServerContext& context) const;

  VerificationEngine& engine_;
  const auth::Authenticator& authenticator_;
  ChangeFeed* const feed_;
};

// Thread-safe.
class AttestationsService final : public v1::Attestations::CallbackService {
 public:
  // `issuer` (a server without attest passes UnavailableAttestationIssuer:
  // calls answer FAILED_PRECONDITION) is not owned and must outlive the
  // service. GetJwks, GetIssuerMetadata and
  // GetStatusList are public (verifiers fetch them); Revoke and
  // GetAttestationStatus need an admin operator (`authenticator`, not
  // owned), and Revoke appends an audit event.
  AttestationsService(pipeline::AttestationIssuer& issuer, storage::Store& store,
                      const auth::Authenticator& authenticator)
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
  // Admin only, like Revoke.
  grpc::ServerUnaryReactor* GetAttestationStatus(grpc::CallbackServerContext* context,
                                                 const v1::GetAttestationStatusRequest* request,
                                                 v1::AttestationStatus* response) override;

 private:
  // The caller, when it is an admin operator; otherwise the error to answer.
  absl::StatusOr<auth::Principal> Admin(const grpc::CallbackServerContext& context) const;

  pipeline::AttestationIssuer& issuer_;
  storage::Store& store_;
  const auth::Authenticator& authenticator_;
};

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_VERIFICATION_SERVICE_H_
