#ifndef VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_
#define VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_

// The Admin gRPC service (proto/vouch/v1/admin.proto): admin operators only.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "storage/store.h"
#include "vouch/v1/admin.grpc.pb.h"

namespace vouch::verifier::audit {

v1::AuditEvent AuditEventToProto(const storage::AuditEvent& event);
storage::AuditEvent AuditEventFromProto(const v1::AuditEvent& event);

// Key rotation while running, implemented by vouchd (server/
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

// What erasure (docs/erasure.md) needs beyond the Store, implemented
// by vouchd (server/erasure_support.h): audit depends on neither attest nor
// dedup nor the issuer. Thread-safe.
class ErasureSupport {
 public:
  virtual ~ErasureSupport() = default;
  // The keyed hashes of `telegram_user_id` that the duplicate and face
  // indexes store for `relying_service`'s entries: under every dedup key,
  // for that service's scope and the provider's.
  virtual std::vector<std::string> UserHashes(int64_t telegram_user_id,
                                              const std::string& relying_service) const = 0;
  // The Store revoked `attestation_id`: the issuer's status list follows.
  virtual void Revoked(const std::string& attestation_id) = 0;
  // The receipt: a compact JWS, header typ kErasureReceiptType, signed by
  // the active attestation key; its payload is `claims_json` (a JSON
  // object) with "iss" (the issuer URL) added. Returns the JWS and the
  // payload as signed.
  virtual absl::StatusOr<std::pair<std::string, std::string>> SignReceipt(
      const std::string& claims_json) = 0;
};

// The JWS typ of an erasure receipt.
inline constexpr char kErasureReceiptType[] = "vouch-erasure-receipt+jwt";

// Thread-safe.
class AdminService final : public v1::Admin::CallbackService {
 public:
  // Not owned; all must outlive the service. `keys` may be null: the key
  // RPCs then answer FAILED_PRECONDITION; so does Erase without `erasure`.
  AdminService(storage::Store& store, const auth::Authenticator& authenticator,
               KeyAdministration* keys = nullptr, ErasureSupport* erasure = nullptr)
      : store_(store), authenticator_(authenticator), keys_(keys), erasure_(erasure) {}

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
  grpc::ServerUnaryReactor* Erase(grpc::CallbackServerContext* context,
                                  const v1::EraseRequest* request,
                                  v1::EraseResponse* response) override;

 private:
  // Erase's work once the caller is known to be an admin operator.
  absl::StatusOr<v1::EraseResponse> EraseFor(const std::string& actor,
                                             const v1::EraseRequest& request);

  // OK when `p` is an admin operator and key rotation is available here;
  // otherwise the error to answer (PERMISSION_DENIED, FAILED_PRECONDITION).
  absl::Status KeyAdmin(const auth::Principal& p) const;

  storage::Store& store_;
  const auth::Authenticator& authenticator_;
  KeyAdministration* const keys_;
  ErasureSupport* const erasure_;
};

}  // namespace vouch::verifier::audit

#endif  // VOUCH_VERIFIER_AUDIT_ADMIN_SERVICE_H_
