#ifndef VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_
#define VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_

// The Admin gRPC service (proto/vouch/v1/admin.proto): admin operators only.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "storage/store.h"
#include "vouch/v1/admin.grpc.pb.h"

namespace vouch::verifier::audit {

v1::AuditEvent AuditEventToProto(const storage::AuditEvent& event);
storage::AuditEvent AuditEventFromProto(const v1::AuditEvent& event);

// Key rotation while running (#14), implemented by vouchd (server/
// key_rotation.h). `actor` is the admin operator, for the audit log.
class KeyAdministration {
 public:
  virtual ~KeyAdministration() = default;
  // publish_delay: zero for the default. Errors: see admin.proto.
  virtual absl::StatusOr<v1::RotateAttestationKeyResponse> RotateAttestationKey(
      absl::Duration publish_delay, const std::string& actor) = 0;
  virtual absl::StatusOr<v1::ListAttestationKeysResponse> ListAttestationKeys() = 0;
  virtual absl::StatusOr<v1::RotatePassportKeyResponse> RotatePassportKey(
      const std::string& actor) = 0;
};

// Thread-safe.
class AdminService final : public v1::Admin::CallbackService {
 public:
  // Not owned; all must outlive the service. `keys` may be null: the key
  // RPCs then answer FAILED_PRECONDITION.
  AdminService(storage::Store& store, const auth::Authenticator& authenticator,
               KeyAdministration* keys = nullptr)
      : store_(store), authenticator_(authenticator), keys_(keys) {}

  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* context,
                                            const v1::ListAuditEventsRequest* request,
                                            v1::ListAuditEventsResponse* response) override;
  grpc::ServerUnaryReactor* RotateAttestationKey(
      grpc::CallbackServerContext* context, const v1::RotateAttestationKeyRequest* request,
      v1::RotateAttestationKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListAttestationKeys(grpc::CallbackServerContext* context,
                                                const v1::ListAttestationKeysRequest* request,
                                                v1::ListAttestationKeysResponse* response) override;
  grpc::ServerUnaryReactor* RotatePassportKey(grpc::CallbackServerContext* context,
                                              const v1::RotatePassportKeyRequest* request,
                                              v1::RotatePassportKeyResponse* response) override;

 private:
  // OK when `p` is an admin operator and key rotation is available here;
  // otherwise the error to answer (PERMISSION_DENIED, FAILED_PRECONDITION).
  absl::Status KeyAdmin(const auth::Principal& p) const;

  storage::Store& store_;
  const auth::Authenticator& authenticator_;
  KeyAdministration* const keys_;
};

}  // namespace vouch::verifier::audit

#endif  // VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_
