#ifndef VOUCH_VERIFIER_SERVICE_MONITORED_STORE_H_
#define VOUCH_VERIFIER_SERVICE_MONITORED_STORE_H_

// The Store as vouchd's RPCs and workers see it: every call goes to an
// inner store, and
// - its health is tracked: a call that finds the store unreachable or out of
//   space makes it unhealthy at once; a background probe (a one-row write,
//   Store::Probe) makes it healthy again once it succeeds and no call has
//   failed for `hold_down`. Health changes are reported to a listener (gRPC
//   health: NOT_SERVING / SERVING) and logged;
// - its errors become ones a client can act on: unreachable is UNAVAILABLE
//   with reason STORE_UNAVAILABLE and a RetryInfo, out of space UNAVAILABLE
//   with reason STORE_FULL and a RetryInfo, and a driver's message (which
//   may name a host, a port, SQL or a file) is replaced by a generic one.
//   The original goes to the log only, at most once per `log_interval` for
//   outages (with the count of lines left out).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/log_limiter.h"
#include "storage/store.h"

namespace vouch::verifier::service {

struct StoreHealthOptions {
  // How often the probe writes while healthy, and while not.
  absl::Duration probe_interval = absl::Seconds(2);
  absl::Duration unhealthy_probe_interval = absl::Seconds(1);
  // After a failed call the store stays unhealthy at least this long.
  absl::Duration hold_down = absl::Seconds(3);
  // RetryInfo delays sent to clients.
  absl::Duration unavailable_retry = absl::Seconds(2);
  absl::Duration full_retry = absl::Seconds(10);
  // At most one log line per this interval for outage errors.
  absl::Duration log_interval = absl::Seconds(30);
};

// Thread-safe.
class MonitoredStore final : public storage::Store {
 public:
  using Listener = std::function<void(bool serving)>;

  MonitoredStore(std::unique_ptr<storage::Store> inner, StoreHealthOptions options = {});
  ~MonitoredStore() override;  // Stops probing.

  // Starts the probe thread. `listener` is called with the current health
  // at once and on every change, from the probe thread (never concurrently
  // with itself), until StopProbing() returns.
  void StartProbing(Listener listener);
  void StopProbing();

  // Whether the last probe and every call since `hold_down` succeeded.
  bool healthy() const { return healthy_.load(); }

  absl::StatusOr<storage::CreateOutcome> CreateVerification(
      const storage::NewVerification& v) override;
  absl::StatusOr<storage::VerificationRecord> GetVerification(absl::string_view id) override;
  absl::Status FinishVerification(absl::string_view id, storage::VerificationState state,
                                  absl::string_view result, absl::Time now,
                                  const storage::ReviewCase* review_case,
                                  const storage::AttestationRecord* attestation,
                                  absl::Span<const storage::BadgeRequest> badges,
                                  absl::Span<const storage::DuplicateEntry> duplicates) override;
  absl::Status AbandonVerification(absl::string_view id) override;
  absl::StatusOr<std::optional<storage::ClaimedJob>> ClaimJob(absl::Time now,
                                                              absl::Duration lease) override;
  absl::Status CompleteJob(const storage::ClaimedJob& job, storage::VerificationState state,
                           absl::string_view result, absl::Time now,
                           const storage::ReviewCase* review_case,
                           const storage::AttestationRecord* attestation,
                           absl::Span<const storage::BadgeRequest> badges,
                           absl::Span<const storage::DuplicateEntry> duplicates) override;
  absl::StatusOr<absl::Time> RenewJobLease(const storage::ClaimedJob& job, absl::Time now,
                                           absl::Duration lease) override;
  absl::Status Probe(absl::Time now) override;
  absl::Status ReleaseAllLeases() override;
  absl::StatusOr<int64_t> AbandonExpiredVerifications(absl::Time now) override;
  absl::StatusOr<int64_t> PendingJobCount() override;
  absl::Status RecordAttestation(const storage::AttestationRecord& record) override;
  absl::StatusOr<storage::AttestationRecord> GetAttestation(
      absl::string_view attestation_id) override;
  absl::StatusOr<storage::StatusAllocation> AllocateStatusEntry(int64_t list_size) override;
  absl::StatusOr<std::vector<storage::StatusListInfo>> ListStatusLists() override;
  // Forwarded as is (kUnimplemented is not an outage).
  absl::StatusOr<std::unique_ptr<storage::ChangeStream>> OpenChangeStream() override {
    return inner_->OpenChangeStream();
  }
  absl::StatusOr<storage::AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) override;
  absl::StatusOr<bool> SetAttestationStatus(absl::string_view attestation_id, int status) override;
  absl::StatusOr<std::vector<storage::AttestationRecord>> ListStatusEntries(
      absl::string_view status_list_uri) override;
  absl::StatusOr<std::vector<storage::ReviewCase>> ListCases(const storage::CaseFilter& filter,
                                                             absl::Time now) override;
  absl::StatusOr<storage::ReviewCase> GetCase(absl::string_view case_id) override;
  absl::StatusOr<std::optional<storage::ReviewCase>> ClaimCase(
      const storage::ClaimCaseRequest& request) override;
  absl::Status ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                           absl::Time now) override;
  absl::Status EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                            absl::string_view first_decision, absl::string_view first_operator,
                            absl::Time now) override;
  absl::Status DecideCase(absl::string_view case_id, absl::string_view lease_token,
                          absl::string_view result, absl::Time now, absl::Time keep_until,
                          const storage::AttestationRecord* attestation,
                          absl::Span<const storage::BadgeRequest> badges,
                          storage::DuplicateVerdict duplicates) override;
  // Telegram badge outbox.
  absl::StatusOr<bool> EnqueueBadge(const storage::BadgeRequest& request, absl::Time now) override;
  absl::StatusOr<std::vector<storage::BadgeItem>> ClaimBadges(absl::Time now, int max,
                                                              absl::Duration lease) override;
  absl::Status RecordBadgeAttempt(const storage::BadgeItem& claimed, storage::BadgeState outcome,
                                  absl::Time retry_at, absl::string_view error,
                                  absl::Time now) override;
  absl::StatusOr<std::vector<storage::BadgeItem>> FindBadges(
      absl::string_view verification_id) override;
  absl::StatusOr<storage::BadgeCounts> CountBadges() override;
  absl::Status RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                         absl::string_view sealed, absl::string_view key_id) override;
  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) override;
  absl::StatusOr<std::vector<storage::ReviewCase>> ListExpiredCases(absl::Time now,
                                                                    int limit) override;
  absl::StatusOr<bool> ExpireCase(absl::string_view case_id, absl::string_view expired_result,
                                  absl::Time now) override;
  absl::StatusOr<storage::AuditEvent> AppendAudit(const storage::AuditEvent& event) override;
  absl::StatusOr<std::vector<storage::AuditEvent>> ListAudit(int64_t after_seq, int limit) override;
  // ---- duplicate index ----
  absl::Status RecordDuplicates(absl::Span<const storage::DuplicateEntry> entries) override;
  absl::StatusOr<std::vector<storage::DuplicateEntry>> FindDuplicates(
      absl::string_view scope, storage::DuplicateKind kind,
      absl::Span<const storage::DuplicateProbe> probes, absl::Time now, int limit) override;
  absl::StatusOr<int64_t> MarkDuplicatesForged(absl::string_view verification_id) override;
  absl::StatusOr<int64_t> ConfirmDuplicates(absl::string_view verification_id) override;
  absl::StatusOr<int64_t> DeleteDuplicates(absl::string_view verification_id) override;
  absl::StatusOr<int64_t> PurgeExpiredDuplicates(absl::Time now) override;
  absl::StatusOr<int64_t> CountDuplicates(absl::Time now) override;
  // ---- end duplicate index ----
  // ---- face 1:N index ----
  absl::StatusOr<std::vector<storage::FaceIndexChange>> ListFaceChanges(absl::Time after,
                                                                        absl::string_view after_id,
                                                                        int limit) override;
  absl::StatusOr<int64_t> CountFaces(absl::Time now) override;
  // ---- end face 1:N index ----
  // ---- Wallet credential offers (OpenID4VCI) ----
  absl::Status CreateWalletOffer(const storage::WalletOfferRecord& offer) override;
  absl::StatusOr<storage::WalletRedeemOutcome> RedeemWalletOffer(
      absl::string_view code_hash, absl::string_view tx_code_hash, absl::string_view token_hash,
      absl::Time token_expire_time, int max_tx_failures, absl::Time now) override;
  absl::StatusOr<storage::WalletOfferRecord> ClaimWalletOffer(absl::string_view token_hash,
                                                              absl::Time now) override;
  // ---- end wallet credential offers ----
  // ---- reviewer's reversal ----
  absl::StatusOr<storage::ReversalOutcome> ReverseVerification(absl::string_view verification_id,
                                                               absl::string_view expected_result,
                                                               absl::string_view result,
                                                               absl::Time now) override;
  // ---- end reviewer's reversal ----
  // ---- attestation pickup window ----
  absl::Status SchedulePickupExpiry(absl::string_view verification_id,
                                    absl::Time delete_after) override;
  absl::StatusOr<std::vector<std::string>> ListExpiredPickups(absl::Time now, int limit) override;
  absl::Status ClosePickup(absl::string_view verification_id, absl::string_view expected_result,
                           absl::string_view result) override;
  // ---- end attestation pickup window ----
  // ---- retention ----
  absl::StatusOr<std::vector<std::string>> PurgeVerifications(absl::string_view policy,
                                                              absl::Time updated_before,
                                                              absl::Time now, int limit) override;
  absl::StatusOr<int64_t> ReleaseIdempotencyKeys(absl::string_view policy,
                                                 absl::Time created_before) override;
  absl::StatusOr<int64_t> PurgeKeptAttestations(absl::Time now) override;
  // Face re-sealing.
  absl::StatusOr<std::vector<storage::DuplicateEntry>> FacesSealedWith(absl::string_view key_id,
                                                                       absl::string_view after_id,
                                                                       int limit) override;
  absl::StatusOr<bool> RekeyFace(absl::string_view verification_id,
                                 absl::string_view expected_key_id, absl::string_view sealed,
                                 absl::string_view key_id) override;
  // Erasure.
  absl::StatusOr<storage::ErasureOutcome> EraseVerifications(
      const storage::ErasureRequest& request) override;
  // ---- end retention ----

 private:
  // Records the outcome of `op` and returns the status a caller may see.
  absl::Status Observe(const char* op, const absl::Status& status);
  template <typename T>
  absl::StatusOr<T> Observe(const char* op, absl::StatusOr<T> result) {
    if (result.ok()) return result;
    return Observe(op, result.status());
  }
  void SetHealthy(bool healthy, absl::string_view why);
  void ProbeLoop();

  const std::unique_ptr<storage::Store> inner_;
  const StoreHealthOptions options_;
  std::atomic<bool> healthy_{true};
  LogLimiter outage_log_;
  LogLimiter error_log_;

  absl::Mutex mu_;
  absl::Time last_failure_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time unhealthy_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  Listener listener_;  // Used by the probe thread only.
  std::thread prober_;
};

// Opens a store with `open`, retrying an unreachable one (kUnavailable) with
// backoff (0.5 s doubling to 5 s) until `wait` has passed; logs a failure at
// most once per 10 s. Other errors are returned at once. `waiting`, when
// set, is called once before the first retry.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenStoreWithRetry(
    const std::function<absl::StatusOr<std::unique_ptr<storage::Store>>()>& open,
    absl::Duration wait, const std::function<void()>& waiting = nullptr);

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_MONITORED_STORE_H_
