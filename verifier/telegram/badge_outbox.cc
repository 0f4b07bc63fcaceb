#include "telegram/badge_outbox.h"

namespace vouch::verifier::telegram {

absl::string_view BadgeActionName(BadgeAction action) {
  return action == BadgeAction::kVerify ? "verify" : "remove";
}

absl::string_view BadgeStateName(BadgeState state) {
  switch (state) {
    case BadgeState::kPending:
      return "pending";
    case BadgeState::kDone:
      return "done";
    case BadgeState::kFailed:
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
