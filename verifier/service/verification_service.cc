#include "service/verification_service.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "rpc/authenticated_unary.h"
#include "rpc/errors.h"
#include "rpc/grpc_status.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::service {
namespace {

// True once the call is cancelled or its deadline has passed.
std::function<bool()> CancelledFn(grpc::CallbackServerContext* context) {
  const std::chrono::system_clock::time_point deadline = context->deadline();
  return [context, deadline] {
    return context->IsCancelled() || std::chrono::system_clock::now() > deadline;
  };
}

// Whether a result's Telegram badge may still change: verifyUser
// pending, or a removal queued.
bool BadgeMayChange(const v1::VerificationResult& r) {
  if (!r.has_telegram_badge()) return false;
  const v1::TelegramBadge& b = r.telegram_badge();
  return b.state() == v1::TelegramBadge::STATE_PENDING ||
         (b.state() == v1::TelegramBadge::STATE_SET && b.has_remove_time());
}

// Streams a verification's states until a terminal one.
class WatchReactor final : public grpc::ServerWriteReactor<v1::VerificationResult> {
 public:
  // `caller`: an error to finish with at once (authentication), else the
  // authenticated service. `until_decided`: stay open through review.
  // `feed` (may be null) follows the verification while the stream is open.
  // `follow_badge`: also the Telegram badge's changes, until it settles.
  WatchReactor(VerificationEngine& engine, ChangeFeed* feed, const std::string& id,
               const absl::StatusOr<std::string>& caller, bool until_decided,
               bool follow_badge = false)
      : engine_(engine), until_decided_(until_decided), follow_badge_(follow_badge), id_(id) {
    absl::StatusOr<v1::VerificationResult> current =
        caller.ok() ? engine_.Get(id, *caller) : caller.status();
    if (!current.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(rpc::ToGrpcStatus(current.status()));
      return;
    }
    handle_ = engine_.Subscribe(id, [this](const v1::VerificationResult& r) { Push(r); });
    // Changes made by other replicas reach the engine's listeners through
    // the feed (ChangeFeed -> VerificationEngine::NotifyChanged).
    if (feed != nullptr) {
      feed_ = feed;
      feed_->Follow(id_);
    }
    // Read again after subscribing so no change between the two is lost.
    absl::StatusOr<v1::VerificationResult> latest = engine_.Get(id, *caller);
    Push(latest.ok() ? *latest : *current);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    // With until_decided, a NEEDS_REVIEW result is final only once a
    // reviewer decides (or the case expires).
    if (storage::IsTerminal(static_cast<storage::VerificationState>(current_.state())) &&
        !(until_decided_ && current_.decision() == v1::DECISION_NEEDS_REVIEW) &&
        !(follow_badge_ && BadgeMayChange(current_))) {
      return FinishLocked(grpc::Status::OK);
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    if (feed_ != nullptr) feed_->Unfollow(id_);
    if (handle_ != 0) engine_.Unsubscribe(handle_);
    delete this;
  }

 private:
  void Push(const v1::VerificationResult& r) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    const v1::TelegramBadge::State badge = r.telegram_badge().state();
    if (r.state() == last_state_ && r.decision() == last_decision_ &&
        (!follow_badge_ || badge == last_badge_)) {
      return;  // Only changes.
    }
    last_state_ = r.state();
    last_decision_ = r.decision();
    last_badge_ = badge;
    queue_.push_back(r);
    if (!writing_) WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || queue_.empty()) return;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    StartWrite(&current_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  VerificationEngine& engine_;
  const bool until_decided_;
  const bool follow_badge_;
  const std::string id_;
  ChangeFeed* feed_ = nullptr;  // Set while following.
  int64_t handle_ = 0;
  absl::Mutex mu_;
  std::deque<v1::VerificationResult> queue_ ABSL_GUARDED_BY(mu_);
  v1::VerificationResult current_ ABSL_GUARDED_BY(mu_);
  v1::VerificationState last_state_ ABSL_GUARDED_BY(mu_) = v1::VERIFICATION_STATE_UNSPECIFIED;
  v1::Decision last_decision_ ABSL_GUARDED_BY(mu_) = v1::DECISION_UNSPECIFIED;
  v1::TelegramBadge::State last_badge_ ABSL_GUARDED_BY(mu_) = v1::TelegramBadge::STATE_UNSPECIFIED;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::string> VerificationService::Caller(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<auth::Principal> principal = authenticator_.Authenticate(context);
  if (!principal.ok()) {
    spdlog::info("unauthenticated call peer={}", context.peer());
    return principal.status();
  }
  if (absl::Status s = auth::RequireService(*principal); !s.ok()) return s;
  return principal->id;
}

grpc::ServerUnaryReactor* VerificationService::Verify(grpc::CallbackServerContext* context,
                                                      const v1::VerifyRequest* request,
                                                      v1::VerificationResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Caller(*context);
  if (!caller.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(caller.status()));
    return reactor;
  }
  engine_.Verify(
      *request, CancelledFn(context),
      [reactor, response](absl::StatusOr<v1::VerificationResult> result) {
        const grpc::Status status = rpc::ToGrpcStatus(result.status());  // Before the move.
        if (result.ok()) *response = *std::move(result);
        reactor->Finish(status);
      },
      *caller);
  return reactor;
}

grpc::ServerUnaryReactor* VerificationService::Submit(grpc::CallbackServerContext* context,
                                                      const v1::VerifyRequest* request,
                                                      v1::SubmitResponse* response) {
  absl::StatusOr<std::string> caller = Caller(*context);
  if (!caller.ok()) return rpc::FinishUnary<v1::SubmitResponse>(context, caller.status(), response);
  return rpc::FinishUnary(context, engine_.Submit(*request, *caller), response);
}

grpc::ServerUnaryReactor* VerificationService::GetVerification(
    grpc::CallbackServerContext* context, const v1::GetVerificationRequest* request,
    v1::VerificationResult* response) {
  absl::StatusOr<std::string> caller = Caller(*context);
  if (!caller.ok()) {
    return rpc::FinishUnary<v1::VerificationResult>(context, caller.status(), response);
  }
  return rpc::FinishUnary(context, engine_.Get(request->verification_id(), *caller), response);
}

grpc::ServerWriteReactor<v1::VerificationResult>* VerificationService::WatchVerification(
    grpc::CallbackServerContext* context, const v1::WatchVerificationRequest* request) {
  return new WatchReactor(engine_, feed_, request->verification_id(), Caller(*context),
                          request->until_decided(), request->follow_badge());
}

absl::StatusOr<auth::Principal> AttestationsService::Admin(
    const grpc::CallbackServerContext& context) const {
  VOUCH_ASSIGN_OR_RETURN(auth::Principal principal, authenticator_.Authenticate(context));
  VOUCH_RETURN_IF_ERROR(auth::RequireOperator(principal, auth::OperatorRole::kAdmin));
  return principal;
}

grpc::ServerUnaryReactor* AttestationsService::GetJwks(grpc::CallbackServerContext* context,
                                                       const v1::GetJwksRequest*,
                                                       v1::GetJwksResponse* response) {
  absl::StatusOr<v1::GetJwksResponse> out = v1::GetJwksResponse();
  if (absl::StatusOr<std::string> jwks = issuer_.Jwks(); !jwks.ok()) {
    out = jwks.status();
  } else {
    out->set_jwks_json(*jwks);
  }
  return rpc::FinishUnary(context, std::move(out), response);
}

grpc::ServerUnaryReactor* AttestationsService::GetIssuerMetadata(
    grpc::CallbackServerContext* context, const v1::GetIssuerMetadataRequest*,
    v1::GetIssuerMetadataResponse* response) {
  absl::StatusOr<v1::GetIssuerMetadataResponse> out = v1::GetIssuerMetadataResponse();
  if (absl::StatusOr<std::string> metadata = issuer_.IssuerMetadata(); !metadata.ok()) {
    out = metadata.status();
  } else {
    out->set_metadata_json(*metadata);
  }
  return rpc::FinishUnary(context, std::move(out), response);
}

grpc::ServerUnaryReactor* AttestationsService::GetStatusList(
    grpc::CallbackServerContext* context, const v1::GetStatusListRequest* request,
    v1::GetStatusListResponse* response) {
  absl::StatusOr<v1::GetStatusListResponse> out = v1::GetStatusListResponse();
  if (absl::StatusOr<std::string> list = issuer_.StatusList(request->uri()); !list.ok()) {
    out = list.status();
  } else {
    out->set_status_list_jwt(*list);
  }
  return rpc::FinishUnary(context, std::move(out), response);
}

grpc::ServerUnaryReactor* AttestationsService::Revoke(grpc::CallbackServerContext* context,
                                                      const v1::RevokeRequest* request,
                                                      v1::RevokeResponse* response) {
  absl::StatusOr<v1::RevokeResponse> out = v1::RevokeResponse();
  const int status = request->suspend() ? 2 : 1;
  absl::StatusOr<storage::AttestationRecord> record;
  absl::StatusOr<auth::Principal> principal = Admin(*context);
  if (!principal.ok()) {
    out = principal.status();
  } else if (request->attestation_id().empty() == request->verification_id().empty() ||
             request->attestation_id().size() > 128 || request->verification_id().size() > 128) {
    out = rpc::BadRequestError(
        {{request->attestation_id().empty() ? "verification_id" : "attestation_id",
          "give exactly one of attestation_id and verification_id (at most 128 "
          "characters)"}});
  } else if (record = request->verification_id().empty()
                          ? store_.GetAttestation(request->attestation_id())
                          : store_.GetAttestationByVerification(request->verification_id());
             absl::IsNotFound(record.status())) {
    out = rpc::WithReason(absl::NotFoundError("unknown attestation"), "UNKNOWN_ATTESTATION");
  } else if (!record.ok()) {
    out = record.status();
  } else if (record->status_list_uri.empty()) {
    out = rpc::WithReason(
        absl::FailedPreconditionError("a direct-mode attestation has no status entry; it expires"),
        "NO_STATUS_ENTRY");
  } else if (record->status == 1 && status != 1) {
    out = rpc::WithReason(absl::FailedPreconditionError("revocation is final"), "ALREADY_REVOKED");
  } else {
    // The Store is the record (the list is rebuilt from it at start); the
    // issuer's in-memory list follows it.
    absl::StatusOr<bool> changed = store_.SetAttestationStatus(record->attestation_id, status);
    if (!changed.ok()) {
      out = changed.status();
    } else {
      if (*changed) {
        absl::StatusOr<bool> mirrored = issuer_.Revoke(record->attestation_id, request->suspend());
        if (!mirrored.ok()) out = mirrored.status();
      }
      if (out.ok()) out->set_changed(*changed);
      if (out.ok() && *changed) {
        storage::AuditEvent event;
        event.time = absl::Now();
        event.actor = principal->id.empty() ? "vouchd" : principal->id;
        event.action = request->suspend() ? "attestation.suspend" : "attestation.revoke";
        event.verification_id = record->verification_id;
        event.detail = absl::StrCat("{\"attestation_id\":\"", record->attestation_id, "\"}");
        absl::StatusOr<storage::AuditEvent> appended = store_.AppendAudit(event);
        if (!appended.ok()) {
          spdlog::error("audit append failed action={} code={}", event.action,
                        absl::StatusCodeToString(appended.status().code()));
        }
      }
    }
  }
  return rpc::FinishUnary(context, std::move(out), response);
}

grpc::ServerUnaryReactor* AttestationsService::GetAttestationStatus(
    grpc::CallbackServerContext* context, const v1::GetAttestationStatusRequest* request,
    v1::AttestationStatus* response) {
  absl::StatusOr<v1::AttestationStatus> out = v1::AttestationStatus();
  absl::StatusOr<auth::Principal> principal = Admin(*context);
  absl::StatusOr<storage::AttestationRecord> record;
  if (!principal.ok()) {
    out = principal.status();
  } else if (request->verification_id().empty() || request->verification_id().size() > 128) {
    out = rpc::BadRequestError({{"verification_id", "is required (at most 128 characters)"}});
  } else if (record = store_.GetAttestationByVerification(request->verification_id());
             absl::IsNotFound(record.status())) {
    out = rpc::WithReason(absl::NotFoundError("no attestation for this verification"),
                          "UNKNOWN_ATTESTATION");
  } else if (!record.ok()) {
    out = record.status();
  } else {
    static constexpr const char* kStatusNames[] = {"valid", "revoked", "suspended", "status_3"};
    out->set_attestation_id(record->attestation_id);
    out->set_verification_id(record->verification_id);
    out->set_status(record->status_list_uri.empty() ? "none" : kStatusNames[record->status & 3]);
    out->set_status_list_uri(record->status_list_uri);
    out->set_status_list_index(record->status_list_uri.empty() ? -1 : record->status_list_index);
    out->mutable_expire_time()->set_seconds(absl::ToUnixSeconds(record->expire_time));
  }
  return rpc::FinishUnary(context, std::move(out), response);
}

}  // namespace vouch::verifier::service
