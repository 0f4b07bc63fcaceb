#include "telegram/badge_outbox.h"

#include "gtest/gtest.h"

namespace vouch::verifier::telegram {
namespace {

const absl::Time kExpiry = absl::FromUnixSeconds(1'800'000'000);

TEST(BadgeCallsOnVerifiedTest, VerifyOnlyByDefault) {
  const std::vector<storage::BadgeRequest> calls =
      BadgeCallsOnVerified(BadgePolicy{true, false, "Checked"}, "ver_1", 42, kExpiry);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verification_id, "ver_1");
  EXPECT_EQ(calls[0].user_id, 42);
  EXPECT_EQ(calls[0].action, storage::BadgeAction::kVerify);
  EXPECT_EQ(calls[0].custom_description, "Checked");
  EXPECT_EQ(calls[0].not_before, absl::InfinitePast());
}

TEST(BadgeCallsOnVerifiedTest, RemovalAtTheAttestationsExpiryWhenThePolicySaysSo) {
  const std::vector<storage::BadgeRequest> calls =
      BadgeCallsOnVerified(BadgePolicy{true, true, ""}, "ver_1", 42, kExpiry);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].action, storage::BadgeAction::kRemove);
  EXPECT_EQ(calls[1].user_id, 42);
  EXPECT_EQ(calls[1].not_before, kExpiry);
  // No attestation (or one that never expires): nothing to schedule.
  EXPECT_EQ(
      BadgeCallsOnVerified(BadgePolicy{true, true, ""}, "ver_1", 42, absl::InfiniteFuture()).size(),
      1u);
}

TEST(BadgeCallsOnVerifiedTest, NothingWithoutTheBadgeOrAUser) {
  EXPECT_TRUE(BadgeCallsOnVerified(BadgePolicy{false, true, ""}, "ver_1", 42, kExpiry).empty());
  EXPECT_TRUE(BadgeCallsOnVerified(BadgePolicy{true, true, ""}, "ver_1", 0, kExpiry).empty());
}

}  // namespace
}  // namespace vouch::verifier::telegram

namespace vouch::verifier::telegram {
namespace {

storage::BadgeItem Item(storage::BadgeAction action, storage::BadgeState state,
                        const std::string& error = "", int attempts = 1) {
  storage::BadgeItem item;
  item.request = storage::BadgeRequest{"ver_1", 42, action, ""};
  item.state = state;
  item.error = error;
  item.attempts = attempts;
  item.next_attempt = absl::FromUnixSeconds(1'800'000'000);
  item.update_time = absl::FromUnixSeconds(1'700'000'000);
  return item;
}

TEST(BadgeStatusTest, FollowsTheVerifyAndThenTheRemoval) {
  EXPECT_FALSE(BadgeStatus({}).has_value());
  EXPECT_EQ(BadgeStatus(
                {Item(storage::BadgeAction::kVerify, storage::BadgeState::kPending, "429 slow", 2)})
                ->state(),
            v1::TelegramBadge::STATE_PENDING);
  const v1::TelegramBadge failed = *BadgeStatus(
      {Item(storage::BadgeAction::kVerify, storage::BadgeState::kFailed, "400 Bad Request: x")});
  EXPECT_EQ(failed.state(), v1::TelegramBadge::STATE_FAILED);
  EXPECT_EQ(failed.error(), "400 Bad Request: x");
  EXPECT_EQ(failed.update_time().seconds(), 1'700'000'000);

  const v1::TelegramBadge scheduled =
      *BadgeStatus({Item(storage::BadgeAction::kVerify, storage::BadgeState::kDone),
                    Item(storage::BadgeAction::kRemove, storage::BadgeState::kPending, "", 0)});
  EXPECT_EQ(scheduled.state(), v1::TelegramBadge::STATE_SET);
  EXPECT_EQ(scheduled.remove_time().seconds(), 1'800'000'000);

  EXPECT_EQ(BadgeStatus({Item(storage::BadgeAction::kVerify, storage::BadgeState::kDone),
                         Item(storage::BadgeAction::kRemove, storage::BadgeState::kDone)})
                ->state(),
            v1::TelegramBadge::STATE_REMOVED);
  const v1::TelegramBadge refused = *BadgeStatus(
      {Item(storage::BadgeAction::kVerify, storage::BadgeState::kDone),
       Item(storage::BadgeAction::kRemove, storage::BadgeState::kFailed, "400 Bad Request: y")});
  EXPECT_EQ(refused.state(), v1::TelegramBadge::STATE_REMOVAL_FAILED);
  EXPECT_EQ(refused.error(), "400 Bad Request: y");
}

}  // namespace
}  // namespace vouch::verifier::telegram
