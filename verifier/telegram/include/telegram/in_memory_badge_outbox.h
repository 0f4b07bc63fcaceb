#ifndef VOUCH_VERIFIER_TELEGRAM_IN_MEMORY_BADGE_OUTBOX_H_
#define VOUCH_VERIFIER_TELEGRAM_IN_MEMORY_BADGE_OUTBOX_H_

// BadgeOutbox in memory: the reference behaviour the Store-backed outbox
// must match, and what vouchd uses until the Store has one (it does not
// survive a restart).

#include <map>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "telegram/badge_outbox.h"

namespace vouch::verifier::telegram {

class InMemoryBadgeOutbox final : public BadgeOutbox {
 public:
  absl::StatusOr<bool> Enqueue(const BadgeRequest& request, absl::Time now) override;
  absl::StatusOr<std::vector<BadgeItem>> ClaimDue(absl::Time now, int max,
                                                  absl::Duration lease) override;
  absl::Status MarkDone(absl::string_view verification_id, BadgeAction action,
                        absl::Time now) override;
  absl::Status MarkFailed(absl::string_view verification_id, BadgeAction action,
                          absl::string_view error, absl::Time now) override;
  absl::Status RetryAt(absl::string_view verification_id, BadgeAction action, absl::Time at,
                       absl::string_view error, absl::Time now) override;
  absl::StatusOr<std::optional<BadgeItem>> Find(absl::string_view verification_id,
                                                BadgeAction action) const override;

  // Items by state (for gauges and tests).
  int Count(BadgeState state) const;

 private:
  using Key = std::pair<std::string, int>;
  absl::StatusOr<BadgeItem*> Get(absl::string_view id, BadgeAction action)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<Key, BadgeItem> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_IN_MEMORY_BADGE_OUTBOX_H_
