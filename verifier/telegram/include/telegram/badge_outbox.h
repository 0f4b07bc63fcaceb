#ifndef VOUCH_VERIFIER_TELEGRAM_BADGE_OUTBOX_H_
#define VOUCH_VERIFIER_TELEGRAM_BADGE_OUTBOX_H_

// The Telegram verification badge outbox: the calls to
// verifyUser / removeUserVerification vouchd owes Telegram, one per
// (verification, action). The outbox is a table of the Store
// (storage/store.h, "Telegram badge outbox"): the engine and the review
// queue put the calls of a decision in the transaction that stores it
// (BadgeCallsOnVerified), a revocation queues the removal in its own
// (Store::SetAttestationStatus), and the BadgeDispatcher drains it.
//
// Exactly once: an item exists once per (verification, action), whatever
// the retries of the completion that queued it; a claimed item is leased,
// and an outcome is recorded only under the lease it was claimed with. A
// call cut off by a crash after Telegram acted but before the outcome was
// recorded is made once more after the lease (or at once after a
// single-process restart); Telegram's effect is the same (verifyUser sets
// the same badge; removeUserVerification of a user without one fails,
// which is recorded).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/store.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::telegram {

using ::vouch::verifier::storage::BadgeAction;
using ::vouch::verifier::storage::BadgeItem;
using ::vouch::verifier::storage::BadgeRequest;
using ::vouch::verifier::storage::BadgeState;

absl::string_view BadgeActionName(storage::BadgeAction action);  // "verify", "remove"
absl::string_view BadgeStateName(storage::BadgeState state);     // "pending", "done", "failed"

// What a policy's [telegram] table asks for (pipeline's Policy::Telegram).
struct BadgePolicy {
  bool verify_user = false;
  bool remove_at_expiry = false;
  std::string custom_description;
};

// The calls a VERIFIED decision queues with its result: verifyUser for
// `user_id` and, with remove_at_expiry and an attestation that expires
// (`attestation_expiry` finite), removeUserVerification due then. Empty
// when the policy does not set verify_user or there is no user (user_id <=
// 0).
std::vector<storage::BadgeRequest> BadgeCallsOnVerified(const BadgePolicy& policy,
                                                        absl::string_view verification_id,
                                                        int64_t user_id,
                                                        absl::Time attestation_expiry);

// Where the badge stands, from a verification's items (Store::FindBadges);
// nullopt when it has none.
std::optional<v1::TelegramBadge> BadgeStatus(const std::vector<storage::BadgeItem>& items);

// Each attempt's outcome, for the dispatcher's audit hook and metrics.
enum class BadgeOutcome : int {
  kDone = 1,
  kRetry = 2,   // network error, 5xx, 429, or 401/404 (a token problem)
  kFailed = 3,  // definitive: 400 / 403 (and other 4xx)
};
absl::string_view BadgeOutcomeName(BadgeOutcome outcome);  // "done", "retry", "failed"

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_BADGE_OUTBOX_H_
