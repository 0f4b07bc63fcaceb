#include "service/monitored_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rpc/errors.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::service {
namespace {

// Codes a store returns when it cannot be reached or written (store.h).
// A refused database login (kUnauthenticated) is one too for clients: the
// store is unusable until an operator fixes the password (it is logged).
bool IsOutage(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsResourceExhausted(s) || absl::IsUnauthenticated(s);
}

// A driver's own message (store.h: they start with the driver's name).
bool IsDriverMessage(absl::string_view message) {
  return absl::StartsWith(message, "postgresql:") || absl::StartsWith(message, "sqlite:");
}

}  // namespace

MonitoredStore::MonitoredStore(std::unique_ptr<storage::Store> inner, StoreHealthOptions options)
    : inner_(std::move(inner)),
      options_(options),
      outage_log_(options.log_interval),
      error_log_(options.log_interval) {}

MonitoredStore::~MonitoredStore() { StopProbing(); }

void MonitoredStore::StartProbing(Listener listener) {
  if (prober_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  listener_ = std::move(listener);
  prober_ = std::thread([this] { ProbeLoop(); });
}

void MonitoredStore::StopProbing() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (prober_.joinable()) prober_.join();
}

void MonitoredStore::ProbeLoop() {
  bool reported = healthy_.load();
  if (listener_) listener_(reported);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Duration interval =
          healthy_.load() ? options_.probe_interval : options_.unhealthy_probe_interval;
      // Wakes early when a call finds the store down (healthy_ turns false).
      auto changed = [this, reported]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || healthy_.load() != reported;
      };
      mu_.AwaitWithTimeout(absl::Condition(&changed), interval);
      if (stop_) return;
    }
    const absl::Time now = absl::Now();
    const absl::Status probed = inner_->Probe(now);
    if (!probed.ok()) {
      (void)Observe("Probe", probed);
    } else if (!healthy_.load()) {
      absl::MutexLock lock(&mu_);
      if (now - last_failure_ >= options_.hold_down) {
        const absl::Duration down = now - unhealthy_since_;
        healthy_.store(true);
        outage_log_.Reset();
        spdlog::info("store reachable and writable again after {} ms",
                     absl::ToInt64Milliseconds(down));
      }
    }
    const bool now_healthy = healthy_.load();
    if (now_healthy != reported) {
      reported = now_healthy;
      if (listener_) listener_(reported);
    }
  }
}

absl::Status MonitoredStore::Observe(const char* op, const absl::Status& status) {
  if (status.ok()) return status;
  const absl::Time now = absl::Now();
  int64_t suppressed = 0;
  if (IsOutage(status)) {
    {
      absl::MutexLock lock(&mu_);
      last_failure_ = now;
      if (healthy_.exchange(false)) {
        unhealthy_since_ = now;
        spdlog::error("store unhealthy: op={} code={}", op,
                      absl::StatusCodeToString(status.code()));
      }
    }
    if (outage_log_.Allow(now, &suppressed)) {
      spdlog::warn("store call failed op={} code={} suppressed={}: {}", op,
                   absl::StatusCodeToString(status.code()), suppressed,
                   std::string(status.message()));
    }
    if (absl::IsResourceExhausted(status)) {
      return rpc::WithRetryDelay(
          rpc::WithReason(absl::UnavailableError("the store is out of space; retry later"),
                          rpc::reasons::kStoreFull),
          options_.full_retry);
    }
    return rpc::WithRetryDelay(
        rpc::WithReason(absl::UnavailableError("the store is unavailable; retry later"),
                        rpc::reasons::kStoreUnavailable),
        options_.unavailable_retry);
  }
  if (!IsDriverMessage(status.message())) return status;
  if (error_log_.Allow(now, &suppressed)) {
    spdlog::error("store call failed op={} code={} suppressed={}: {}", op,
                  absl::StatusCodeToString(status.code()), suppressed,
                  std::string(status.message()));
  }
  absl::Status generic(status.code(),
                       absl::StrCat("store error (", absl::StatusCodeToString(status.code()), ")"));
  status.ForEachPayload([&generic](absl::string_view url, const absl::Cord& payload) {
    generic.SetPayload(url, payload);
  });
  return generic;
}

absl::StatusOr<storage::CreateOutcome> MonitoredStore::CreateVerification(
    const storage::NewVerification& v) {
  return Observe("CreateVerification", inner_->CreateVerification(v));
}
absl::StatusOr<storage::VerificationRecord> MonitoredStore::GetVerification(absl::string_view id) {
  return Observe("GetVerification", inner_->GetVerification(id));
}
absl::Status MonitoredStore::FinishVerification(
    absl::string_view id, storage::VerificationState state, absl::string_view result,
    absl::Time now, const storage::ReviewCase* review_case,
    const storage::AttestationRecord* attestation, absl::Span<const storage::BadgeRequest> badges,
    absl::Span<const storage::DuplicateEntry> duplicates) {
  return Observe("FinishVerification",
                 inner_->FinishVerification(id, state, result, now, review_case, attestation,
                                            badges, duplicates));
}
absl::Status MonitoredStore::AbandonVerification(absl::string_view id) {
  return Observe("AbandonVerification", inner_->AbandonVerification(id));
}
absl::StatusOr<std::optional<storage::ClaimedJob>> MonitoredStore::ClaimJob(absl::Time now,
                                                                            absl::Duration lease) {
  return Observe("ClaimJob", inner_->ClaimJob(now, lease));
}
absl::Status MonitoredStore::CompleteJob(const storage::ClaimedJob& job,
                                         storage::VerificationState state, absl::string_view result,
                                         absl::Time now, const storage::ReviewCase* review_case,
                                         const storage::AttestationRecord* attestation,
                                         absl::Span<const storage::BadgeRequest> badges,
                                         absl::Span<const storage::DuplicateEntry> duplicates) {
  return Observe("CompleteJob", inner_->CompleteJob(job, state, result, now, review_case,
                                                    attestation, badges, duplicates));
}
absl::StatusOr<absl::Time> MonitoredStore::RenewJobLease(const storage::ClaimedJob& job,
                                                         absl::Time now, absl::Duration lease) {
  return Observe("RenewJobLease", inner_->RenewJobLease(job, now, lease));
}
absl::Status MonitoredStore::Probe(absl::Time now) { return Observe("Probe", inner_->Probe(now)); }
absl::Status MonitoredStore::ReleaseAllLeases() {
  return Observe("ReleaseAllLeases", inner_->ReleaseAllLeases());
}
absl::StatusOr<int64_t> MonitoredStore::AbandonExpiredVerifications(absl::Time now) {
  return Observe("AbandonExpiredVerifications", inner_->AbandonExpiredVerifications(now));
}
absl::StatusOr<int64_t> MonitoredStore::PendingJobCount() {
  return Observe("PendingJobCount", inner_->PendingJobCount());
}
absl::Status MonitoredStore::RecordAttestation(const storage::AttestationRecord& record) {
  return Observe("RecordAttestation", inner_->RecordAttestation(record));
}
absl::StatusOr<storage::AttestationRecord> MonitoredStore::GetAttestation(absl::string_view id) {
  return Observe("GetAttestation", inner_->GetAttestation(id));
}
absl::StatusOr<storage::StatusAllocation> MonitoredStore::AllocateStatusEntry(int64_t list_size) {
  return Observe("AllocateStatusEntry", inner_->AllocateStatusEntry(list_size));
}
absl::StatusOr<std::vector<storage::StatusListInfo>> MonitoredStore::ListStatusLists() {
  return Observe("ListStatusLists", inner_->ListStatusLists());
}
absl::StatusOr<storage::AttestationRecord> MonitoredStore::GetAttestationByVerification(
    absl::string_view verification_id) {
  return Observe("GetAttestationByVerification",
                 inner_->GetAttestationByVerification(verification_id));
}
absl::StatusOr<bool> MonitoredStore::SetAttestationStatus(absl::string_view id, int status) {
  return Observe("SetAttestationStatus", inner_->SetAttestationStatus(id, status));
}
absl::StatusOr<std::vector<storage::AttestationRecord>> MonitoredStore::ListStatusEntries(
    absl::string_view uri) {
  return Observe("ListStatusEntries", inner_->ListStatusEntries(uri));
}
absl::StatusOr<std::vector<storage::ReviewCase>> MonitoredStore::ListCases(
    const storage::CaseFilter& filter, absl::Time now) {
  return Observe("ListCases", inner_->ListCases(filter, now));
}
absl::StatusOr<storage::ReviewCase> MonitoredStore::GetCase(absl::string_view case_id) {
  return Observe("GetCase", inner_->GetCase(case_id));
}
absl::StatusOr<std::optional<storage::ReviewCase>> MonitoredStore::ClaimCase(
    const storage::ClaimCaseRequest& request) {
  return Observe("ClaimCase", inner_->ClaimCase(request));
}
absl::Status MonitoredStore::ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                                         absl::Time now) {
  return Observe("ReleaseCase", inner_->ReleaseCase(case_id, lease_token, now));
}
absl::Status MonitoredStore::EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                                          absl::string_view first_decision,
                                          absl::string_view first_operator, absl::Time now) {
  return Observe("EscalateCase",
                 inner_->EscalateCase(case_id, lease_token, first_decision, first_operator, now));
}
absl::Status MonitoredStore::DecideCase(absl::string_view case_id, absl::string_view lease_token,
                                        absl::string_view result, absl::Time now,
                                        absl::Time keep_until,
                                        const storage::AttestationRecord* attestation,
                                        absl::Span<const storage::BadgeRequest> badges,
                                        storage::DuplicateVerdict duplicates) {
  return Observe("DecideCase", inner_->DecideCase(case_id, lease_token, result, now, keep_until,
                                                  attestation, badges, duplicates));
}
// Telegram badge outbox.
absl::StatusOr<bool> MonitoredStore::EnqueueBadge(const storage::BadgeRequest& request,
                                                  absl::Time now) {
  return Observe("EnqueueBadge", inner_->EnqueueBadge(request, now));
}
absl::StatusOr<std::vector<storage::BadgeItem>> MonitoredStore::ClaimBadges(absl::Time now, int max,
                                                                            absl::Duration lease) {
  return Observe("ClaimBadges", inner_->ClaimBadges(now, max, lease));
}
absl::Status MonitoredStore::RecordBadgeAttempt(const storage::BadgeItem& claimed,
                                                storage::BadgeState outcome, absl::Time retry_at,
                                                absl::string_view error, absl::Time now) {
  return Observe("RecordBadgeAttempt",
                 inner_->RecordBadgeAttempt(claimed, outcome, retry_at, error, now));
}
absl::StatusOr<std::vector<storage::BadgeItem>> MonitoredStore::FindBadges(
    absl::string_view verification_id) {
  return Observe("FindBadges", inner_->FindBadges(verification_id));
}
absl::StatusOr<storage::BadgeCounts> MonitoredStore::CountBadges() {
  return Observe("CountBadges", inner_->CountBadges());
}
absl::Status MonitoredStore::RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                                       absl::string_view sealed, absl::string_view key_id) {
  return Observe("RekeyCase", inner_->RekeyCase(case_id, expected_key_id, sealed, key_id));
}
absl::StatusOr<std::vector<std::string>> MonitoredStore::CasesSealedWith(absl::string_view key_id) {
  return Observe("CasesSealedWith", inner_->CasesSealedWith(key_id));
}
absl::StatusOr<std::vector<storage::ReviewCase>> MonitoredStore::ListExpiredCases(absl::Time now,
                                                                                  int limit) {
  return Observe("ListExpiredCases", inner_->ListExpiredCases(now, limit));
}
absl::StatusOr<bool> MonitoredStore::ExpireCase(absl::string_view case_id,
                                                absl::string_view expired_result, absl::Time now) {
  return Observe("ExpireCase", inner_->ExpireCase(case_id, expired_result, now));
}
absl::StatusOr<storage::AuditEvent> MonitoredStore::AppendAudit(const storage::AuditEvent& event) {
  return Observe("AppendAudit", inner_->AppendAudit(event));
}
absl::StatusOr<std::vector<storage::AuditEvent>> MonitoredStore::ListAudit(int64_t after_seq,
                                                                           int limit) {
  return Observe("ListAudit", inner_->ListAudit(after_seq, limit));
}

// ---- duplicate index ----
absl::Status MonitoredStore::RecordDuplicates(absl::Span<const storage::DuplicateEntry> entries) {
  return Observe("RecordDuplicates", inner_->RecordDuplicates(entries));
}
absl::StatusOr<std::vector<storage::DuplicateEntry>> MonitoredStore::FindDuplicates(
    absl::string_view scope, storage::DuplicateKind kind,
    absl::Span<const storage::DuplicateProbe> probes, absl::Time now, int limit) {
  return Observe("FindDuplicates", inner_->FindDuplicates(scope, kind, probes, now, limit));
}
absl::StatusOr<int64_t> MonitoredStore::MarkDuplicatesForged(absl::string_view verification_id) {
  return Observe("MarkDuplicatesForged", inner_->MarkDuplicatesForged(verification_id));
}
absl::StatusOr<int64_t> MonitoredStore::ConfirmDuplicates(absl::string_view verification_id) {
  return Observe("ConfirmDuplicates", inner_->ConfirmDuplicates(verification_id));
}
absl::StatusOr<int64_t> MonitoredStore::DeleteDuplicates(absl::string_view verification_id) {
  return Observe("DeleteDuplicates", inner_->DeleteDuplicates(verification_id));
}
absl::StatusOr<int64_t> MonitoredStore::PurgeExpiredDuplicates(absl::Time now) {
  return Observe("PurgeExpiredDuplicates", inner_->PurgeExpiredDuplicates(now));
}
absl::StatusOr<int64_t> MonitoredStore::CountDuplicates(absl::Time now) {
  return Observe("CountDuplicates", inner_->CountDuplicates(now));
}
// ---- end duplicate index ----
// ---- face 1:N index ----
absl::StatusOr<std::vector<storage::FaceIndexChange>> MonitoredStore::ListFaceChanges(
    absl::Time after, absl::string_view after_id, int limit) {
  return Observe("ListFaceChanges", inner_->ListFaceChanges(after, after_id, limit));
}
absl::StatusOr<int64_t> MonitoredStore::CountFaces(absl::Time now) {
  return Observe("CountFaces", inner_->CountFaces(now));
}
// ---- end face 1:N index ----
// ---- Wallet credential offers (OpenID4VCI) ----
absl::Status MonitoredStore::CreateWalletOffer(const storage::WalletOfferRecord& offer) {
  return Observe("CreateWalletOffer", inner_->CreateWalletOffer(offer));
}
absl::StatusOr<storage::WalletRedeemOutcome> MonitoredStore::RedeemWalletOffer(
    absl::string_view code_hash, absl::string_view tx_code_hash, absl::string_view token_hash,
    absl::Time token_expire_time, int max_tx_failures, absl::Time now) {
  return Observe("RedeemWalletOffer",
                 inner_->RedeemWalletOffer(code_hash, tx_code_hash, token_hash, token_expire_time,
                                           max_tx_failures, now));
}
absl::StatusOr<storage::WalletOfferRecord> MonitoredStore::ClaimWalletOffer(
    absl::string_view token_hash, absl::Time now) {
  return Observe("ClaimWalletOffer", inner_->ClaimWalletOffer(token_hash, now));
}
// ---- end wallet credential offers ----
// ---- reviewer's reversal ----
absl::StatusOr<storage::ReversalOutcome> MonitoredStore::ReverseVerification(
    absl::string_view verification_id, absl::string_view expected_result, absl::string_view result,
    absl::Time now) {
  return Observe("ReverseVerification",
                 inner_->ReverseVerification(verification_id, expected_result, result, now));
}
// ---- end reviewer's reversal ----
// ---- attestation pickup window ----
absl::Status MonitoredStore::SchedulePickupExpiry(absl::string_view verification_id,
                                                  absl::Time delete_after) {
  return Observe("SchedulePickupExpiry",
                 inner_->SchedulePickupExpiry(verification_id, delete_after));
}

absl::StatusOr<std::vector<std::string>> MonitoredStore::ListExpiredPickups(absl::Time now,
                                                                            int limit) {
  return Observe("ListExpiredPickups", inner_->ListExpiredPickups(now, limit));
}

absl::Status MonitoredStore::ClosePickup(absl::string_view verification_id,
                                         absl::string_view expected_result,
                                         absl::string_view result) {
  return Observe("ClosePickup", inner_->ClosePickup(verification_id, expected_result, result));
}
// ---- end attestation pickup window ----
// ---- retention ----
absl::StatusOr<std::vector<std::string>> MonitoredStore::PurgeVerifications(
    absl::string_view policy, absl::Time updated_before, absl::Time now, int limit) {
  return Observe("PurgeVerifications",
                 inner_->PurgeVerifications(policy, updated_before, now, limit));
}

absl::StatusOr<int64_t> MonitoredStore::PurgeKeptAttestations(absl::Time now) {
  return Observe("PurgeKeptAttestations", inner_->PurgeKeptAttestations(now));
}

absl::StatusOr<int64_t> MonitoredStore::ReleaseIdempotencyKeys(absl::string_view policy,
                                                               absl::Time created_before) {
  return Observe("ReleaseIdempotencyKeys", inner_->ReleaseIdempotencyKeys(policy, created_before));
}
// ---- end retention ----
// Face re-sealing.
absl::StatusOr<std::vector<storage::DuplicateEntry>> MonitoredStore::FacesSealedWith(
    absl::string_view key_id, absl::string_view after_id, int limit) {
  return Observe("FacesSealedWith", inner_->FacesSealedWith(key_id, after_id, limit));
}

absl::StatusOr<bool> MonitoredStore::RekeyFace(absl::string_view verification_id,
                                               absl::string_view expected_key_id,
                                               absl::string_view sealed, absl::string_view key_id) {
  return Observe("RekeyFace", inner_->RekeyFace(verification_id, expected_key_id, sealed, key_id));
}

// Erasure.
absl::StatusOr<storage::ErasureOutcome> MonitoredStore::EraseVerifications(
    const storage::ErasureRequest& request) {
  return Observe("EraseVerifications", inner_->EraseVerifications(request));
}

absl::StatusOr<std::unique_ptr<storage::Store>> OpenStoreWithRetry(
    const std::function<absl::StatusOr<std::unique_ptr<storage::Store>>()>& open,
    absl::Duration wait, const std::function<void()>& waiting) {
  constexpr absl::Duration kFirstBackoff = absl::Milliseconds(500);
  constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
  LogLimiter log(absl::Seconds(10));
  const absl::Time deadline = absl::Now() + wait;
  absl::Duration backoff = kFirstBackoff;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::unique_ptr<storage::Store>> store = open();
    if (store.ok() || !absl::IsUnavailable(store.status())) return store;
    const absl::Time now = absl::Now();
    if (now + backoff > deadline) return store.status();
    int64_t suppressed = 0;
    if (log.Allow(now, &suppressed)) {
      spdlog::warn("store unreachable at start attempt={} retrying_for_s={}: {}", attempt,
                   absl::ToInt64Seconds(deadline - now), std::string(store.status().message()));
    }
    if (attempt == 1 && waiting) waiting();
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace vouch::verifier::service
