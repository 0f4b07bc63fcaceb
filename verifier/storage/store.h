#ifndef VOUCH_VERIFIER_STORAGE_STORE_H_
#define VOUCH_VERIFIER_STORAGE_STORE_H_

// Durable state of vouchd: verifications and their states, idempotency keys,
// the asynchronous job queue, issued attestation ids and status-list entries.
//
// Nothing here is decrypted document data. A pending job holds the request
// as the relying service sent it (still encrypted for vouch's Passport key)
// and is deleted when the job completes. The review queue (#7) will add
// sealed cases; PostgreSQL (#7) implements the same interface and runs the
// same conformance suite (storage/store_conformance.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vouch::verifier {

// Mirrors vouch.v1.VerificationState (same numbers).
enum class VerificationState : int {
  kPending = 1,
  kRunning = 2,
  kCompleted = 3,
  kFailed = 4,
};

bool IsTerminal(VerificationState state);

struct VerificationRecord {
  std::string id;
  std::string relying_service;
  std::string idempotency_key;  // "" when the caller gave none.
  // SHA-256 of the canonical request; tells a retry from a key reuse.
  std::string request_digest;
  std::string policy;
  VerificationState state = VerificationState::kPending;
  // Serialized vouch.v1.VerificationResult once terminal (non-sensitive).
  std::string result;
  absl::Time create_time;
  absl::Time update_time;
};

struct NewVerification {
  VerificationRecord record;  // state must be kPending or kRunning.
  // When set, an asynchronous job is enqueued atomically with the record;
  // the payload is the serialized (still encrypted) request.
  std::optional<std::string> job_payload;
};

struct CreateOutcome {
  VerificationRecord record;
  // True when (relying_service, idempotency_key) already existed; `record` is
  // then the existing one and nothing was written.
  bool existed = false;
};

// A job claimed by a worker. The claim is a lease: if it is not completed
// before lease_expiry, another worker (or the same vouchd after a restart)
// may claim it again, and the first holder's completion is refused.
struct ClaimedJob {
  std::string verification_id;
  std::string payload;
  std::string lease_token;
  absl::Time lease_expiry;
  int attempts = 0;  // Including this claim.
};

struct AttestationRecord {
  std::string attestation_id;
  std::string verification_id;
  std::string relying_service;
  absl::Time expire_time;
  std::string status_list_uri;  // "" when none.
  int64_t status_list_index = -1;
  int status = 0;  // 0 valid, 1 revoked, 2 suspended (Token Status List).
};

// Thread-safe: every method may be called concurrently.
class Store {
 public:
  virtual ~Store() = default;

  // Inserts a verification (and its job), unless the relying service already
  // used the idempotency key. Errors: kInvalidArgument for a bad record,
  // kAlreadyExists for a duplicate id.
  virtual absl::StatusOr<CreateOutcome> CreateVerification(
      const NewVerification& verification) = 0;

  // Errors: kNotFound.
  virtual absl::StatusOr<VerificationRecord> GetVerification(
      absl::string_view id) = 0;

  // Sets the state and result of a verification that has no job (the
  // synchronous path). Errors: kNotFound; kFailedPrecondition when it is
  // already terminal or has a job.
  virtual absl::Status FinishVerification(absl::string_view id,
                                          VerificationState state,
                                          absl::string_view result,
                                          absl::Time now) = 0;

  // Deletes a verification that has not reached a terminal state (a
  // synchronous call that was cancelled), freeing its idempotency key.
  // Errors: kNotFound; kFailedPrecondition when terminal.
  virtual absl::Status AbandonVerification(absl::string_view id) = 0;

  // Claims the oldest job that is unclaimed or whose lease has expired, sets
  // its verification to kRunning, and leases it until now + lease. Returns
  // nullopt when there is none.
  virtual absl::StatusOr<std::optional<ClaimedJob>> ClaimJob(
      absl::Time now, absl::Duration lease) = 0;

  // Atomically: checks the lease, stores the terminal state and result, and
  // deletes the job with its payload. Exactly one completion per job
  // succeeds. Errors: kFailedPrecondition when the lease was lost or the job
  // is already complete; kInvalidArgument for a non-terminal state.
  virtual absl::Status CompleteJob(const ClaimedJob& job,
                                   VerificationState state,
                                   absl::string_view result,
                                   absl::Time now) = 0;

  // For a single-process store at start-up, when no other process can hold
  // a lease: makes every leased job claimable at once, and deletes the
  // synchronous verifications a crash left unfinished (no job, not
  // terminal; their callers got an error), freeing their idempotency keys.
  virtual absl::Status ReleaseAllLeases() = 0;

  // Number of jobs not yet completed.
  virtual absl::StatusOr<int64_t> PendingJobCount() = 0;

  // Records an issued attestation. Errors: kAlreadyExists for a duplicate id
  // or status-list entry.
  virtual absl::Status RecordAttestation(const AttestationRecord& record) = 0;

  // Errors: kNotFound.
  virtual absl::StatusOr<AttestationRecord> GetAttestation(
      absl::string_view attestation_id) = 0;

  // Sets an attestation's status. Returns whether it changed. Errors:
  // kNotFound; kFailedPrecondition when it has no status-list entry.
  virtual absl::StatusOr<bool> SetAttestationStatus(
      absl::string_view attestation_id, int status) = 0;

  // Every attestation with an entry on the list, in index order (to rebuild
  // the list after a restart).
  virtual absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(
      absl::string_view status_list_uri) = 0;
};

// An in-memory Store for unit tests (and nothing else: it forgets on exit).
std::unique_ptr<Store> NewMemoryStore();

// The embedded store: SQLite in WAL mode at `path` (created 0600 with its
// schema when absent). Errors: kUnavailable when the file cannot be opened,
// kFailedPrecondition for an unknown schema version.
absl::StatusOr<std::unique_ptr<Store>> NewSqliteStore(const std::string& path);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_STORAGE_STORE_H_
