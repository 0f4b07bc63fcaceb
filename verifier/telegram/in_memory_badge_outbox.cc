#include "telegram/in_memory_badge_outbox.h"

#include <algorithm>
#include <string>

namespace vouch::verifier::telegram {

absl::StatusOr<bool> InMemoryBadgeOutbox::Enqueue(const BadgeRequest& request, absl::Time now) {
  if (request.verification_id.empty() || request.user_id <= 0) {
    return absl::InvalidArgumentError("badge: a verification id and a positive user id");
  }
  absl::MutexLock lock(&mu_);
  const Key key(request.verification_id, static_cast<int>(request.action));
  if (items_.count(key) != 0) return false;
  BadgeItem item;
  item.request = request;
  item.next_attempt = now;
  item.lease_expiry = absl::InfinitePast();
  item.create_time = now;
  item.update_time = now;
  items_.emplace(key, std::move(item));
  return true;
}

absl::StatusOr<std::vector<BadgeItem>> InMemoryBadgeOutbox::ClaimDue(absl::Time now, int max,
                                                                     absl::Duration lease) {
  absl::MutexLock lock(&mu_);
  std::vector<BadgeItem*> due;
  for (auto& [key, item] : items_) {
    if (item.state == BadgeState::kPending && item.next_attempt <= now &&
        item.lease_expiry <= now) {
      due.push_back(&item);
    }
  }
  std::stable_sort(due.begin(), due.end(), [](const BadgeItem* a, const BadgeItem* b) {
    return a->next_attempt < b->next_attempt;
  });
  if (static_cast<int>(due.size()) > max) due.resize(std::max(0, max));
  std::vector<BadgeItem> claimed;
  for (BadgeItem* item : due) {
    item->lease_expiry = now + lease;
    claimed.push_back(*item);
  }
  return claimed;
}

absl::StatusOr<BadgeItem*> InMemoryBadgeOutbox::Get(absl::string_view id, BadgeAction action) {
  auto it = items_.find(Key(std::string(id), static_cast<int>(action)));
  if (it == items_.end()) return absl::NotFoundError("badge: no such item");
  return &it->second;
}

absl::Status InMemoryBadgeOutbox::MarkDone(absl::string_view id, BadgeAction action,
                                           absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<BadgeItem*> item = Get(id, action);
  if (!item.ok()) return item.status();
  (*item)->state = BadgeState::kDone;
  (*item)->attempts++;
  (*item)->error.clear();
  (*item)->lease_expiry = absl::InfinitePast();
  (*item)->update_time = now;
  return absl::OkStatus();
}

absl::Status InMemoryBadgeOutbox::MarkFailed(absl::string_view id, BadgeAction action,
                                             absl::string_view error, absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<BadgeItem*> item = Get(id, action);
  if (!item.ok()) return item.status();
  (*item)->state = BadgeState::kFailed;
  (*item)->attempts++;
  (*item)->error = std::string(error);
  (*item)->lease_expiry = absl::InfinitePast();
  (*item)->update_time = now;
  return absl::OkStatus();
}

absl::Status InMemoryBadgeOutbox::RetryAt(absl::string_view id, BadgeAction action, absl::Time at,
                                          absl::string_view error, absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<BadgeItem*> item = Get(id, action);
  if (!item.ok()) return item.status();
  (*item)->attempts++;
  (*item)->next_attempt = at;
  (*item)->error = std::string(error);
  (*item)->lease_expiry = absl::InfinitePast();
  (*item)->update_time = now;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<BadgeItem>> InMemoryBadgeOutbox::Find(absl::string_view id,
                                                                   BadgeAction action) const {
  absl::MutexLock lock(&mu_);
  auto it = items_.find(Key(std::string(id), static_cast<int>(action)));
  if (it == items_.end()) return std::optional<BadgeItem>();
  return std::optional<BadgeItem>(it->second);
}

int InMemoryBadgeOutbox::Count(BadgeState state) const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [key, item] : items_) n += item.state == state ? 1 : 0;
  return n;
}

}  // namespace vouch::verifier::telegram
