#ifndef VOUCH_VERIFIER_SERVICE_VERIFICATION_ENGINE_H_
#define VOUCH_VERIFIER_SERVICE_VERIFICATION_ENGINE_H_

// What the Verification RPCs do, without gRPC: request validation, policy
// selection, idempotency, the worker pool, the durable asynchronous job
// queue, and change notifications for Watch. The gRPC adapter
// (verification_service.h) only converts.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "pipeline/policy.h"
#include "pipeline/verification_pipeline.h"
#include "review/case_sealer.h"
#include "service/log_limiter.h"
#include "service/metrics.h"
#include "service/worker_pool.h"
#include "storage/store.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::service {

struct EngineOptions {
  // Total of the encrypted files in one request (the gRPC receive limit is
  // set a little above it, for the PassportData JSON).
  int64_t max_files_bytes = 40 << 20;
  // Background job claims leave this many queue slots for unary calls.
  int job_reserve = 1;
  // Whether this instance processes asynchronous jobs (0 = accept only).
  bool process_jobs = true;
  // A claimed job's lease. While the job runs (and while its completion is
  // retried) its lease is renewed every job_heartbeat, so a job is claimed
  // again only when its holder died or lost the store: a crashed instance's
  // jobs are taken over within about job_lease. job_lease must be at least
  // 3 x job_heartbeat.
  absl::Duration job_lease = absl::Seconds(15);
  absl::Duration job_heartbeat = absl::Seconds(5);
  // A heartbeat that failed for a transient store error is tried again
  // after this.
  absl::Duration job_heartbeat_retry = absl::Seconds(1);
  // A completion refused for a transient store error (unreachable, full) is
  // retried with backoff from the first to the last delay, keeping the
  // result in memory, until stored, the lease is lost, or the engine stops.
  absl::Duration completion_retry_first = absl::Milliseconds(200);
  absl::Duration completion_retry_max = absl::Seconds(3);
  // A synchronous Verify whose result the store refuses transiently retries
  // for at most this long (and while the call is not cancelled), then
  // answers the store's error.
  absl::Duration finish_retry_for = absl::Seconds(5);
  // A synchronous Verify's row carries the deadline now + verify_deadline
  // (far above any Verify's run). If neither its result nor its abandonment
  // could be stored (the store went away at that moment), the heartbeat
  // thread's sweep, every verify_sweep, deletes it once that deadline has
  // passed, so a retry with the same idempotency key runs again.
  absl::Duration verify_deadline = absl::Minutes(10);
  absl::Duration verify_sweep = absl::Minutes(1);
  // How often the job runner looks for work without being woken.
  absl::Duration job_poll = absl::Milliseconds(500);
  // Retry hint sent with RESOURCE_EXHAUSTED.
  absl::Duration overload_retry = absl::Seconds(1);
  // Review queue: when set, a NEEDS_REVIEW result becomes a case sealed
  // under this key ring, stored atomically with the result. Not owned.
  const review::StorageKeyRing* review_keys = nullptr;
  // ---- duplicate detection (docs/dedup.md) ----
  // When set, policies that ask for it look the submission up in this
  // index, and the entries of a VERIFIED result (or a case) are stored in
  // the transaction that stores it. Not owned.
  dedup::DuplicateIndex* duplicate_index = nullptr;
};

// Thread-safe.
class VerificationEngine {
 public:
  using Done = std::function<void(absl::StatusOr<v1::VerificationResult>)>;
  using Listener = std::function<void(const v1::VerificationResult&)>;

  // All references are not owned and must outlive the engine.
  VerificationEngine(EngineOptions options, const pipeline::Config& config,
                     pipeline::VerificationPipeline& pipeline, storage::Store& store,
                     WorkerPool& pool, Clock& clock, Metrics& metrics);
  ~VerificationEngine();

  // Starts the job runner and the lease heartbeat (after
  // Store::ReleaseAllLeases at start-up); the heartbeat thread also sweeps
  // expired synchronous verifications, even when process_jobs is false.
  void Start();

  // Verifies synchronously on the pool. Calls `done` exactly once, from a
  // worker thread or inline when refused. `cancelled` is polled while
  // working. Errors: see verification.proto.
  // `service`: the authenticated relying service ("" = unauthenticated,
  // in-process callers: request.relying_service is used). When set, it is
  // the relying service; a different non-empty request.relying_service is
  // kPermissionDenied.
  void Verify(const v1::VerifyRequest& request, std::function<bool()> cancelled, const Done& done,
              absl::string_view service = {});

  // Accepts for asynchronous processing (durably, before returning).
  absl::StatusOr<v1::SubmitResponse> Submit(const v1::VerifyRequest& request,
                                            absl::string_view service = {});

  // Errors: kNotFound (UNKNOWN_VERIFICATION), also when `service` is set and
  // the verification belongs to another relying service.
  absl::StatusOr<v1::VerificationResult> Get(absl::string_view id, absl::string_view service = {});

  // Calls `listener` with each later state of verification `id` (from
  // worker threads) until Unsubscribe(handle) returns.
  int64_t Subscribe(const std::string& id, Listener listener);
  void Unsubscribe(int64_t handle);

  // Sends the stored state of `id` to its listeners (after a change made
  // outside the engine: a review decision or an expired case).
  void NotifyChanged(const std::string& id);

  // Refuses new work (UNAVAILABLE), stops claiming jobs and waits for the
  // job runner; the pool is drained by its owner. Leases of running jobs
  // are still renewed (until the engine is destroyed); a completion the
  // store refuses is no longer retried (the lease expires and another
  // instance, or this one restarted, runs the job again).
  void StopAccepting();
  bool accepting() const { return accepting_.load(); }

  // Abandons the synchronous verifications whose deadline has passed
  // (Store::AbandonExpiredVerifications at the clock's now) and returns how
  // many. Started engines run it every verify_sweep.
  absl::StatusOr<int64_t> SweepExpiredVerifications();

 private:
  class ActiveJob;
  struct Prepared {
    const pipeline::Policy* policy = nullptr;
    std::string relying_service;
    std::string digest;
  };
  absl::StatusOr<Prepared> Prepare(const v1::VerifyRequest& request,
                                   absl::string_view service) const;
  // What one verification came to, ready to be stored in one transaction:
  // the result (or the error that ends it), the review case of a
  // NEEDS_REVIEW result, the record of the attestation it carries.
  struct Outcome {
    absl::StatusOr<v1::VerificationResult> result;
    std::optional<storage::ReviewCase> review_case;
    std::optional<storage::AttestationRecord> attestation;
    // Telegram badge: the calls a VERIFIED result under a badge policy
    // queues in the Store's outbox, in the transaction that stores it.
    std::vector<storage::BadgeRequest> badges;
    // Duplicate index entries, stored with the result.
    std::vector<storage::DuplicateEntry> duplicates;
  };
  // Runs the pipeline for verification `meta.id` under `policy` (looked up
  // once by the caller) and seals the review case, if any.
  Outcome Execute(const v1::VerifyRequest& request, const pipeline::Policy& policy,
                  const storage::VerificationRecord& meta, pipeline::DocumentReader& reader,
                  const std::function<bool()>& cancelled);
  // Where a completion goes: a synchronous Verify (FinishVerification,
  // retried while `cancelled` is false) or a claimed job (CompleteJob under
  // its lease).
  struct Completion {
    storage::VerificationRecord meta;  // id, service, policy, key, create_time.
    ActiveJob* job = nullptr;
    const std::function<bool()>* cancelled = nullptr;
  };
  // The one completion path of Verify and jobs: stores `outcome` (retrying
  // transient store errors), publishes it to Watch listeners and returns the
  // result it stored, as Get would answer it (no store read). Errors: the
  // outcome's error for a failed verification; the store's when it was not
  // stored (a Verify's row is then abandoned, so its key may be retried).
  absl::StatusOr<v1::VerificationResult> Complete(const Completion& completion, Outcome outcome);
  v1::VerificationResult ResultOf(const storage::VerificationRecord& record) const;
  void Publish(const v1::VerificationResult& result);
  // The job's verification row as claimed (for Complete's answer).
  storage::VerificationRecord JobMeta(const storage::ClaimedJob& job,
                                      const v1::VerifyRequest& request);
  // A job this instance holds: its lease is renewed until it is untracked.
  class ActiveJob {
   public:
    explicit ActiveJob(storage::ClaimedJob claimed) : job_(std::move(claimed)) {}
    // The current claim (its lease token changes when adopted).
    storage::ClaimedJob Current() const {
      absl::MutexLock lock(&mu_);
      return job_;
    }
    // Takes over a newer claim of the same job made by this instance (its
    // lease ran out during a store outage and the claimer found it again).
    void Adopt(const storage::ClaimedJob& newer) {
      absl::MutexLock lock(&mu_);
      job_.lease_token = newer.lease_token;
      job_.lease_expiry = newer.lease_expiry;
    }
    // The verification row as claimed (running), for the completion's answer.
    void set_claimed(storage::VerificationRecord record) {
      absl::MutexLock lock(&mu_);
      claimed_ = std::move(record);
    }
    std::optional<storage::VerificationRecord> claimed() const {
      absl::MutexLock lock(&mu_);
      return claimed_;
    }
    std::atomic<bool> lost{false};  // A renewal or completion was refused.

   private:
    mutable absl::Mutex mu_;
    storage::ClaimedJob job_ ABSL_GUARDED_BY(mu_);
    std::optional<storage::VerificationRecord> claimed_ ABSL_GUARDED_BY(mu_);
  };
  void RunJobs();
  // Claims jobs while the pool has room; false when the store failed.
  bool ClaimJobs(std::optional<storage::ClaimedJob>& held);
  void ProcessJob(const std::shared_ptr<ActiveJob>& active, pipeline::DocumentReader& reader);
  // Stores a job's outcome, retrying transient store errors. Returns
  // whether it was stored.
  absl::Status FinishWithRetry(const std::string& id, storage::VerificationState state,
                               const std::string& result, const storage::ReviewCase* review_case,
                               const storage::AttestationRecord* attestation,
                               absl::Span<const storage::BadgeRequest> badges,
                               absl::Span<const storage::DuplicateEntry> duplicates,
                               const std::function<bool()>& cancelled);
  absl::Status CompleteWithRetry(ActiveJob& active, storage::VerificationState state,
                                 const std::string& result, const storage::ReviewCase* review_case,
                                 const storage::AttestationRecord* attestation,
                                 absl::Span<const storage::BadgeRequest> badges,
                                 absl::Span<const storage::DuplicateEntry> duplicates);
  std::shared_ptr<ActiveJob> Track(const storage::ClaimedJob& job);
  // True when `claimed` is a job this instance is still working on: its
  // work then goes on under the new lease instead of running twice.
  bool AdoptIfActive(const storage::ClaimedJob& claimed);
  void Untrack(const std::string& id);
  void RunHeartbeats();
  // Renews every tracked lease once; false when a renewal failed for a
  // transient store error.
  bool RenewLeases();
  void WakeRunner();

  const EngineOptions options_;
  const pipeline::Config& config_;
  pipeline::VerificationPipeline& pipeline_;
  storage::Store& store_;
  WorkerPool& pool_;
  Clock& clock_;
  Metrics& metrics_;
  std::atomic<bool> accepting_{true};

  absl::Mutex listeners_mu_;
  int64_t next_handle_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  std::multimap<std::string, std::pair<int64_t, Listener>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);

  absl::Mutex runner_mu_;
  bool wake_ ABSL_GUARDED_BY(runner_mu_) = false;
  bool stop_runner_ ABSL_GUARDED_BY(runner_mu_) = false;
  bool stop_heartbeat_ ABSL_GUARDED_BY(runner_mu_) = false;
  std::thread runner_;
  std::thread heartbeat_;
  LogLimiter claim_log_{absl::Seconds(30)};

  absl::Mutex active_mu_;
  std::map<std::string, std::shared_ptr<ActiveJob>> active_ ABSL_GUARDED_BY(active_mu_);
};

// A new verification id: "ver_" + 26 base32 characters (130 random bits).
std::string NewVerificationId();

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_VERIFICATION_ENGINE_H_
