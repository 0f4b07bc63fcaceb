#ifndef VOUCH_VERIFIER_STORAGE_STORE_H_
#define VOUCH_VERIFIER_STORAGE_STORE_H_

// Durable state of vouchd: verifications and their states, idempotency keys,
// the asynchronous job queue, issued attestation ids and status-list entries,
// review cases, and the hash-chained audit log.
//
// Nothing here is decrypted document data in the clear. A pending job holds
// the request as the relying service sent it (still encrypted for vouch's
// Passport key) and is deleted when the job completes. A review case holds
// the decrypted submission sealed with AES-256-GCM by the review module; the
// store sees only the opaque envelope. SQLite, PostgreSQL and the in-memory
// store run one conformance suite (storage/store_conformance.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace vouch::verifier::storage {

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
  // The owner's deadline for a synchronous verification (one without a
  // job): not terminal by then, it is abandoned by
  // AbandonExpiredVerifications, as if its owner had called
  // AbandonVerification. InfiniteFuture (the default, and every row written
  // before deadlines existed): never. Kept to the microsecond by the SQL
  // stores; ignored for a verification with a job (its lease is the job's).
  absl::Time deadline = absl::InfiniteFuture();
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

// --- Status lists shared by replicas (#14) ---------------------------------

// A reserved status-list entry: list `list_number`, entry `index`.
struct StatusAllocation {
  int64_t list_number = 0;
  int64_t index = 0;
};

struct StatusListInfo {
  int64_t list_number = 0;
  int64_t size = 0;       // Entries.
  int64_t allocated = 0;  // Entries reserved so far (== size when full).
};

// Entries per list a Store accepts (Token Status List: whole bytes).
inline constexpr int64_t kMinStatusListSize = 8;
inline constexpr int64_t kMaxStatusListSize = int64_t{1} << 24;
// Status lists made before the Store allocated indexes (one in-process list
// of this size, its entries at random indexes) are list 1, closed.
inline constexpr int64_t kLegacyStatusListSize = int64_t{1} << 17;

// --- end status lists --------------------------------------------------------

// --- Changes across replicas (#14) -------------------------------------------

// A change committed to the Store: a verification whose state or result
// changed (a job claimed or completed, a review decided or expired), or an
// attestation whose status changed (revoked, suspended).
struct StoreChange {
  enum class Kind : int { kVerification = 1, kAttestationStatus = 2 };
  Kind kind = Kind::kVerification;
  std::string id;  // The verification id or the attestation id.
};

// The changes committed by every process sharing the Store (this one
// included), pushed by the database. One reader at a time (not thread-safe).
class ChangeStream {
 public:
  virtual ~ChangeStream() = default;

  // Waits at most `timeout` and returns the changes that arrived meanwhile
  // (empty after a quiet timeout). Errors: kUnavailable when the connection
  // was lost: changes may have been missed, so the caller re-reads what it
  // follows; the next call reconnects.
  virtual absl::StatusOr<std::vector<StoreChange>> Wait(absl::Duration timeout) = 0;
};

// --- end changes -------------------------------------------------------------

// Where a review case stands. A case exists only while its verification is
// COMPLETED with decision NEEDS_REVIEW (or, with keep_after_decision, until
// its retention ends).
enum class CaseStage : int {
  kFirstReview = 1,   // waiting for (or claimed by) a reviewer
  kSecondReview = 2,  // four-eyes: a first decision waits for a senior
  kDecided = 3,       // decided, kept only because the policy says so
};

struct ReviewCase {
  std::string verification_id;  // also the case id
  std::string relying_service;
  std::string policy;
  // Stable, non-sensitive reason codes (the names of the checks that sent it
  // to review, e.g. "mrz.read"); used for filtering. At most 64, each 1..128
  // printable ASCII bytes without spaces.
  std::vector<std::string> reasons;
  // Opaque sealed envelope (AES-256-GCM, made by the review module; 1 byte
  // to 64 MiB) and the id of the storage key that sealed it (1..256 bytes).
  // Never logged.
  std::string sealed;
  std::string key_id;
  CaseStage stage = CaseStage::kFirstReview;
  // The current claim; empty operator when unclaimed. A claim whose
  // lease_expiry has passed counts as unclaimed.
  std::string claimed_by;
  std::string lease_token;
  absl::Time lease_expiry = absl::InfinitePast();
  // Four-eyes: the first (non-senior) decision, serialized by the review
  // module (non-sensitive), and who made it.
  std::string first_decision;
  std::string first_operator;
  absl::Time create_time;   // as given by the creator; the queue order
  absl::Time delete_after;  // retention: purged at or after this time
};
// Times are kept to the microsecond by the SQL stores.

struct CaseFilter {
  std::string policy;           // "" = any
  std::string reason;           // "" = any; else cases listing this reason
  std::string relying_service;  // "" = any
  // Exclusive bounds: created_after < create_time < created_before.
  absl::Time created_before = absl::InfiniteFuture();
  absl::Time created_after = absl::InfinitePast();
  std::optional<CaseStage> stage;  // nullopt = kFirstReview or kSecondReview
  int limit = 100;                 // 1..1000
};

struct ClaimCaseRequest {
  std::string case_id;  // "" = the oldest claimable case matching `filter`
  std::string operator_id;
  // Seniors may claim kSecondReview cases, never ones whose first_operator
  // is themselves, and kFirstReview cases too; non-seniors only kFirstReview.
  bool senior = false;
  absl::Time now;
  absl::Duration lease = absl::Minutes(15);  // (0, 24 h]
  // Used only when case_id is empty (its limit is ignored).
  CaseFilter filter;
};

// An audit event: who did what to which verification, when. No personal
// data. The store assigns seq (1, 2, ... without gaps) and prev_hash, and
// sets hash = AuditEventHash(event) in the same transaction as the append.
struct AuditEvent {
  int64_t seq = 0;
  absl::Time time;
  std::string actor;            // operator id, service id, or "vouchd"
  std::string action;           // e.g. "case.claim", "case.approve", "key.rotate", "case.purge"
  std::string verification_id;  // "" when none
  std::string detail;           // compact JSON object, non-sensitive
  std::string prev_hash;        // hex; 64 zeros for seq 1
  std::string hash;             // hex SHA-256
};

// Hex SHA-256 over a length-prefixed encoding of every field but `hash`.
std::string AuditEventHash(const AuditEvent& event);

// ---- Wallet credential offers (OpenID4VCI, #19, docs/wallet.md) ----------

// Where a credential offer stands.
enum class WalletOfferState : int {
  kOffered = 1,   // the pre-authorized code may be redeemed (until expire_time)
  kRedeemed = 2,  // the code was exchanged for an access token
  kIssued = 3,    // the credential was issued (the sealed claims are gone)
  kLocked = 4,    // too many wrong tx_codes: never redeemable
};

// A credential offer made for a VERIFIED verification. The codes and the
// access token are kept only as hashes (base64url SHA-256); the claims to
// issue are sealed under the storage key (`key_id`) with the code hash as
// context.
struct WalletOfferRecord {
  std::string code_hash;  // of the pre-authorized code: the key
  std::string verification_id;
  std::string tx_code_hash;  // "" when the offer has no tx_code
  std::string sealed;        // "" once issued
  std::string key_id;
  absl::Time create_time;
  absl::Time expire_time;  // of the pre-authorized code
  int tx_code_failures = 0;
  WalletOfferState state = WalletOfferState::kOffered;
  std::string token_hash;  // of the access token, once redeemed
  absl::Time token_expire_time = absl::InfinitePast();
};

// What redeeming a pre-authorized code came to.
enum class WalletRedemption : int {
  kRedeemed = 1,     // token_hash recorded, state kRedeemed
  kUnknown = 2,      // no offer with that code
  kExpired = 3,      // the code's time is over
  kAlreadyUsed = 4,  // redeemed (or issued) before
  kWrongTxCode = 5,  // a failure was counted
  kLocked = 6,       // too many wrong tx_codes (now or before)
};

struct WalletRedeemOutcome {
  WalletRedemption result = WalletRedemption::kUnknown;
  WalletOfferRecord offer;  // as stored after the call (empty for kUnknown)
};

// ---- end wallet credential offers -------------------------------------------

// --- Telegram badge outbox (#16, docs/telegram.md) --------------------------

// The Bot API calls vouchd owes Telegram for the verification badge, one per
// (verification, action): queued in the transaction that stores the decision
// they follow, claimed with a lease by one dispatcher among the replicas, and
// kept with their outcome.
enum class BadgeAction : int {
  kVerify = 1,  // verifyUser(user_id, custom_description)
  kRemove = 2,  // removeUserVerification(user_id)
};

enum class BadgeState : int {
  kPending = 1,  // waiting for its (next) attempt
  kDone = 2,     // Telegram answered ok
  kFailed = 3,   // Telegram refused it definitively (400/403): `error` says why
};

struct BadgeRequest {
  std::string verification_id;  // 1..64 bytes
  int64_t user_id = 0;          // > 0
  BadgeAction action = BadgeAction::kVerify;
  std::string custom_description;  // kVerify only; at most 70 characters (280 bytes).
  // Not due before this (a removal at the end of the attestation's
  // validity); the call is due at max(now, not_before).
  absl::Time not_before = absl::InfinitePast();
};

struct BadgeItem {
  BadgeRequest request;
  BadgeState state = BadgeState::kPending;
  int attempts = 0;         // Claims so far (including a claim in progress).
  absl::Time next_attempt;  // kPending: not before this.
  std::string lease_token;  // The current claim's; "" when never claimed.
  absl::Time lease_expiry;  // Claimed until (InfinitePast when not claimed).
  std::string error;  // The last failure: Telegram's code and description, or the transport's.
  absl::Time create_time;
  absl::Time update_time;
};

// Items by state, for the outbox gauge.
struct BadgeCounts {
  int64_t pending = 0;
  int64_t done = 0;
  int64_t failed = 0;
};

// --- end badge outbox ---------------------------------------------------------

// ---- reviewer's reversal (#16, docs/review.md) --------------------------------

// What Store::ReverseVerification changed besides the result.
struct ReversalOutcome {
  // The attestations whose status-list entry this call revoked (none for
  // direct mode): the caller mirrors them into the issuer's status list.
  std::vector<std::string> revoked_attestations;
  bool removal_queued = false;  // a removeUserVerification is pending for the verification
};

// ---- end reviewer's reversal ----------------------------------------------------

// ---- duplicate index (#17, docs/dedup.md) ----------------------------------

// What an index entry identifies, by a keyed hash (verifier/dedup): never a
// value in the clear.
enum class DuplicateKind : int {
  kDocument = 1,  // issuing state + document type + document number
  kPerson = 2,    // normalised name + birth date
  // A face embedding (the face 1:N index, storage table face_index): the
  // entry's `sealed` holds the embedding sealed under the storage key, and
  // `hash` the keyed hash of its document ("" when none was hashed). Moved,
  // deleted and purged with the verification's other entries; never found
  // by FindDuplicates (vouchd searches faces in memory: ListFaceChanges).
  kFace = 3,
};

// One entry of the duplicate index: the keyed hash of an identity seen in a
// verification, written in the transaction that stores its result.
struct DuplicateEntry {
  // "provider" or "service:<relying service>" (1..256 bytes): entries are
  // only ever compared within one scope.
  std::string scope;
  DuplicateKind kind = DuplicateKind::kDocument;
  std::string key_id;           // The HMAC key's id (1..64 bytes).
  std::string hash;             // Hex HMAC-SHA256 under that key (1..128 bytes).
  std::string verification_id;  // 1..64 bytes.
  // Keyed hash of the Telegram user under the same key and scope (1..128
  // bytes): tells another user's entry from the same user's.
  std::string user_hash;
  // Written with a NEEDS_REVIEW result: not a duplicate for anyone until a
  // reviewer approves (ConfirmDuplicates), unless marked forged.
  bool held = false;
  // A reviewer rejected the verification as forged: its identities send any
  // later submission to review, whoever makes it.
  bool forged = false;
  absl::Time create_time;
  absl::Time expire_time = absl::InfiniteFuture();  // Not found from then on.
  // kFace only: the embedding sealed under the storage key (1..16 KiB) and
  // that key's id (1..64 bytes).
  std::string sealed;
  std::string sealed_key_id;
};

// One change of the face index (kFace entries), as replicas poll them.
struct FaceIndexChange {
  // When the Store wrote the change (its own clock; the poll's cursor).
  absl::Time change_time;
  // The entry was erased (or rejected by a reviewer): only
  // entry.verification_id is set; drop it.
  bool erased = false;
  DuplicateEntry entry;  // kind kFace.
};

// One lookup: an identity's hash under one key, and the submitting user's
// hash under the same key (entries of that user are not duplicates).
struct DuplicateProbe {
  std::string key_id;
  std::string hash;
  std::string user_hash;
};

// What a reviewer's decision does to its verification's index entries, in
// the decision's own transaction (DecideCase).
enum class DuplicateVerdict : int {
  kNone = 0,     // Leaves them as they are.
  kConfirm = 1,  // Releases the held ones, as ConfirmDuplicates (approved).
  kForged = 2,   // Marks them forged, as MarkDuplicatesForged (rejected as forged).
  kDelete = 3,   // Deletes them, as DeleteDuplicates (rejected otherwise).
};

// ---- end duplicate index (#17) ----------------------------------------------

// ---- erasure (#17, docs/erasure.md) ----------------------------------------

// What Store::EraseVerifications erases: verifications by id, and/or
// everything kept about one Telegram user (the only places the Store holds
// one: the keyed user hashes of the duplicate and face indexes, and the
// badge outbox's user id).
struct ErasureRequest {
  std::vector<std::string> verification_ids;  // Each 1..64 bytes; at most 1000.
  // By Telegram user (telegram_user_id > 0): the verifications of
  // `relying_service` whose index entries carry one of `user_hashes` (the
  // user's keyed hash under every dedup key, for the scopes that service's
  // entries use) or whose badge calls name the user; index entries and
  // badge calls of the user whose verification is gone already are erased
  // too. 0: by id only.
  int64_t telegram_user_id = 0;
  std::string relying_service;           // Required with telegram_user_id.
  std::vector<std::string> user_hashes;  // At most 256, each 1..128 bytes.
  absl::Time now;
};

// What one EraseVerifications call did (counts of rows it deleted).
struct ErasureOutcome {
  // The verifications it erased something of (sorted): a verification row,
  // or anything left about one (index entries, badge calls, a reminder).
  std::vector<std::string> erased_ids;
  // Requested ids of which nothing was found (unknown, or erased before).
  std::vector<std::string> unmatched_ids;
  int64_t verifications = 0;
  int64_t review_cases = 0;
  int64_t jobs = 0;
  int64_t idempotency_keys = 0;   // Freed with their verification.
  int64_t duplicate_entries = 0;  // Document and person entries.
  int64_t face_entries = 0;       // Turned into tombstones.
  int64_t pickups = 0;            // Pickup-window reminders.
  int64_t wallet_offers = 0;
  int64_t badge_calls = 0;            // Outbox items deleted.
  bool badge_removal_queued = false;  // A removeUserVerification is left, due now.
  // Attestations without a status-list entry (direct-mode credentials, at
  // most a day long: nothing to revoke them on), deleted.
  int64_t attestations_deleted = 0;
  // The attestations this call revoked (status 1; their rows and status-list
  // entries are kept, so relying services see the revocation), in
  // attestation id order: the caller mirrors them into the issuer's lists.
  std::vector<AttestationRecord> revoked;
};

// ---- end erasure ---------------------------------------------------------------

// Thread-safe: every method may be called concurrently.
class Store {
 public:
  virtual ~Store() = default;

  // Inserts a verification (and its job), unless the relying service already
  // used the idempotency key. Errors: kInvalidArgument for a bad record,
  // kAlreadyExists for a duplicate id.
  virtual absl::StatusOr<CreateOutcome> CreateVerification(const NewVerification& verification) = 0;

  // Errors: kNotFound.
  virtual absl::StatusOr<VerificationRecord> GetVerification(absl::string_view id) = 0;

  // Sets the state and result of a verification that has no job (the
  // synchronous path) and, when review_case is not null, creates that case in
  // the same transaction. A new case starts in kFirstReview, unclaimed, with
  // no first decision (those fields of review_case are ignored); its
  // create_time and delete_after are taken as given. Errors: kNotFound;
  // kFailedPrecondition when it is already terminal or has a job;
  // kInvalidArgument for a case whose verification_id differs, a case with a
  // state other than kCompleted, or a case out of the bounds of ReviewCase.
  // On any error nothing is written.
  // attestation: as in CompleteJob. badges: as in CompleteJob. duplicates:
  // as in CompleteJob.
  virtual absl::Status FinishVerification(absl::string_view id, VerificationState state,
                                          absl::string_view result, absl::Time now,
                                          const ReviewCase* review_case,
                                          const AttestationRecord* attestation = nullptr,
                                          absl::Span<const BadgeRequest> badges = {},
                                          absl::Span<const DuplicateEntry> duplicates = {}) = 0;

  // Deletes a verification that has not reached a terminal state (a
  // synchronous call that was cancelled), freeing its idempotency key.
  // Errors: kNotFound; kFailedPrecondition when terminal.
  virtual absl::Status AbandonVerification(absl::string_view id) = 0;

  // Claims the oldest job that is unclaimed or whose lease has expired, sets
  // its verification to kRunning, and leases it until now + lease. Returns
  // nullopt when there is none.
  virtual absl::StatusOr<std::optional<ClaimedJob>> ClaimJob(absl::Time now,
                                                             absl::Duration lease) = 0;

  // Atomically: checks the lease, stores the terminal state and result, and
  // deletes the job with its payload. Exactly one completion per job
  // succeeds. Errors: kFailedPrecondition when the lease was lost or the job
  // is already complete; kInvalidArgument for a non-terminal state.
  // review_case as in FinishVerification, atomically with the completion.
  // attestation, when not null, is recorded in the same transaction (as
  // RecordAttestation; kAlreadyExists writes nothing), so a completion that
  // fails leaves no attestation record behind and a re-run records its own.
  // badges (#16) are queued in the same transaction, as EnqueueBadge (an
  // item that exists is left as it is). duplicates (#17) are recorded in
  // the same transaction, as RecordDuplicates (kInvalidArgument for a bad
  // entry or one of another verification: nothing written). (The default
  // arguments are the ones on this interface; implementations live in this
  // module.)
  virtual absl::Status CompleteJob(const ClaimedJob& job, VerificationState state,
                                   absl::string_view result, absl::Time now,
                                   const ReviewCase* review_case,
                                   const AttestationRecord* attestation = nullptr,
                                   absl::Span<const BadgeRequest> badges = {},
                                   absl::Span<const DuplicateEntry> duplicates = {}) = 0;

  // Heartbeat: extends the lease of a job still held with job.lease_token to
  // now + lease and returns the new expiry. A lease that has run out but was
  // not claimed again is still held. Errors: kFailedPrecondition when the
  // lease was lost (the job was claimed again, or completed): the holder
  // must stop and must not complete it.
  virtual absl::StatusOr<absl::Time> RenewJobLease(const ClaimedJob& job, absl::Time now,
                                                   absl::Duration lease) = 0;

  // Writes a one-row heartbeat (the time `now`): OK only when the store can
  // be reached and written. For health checks.
  virtual absl::Status Probe(absl::Time now) = 0;

  // For a single-process store at start-up, when no other process can hold
  // a lease: makes every leased job (and pending badge call, #16) claimable
  // at once, and deletes the
  // synchronous verifications a crash left unfinished (no job, not
  // terminal; their callers got an error), freeing their idempotency keys.
  virtual absl::Status ReleaseAllLeases() = 0;

  // Deletes every verification without a job that is not terminal and
  // whose deadline <= now: a synchronous call whose owner could store
  // neither its result nor its abandonment (the database went away at that
  // moment), or died. Frees their idempotency keys, so a retry runs again.
  // Returns how many were deleted. Safe to run from every process at once.
  virtual absl::StatusOr<int64_t> AbandonExpiredVerifications(absl::Time now) = 0;

  // Number of jobs not yet completed.
  virtual absl::StatusOr<int64_t> PendingJobCount() = 0;

  // Records an issued attestation. Errors: kAlreadyExists for a duplicate id
  // or status-list entry.
  virtual absl::Status RecordAttestation(const AttestationRecord& record) = 0;

  // Errors: kNotFound.
  virtual absl::StatusOr<AttestationRecord> GetAttestation(absl::string_view attestation_id) = 0;

  // Sets an attestation's status. Returns whether it changed. Revoking
  // (status 1) an attestation whose verification has a verifyUser item
  // queues removeUserVerification for the same user, due at once, in the
  // same transaction (#16; a removal already queued for later is brought
  // forward). Errors: kNotFound; kFailedPrecondition when it has no
  // status-list entry.
  virtual absl::StatusOr<bool> SetAttestationStatus(absl::string_view attestation_id,
                                                    int status) = 0;

  // Every attestation with an entry on the list, in index order (to rebuild
  // the list after a restart).
  virtual absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(
      absl::string_view status_list_uri) = 0;

  // --- Status lists shared by replicas (#14) -------------------------------

  // Reserves the next entry of the open status list: the list with the
  // highest number, at the next position of that list's keyed pseudo-random
  // permutation of [0, size) (internal::PermutedStatusIndex), so indexes
  // come in random order and never twice. When the open list is full, list
  // number + 1 is opened with `list_size` entries and a fresh random key
  // (the first list is 1, or 2 after a legacy list, kLegacyStatusListSize).
  // One transaction: unique across every process sharing the Store. The
  // caller records the attestation with the entry (RecordAttestation); an
  // entry whose attestation is never recorded stays unused (status 0).
  // Errors: kInvalidArgument for a list_size that is not a multiple of 8 in
  // [kMinStatusListSize, kMaxStatusListSize].
  virtual absl::StatusOr<StatusAllocation> AllocateStatusEntry(int64_t list_size) = 0;

  // Every status list, by number.
  virtual absl::StatusOr<std::vector<StatusListInfo>> ListStatusLists() = 0;

  // The most recently issued attestation of a verification. Errors: kNotFound.
  virtual absl::StatusOr<AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) = 0;

  // --- end status lists ----------------------------------------------------

  // --- Changes across replicas (#14) ---------------------------------------

  // A stream of the changes of every process sharing the Store: PostgreSQL
  // LISTEN/NOTIFY (the notification is sent by a trigger in the writing
  // transaction, so only committed changes arrive). Errors: kUnimplemented
  // for stores without push (SQLite, memory): callers poll the rows they
  // follow instead; kUnavailable when the database cannot be reached.
  virtual absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() = 0;

  // --- end changes ---------------------------------------------------------

  // --- Telegram badge outbox (#16) -------------------------------------------

  // Queues `request`, due at max(now, request.not_before). Returns false (and
  // changes nothing) when an item for the same (verification_id, action)
  // exists. Errors: kInvalidArgument for an empty or over-long verification
  // id, a user id <= 0, or a description over 280 bytes.
  virtual absl::StatusOr<bool> EnqueueBadge(const BadgeRequest& request, absl::Time now) = 0;

  // Claims up to `max` (1..1000) pending items due at `now` (next_attempt <= now and
  // not under a live lease), earliest due first, leasing each until now + lease with a
  // new lease token and counting the attempt. A removal is not due while the
  // verifyUser of the same verification is pending, so the two calls are made in
  // order. Two concurrent claims never get the same item (PostgreSQL: FOR UPDATE SKIP
  // LOCKED). Drops the traces of erased claims (EraseVerifications) whose day is over.
  virtual absl::StatusOr<std::vector<BadgeItem>> ClaimBadges(absl::Time now, int max,
                                                             absl::Duration lease) = 0;

  // The outcome of one attempt of an item claimed as `claimed` (its verification id, action and
  // lease token): kDone, kFailed with `error`, or kPending to retry at `retry_at` with `error`.
  // Drops the lease. A verifyUser that fails takes its verification's pending removal with it
  // (kFailed: no badge was set, nothing to remove). Errors: kNotFound for an unknown item;
  // kFailedPrecondition when the lease was lost (claimed again by another dispatcher) or the item
  // is no longer pending; kInvalidArgument for an error over 1 KiB. A verifyUser refused so, with
  // an outcome other than kFailed (it may have set the badge late), still puts its verification's
  // removal, if already made or refused, back in the queue, due at once (#17, docs/erasure.md).
  // An erased item is kNotFound too; when its erasure kept a trace (the verifyUser had been
  // claimed; a day) and the outcome is not kFailed, it queues a removal for `claimed`'s user, due
  // at once, unless an erasure's removal for that user still waits unclaimed.
  virtual absl::Status RecordBadgeAttempt(const BadgeItem& claimed, BadgeState outcome,
                                          absl::Time retry_at, absl::string_view error,
                                          absl::Time now) = 0;

  // The items of a verification (verifyUser first), for its badge state.
  virtual absl::StatusOr<std::vector<BadgeItem>> FindBadges(absl::string_view verification_id) = 0;

  virtual absl::StatusOr<BadgeCounts> CountBadges() = 0;

  // --- end badge outbox ------------------------------------------------------

  // --- Review cases -------------------------------------------------------

  // Oldest first (create_time, then id), `sealed` and `lease_token` left
  // empty (use GetCase / ClaimCase), and a claim whose lease has expired by
  // `now` shown as none. Errors: kInvalidArgument for a limit outside
  // 1..1000.
  virtual absl::StatusOr<std::vector<ReviewCase>> ListCases(const CaseFilter& filter,
                                                            absl::Time now) = 0;

  // With the sealed envelope and the claim as stored (lease_token included:
  // callers must not hand it to anyone but the holder). Errors: kNotFound.
  virtual absl::StatusOr<ReviewCase> GetCase(absl::string_view case_id) = 0;

  // Claims a case for request.operator_id until now + lease (a new
  // lease_token each time) and returns it with its envelope. The same
  // operator re-claiming their own case by id renews it (the old token stops
  // working). With an empty case_id, claims the oldest case matching
  // request.filter that is under no live claim (not even the operator's own)
  // and that this operator may take; returns nullopt when there is none.
  // Two concurrent claims never get the same case (PostgreSQL: FOR UPDATE
  // SKIP LOCKED). Errors: kInvalidArgument for an empty operator or a lease
  // outside (0, 24 h]; kNotFound for an unknown case_id; kFailedPrecondition
  // when it is claimed by someone else, decided, or not claimable by this
  // operator (stage / senior / four-eyes rules).
  virtual absl::StatusOr<std::optional<ReviewCase>> ClaimCase(const ClaimCaseRequest& request) = 0;

  // Drops the claim. Errors: kNotFound; kFailedPrecondition when the lease
  // token is empty or does not match, or the lease has expired (lease_expiry
  // <= now).
  virtual absl::Status ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                                   absl::Time now) = 0;

  // Four-eyes: records the first decision, moves the case to kSecondReview
  // and drops the claim. Errors as ReleaseCase; kFailedPrecondition when the
  // case is not in kFirstReview; kInvalidArgument for an empty
  // first_operator or a first_decision over 64 KiB.
  virtual absl::Status EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                                    absl::string_view first_decision,
                                    absl::string_view first_operator, absl::Time now) = 0;

  // Atomically: checks the lease, replaces the verification's result with
  // `result` (its state stays kCompleted), and deletes the case, or, when
  // keep_until is after now, keeps it in kDecided, unclaimed, with
  // delete_after = keep_until. Exactly one decision per case succeeds: the
  // others get kNotFound (case deleted) or kFailedPrecondition (claim gone).
  // attestation, when not null (an approval), is recorded in the same
  // transaction, as in CompleteJob: a decision that fails leaves no
  // attestation record behind. Errors as ReleaseCase; kAlreadyExists (nothing
  // written) for a duplicate attestation id or status-list entry. badges as
  // in CompleteJob. duplicates (#17): what becomes of the verification's
  // duplicate-index entries, in the same transaction (a decision that fails
  // moves none).
  virtual absl::Status DecideCase(absl::string_view case_id, absl::string_view lease_token,
                                  absl::string_view result, absl::Time now, absl::Time keep_until,
                                  const AttestationRecord* attestation = nullptr,
                                  absl::Span<const BadgeRequest> badges = {},
                                  DuplicateVerdict duplicates = DuplicateVerdict::kNone) = 0;

  // Re-seals a case under another storage key (key rotation). Errors:
  // kNotFound; kFailedPrecondition when its key_id is no longer
  // expected_key_id (a concurrent rotation or decision); kInvalidArgument for
  // an empty envelope or key id.
  virtual absl::Status RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                                 absl::string_view sealed, absl::string_view key_id) = 0;

  // Ids of every case (any stage) sealed under key_id, in id order, for
  // rotation.
  virtual absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) = 0;

  // Cases whose delete_after <= now (any stage), at most `limit`, oldest
  // delete_after first (then id), without their envelopes and lease tokens,
  // for a purge to expire one by one with ExpireCase. Errors:
  // kInvalidArgument for a limit outside 1..1000.
  virtual absl::StatusOr<std::vector<ReviewCase>> ListExpiredCases(absl::Time now, int limit) = 0;

  // In one transaction: when the case exists and its delete_after <= now,
  // deletes it for real (SQLite with secure_delete on, and its WAL
  // checkpointed and truncated, as after a DecideCase that deletes) and, when
  // its stage was not kDecided, replaces its verification's result with
  // `expired_result` (the state stays kCompleted; `expired_result` is
  // ignored for a kDecided case). Returns true when it deleted the case,
  // false (nothing written) when the case has not expired yet. Of two
  // concurrent calls exactly one returns true; the other gets kNotFound.
  // Errors: kNotFound for no such case; kFailedPrecondition (nothing
  // written) when an undecided case's verification is not kCompleted.
  virtual absl::StatusOr<bool> ExpireCase(absl::string_view case_id,
                                          absl::string_view expired_result, absl::Time now) = 0;

  // --- Audit log ----------------------------------------------------------

  // Appends `event` (its seq, prev_hash and hash are ignored and assigned;
  // its time is kept to the microsecond) and returns it as stored.
  // Serialised across processes. Errors: kInvalidArgument for an actor
  // outside 1..256 bytes, an action outside 1..64, a verification_id over 64
  // or a detail over 16 KiB.
  virtual absl::StatusOr<AuditEvent> AppendAudit(const AuditEvent& event) = 0;

  // Events with seq > after_seq in seq order, at most `limit`. Errors:
  // kInvalidArgument for a limit outside 1..10000 or a negative after_seq.
  virtual absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) = 0;

  // ---- duplicate index (#17, docs/dedup.md) --------------------------------

  // Records index entries (outside a completion: a review decision's, or a
  // tool's). An entry with the same (scope, kind, key id, hash,
  // verification id) is replaced. Errors: kInvalidArgument for an entry
  // outside the bounds of DuplicateEntry (nothing written).
  virtual absl::Status RecordDuplicates(absl::Span<const DuplicateEntry> entries) = 0;

  // The entries of `scope` and `kind` matching any probe (same key id and
  // hash) that have not expired at `now` and are either another user's
  // (user_hash differs from the probe's) and not held, or marked forged
  // (anyone's, held or not).
  // Ordered by create_time, then verification id; at most `limit` (1..1000).
  // Errors: kInvalidArgument for a limit out of range or more than 64
  // probes.
  virtual absl::StatusOr<std::vector<DuplicateEntry>> FindDuplicates(
      absl::string_view scope, DuplicateKind kind, absl::Span<const DuplicateProbe> probes,
      absl::Time now, int limit) = 0;

  // Marks every entry of a verification forged (a reviewer's verdict).
  // Returns how many entries it marked.
  virtual absl::StatusOr<int64_t> MarkDuplicatesForged(absl::string_view verification_id) = 0;

  // Releases the held entries of a verification (a reviewer approved it):
  // they count as duplicates from now on. Returns how many it released.
  virtual absl::StatusOr<int64_t> ConfirmDuplicates(absl::string_view verification_id) = 0;

  // Deletes a verification's entries (erasure) and returns how many.
  virtual absl::StatusOr<int64_t> DeleteDuplicates(absl::string_view verification_id) = 0;

  // Deletes entries whose expire_time <= now (retention) and returns how
  // many.
  virtual absl::StatusOr<int64_t> PurgeExpiredDuplicates(absl::Time now) = 0;

  // How many entries have not expired at `now` (held and forged included),
  // for the index-size gauge.
  virtual absl::StatusOr<int64_t> CountDuplicates(absl::Time now) = 0;

  // ---- end duplicate index (#17) -------------------------------------------
  // ---- Wallet credential offers (OpenID4VCI, #19) ------------------------

  // Stores a new offer (state kOffered, no failures, no token). Offers whose
  // code and token expired a day before `offer.create_time` are deleted in
  // the same transaction. Errors: kAlreadyExists for a code hash in use;
  // kInvalidArgument for an empty code hash, verification id or sealed claims.
  virtual absl::Status CreateWalletOffer(const WalletOfferRecord& offer) = 0;

  // Redeems the offer of `code_hash` once, in one transaction: an offer in
  // kOffered whose code has not expired at `now` and whose tx_code hash
  // equals `tx_code_hash` (both "" when it has none) becomes kRedeemed with
  // `token_hash` and `token_expire_time`. A wrong tx_code counts a failure;
  // the `max_tx_failures`-th failure locks the offer for good. Nothing else
  // changes the row. Errors: kInvalidArgument for an empty code or token
  // hash, or max_tx_failures < 1.
  virtual absl::StatusOr<WalletRedeemOutcome> RedeemWalletOffer(
      absl::string_view code_hash, absl::string_view tx_code_hash, absl::string_view token_hash,
      absl::Time token_expire_time, int max_tx_failures, absl::Time now) = 0;

  // Claims the redeemed offer of access token `token_hash` for issuing, once:
  // returns it as it was (sealed claims included) and, in the same
  // transaction, marks it kIssued and drops the sealed claims. Errors:
  // kNotFound for an unknown token, one that expired at `now`, or an offer
  // already issued (one credential per offer).
  virtual absl::StatusOr<WalletOfferRecord> ClaimWalletOffer(absl::string_view token_hash,
                                                             absl::Time now) = 0;

  // ---- end wallet credential offers ---------------------------------------
  // ---- reviewer's reversal (#16, docs/review.md) ---------------------------

  // Atomically reverses a completed verification: when its stored result is
  // still `expected_result` (the bytes the caller read and judged), replaces
  // it with `result` (state stays kCompleted, update_time = now); revokes
  // (status 1) every attestation of the verification that has a status-list
  // entry; locks its wallet credential offers not yet issued (#19: never
  // redeemable); and queues removeUserVerification for the user of its
  // verifyUser item (unless that failed), due at once, as a revocation does
  // (a removal queued for the attestation's expiry is brought forward; one
  // already made or failed is left, so nothing is called twice).
  // Errors: kNotFound for an unknown verification; kFailedPrecondition when
  // it is not completed or its result is no longer `expected_result`
  // (changed meanwhile: read it again); kInvalidArgument for an empty
  // result.
  virtual absl::StatusOr<ReversalOutcome> ReverseVerification(absl::string_view verification_id,
                                                              absl::string_view expected_result,
                                                              absl::string_view result,
                                                              absl::Time now) = 0;

  // ---- end reviewer's reversal ----------------------------------------------

  // ---- face 1:N index (#17, docs/dedup.md) ---------------------------------
  // kFace entries are written, moved, deleted and purged by the duplicate
  // index operations above (RecordDuplicates, FinishVerification,
  // CompleteJob, DecideCase, DeleteDuplicates, PurgeExpiredDuplicates); a
  // deleted one becomes a tombstone for a day (or until its expiry, when
  // sooner) so that polling replicas drop it. These two read them.

  // The changes after (change_time, verification_id) > (after, after_id),
  // in that order, at most `limit` (1..10000): entries (held and forged
  // included) and tombstones. Errors: kInvalidArgument for a limit out of
  // range.
  virtual absl::StatusOr<std::vector<FaceIndexChange>> ListFaceChanges(absl::Time after,
                                                                       absl::string_view after_id,
                                                                       int limit) = 0;

  // How many face entries have not expired at `now` (tombstones excluded).
  virtual absl::StatusOr<int64_t> CountFaces(absl::Time now) = 0;

  // Storage key rotation (#17, dedup::RekeyFaces): the live face entries
  // (tombstones excluded) whose embedding is sealed under `key_id`, with
  // their envelopes, verification id > after_id in id order, at most
  // `limit` (1..1000). Errors: kInvalidArgument for a limit out of range.
  virtual absl::StatusOr<std::vector<DuplicateEntry>> FacesSealedWith(absl::string_view key_id,
                                                                      absl::string_view after_id,
                                                                      int limit) = 0;

  // Replaces a face entry's envelope and its key id when it is still live
  // and sealed under `expected_key_id`; returns false (nothing written)
  // otherwise (erased, purged or re-sealed meanwhile). Not a change for the
  // polling replicas (the embedding is the same). Errors: kInvalidArgument
  // for an envelope outside 1 byte..16 KiB or a key id outside 1..64 bytes.
  virtual absl::StatusOr<bool> RekeyFace(absl::string_view verification_id,
                                         absl::string_view expected_key_id,
                                         absl::string_view sealed, absl::string_view key_id) = 0;

  // ---- end face 1:N index (#17) ----------------------------------------------

  // ---- attestation pickup window (#17, docs/service.md) ---------------------

  // Records that the result of `verification_id` is about to keep its
  // credential sealed until `delete_after`. Called before the result is
  // stored, so a crash in between leaves a reminder, never a forgotten
  // credential. A second call for the same verification replaces the time.
  // Errors: kInvalidArgument for an id outside 1..64 bytes.
  virtual absl::Status SchedulePickupExpiry(absl::string_view verification_id,
                                            absl::Time delete_after) = 0;

  // The verifications whose reminder is due (delete_after <= now), earliest
  // first (then id), at most `limit`. Errors: kInvalidArgument for a limit
  // outside 1..1000.
  virtual absl::StatusOr<std::vector<std::string>> ListExpiredPickups(absl::Time now,
                                                                      int limit) = 0;

  // In one transaction: deletes the reminder of `verification_id` and, when
  // `result` is not empty and the verification still holds
  // `expected_result`, replaces that with `result` (state and update_time
  // unchanged). A reminder or verification that no longer exists is no
  // error. Errors: kFailedPrecondition (nothing written) when the stored
  // result is no longer `expected_result` (read it again).
  virtual absl::Status ClosePickup(absl::string_view verification_id,
                                   absl::string_view expected_result, absl::string_view result) = 0;

  // ---- end attestation pickup window ----------------------------------------
  // ---- retention (#17, docs/production.md section 10) -----------------------

  // Deletes up to `limit` (1..1000) terminal verifications of `policy` last
  // updated before `updated_before`, oldest first, in one transaction, each
  // with everything kept about it: its job, attestation rows, wallet offers,
  // pickup reminder and badge calls. A verification is kept while it has a
  // review case (the case's own retention decides), a badge call still
  // pending, or an attestation whose expire_time is after `now` (its
  // status-list entry must outlive the credential it covers). Returns the
  // ids it deleted. Errors: kInvalidArgument for a limit outside 1..1000.
  // The attestation rows an erasure kept are PurgeKeptAttestations'.
  virtual absl::StatusOr<std::vector<std::string>> PurgeVerifications(absl::string_view policy,
                                                                      absl::Time updated_before,
                                                                      absl::Time now,
                                                                      int limit) = 0;

  // Frees the idempotency keys of the terminal verifications of `policy`
  // created before `created_before` (a request with such a key then starts a
  // new verification). Returns how many it freed.
  virtual absl::StatusOr<int64_t> ReleaseIdempotencyKeys(absl::string_view policy,
                                                         absl::Time created_before) = 0;

  // Deletes the attestation rows an erasure kept (their verification is
  // gone; the revoked status-list entry had to stay visible while the
  // credential was valid) whose credential has expired by `now`. Whatever
  // the policies' retention: a policy without result_retention never runs
  // PurgeVerifications, and its erased users' rows must still go. Returns
  // how many rows it deleted.
  virtual absl::StatusOr<int64_t> PurgeKeptAttestations(absl::Time now) = 0;

  // ---- end retention ---------------------------------------------------------
  // ---- erasure (#17, docs/erasure.md) ------------------------------------------

  // Erases, in one transaction, everything kept about the verifications of `request`
  // (see ErasureRequest): their rows (and so their idempotency keys), review cases,
  // jobs, pickup reminders, wallet offers, duplicate index entries; their face
  // entries become tombstones (so polling replicas drop them); their attestations
  // with a status-list entry are revoked and kept (the others deleted). Badge calls
  // are deleted, but when a verifyUser was made or may be in flight, a
  // removeUserVerification stays queued, due at once (deleted once it is no longer
  // pending); when the verifyUser was ever claimed, the SHA-256 of the id is kept a
  // day (no user id; see RecordBadgeAttempt). A second call finds nothing left
  // (idempotent): its ids are unmatched. Deleted rows are scrubbed as DecideCase's
  // (SQLite secure_delete, WAL truncated). Errors: kInvalidArgument for an id
  // outside 1..64 bytes, more than 1000 ids, a request with neither ids nor a user,
  // a user without a relying service, or bad user hashes (nothing written).
  virtual absl::StatusOr<ErasureOutcome> EraseVerifications(const ErasureRequest& request) = 0;

  // ---- end erasure ---------------------------------------------------------------
};

// An in-memory Store for unit tests (and nothing else: it forgets on exit):
// the SQLite store on a private in-memory database.
std::unique_ptr<Store> NewMemoryStore();

// Errors of every store: kUnavailable when the store cannot be reached or
// is busy (transient: retry), kResourceExhausted when it is out of space
// (SQLITE_FULL, SQLSTATE 53100), kUnauthenticated when a database server
// refuses the login (a wrong or missing password: configuration, not an
// outage; also on a reconnect after the password changed under a running
// store), kInternal for anything else unexpected.
// Messages may name hosts, ports or SQL: they are for the log, not clients.

// The embedded store: SQLite in WAL mode at `path` (created 0600 with its
// schema when absent). Errors: kUnavailable when the file cannot be opened,
// kFailedPrecondition for an unknown schema version.
absl::StatusOr<std::unique_ptr<Store>> NewSqliteStore(const std::string& path);

// PostgreSQL through libpq; `conninfo` is a postgresql:// URI or key=value
// string. Applies the versioned schema migrations at start (idempotent, safe
// when several vouchd start at once). Errors: kUnavailable when the server
// cannot be reached, kUnauthenticated when it refuses the login (the message
// names the user and host, never the password), kFailedPrecondition for a
// schema newer than this build.
absl::StatusOr<std::unique_ptr<Store>> NewPostgresStore(const std::string& conninfo);

}  // namespace vouch::verifier::storage

#endif  // VOUCH_VERIFIER_STORAGE_STORE_H_
