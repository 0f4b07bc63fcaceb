#ifndef VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_
#define VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_

// The Admin gRPC service (proto/vouch/v1/admin.proto): admin operators only.

#include "auth/principal.h"
#include "storage/store.h"
#include "vouch/v1/admin.grpc.pb.h"

namespace vouch::verifier {

v1::AuditEvent AuditEventToProto(const AuditEvent& event);
AuditEvent AuditEventFromProto(const v1::AuditEvent& event);

// Thread-safe.
class AdminService final : public v1::Admin::CallbackService {
 public:
  // Not owned; both must outlive the service.
  AdminService(Store& store, const Authenticator& authenticator)
      : store_(store), authenticator_(authenticator) {}

  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* context,
                                            const v1::ListAuditEventsRequest* request,
                                            v1::ListAuditEventsResponse* response) override;

 private:
  Store& store_;
  const Authenticator& authenticator_;
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_
