// In-memory Store for unit tests. Same semantics as the SQLite store, checked
// by the same conformance suite.

#include <algorithm>
#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "storage/store.h"
#include "storage/store_internal.h"

namespace vouch::verifier {
namespace {

struct Job {
  std::string payload;
  int64_t seq = 0;
  std::string lease_token;
  absl::Time lease_expiry = absl::InfinitePast();
  int attempts = 0;
};

class MemoryStore final : public Store {
 public:
  absl::StatusOr<CreateOutcome> CreateVerification(const NewVerification& v) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateNew(v));
    absl::MutexLock lock(&mu_);
    const VerificationRecord& r = v.record;
    if (!r.idempotency_key.empty()) {
      auto it = keys_.find(KeyOf(r.relying_service, r.idempotency_key));
      if (it != keys_.end()) return CreateOutcome{verifications_.at(it->second), true};
    }
    if (verifications_.contains(r.id)) {
      return absl::AlreadyExistsError("verification id exists");
    }
    verifications_[r.id] = r;
    if (!r.idempotency_key.empty()) {
      keys_[KeyOf(r.relying_service, r.idempotency_key)] = r.id;
    }
    if (v.job_payload.has_value()) {
      jobs_[r.id] = Job{*v.job_payload, ++seq_, "", absl::InfinitePast(), 0};
    }
    return CreateOutcome{r, false};
  }

  absl::StatusOr<VerificationRecord> GetVerification(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    auto it = verifications_.find(std::string(id));
    if (it == verifications_.end()) return absl::NotFoundError("unknown verification");
    return it->second;
  }

  absl::Status FinishVerification(absl::string_view id, VerificationState state,
                                  absl::string_view result, absl::Time now,
                                  const ReviewCase* review_case,
                                  const AttestationRecord* attestation) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) {
      VOUCH_RETURN_IF_ERROR(internal::ValidateCase(*review_case, id, state));
    }
    absl::MutexLock lock(&mu_);
    auto it = verifications_.find(std::string(id));
    if (it == verifications_.end()) return absl::NotFoundError("unknown verification");
    if (IsTerminal(it->second.state) || jobs_.contains(it->first)) {
      return absl::FailedPreconditionError("verification is terminal or has a job");
    }
    if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(CheckAttestationLocked(*attestation));
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(AddCaseLocked(*review_case));
    if (attestation != nullptr) attestations_[attestation->attestation_id] = *attestation;
    it->second.state = state;
    it->second.result = std::string(result);
    it->second.update_time = now;
    return absl::OkStatus();
  }

  absl::Status AbandonVerification(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    auto it = verifications_.find(std::string(id));
    if (it == verifications_.end()) return absl::NotFoundError("unknown verification");
    if (IsTerminal(it->second.state)) {
      return absl::FailedPreconditionError("verification is terminal");
    }
    if (!it->second.idempotency_key.empty()) {
      keys_.erase(KeyOf(it->second.relying_service, it->second.idempotency_key));
    }
    jobs_.erase(it->first);
    verifications_.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<ClaimedJob>> ClaimJob(absl::Time now,
                                                     absl::Duration lease) override {
    absl::MutexLock lock(&mu_);
    std::string best;
    int64_t best_seq = 0;
    for (const auto& [id, job] : jobs_) {
      if (job.lease_expiry > now) continue;
      if (best.empty() || job.seq < best_seq) {
        best = id;
        best_seq = job.seq;
      }
    }
    if (best.empty()) return std::optional<ClaimedJob>();
    Job& job = jobs_[best];
    job.lease_token = internal::NewLeaseToken();
    job.lease_expiry = now + lease;
    ++job.attempts;
    VerificationRecord& r = verifications_[best];
    r.state = VerificationState::kRunning;
    r.update_time = now;
    return std::optional<ClaimedJob>(
        ClaimedJob{best, job.payload, job.lease_token, job.lease_expiry, job.attempts});
  }

  absl::Status CompleteJob(const ClaimedJob& claimed, VerificationState state,
                           absl::string_view result, absl::Time now, const ReviewCase* review_case,
                           const AttestationRecord* attestation) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) {
      VOUCH_RETURN_IF_ERROR(internal::ValidateCase(*review_case, claimed.verification_id, state));
    }
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(claimed.verification_id);
    if (it == jobs_.end() || it->second.lease_token != claimed.lease_token) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(CheckAttestationLocked(*attestation));
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(AddCaseLocked(*review_case));
    if (attestation != nullptr) attestations_[attestation->attestation_id] = *attestation;
    jobs_.erase(it);
    VerificationRecord& r = verifications_[claimed.verification_id];
    r.state = state;
    r.result = std::string(result);
    r.update_time = now;
    return absl::OkStatus();
  }

  absl::StatusOr<absl::Time> RenewJobLease(const ClaimedJob& claimed, absl::Time now,
                                           absl::Duration lease) override {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(claimed.verification_id);
    if (it == jobs_.end() || it->second.lease_token != claimed.lease_token) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    it->second.lease_expiry = now + lease;
    return it->second.lease_expiry;
  }

  absl::Status Probe(absl::Time) override { return absl::OkStatus(); }

  absl::Status ReleaseAllLeases() override {
    absl::MutexLock lock(&mu_);
    for (auto& [id, job] : jobs_) {
      job.lease_expiry = absl::InfinitePast();
      job.lease_token.clear();
    }
    for (auto it = verifications_.begin(); it != verifications_.end();) {
      const VerificationRecord& r = it->second;
      if (!IsTerminal(r.state) && !jobs_.contains(r.id)) {
        if (!r.idempotency_key.empty()) keys_.erase(KeyOf(r.relying_service, r.idempotency_key));
        it = verifications_.erase(it);
      } else {
        ++it;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> PendingJobCount() override {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(jobs_.size());
  }

  absl::Status RecordAttestation(const AttestationRecord& record) override {
    absl::MutexLock lock(&mu_);
    VOUCH_RETURN_IF_ERROR(CheckAttestationLocked(record));
    attestations_[record.attestation_id] = record;
    return absl::OkStatus();
  }

  absl::StatusOr<AttestationRecord> GetAttestation(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    auto it = attestations_.find(std::string(id));
    if (it == attestations_.end()) return absl::NotFoundError("unknown attestation");
    return it->second;
  }

  absl::StatusOr<bool> SetAttestationStatus(absl::string_view id, int status) override {
    if (status < 0 || status > 3) return absl::InvalidArgumentError("status must be 0..3");
    absl::MutexLock lock(&mu_);
    auto it = attestations_.find(std::string(id));
    if (it == attestations_.end()) return absl::NotFoundError("unknown attestation");
    if (it->second.status_list_uri.empty()) {
      return absl::FailedPreconditionError("attestation has no status list entry");
    }
    const bool changed = it->second.status != status;
    it->second.status = status;
    return changed;
  }

  absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(absl::string_view uri) override {
    absl::MutexLock lock(&mu_);
    std::vector<AttestationRecord> out;
    for (const auto& [id, a] : attestations_) {
      if (!uri.empty() && a.status_list_uri == uri) out.push_back(a);
    }
    std::sort(out.begin(), out.end(), [](const AttestationRecord& x, const AttestationRecord& y) {
      return x.status_list_index < y.status_list_index;
    });
    return out;
  }

  // --- Status lists shared by replicas (#14) -------------------------------

  absl::StatusOr<StatusAllocation> AllocateStatusEntry(int64_t list_size) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateStatusListSize(list_size));
    absl::MutexLock lock(&mu_);
    if (status_lists_.empty() || status_lists_.back().allocated >= status_lists_.back().size) {
      bool legacy = false;
      for (const auto& [id, a] : attestations_) legacy = legacy || !a.status_list_uri.empty();
      if (status_lists_.empty() && legacy) {
        status_lists_.push_back({{1, kLegacyStatusListSize, kLegacyStatusListSize}, ""});
      }
      const int64_t number = status_lists_.empty() ? 1 : status_lists_.back().list_number + 1;
      status_lists_.push_back({{number, list_size, 0}, internal::NewStatusListKey()});
    }
    OpenList& open = status_lists_.back();
    const int64_t index = internal::PermutedStatusIndex(open.key, open.size, open.allocated++);
    return StatusAllocation{open.list_number, index};
  }

  // One process: its changes reach Watch directly (the engine publishes them).
  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    return absl::UnimplementedError("the in-memory store pushes no changes");
  }

  absl::StatusOr<std::vector<StatusListInfo>> ListStatusLists() override {
    absl::MutexLock lock(&mu_);
    return std::vector<StatusListInfo>(status_lists_.begin(), status_lists_.end());
  }

  absl::StatusOr<AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) override {
    absl::MutexLock lock(&mu_);
    const AttestationRecord* latest = nullptr;
    for (const auto& [id, a] : attestations_) {
      if (a.verification_id == verification_id &&
          (latest == nullptr || a.expire_time > latest->expire_time)) {
        latest = &a;
      }
    }
    if (latest == nullptr) return absl::NotFoundError("no attestation for this verification");
    return *latest;
  }

  // --- end status lists ----------------------------------------------------

  absl::StatusOr<std::vector<ReviewCase>> ListCases(const CaseFilter& filter,
                                                    absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateFilter(filter));
    absl::MutexLock lock(&mu_);
    std::vector<const ReviewCase*> matches;
    for (const auto& [id, c] : cases_) {
      if (internal::MatchesFilter(c, filter)) matches.push_back(&c);
    }
    std::sort(matches.begin(), matches.end(), Older);
    std::vector<ReviewCase> out;
    for (const ReviewCase* c : matches) {
      if (out.size() >= static_cast<size_t>(filter.limit)) break;
      out.push_back(internal::ForListing(*c, now));
    }
    return out;
  }

  absl::StatusOr<ReviewCase> GetCase(absl::string_view case_id) override {
    absl::MutexLock lock(&mu_);
    auto it = cases_.find(std::string(case_id));
    if (it == cases_.end()) return absl::NotFoundError("unknown case");
    return it->second;
  }

  absl::StatusOr<std::optional<ReviewCase>> ClaimCase(const ClaimCaseRequest& r) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateClaim(r));
    absl::MutexLock lock(&mu_);
    ReviewCase* target = nullptr;
    if (!r.case_id.empty()) {
      auto it = cases_.find(r.case_id);
      if (it == cases_.end()) return absl::NotFoundError("unknown case");
      VOUCH_RETURN_IF_ERROR(internal::CheckClaimable(it->second, r, /*by_id=*/true));
      target = &it->second;
    } else {
      for (auto& [id, c] : cases_) {
        if (!internal::MatchesFilter(c, r.filter)) continue;
        if (!internal::CheckClaimable(c, r, /*by_id=*/false).ok()) continue;
        if (target == nullptr || Older(&c, target)) target = &c;
      }
      if (target == nullptr) return std::optional<ReviewCase>();
    }
    target->claimed_by = r.operator_id;
    target->lease_token = internal::NewLeaseToken();
    target->lease_expiry = r.now + r.lease;
    return std::optional<ReviewCase>(*target);
  }

  absl::Status ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                           absl::Time now) override {
    absl::MutexLock lock(&mu_);
    VOUCH_ASSIGN_OR_RETURN(ReviewCase * c, LeasedLocked(case_id, lease_token, now));
    DropClaim(*c);
    return absl::OkStatus();
  }

  absl::Status EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                            absl::string_view first_decision, absl::string_view first_operator,
                            absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateEscalation(first_decision, first_operator));
    absl::MutexLock lock(&mu_);
    VOUCH_ASSIGN_OR_RETURN(ReviewCase * c, LeasedLocked(case_id, lease_token, now));
    if (c->stage != CaseStage::kFirstReview) {
      return absl::FailedPreconditionError("case is not in first review");
    }
    c->stage = CaseStage::kSecondReview;
    c->first_decision = std::string(first_decision);
    c->first_operator = std::string(first_operator);
    DropClaim(*c);
    return absl::OkStatus();
  }

  absl::Status DecideCase(absl::string_view case_id, absl::string_view lease_token,
                          absl::string_view result, absl::Time now, absl::Time keep_until,
                          const AttestationRecord* attestation) override {
    absl::MutexLock lock(&mu_);
    VOUCH_ASSIGN_OR_RETURN(ReviewCase * c, LeasedLocked(case_id, lease_token, now));
    auto v = verifications_.find(c->verification_id);
    if (v == verifications_.end() || v->second.state != VerificationState::kCompleted) {
      return absl::FailedPreconditionError("the case's verification is not completed");
    }
    if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(CheckAttestationLocked(*attestation));
    if (attestation != nullptr) attestations_[attestation->attestation_id] = *attestation;
    v->second.result = std::string(result);
    v->second.update_time = now;
    if (keep_until > now) {
      c->stage = CaseStage::kDecided;
      c->delete_after = keep_until;
      DropClaim(*c);
    } else {
      cases_.erase(c->verification_id);
    }
    return absl::OkStatus();
  }

  absl::Status RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                         absl::string_view sealed, absl::string_view key_id) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateRekey(sealed, key_id));
    absl::MutexLock lock(&mu_);
    auto it = cases_.find(std::string(case_id));
    if (it == cases_.end()) return absl::NotFoundError("unknown case");
    if (it->second.key_id != expected_key_id) {
      return absl::FailedPreconditionError("case is sealed under another key");
    }
    it->second.sealed = std::string(sealed);
    it->second.key_id = std::string(key_id);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [id, c] : cases_) {
      if (c.key_id == key_id) out.push_back(id);
    }
    return out;  // std::map: in id order.
  }

  absl::StatusOr<std::vector<ReviewCase>> ListExpiredCases(absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateExpiredLimit(limit));
    absl::MutexLock lock(&mu_);
    std::vector<const ReviewCase*> expired;
    for (const auto& [id, c] : cases_) {
      if (c.delete_after <= now) expired.push_back(&c);
    }
    std::sort(expired.begin(), expired.end(), [](const ReviewCase* x, const ReviewCase* y) {
      return x->delete_after != y->delete_after ? x->delete_after < y->delete_after
                                                : x->verification_id < y->verification_id;
    });
    std::vector<ReviewCase> out;
    for (const ReviewCase* c : expired) {
      if (out.size() >= static_cast<size_t>(limit)) break;
      out.push_back(internal::ForListing(*c, now));
    }
    return out;
  }

  absl::StatusOr<bool> ExpireCase(absl::string_view case_id, absl::string_view expired_result,
                                  absl::Time now) override {
    absl::MutexLock lock(&mu_);
    auto it = cases_.find(std::string(case_id));
    if (it == cases_.end()) return absl::NotFoundError("unknown case");
    if (it->second.delete_after > now) return false;
    if (it->second.stage != CaseStage::kDecided) {
      auto v = verifications_.find(it->first);
      if (v == verifications_.end() || v->second.state != VerificationState::kCompleted) {
        return absl::FailedPreconditionError("the case's verification is not completed");
      }
      v->second.result = std::string(expired_result);
      v->second.update_time = now;
    }
    internal::WipeString(it->second.sealed);
    cases_.erase(it);
    return true;
  }

  absl::StatusOr<AuditEvent> AppendAudit(const AuditEvent& event) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateAudit(event));
    absl::MutexLock lock(&mu_);
    AuditEvent stored = event;
    stored.time = internal::FromMicros(internal::Micros(event.time));  // as the SQL stores keep it
    stored.seq = static_cast<int64_t>(audit_.size()) + 1;
    stored.prev_hash = audit_.empty() ? internal::ZeroHash() : audit_.back().hash;
    stored.hash = AuditEventHash(stored);
    audit_.push_back(stored);
    return stored;
  }

  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateAuditQuery(after_seq, limit));
    absl::MutexLock lock(&mu_);
    std::vector<AuditEvent> out;
    for (size_t i = static_cast<size_t>(std::min<int64_t>(after_seq, audit_.size()));
         i < audit_.size() && out.size() < static_cast<size_t>(limit); ++i) {
      out.push_back(audit_[i]);
    }
    return out;
  }

 private:
  absl::Status CheckAttestationLocked(const AttestationRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (attestations_.contains(record.attestation_id)) {
      return absl::AlreadyExistsError("attestation id exists");
    }
    if (!record.status_list_uri.empty()) {
      for (const auto& [id, a] : attestations_) {
        if (a.status_list_uri == record.status_list_uri &&
            a.status_list_index == record.status_list_index) {
          return absl::AlreadyExistsError("status list entry in use");
        }
      }
    }
    return absl::OkStatus();
  }

  static bool Older(const ReviewCase* a, const ReviewCase* b) {
    return a->create_time != b->create_time ? a->create_time < b->create_time
                                            : a->verification_id < b->verification_id;
  }

  static void DropClaim(ReviewCase& c) {
    c.claimed_by.clear();
    c.lease_token.clear();
    c.lease_expiry = absl::InfinitePast();
  }

  absl::StatusOr<ReviewCase*> LeasedLocked(absl::string_view case_id, absl::string_view lease_token,
                                           absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = cases_.find(std::string(case_id));
    if (it == cases_.end()) return absl::NotFoundError("unknown case");
    VOUCH_RETURN_IF_ERROR(internal::CheckLease(it->second, lease_token, now));
    return &it->second;
  }

  // Creates the case of a verification that was just completed.
  absl::Status AddCaseLocked(const ReviewCase& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (cases_.contains(c.verification_id)) return absl::AlreadyExistsError("case exists");
    cases_[c.verification_id] = internal::NewCase(c);
    return absl::OkStatus();
  }

  static std::string KeyOf(absl::string_view service, absl::string_view key) {
    return absl::StrCat(service.size(), ":", service, key);
  }

  absl::Mutex mu_;
  // Status lists (#14): info plus the permutation key.
  struct OpenList : StatusListInfo {
    std::string key;
  };
  std::vector<OpenList> status_lists_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, VerificationRecord> verifications_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AttestationRecord> attestations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ReviewCase> cases_ ABSL_GUARDED_BY(mu_);
  std::vector<AuditEvent> audit_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

bool IsTerminal(VerificationState state) {
  return state == VerificationState::kCompleted || state == VerificationState::kFailed;
}

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace vouch::verifier
