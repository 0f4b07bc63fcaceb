#ifndef VOUCH_VERIFIER_TELEGRAM_BADGE_OUTBOX_H_
#define VOUCH_VERIFIER_TELEGRAM_BADGE_OUTBOX_H_

// The Telegram verification badge outbox (issue #16): the calls to
// verifyUser / removeUserVerification vouchd owes Telegram, one per
// (verification, action), waiting to be made, being made, done or failed.
//
// This is the narrow interface the engine and the review queue write to
// and the BadgeDispatcher drains. It is meant to be implemented by the Store
// (a table written in the same transaction as the verification's result,
// so that the call survives a restart and a kill -9); today the only
// implementation is InMemoryBadgeOutbox, which loses what it holds when
// vouchd stops (docs/telegram.md, "What is not there yet").
//
// Exactly once: Enqueue is idempotent per (verification_id, action), so a
// result stored twice (a retried completion) queues one call. A claimed item
// is leased; an item whose lease ran out (its dispatcher died mid-call) is
// due again, so a call cut off by a crash may be made a second time, which
// Telegram answers as it answers the first (verifyUser sets the badge
// again; removeUserVerification of an unverified user fails definitively).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vouch::verifier::telegram {

enum class BadgeAction : int {
  kVerify = 1,  // verifyUser(user_id, custom_description)
  kRemove = 2,  // removeUserVerification(user_id)
};
absl::string_view BadgeActionName(BadgeAction action);  // "verify", "remove"

enum class BadgeState : int {
  kPending = 1,  // waiting for its (next) attempt
  kDone = 2,     // Telegram answered ok
  kFailed = 3,   // Telegram refused it definitively (400/403): `error` says why
};
absl::string_view BadgeStateName(BadgeState state);  // "pending", "done", "failed"

struct BadgeRequest {
  std::string verification_id;
  int64_t user_id = 0;
  BadgeAction action = BadgeAction::kVerify;
  std::string custom_description;  // kVerify only; 0..70 characters.
};

struct BadgeItem {
  BadgeRequest request;
  BadgeState state = BadgeState::kPending;
  int attempts = 0;         // Calls made so far.
  absl::Time next_attempt;  // kPending: not before this.
  absl::Time lease_expiry;  // Claimed until (InfinitePast when not claimed).
  std::string error;        // The last failure: Telegram's description, or the transport's.
  absl::Time create_time;
  absl::Time update_time;
};

// Thread-safe.
class BadgeOutbox {
 public:
  virtual ~BadgeOutbox() = default;

  // Queues `request`, due at `now`. Returns false (and changes nothing) when
  // an item for the same (verification_id, action) exists. Errors:
  // kInvalidArgument for an empty verification id or a user id <= 0.
  virtual absl::StatusOr<bool> Enqueue(const BadgeRequest& request, absl::Time now) = 0;

  // Claims up to `max` pending items due at `now` (next_attempt <= now and
  // not leased, or leased until before `now`), oldest due first, leasing
  // them until now + lease.
  virtual absl::StatusOr<std::vector<BadgeItem>> ClaimDue(absl::Time now, int max,
                                                          absl::Duration lease) = 0;

  // The outcome of one attempt of a claimed item. Errors: kNotFound for an
  // unknown item.
  virtual absl::Status MarkDone(absl::string_view verification_id, BadgeAction action,
                                absl::Time now) = 0;
  virtual absl::Status MarkFailed(absl::string_view verification_id, BadgeAction action,
                                  absl::string_view error, absl::Time now) = 0;
  virtual absl::Status RetryAt(absl::string_view verification_id, BadgeAction action, absl::Time at,
                               absl::string_view error, absl::Time now) = 0;

  // The item, if any (the badge state of a verification; the user id a
  // later removal needs).
  virtual absl::StatusOr<std::optional<BadgeItem>> Find(absl::string_view verification_id,
                                                        BadgeAction action) const = 0;
};

// Each attempt's outcome, for the dispatcher's audit hook and metrics.
enum class BadgeOutcome : int {
  kDone = 1,
  kRetry = 2,   // network error, 5xx, 429, or 401/404 (a token problem)
  kFailed = 3,  // definitive: 400 / 403 (and other 4xx)
};
absl::string_view BadgeOutcomeName(BadgeOutcome outcome);  // "done", "retry", "failed"

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_BADGE_OUTBOX_H_
