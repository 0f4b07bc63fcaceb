#ifndef VOUCH_VERIFIER_STORAGE_STORE_INTERNAL_H_
#define VOUCH_VERIFIER_STORAGE_STORE_INTERNAL_H_

// Shared by the Store implementations; not part of the storage API.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "storage/store.h"

namespace vouch::verifier::storage::internal {

// Bounds every store enforces.
inline constexpr size_t kMaxSealedBytes = 64 << 20;
inline constexpr size_t kMaxReasons = 64;
inline constexpr size_t kMaxReasonBytes = 128;
inline constexpr size_t kMaxIdBytes = 256;  // operator ids, key ids, policies
inline constexpr size_t kMaxDecisionBytes = 64 << 10;
inline constexpr size_t kMaxAuditDetailBytes = 16 << 10;

// The prev_hash of the first audit event: 64 zeros.
std::string ZeroHash();

// Validates what every implementation requires of a new verification.
absl::Status ValidateNew(const NewVerification& v);

// A new case for verification `id` finished with `state`.
absl::Status ValidateCase(const ReviewCase& c, absl::string_view id, VerificationState state);
absl::Status ValidateFilter(const CaseFilter& f);
// A ListExpiredCases limit: 1..1000.
absl::Status ValidateExpiredLimit(int limit);
absl::Status ValidateClaim(const ClaimCaseRequest& r);
absl::Status ValidateLeaseToken(absl::string_view lease_token);
absl::Status ValidateEscalation(absl::string_view first_decision, absl::string_view first_operator);
absl::Status ValidateRekey(absl::string_view sealed, absl::string_view key_id);

// The case as created: `c` in kFirstReview, unclaimed, with no first decision.
ReviewCase NewCase(const ReviewCase& c);

// A case as listings show it: no envelope, no lease token, and an expired
// claim shown as none.
ReviewCase ForListing(ReviewCase c, absl::Time now);

// Overwrites the bytes of a string about to be dropped.
void WipeString(std::string& s);
absl::Status ValidateAudit(const AuditEvent& e);
// Telegram badge outbox (#16).
absl::Status ValidateBadgeRequest(const BadgeRequest& r);
absl::Status ValidateBadgeClaim(int max, absl::Duration lease);
absl::Status ValidateBadgeAttempt(const BadgeItem& claimed, BadgeState outcome,
                                  absl::string_view error);
absl::Status ValidateAuditQuery(int64_t after_seq, int limit);

// Reasons as stored: joined with '\n' (reasons are printable ASCII without
// spaces, checked by ValidateCase).
std::string JoinReasons(const std::vector<std::string>& reasons);
std::vector<std::string> SplitReasons(absl::string_view joined);

// Microseconds since the epoch, with the infinities mapped to INT64_MIN/MAX
// and back.
int64_t Micros(absl::Time t);
absl::Time FromMicros(int64_t us);

// The claim rules of Store::ClaimCase for one case, as FailedPrecondition
// with a reason (no personal data). `by_id` is false for "claim the next":
// then a case under any live claim, even the operator's own, is skipped.
absl::Status CheckClaimable(const ReviewCase& c, const ClaimCaseRequest& r, bool by_id);
// Whether a case matches the filter's fields (not its limit).
bool MatchesFilter(const ReviewCase& c, const CaseFilter& f);
// A live lease held with `lease_token`, else FailedPrecondition.
absl::Status CheckLease(const ReviewCase& c, absl::string_view lease_token, absl::Time now);

// 128 random bits, hex.
std::string NewLeaseToken();

// --- Status lists shared by replicas (#14) ---------------------------------

// Entry `position` (0 <= position < size) of the permutation of [0, size)
// keyed by `key` (32 random bytes per list): a 4-round balanced Feistel
// network over the smallest even number of bits covering size, round
// function HMAC-SHA256(key, round || half), cycle-walking values >= size
// back into range (Black and Rogaway, "Ciphers with Arbitrary Finite
// Domains", 2002). A bijection: distinct positions give distinct indexes.
int64_t PermutedStatusIndex(absl::string_view key, int64_t size, int64_t position);
// 32 bytes from RAND_bytes.
std::string NewStatusListKey();
absl::Status ValidateStatusListSize(int64_t list_size);

// --- end status lists --------------------------------------------------------

}  // namespace vouch::verifier::storage::internal

#endif  // VOUCH_VERIFIER_STORAGE_STORE_INTERNAL_H_
