#include "audit/admin_service.h"

#include "absl/time/time.h"
#include "base/status_macros.h"
#include "service/grpc_status.h"

namespace vouch::verifier {

v1::AuditEvent AuditEventToProto(const AuditEvent& e) {
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

AuditEvent AuditEventFromProto(const v1::AuditEvent& p) {
  AuditEvent e;
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
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto finish = [reactor](const absl::Status& s) { reactor->Finish(ToGrpcStatus(s)); };
  absl::StatusOr<Principal> principal = authenticator_.Authenticate(*context);
  if (!principal.ok()) {
    finish(principal.status());
    return reactor;
  }
  if (absl::Status allowed = RequireOperator(*principal, OperatorRole::kAdmin); !allowed.ok()) {
    finish(allowed);
    return reactor;
  }
  if (request->after_seq() < 0 || request->page_size() < 0) {
    finish(absl::InvalidArgumentError("after_seq and page_size must not be negative"));
    return reactor;
  }
  const int limit = request->page_size() == 0 ? 1000 : std::min(request->page_size(), 10000);
  absl::StatusOr<std::vector<AuditEvent>> events = store_.ListAudit(request->after_seq(), limit);
  if (!events.ok()) {
    finish(events.status());
    return reactor;
  }
  for (const AuditEvent& e : *events) *response->add_events() = AuditEventToProto(e);
  response->set_next_after_seq(
      static_cast<int>(events->size()) == limit && !events->empty() ? events->back().seq : 0);
  finish(absl::OkStatus());
  return reactor;
}

absl::StatusOr<std::string> AdminService::Admin(const grpc::CallbackServerContext& context) const {
  absl::StatusOr<Principal> principal = authenticator_.Authenticate(context);
  if (!principal.ok()) return principal.status();
  VOUCH_RETURN_IF_ERROR(RequireOperator(*principal, OperatorRole::kAdmin));
  return principal->id;
}

absl::Status AdminService::KeysAvailable() const {
  if (keys_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError("key rotation is not available on this server");
}

grpc::ServerUnaryReactor* AdminService::RotateAttestationKey(
    grpc::CallbackServerContext* context, const v1::RotateAttestationKeyRequest* request,
    v1::RotateAttestationKeyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> admin = Admin(*context);
  absl::Status status = admin.ok() ? KeysAvailable() : admin.status();
  if (status.ok() && request->publish_delay_seconds() < 0) {
    status = absl::InvalidArgumentError("publish_delay_seconds must not be negative");
  }
  if (status.ok()) {
    absl::StatusOr<v1::RotateAttestationKeyResponse> rotated =
        keys_->RotateAttestationKey(absl::Seconds(request->publish_delay_seconds()), *admin);
    if (rotated.ok()) *response = *std::move(rotated);
    status = rotated.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListAttestationKeys(
    grpc::CallbackServerContext* context, const v1::ListAttestationKeysRequest*,
    v1::ListAttestationKeysResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> admin = Admin(*context);
  absl::Status status = admin.ok() ? KeysAvailable() : admin.status();
  if (status.ok()) {
    absl::StatusOr<v1::ListAttestationKeysResponse> keys = keys_->ListAttestationKeys();
    if (keys.ok()) *response = *std::move(keys);
    status = keys.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::RotatePassportKey(grpc::CallbackServerContext* context,
                                                          const v1::RotatePassportKeyRequest*,
                                                          v1::RotatePassportKeyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> admin = Admin(*context);
  absl::Status status = admin.ok() ? KeysAvailable() : admin.status();
  if (status.ok()) {
    absl::StatusOr<v1::RotatePassportKeyResponse> rotated = keys_->RotatePassportKey(*admin);
    if (rotated.ok()) *response = *std::move(rotated);
    status = rotated.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace vouch::verifier
