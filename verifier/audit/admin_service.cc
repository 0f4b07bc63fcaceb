#include "audit/admin_service.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/hex_digest.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "rpc/authenticated_unary.h"
#include "spdlog/spdlog.h"

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

// ---- erasure (docs/erasure.md) ------------------------------------------------

namespace {

// The receipt's counts, also the audit event's detail.
nlohmann::json ErasureCounts(const storage::ErasureOutcome& o) {
  return nlohmann::json{{"verifications", o.verifications},
                        {"review_cases", o.review_cases},
                        {"jobs", o.jobs},
                        {"idempotency_keys", o.idempotency_keys},
                        {"duplicate_entries", o.duplicate_entries},
                        {"face_entries", o.face_entries},
                        {"pickups", o.pickups},
                        {"wallet_offers", o.wallet_offers},
                        {"badge_calls", o.badge_calls},
                        {"attestations_revoked", static_cast<int64_t>(o.revoked.size())},
                        {"attestations_deleted", o.attestations_deleted}};
}

}  // namespace

absl::StatusOr<v1::EraseResponse> AdminService::EraseFor(const std::string& actor,
                                                         const v1::EraseRequest& request) {
  if (erasure_ == nullptr) {
    return absl::FailedPreconditionError("erasure is not available on this server");
  }
  if (request.telegram_user_id() < 0) {
    return absl::InvalidArgumentError("telegram_user_id must not be negative");
  }
  storage::ErasureRequest erase;
  erase.verification_ids.assign(request.verification_ids().begin(),
                                request.verification_ids().end());
  erase.telegram_user_id = request.telegram_user_id();
  erase.relying_service = request.relying_service();
  if (erase.telegram_user_id > 0 && !erase.relying_service.empty()) {
    erase.user_hashes = erasure_->UserHashes(erase.telegram_user_id, erase.relying_service);
  }
  const absl::Time now = absl::Now();
  erase.now = now;
  VOUCH_ASSIGN_OR_RETURN(storage::ErasureOutcome outcome, store_.EraseVerifications(erase));
  // The Store is the record; the issuer's in-memory lists follow it.
  for (const storage::AttestationRecord& a : outcome.revoked) erasure_->Revoked(a.attestation_id);

  const std::string receipt_id = RandomHex(16);
  nlohmann::json requested = nlohmann::json::object();
  if (!erase.verification_ids.empty()) requested["verification_ids"] = erase.verification_ids;
  if (erase.telegram_user_id > 0) {
    requested["telegram_user_id"] = erase.telegram_user_id;
    requested["relying_service"] = erase.relying_service;
  }
  nlohmann::json revoked = nlohmann::json::array();
  for (const storage::AttestationRecord& a : outcome.revoked) {
    revoked.push_back({{"attestation_id", a.attestation_id},
                       {"status_list_uri", a.status_list_uri},
                       {"idx", a.status_list_index}});
  }
  nlohmann::json erased = ErasureCounts(outcome);
  erased["verification_ids"] = outcome.erased_ids;
  const nlohmann::json claims{
      {"jti", receipt_id},  {"iat", absl::ToUnixSeconds(now)},
      {"operator", actor},  {"request", requested},
      {"erased", erased},   {"unmatched_verification_ids", outcome.unmatched_ids},
      {"revoked", revoked}, {"badge_removal_queued", outcome.badge_removal_queued}};
  absl::StatusOr<std::pair<std::string, std::string>> signed_receipt =
      erasure_->SignReceipt(claims.dump());

  // Audited without the person's data: counts, whether by user, and the
  // receipt's id and hash (to match a receipt shown later).
  nlohmann::json detail = ErasureCounts(outcome);
  detail["by_telegram_user"] = erase.telegram_user_id > 0;
  detail["unmatched"] = outcome.unmatched_ids.size();
  detail["receipt"] = receipt_id;
  if (signed_receipt.ok()) detail["receipt_sha256"] = Sha256Hex(signed_receipt->first);
  storage::AuditEvent event;
  event.time = now;
  event.actor = actor;
  event.action = "erasure.erase";
  event.detail = detail.dump();
  absl::StatusOr<storage::AuditEvent> audited = store_.AppendAudit(event);
  if (!audited.ok()) {
    spdlog::error("erasure not audited receipt={} code={}", receipt_id,
                  absl::StatusCodeToString(audited.status().code()));
  }
  spdlog::info("erasure operator={} receipt={} verifications={} revoked={} unmatched={}", actor,
               receipt_id, outcome.verifications, outcome.revoked.size(),
               outcome.unmatched_ids.size());
  if (!signed_receipt.ok()) {
    spdlog::error("erasure receipt not signed receipt={} code={}", receipt_id,
                  absl::StatusCodeToString(signed_receipt.status().code()));
    return absl::InternalError(
        absl::StrCat("the data was erased, but the receipt could not be signed (",
                     signed_receipt.status().message(), "); erase again for a receipt"));
  }
  v1::EraseResponse response;
  response.set_receipt(signed_receipt->first);
  response.set_claims_json(signed_receipt->second);
  return response;
}

grpc::ServerUnaryReactor* AdminService::Erase(grpc::CallbackServerContext* context,
                                              const v1::EraseRequest* request,
                                              v1::EraseResponse* response) {
  return rpc::AuthenticatedUnary(
      context, authenticator_, response,
      [&](const auth::Principal& p) -> absl::StatusOr<v1::EraseResponse> {
        VOUCH_RETURN_IF_ERROR(auth::RequireOperator(p, auth::OperatorRole::kAdmin));
        return EraseFor(p.id, *request);
      });
}

}  // namespace vouch::verifier::audit
