#include "telegram/badge_outbox.h"

#include <algorithm>
#include <string>

namespace vouch::verifier::telegram {

std::vector<storage::BadgeRequest> BadgeCallsOnVerified(const BadgePolicy& policy,
                                                        absl::string_view verification_id,
                                                        int64_t user_id,
                                                        absl::Time attestation_expiry) {
  std::vector<storage::BadgeRequest> calls;
  if (!policy.verify_user || user_id <= 0) return calls;
  calls.push_back(storage::BadgeRequest{std::string(verification_id), user_id,
                                        storage::BadgeAction::kVerify, policy.custom_description});
  if (policy.remove_at_expiry && attestation_expiry != absl::InfiniteFuture()) {
    calls.push_back(storage::BadgeRequest{std::string(verification_id), user_id,
                                          storage::BadgeAction::kRemove, "", attestation_expiry});
  }
  return calls;
}

namespace {

google::protobuf::Timestamp Timestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t us = absl::ToUnixMicros(t);
  ts.set_seconds(us / 1'000'000);
  ts.set_nanos(static_cast<int32_t>(us % 1'000'000) * 1000);
  if (ts.nanos() < 0) {
    ts.set_seconds(ts.seconds() - 1);
    ts.set_nanos(ts.nanos() + 1'000'000'000);
  }
  return ts;
}

}  // namespace

std::optional<v1::TelegramBadge> BadgeStatus(const std::vector<storage::BadgeItem>& items) {
  const storage::BadgeItem* verify = nullptr;
  const storage::BadgeItem* remove = nullptr;
  for (const storage::BadgeItem& item : items) {
    (item.request.action == storage::BadgeAction::kVerify ? verify : remove) = &item;
  }
  if (verify == nullptr) return std::nullopt;
  v1::TelegramBadge badge;
  const storage::BadgeItem* current = verify;
  switch (verify->state) {
    case storage::BadgeState::kPending:
      badge.set_state(v1::TelegramBadge::STATE_PENDING);
      break;
    case storage::BadgeState::kFailed:
      badge.set_state(v1::TelegramBadge::STATE_FAILED);
      break;
    case storage::BadgeState::kDone:
      badge.set_state(v1::TelegramBadge::STATE_SET);
      if (remove == nullptr) break;
      if (remove->state == storage::BadgeState::kPending) {
        *badge.mutable_remove_time() =
            Timestamp(std::max(remove->next_attempt, verify->update_time));
        if (remove->attempts > 0) current = remove;  // Being retried.
      } else {
        badge.set_state(remove->state == storage::BadgeState::kDone
                            ? v1::TelegramBadge::STATE_REMOVED
                            : v1::TelegramBadge::STATE_REMOVAL_FAILED);
        current = remove;
      }
      break;
  }
  badge.set_error(current->error);
  badge.set_attempts(current->attempts);
  *badge.mutable_update_time() = Timestamp(current->update_time);
  return badge;
}

absl::string_view BadgeActionName(storage::BadgeAction action) {
  return action == storage::BadgeAction::kVerify ? "verify" : "remove";
}

absl::string_view BadgeStateName(storage::BadgeState state) {
  switch (state) {
    case storage::BadgeState::kPending:
      return "pending";
    case storage::BadgeState::kDone:
      return "done";
    case storage::BadgeState::kFailed:
      return "failed";
  }
  return "unknown";
}

absl::string_view BadgeOutcomeName(BadgeOutcome outcome) {
  switch (outcome) {
    case BadgeOutcome::kDone:
      return "done";
    case BadgeOutcome::kRetry:
      return "retry";
    case BadgeOutcome::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace vouch::verifier::telegram
