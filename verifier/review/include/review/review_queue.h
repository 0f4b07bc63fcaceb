#ifndef VOUCH_VERIFIER_REVIEW_REVIEW_QUEUE_H_
#define VOUCH_VERIFIER_REVIEW_REVIEW_QUEUE_H_

// The review queue without gRPC: what the Review RPCs do for an
// authenticated operator (docs/review.md). Cases live in the Store, sealed
// under the storage key ring; a decision completes the verification
// (attestation on approve, PassportElementErrors on reject) and calls
// `notify` so Watch streams see it. Every claim, release, view, escalation,
// decision and purge appends an audit event (actor = operator id; no
// personal data).

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "base/clock.h"
#include "base/periodic_task.h"
#include "pipeline/attestation_issuer.h"
#include "pipeline/attestor.h"
#include "pipeline/policy.h"
#include "review/case_sealer.h"
#include "storage/store.h"
#include "vouch/v1/review.pb.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::review {

// Stable ErrorInfo reasons of the Review service.
namespace reasons {
inline constexpr absl::string_view kOperatorRequired = "OPERATOR_REQUIRED";
inline constexpr absl::string_view kSeniorRequired = "SENIOR_REQUIRED";
inline constexpr absl::string_view kUnknownCase = "UNKNOWN_CASE";
inline constexpr absl::string_view kCaseNotClaimed = "CASE_NOT_CLAIMED";
inline constexpr absl::string_view kCaseClaimed = "CASE_CLAIMED";
// A decision note that repeats the case's document data (it goes to the
// audit log in clear).
inline constexpr absl::string_view kNoteHasDocumentData = "NOTE_HAS_DOCUMENT_DATA";
// ---- reviewer's reversal ----
// A reversal of a verification that is not completed as VERIFIED.
inline constexpr absl::string_view kNotVerified = "NOT_VERIFIED";
// ---- end reviewer's reversal ----
}  // namespace reasons

// The reason code of a case that reached its retention time undecided.
inline constexpr absl::string_view kReviewExpiredReason = "review_expired";

// Builds the case for a NEEDS_REVIEW result: copies its checks into
// `content`, seals it, lists the REVIEW checks as reasons, and sets the
// retention from the policy. `content` is wiped afterwards.
storage::ReviewCase MakeReviewCase(const StorageKeyRing& ring, v1::CaseContent& content,
                                   const v1::VerificationResult& result,
                                   absl::string_view verification_id,
                                   absl::string_view relying_service,
                                   const pipeline::Policy& policy, absl::Time now);

// Thread-safe.
class ReviewQueue {
 public:
  using Notify = std::function<void(const std::string& verification_id)>;

  // Not owned; all must outlive the queue.
  ReviewQueue(const pipeline::Config& config, storage::Store& store, const StorageKeyRing& ring,
              pipeline::AttestationIssuer& issuer, Clock& clock, Notify notify)
      : config_(config),
        store_(store),
        ring_(ring),
        issuer_(issuer),
        attestor_(issuer),
        clock_(clock),
        notify_(std::move(notify)) {}

  // Errors for every call: kPermissionDenied (OPERATOR_REQUIRED) for a
  // caller that is not a reviewer; kInvalidArgument (INVALID_REQUEST).
  absl::StatusOr<v1::ListCasesResponse> List(const auth::Principal& caller,
                                             const v1::ListCasesRequest& request);
  // Errors: kNotFound (UNKNOWN_CASE); kFailedPrecondition (CASE_CLAIMED)
  // when claimed by another operator or not claimable by this one.
  absl::StatusOr<v1::ClaimCaseResponse> Claim(const auth::Principal& caller,
                                              const v1::ClaimCaseRequest& request);
  // The following need the caller's live claim: kFailedPrecondition
  // (CASE_NOT_CLAIMED) otherwise.
  absl::StatusOr<v1::CaseDetail> Show(const auth::Principal& caller,
                                      const v1::GetCaseRequest& request);
  absl::StatusOr<v1::DecisionResponse> Approve(const auth::Principal& caller,
                                               const v1::ApproveCaseRequest& request);
  absl::StatusOr<v1::DecisionResponse> Reject(const auth::Principal& caller,
                                              const v1::RejectCaseRequest& request);
  absl::Status Release(const auth::Principal& caller, const v1::ReleaseCaseRequest& request);

  // ---- reviewer's reversal (docs/review.md) ----
  // Reverses a VERIFIED verification: its result becomes REJECTED with a
  // `reversal` (reason, time), its status-list entries are revoked, its
  // wallet offers locked and removeUserVerification queued when it has a
  // badge, in one Store transaction (Store::ReverseVerification); audited
  // (`verification.reverse`) and notified. A repeat returns the stored
  // reversed result and changes nothing. Errors: kPermissionDenied
  // (OPERATOR_REQUIRED; SENIOR_REQUIRED for a plain reviewer);
  // kInvalidArgument (INVALID_REQUEST); kNotFound (UNKNOWN_VERIFICATION);
  // kFailedPrecondition (NOT_VERIFIED) when not completed as VERIFIED.
  absl::StatusOr<v1::ReverseVerificationResponse> Reverse(
      const auth::Principal& caller, const v1::ReverseVerificationRequest& request);
  // ---- end reviewer's reversal ----

  // Deletes cases past their retention; an undecided one completes its
  // verification as REJECTED with review reason "review_expired". Returns
  // how many cases were deleted.
  absl::StatusOr<int> PurgeExpired();

  // Deletes the sealed credentials whose pickup window has passed
  // (Store::ListExpiredPickups) from their stored results. Returns how many
  // results it rewrote. The purger runs it with PurgeExpired.
  absl::StatusOr<int> DropExpiredCredentials();

  // Retention for the rest: deletes the verifications past their
  // policy's result_retention (Store::PurgeVerifications) and frees the
  // idempotency keys past idempotency_key_retention, audited per policy
  // with counts ("retention.purge"), and deletes the attestation rows
  // erasures kept once their credentials have expired, whatever the
  // policies (Store::PurgeKeptAttestations; "retention.kept_attestations").
  // Returns how many verifications it deleted. The purger runs it with
  // PurgeExpired.
  absl::StatusOr<int> PurgeRetention();

  // What the purges above deleted since start, as Prometheus text:
  // vouch_retention_purged_total{kind="review_case"|"credential"|
  // "verification"|"idempotency_key"|"kept_attestation"}.
  std::string RenderRetentionMetrics() const;

 private:
  absl::StatusOr<storage::ReviewCase> HeldCase(const auth::Principal& caller,
                                               const std::string& case_id, absl::Time now);
  absl::StatusOr<v1::VerificationResult> StoredResult(const std::string& id);
  absl::StatusOr<v1::DecisionResponse> Decide(
      const auth::Principal& caller, const storage::ReviewCase& c, v1::VerificationResult result,
      absl::string_view action, absl::string_view reason, absl::string_view note, absl::Time now,
      const storage::AttestationRecord* attestation = nullptr,
      absl::Span<const storage::BadgeRequest> badges = {});
  void Audit(absl::string_view actor, absl::string_view action, absl::string_view id,
             const std::string& detail, absl::Time now);
  const pipeline::Policy::Review& ReviewSettings(absl::string_view policy) const;

  const pipeline::Config& config_;
  storage::Store& store_;
  const StorageKeyRing& ring_;
  // A reversal's revocations follow the Store into the status list.
  pipeline::AttestationIssuer& issuer_;
  // The approval's attestation; its record is stored with the decision.
  pipeline::Attestor attestor_;
  Clock& clock_;
  Notify notify_;
  // Retention counters.
  std::atomic<int64_t> purged_cases_{0};
  std::atomic<int64_t> dropped_credentials_{0};
  std::atomic<int64_t> purged_verifications_{0};
  std::atomic<int64_t> released_keys_{0};
  std::atomic<int64_t> purged_kept_attestations_{0};
};

// Runs ReviewQueue::PurgeExpired, DropExpiredCredentials and PurgeRetention
// every `interval` on its own thread until destroyed: the one purge loop.
class CasePurger {
 public:
  CasePurger(ReviewQueue& queue, absl::Duration interval);
  ~CasePurger();
  CasePurger(const CasePurger&) = delete;
  CasePurger& operator=(const CasePurger&) = delete;

 private:
  PeriodicTask task_;
};

}  // namespace vouch::verifier::review

#endif  // VOUCH_VERIFIER_REVIEW_REVIEW_QUEUE_H_
