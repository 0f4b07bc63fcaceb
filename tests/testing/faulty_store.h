#ifndef VOUCH_TESTS_TESTING_FAULTY_STORE_H_
#define VOUCH_TESTS_TESTING_FAULTY_STORE_H_

// Tests only (vouch::testing): a Store that forwards to a real one (the in-memory store)
// and fails chosen operations on demand, like a database that went away.

#include <atomic>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "storage/store.h"

namespace vouch::verifier::testing {

class FaultyStore final : public storage::Store {
 public:
  explicit FaultyStore(std::unique_ptr<storage::Store> inner) : inner_(std::move(inner)) {}

  storage::Store& inner() { return *inner_; }
  // While set, every operation fails with this status (e.g. kUnavailable).
  void FailAll(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_all_ = std::move(s);
  }
  // The next `n` completions (CompleteJob or FinishVerification) fail with
  // `s` (nothing written).
  void FailCompletions(int n, absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_completions_ = n;
    completion_error_ = std::move(s);
  }
  // The next `n` AbandonVerification calls fail with `s` (nothing written).
  void FailAbandons(int n, absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_abandons_ = n;
    abandon_error_ = std::move(s);
  }
  // While set, the duplicate index's own moves (ConfirmDuplicates,
  // MarkDuplicatesForged, DeleteDuplicates) fail with kUnavailable.
  std::atomic<bool> fail_duplicate_moves{false};
  std::atomic<int> complete_calls{0};
  std::atomic<int> finish_calls{0};
  std::atomic<int> complete_ok{0};
  std::atomic<int> renewals{0};

  absl::StatusOr<storage::CreateOutcome> CreateVerification(
      const storage::NewVerification& v) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->CreateVerification(v);
  }
  absl::StatusOr<storage::VerificationRecord> GetVerification(absl::string_view id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->GetVerification(id);
  }
  absl::Status FinishVerification(absl::string_view id, storage::VerificationState state,
                                  absl::string_view result, absl::Time now,
                                  const storage::ReviewCase* c, const storage::AttestationRecord* a,
                                  absl::Span<const storage::BadgeRequest> badges,
                                  absl::Span<const storage::DuplicateEntry> duplicates) override {
    ++finish_calls;
    VOUCH_RETURN_IF_ERROR(Fault());
    VOUCH_RETURN_IF_ERROR(CompletionFault());
    return inner_->FinishVerification(id, state, result, now, c, a, badges, duplicates);
  }
  absl::Status AbandonVerification(absl::string_view id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    VOUCH_RETURN_IF_ERROR(AbandonFault());
    return inner_->AbandonVerification(id);
  }
  absl::StatusOr<int64_t> AbandonExpiredVerifications(absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->AbandonExpiredVerifications(now);
  }
  absl::StatusOr<std::optional<storage::ClaimedJob>> ClaimJob(absl::Time now,
                                                              absl::Duration lease) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ClaimJob(now, lease);
  }
  absl::Status CompleteJob(const storage::ClaimedJob& job, storage::VerificationState state,
                           absl::string_view result, absl::Time now, const storage::ReviewCase* c,
                           const storage::AttestationRecord* a,
                           absl::Span<const storage::BadgeRequest> badges,
                           absl::Span<const storage::DuplicateEntry> duplicates) override {
    ++complete_calls;
    VOUCH_RETURN_IF_ERROR(Fault());
    VOUCH_RETURN_IF_ERROR(CompletionFault());
    absl::Status s = inner_->CompleteJob(job, state, result, now, c, a, badges, duplicates);
    if (s.ok()) ++complete_ok;
    return s;
  }
  absl::StatusOr<absl::Time> RenewJobLease(const storage::ClaimedJob& job, absl::Time now,
                                           absl::Duration lease) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    ++renewals;
    return inner_->RenewJobLease(job, now, lease);
  }
  absl::Status Probe(absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->Probe(now);
  }
  absl::Status ReleaseAllLeases() override { return inner_->ReleaseAllLeases(); }
  absl::StatusOr<int64_t> PendingJobCount() override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->PendingJobCount();
  }
  absl::Status RecordAttestation(const storage::AttestationRecord& r) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->RecordAttestation(r);
  }
  absl::StatusOr<storage::AttestationRecord> GetAttestation(absl::string_view id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->GetAttestation(id);
  }
  absl::StatusOr<storage::StatusAllocation> AllocateStatusEntry(int64_t list_size) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->AllocateStatusEntry(list_size);
  }
  absl::StatusOr<std::unique_ptr<storage::ChangeStream>> OpenChangeStream() override {
    return inner_->OpenChangeStream();
  }
  absl::StatusOr<std::vector<storage::StatusListInfo>> ListStatusLists() override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ListStatusLists();
  }
  absl::StatusOr<storage::AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->GetAttestationByVerification(verification_id);
  }
  absl::StatusOr<bool> SetAttestationStatus(absl::string_view id, int status) override {
    return inner_->SetAttestationStatus(id, status);
  }
  absl::StatusOr<std::vector<storage::AttestationRecord>> ListStatusEntries(
      absl::string_view uri) override {
    return inner_->ListStatusEntries(uri);
  }
  absl::StatusOr<std::vector<storage::ReviewCase>> ListCases(const storage::CaseFilter& f,
                                                             absl::Time now) override {
    return inner_->ListCases(f, now);
  }
  absl::StatusOr<storage::ReviewCase> GetCase(absl::string_view id) override {
    return inner_->GetCase(id);
  }
  absl::StatusOr<std::optional<storage::ReviewCase>> ClaimCase(
      const storage::ClaimCaseRequest& r) override {
    return inner_->ClaimCase(r);
  }
  absl::Status ReleaseCase(absl::string_view id, absl::string_view token, absl::Time now) override {
    return inner_->ReleaseCase(id, token, now);
  }
  absl::Status EscalateCase(absl::string_view id, absl::string_view token,
                            absl::string_view decision, absl::string_view op,
                            absl::Time now) override {
    return inner_->EscalateCase(id, token, decision, op, now);
  }
  absl::Status DecideCase(absl::string_view id, absl::string_view token, absl::string_view result,
                          absl::Time now, absl::Time keep_until,
                          const storage::AttestationRecord* a,
                          absl::Span<const storage::BadgeRequest> badges,
                          storage::DuplicateVerdict duplicates) override {
    return inner_->DecideCase(id, token, result, now, keep_until, a, badges, duplicates);
  }
  absl::Status RekeyCase(absl::string_view id, absl::string_view expected, absl::string_view sealed,
                         absl::string_view key_id) override {
    return inner_->RekeyCase(id, expected, sealed, key_id);
  }
  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) override {
    return inner_->CasesSealedWith(key_id);
  }
  absl::StatusOr<std::vector<storage::ReviewCase>> ListExpiredCases(absl::Time now,
                                                                    int limit) override {
    return inner_->ListExpiredCases(now, limit);
  }
  absl::StatusOr<bool> ExpireCase(absl::string_view id, absl::string_view result,
                                  absl::Time now) override {
    return inner_->ExpireCase(id, result, now);
  }
  // Telegram badge outbox: forwarded; failing with FailAll.
  absl::StatusOr<bool> EnqueueBadge(const storage::BadgeRequest& r, absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->EnqueueBadge(r, now);
  }
  absl::StatusOr<std::vector<storage::BadgeItem>> ClaimBadges(absl::Time now, int max,
                                                              absl::Duration lease) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ClaimBadges(now, max, lease);
  }
  absl::Status RecordBadgeAttempt(const storage::BadgeItem& claimed, storage::BadgeState outcome,
                                  absl::Time retry_at, absl::string_view error,
                                  absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->RecordBadgeAttempt(claimed, outcome, retry_at, error, now);
  }
  absl::StatusOr<std::vector<storage::BadgeItem>> FindBadges(absl::string_view id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->FindBadges(id);
  }
  absl::StatusOr<storage::BadgeCounts> CountBadges() override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->CountBadges();
  }
  absl::StatusOr<storage::AuditEvent> AppendAudit(const storage::AuditEvent& e) override {
    return inner_->AppendAudit(e);
  }
  absl::StatusOr<std::vector<storage::AuditEvent>> ListAudit(int64_t after, int limit) override {
    return inner_->ListAudit(after, limit);
  }
  // ---- duplicate index ----
  absl::Status RecordDuplicates(absl::Span<const storage::DuplicateEntry> entries) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->RecordDuplicates(entries);
  }
  absl::StatusOr<std::vector<storage::DuplicateEntry>> FindDuplicates(
      absl::string_view scope, storage::DuplicateKind kind,
      absl::Span<const storage::DuplicateProbe> probes, absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->FindDuplicates(scope, kind, probes, now, limit);
  }
  absl::StatusOr<int64_t> MarkDuplicatesForged(absl::string_view verification_id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    if (fail_duplicate_moves) return absl::UnavailableError("duplicate moves fail");
    return inner_->MarkDuplicatesForged(verification_id);
  }
  absl::StatusOr<int64_t> ConfirmDuplicates(absl::string_view verification_id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    if (fail_duplicate_moves) return absl::UnavailableError("duplicate moves fail");
    return inner_->ConfirmDuplicates(verification_id);
  }
  absl::StatusOr<int64_t> DeleteDuplicates(absl::string_view verification_id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    if (fail_duplicate_moves) return absl::UnavailableError("duplicate moves fail");
    return inner_->DeleteDuplicates(verification_id);
  }
  absl::StatusOr<int64_t> PurgeExpiredDuplicates(absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->PurgeExpiredDuplicates(now);
  }
  absl::StatusOr<int64_t> CountDuplicates(absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->CountDuplicates(now);
  }
  // ---- end duplicate index ----
  // ---- face 1:N index ----
  absl::StatusOr<std::vector<storage::FaceIndexChange>> ListFaceChanges(absl::Time after,
                                                                        absl::string_view after_id,
                                                                        int limit) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ListFaceChanges(after, after_id, limit);
  }
  absl::StatusOr<int64_t> CountFaces(absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->CountFaces(now);
  }
  // ---- end face 1:N index ----
  // ---- Wallet credential offers (OpenID4VCI) ----
  absl::Status CreateWalletOffer(const storage::WalletOfferRecord& offer) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->CreateWalletOffer(offer);
  }
  absl::StatusOr<storage::WalletRedeemOutcome> RedeemWalletOffer(
      absl::string_view code_hash, absl::string_view tx_code_hash, absl::string_view token_hash,
      absl::Time token_expire_time, int max_tx_failures, absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->RedeemWalletOffer(code_hash, tx_code_hash, token_hash, token_expire_time,
                                     max_tx_failures, now);
  }
  absl::StatusOr<storage::WalletOfferRecord> ClaimWalletOffer(absl::string_view token_hash,
                                                              absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ClaimWalletOffer(token_hash, now);
  }
  // ---- end wallet credential offers ----
  // ---- reviewer's reversal ----
  absl::StatusOr<storage::ReversalOutcome> ReverseVerification(absl::string_view id,
                                                               absl::string_view expected_result,
                                                               absl::string_view result,
                                                               absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ReverseVerification(id, expected_result, result, now);
  }
  // ---- end reviewer's reversal ----
  // ---- attestation pickup window ----
  absl::Status SchedulePickupExpiry(absl::string_view id, absl::Time delete_after) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->SchedulePickupExpiry(id, delete_after);
  }
  absl::StatusOr<std::vector<std::string>> ListExpiredPickups(absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ListExpiredPickups(now, limit);
  }
  absl::Status ClosePickup(absl::string_view id, absl::string_view expected_result,
                           absl::string_view result) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ClosePickup(id, expected_result, result);
  }
  // ---- end attestation pickup window ----
  // ---- retention ----
  absl::StatusOr<std::vector<std::string>> PurgeVerifications(absl::string_view policy,
                                                              absl::Time updated_before,
                                                              absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->PurgeVerifications(policy, updated_before, now, limit);
  }
  absl::StatusOr<int64_t> PurgeKeptAttestations(absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->PurgeKeptAttestations(now);
  }
  absl::StatusOr<int64_t> ReleaseIdempotencyKeys(absl::string_view policy,
                                                 absl::Time created_before) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->ReleaseIdempotencyKeys(policy, created_before);
  }
  // ---- end retention ----
  absl::StatusOr<std::vector<storage::DuplicateEntry>> FacesSealedWith(absl::string_view key_id,
                                                                       absl::string_view after_id,
                                                                       int limit) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->FacesSealedWith(key_id, after_id, limit);
  }
  absl::StatusOr<bool> RekeyFace(absl::string_view verification_id,
                                 absl::string_view expected_key_id, absl::string_view sealed,
                                 absl::string_view key_id) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->RekeyFace(verification_id, expected_key_id, sealed, key_id);
  }
  absl::StatusOr<storage::ErasureOutcome> EraseVerifications(
      const storage::ErasureRequest& request) override {
    VOUCH_RETURN_IF_ERROR(Fault());
    return inner_->EraseVerifications(request);
  }

 private:
  absl::Status Fault() {
    absl::MutexLock lock(&mu_);
    return fail_all_;
  }
  absl::Status CompletionFault() {
    absl::MutexLock lock(&mu_);
    if (fail_completions_ == 0) return absl::OkStatus();
    --fail_completions_;
    return completion_error_;
  }
  absl::Status AbandonFault() {
    absl::MutexLock lock(&mu_);
    if (fail_abandons_ == 0) return absl::OkStatus();
    --fail_abandons_;
    return abandon_error_;
  }

  std::unique_ptr<storage::Store> inner_;
  absl::Mutex mu_;
  absl::Status fail_all_ ABSL_GUARDED_BY(mu_);
  int fail_completions_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status completion_error_ ABSL_GUARDED_BY(mu_);
  int fail_abandons_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status abandon_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_TESTING_FAULTY_STORE_H_
