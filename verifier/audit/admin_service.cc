#include "audit/admin_service.h"

#include "absl/time/time.h"
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
  response->set_next_after_seq(static_cast<int>(events->size()) == limit && !events->empty()
                                   ? events->back().seq
                                   : 0);
  finish(absl::OkStatus());
  return reactor;
}

}  // namespace vouch::verifier
