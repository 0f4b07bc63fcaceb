// In-memory Store for unit tests. Same semantics as the SQLite store, checked
// by the same conformance suite.

#include <map>

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
  absl::StatusOr<CreateOutcome> CreateVerification(
      const NewVerification& v) override {
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
                                  absl::string_view result, absl::Time now, const ReviewCase* review_case) override {
    if (review_case != nullptr) return Unimplemented();
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    absl::MutexLock lock(&mu_);
    auto it = verifications_.find(std::string(id));
    if (it == verifications_.end()) return absl::NotFoundError("unknown verification");
    if (IsTerminal(it->second.state) || jobs_.contains(it->first)) {
      return absl::FailedPreconditionError("verification is terminal or has a job");
    }
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
                           absl::string_view result, absl::Time now, const ReviewCase* review_case) override {
    if (review_case != nullptr) return Unimplemented();
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(claimed.verification_id);
    if (it == jobs_.end() || it->second.lease_token != claimed.lease_token) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    jobs_.erase(it);
    VerificationRecord& r = verifications_[claimed.verification_id];
    r.state = state;
    r.result = std::string(result);
    r.update_time = now;
    return absl::OkStatus();
  }

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

  absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(
      absl::string_view uri) override {
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


  // Review cases and audit: implemented by the storage work of #7.
  absl::StatusOr<std::vector<ReviewCase>> ListCases(const CaseFilter&, absl::Time) override {
    return Unimplemented();
  }
  absl::StatusOr<ReviewCase> GetCase(absl::string_view) override { return Unimplemented(); }
  absl::StatusOr<std::optional<ReviewCase>> ClaimCase(const ClaimCaseRequest&) override {
    return Unimplemented();
  }
  absl::Status ReleaseCase(absl::string_view, absl::string_view, absl::Time) override {
    return Unimplemented();
  }
  absl::Status EscalateCase(absl::string_view, absl::string_view, absl::string_view,
                            absl::string_view, absl::Time) override {
    return Unimplemented();
  }
  absl::Status DecideCase(absl::string_view, absl::string_view, absl::string_view, absl::Time,
                          absl::Time) override {
    return Unimplemented();
  }
  absl::Status RekeyCase(absl::string_view, absl::string_view, absl::string_view,
                         absl::string_view) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<ReviewCase>> PurgeExpiredCases(absl::Time) override {
    return Unimplemented();
  }
  absl::Status UpdateResult(absl::string_view, absl::string_view, absl::Time) override {
    return Unimplemented();
  }
  absl::StatusOr<AuditEvent> AppendAudit(const AuditEvent&) override { return Unimplemented(); }
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t, int) override {
    return Unimplemented();
  }
  static absl::Status Unimplemented() {
    return absl::UnimplementedError("review cases and audit are not implemented in this store yet");
  }

 private:
  static std::string KeyOf(absl::string_view service, absl::string_view key) {
    return absl::StrCat(service.size(), ":", service, key);
  }

  absl::Mutex mu_;
  std::map<std::string, VerificationRecord> verifications_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AttestationRecord> attestations_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

bool IsTerminal(VerificationState state) {
  return state == VerificationState::kCompleted || state == VerificationState::kFailed;
}

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace vouch::verifier
