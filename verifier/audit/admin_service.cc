#include "audit/admin_service.h"

#include <algorithm>
#include <vector>

#include "absl/time/time.h"
#include "base/status_macros.h"
#include "rpc/authenticated_unary.h"

namespace vouch::verifier::audit {

v1::AuditEvent AuditEventToProto(const storage::AuditEvent& e) {
  v1::AuditEvent p;
  p.set_seq(e.seq);
  p.set_time_unix_micros(absl::ToUnixMicros(e.time));
  p.set_actor(e.actor);
  p.set_action(e.action);
  p.set_verification_id(e.verification_id);
  p.set_detail(e.detail);
  p.set_prev_hash(e.prev_hash);
  p.set_hash(e.hash);
  return p;
}

storage::AuditEvent AuditEventFromProto(const v1::AuditEvent& p) {
  storage::AuditEvent e;
  e.seq = p.seq();
  e.time = absl::FromUnixMicros(p.time_unix_micros());
  e.actor = p.actor();
  e.action = p.action();
  e.verification_id = p.verification_id();
  e.detail = p.detail();
  e.prev_hash = p.prev_hash();
  e.hash = p.hash();
  return e;
}

grpc::ServerUnaryReactor* AdminService::ListAuditEvents(grpc::CallbackServerContext* context,
                                                        const v1::ListAuditEventsRequest* request,
                                                        v1::ListAuditEventsResponse* response) {
  return rpc::AuthenticatedUnary(
      context, authenticator_, response,
      [&](const auth::Principal& p) -> absl::StatusOr<v1::ListAuditEventsResponse> {
        VOUCH_RETURN_IF_ERROR(auth::RequireOperator(p, auth::OperatorRole::kAdmin));
        if (request->after_seq() < 0 || request->page_size() < 0) {
          return absl::InvalidArgumentError("after_seq and page_size must not be negative");
        }
        const int limit = request->page_size() == 0 ? 1000 : std::min(request->page_size(), 10000);
        VOUCH_ASSIGN_OR_RETURN(std::vector<storage::AuditEvent> events,
                               store_.ListAudit(request->after_seq(), limit));
        v1::ListAuditEventsResponse out;
        for (const storage::AuditEvent& e : events) *out.add_events() = AuditEventToProto(e);
        out.set_next_after_seq(
            static_cast<int>(events.size()) == limit && !events.empty() ? events.back().seq : 0);
        return out;
      });
}

absl::Status AdminService::KeyAdmin(const auth::Principal& p) const {
  VOUCH_RETURN_IF_ERROR(auth::RequireOperator(p, auth::OperatorRole::kAdmin));
  if (keys_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError("key rotation is not available on this server");
}

grpc::ServerUnaryReactor* AdminService::RotateAttestationKey(
    grpc::CallbackServerContext* context, const v1::RotateAttestationKeyRequest* request,
    v1::RotateAttestationKeyResponse* response) {
  return rpc::AuthenticatedUnary(
      context, authenticator_, response,
      [&](const auth::Principal& p) -> absl::StatusOr<v1::RotateAttestationKeyResponse> {
        VOUCH_RETURN_IF_ERROR(KeyAdmin(p));
        if (request->publish_delay_seconds() < 0) {
          return absl::InvalidArgumentError("publish_delay_seconds must not be negative");
        }
        return keys_->RotateAttestationKey(absl::Seconds(request->publish_delay_seconds()), p.id);
      });
}

grpc::ServerUnaryReactor* AdminService::ListAttestationKeys(
    grpc::CallbackServerContext* context, const v1::ListAttestationKeysRequest*,
    v1::ListAttestationKeysResponse* response) {
  return rpc::AuthenticatedUnary(
      context, authenticator_, response,
      [&](const auth::Principal& p) -> absl::StatusOr<v1::ListAttestationKeysResponse> {
        VOUCH_RETURN_IF_ERROR(KeyAdmin(p));
        return keys_->ListAttestationKeys();
      });
}

grpc::ServerUnaryReactor* AdminService::RotatePassportKey(grpc::CallbackServerContext* context,
                                                          const v1::RotatePassportKeyRequest*,
                                                          v1::RotatePassportKeyResponse* response) {
  return rpc::AuthenticatedUnary(
      context, authenticator_, response,
      [&](const auth::Principal& p) -> absl::StatusOr<v1::RotatePassportKeyResponse> {
        VOUCH_RETURN_IF_ERROR(KeyAdmin(p));
        return keys_->RotatePassportKey(p.id);
      });
}

}  // namespace vouch::verifier::audit
