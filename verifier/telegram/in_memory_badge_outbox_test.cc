#include "telegram/in_memory_badge_outbox.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::telegram {
namespace {

using vouch::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

BadgeRequest Verify(const std::string& id, int64_t user = 42) {
  return BadgeRequest{id, user, BadgeAction::kVerify, "Identity checked"};
}

TEST(InMemoryBadgeOutboxTest, EnqueueIsIdempotentPerVerificationAndAction) {
  InMemoryBadgeOutbox outbox;
  EXPECT_EQ(*outbox.Enqueue(Verify("ver_a"), kT0), true);
  EXPECT_EQ(*outbox.Enqueue(Verify("ver_a"), kT0), false);
  EXPECT_EQ(*outbox.Enqueue(BadgeRequest{"ver_a", 42, BadgeAction::kRemove, ""}, kT0), true);
  EXPECT_EQ(outbox.Count(BadgeState::kPending), 2);
  EXPECT_THAT(outbox.Enqueue(Verify(""), kT0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(outbox.Enqueue(Verify("ver_b", 0), kT0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(InMemoryBadgeOutboxTest, ClaimLeasesAndALapsedLeaseIsDueAgain) {
  InMemoryBadgeOutbox outbox;
  ASSERT_TRUE(outbox.Enqueue(Verify("ver_a"), kT0).ok());
  std::vector<BadgeItem> claimed = *outbox.ClaimDue(kT0, 10, absl::Seconds(60));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].request.user_id, 42);
  EXPECT_TRUE(outbox.ClaimDue(kT0 + absl::Seconds(59), 10, absl::Seconds(60))->empty());
  // The dispatcher died mid-call: after the lease the item is due again.
  EXPECT_EQ(outbox.ClaimDue(kT0 + absl::Seconds(60), 10, absl::Seconds(60))->size(), 1u);
}

TEST(InMemoryBadgeOutboxTest, RetryDoneAndFailed) {
  InMemoryBadgeOutbox outbox;
  ASSERT_TRUE(outbox.Enqueue(Verify("ver_a"), kT0).ok());
  ASSERT_TRUE(outbox.Enqueue(Verify("ver_b"), kT0).ok());
  ASSERT_EQ(outbox.ClaimDue(kT0, 10, absl::Seconds(60))->size(), 2u);
  ASSERT_TRUE(
      outbox.RetryAt("ver_a", BadgeAction::kVerify, kT0 + absl::Seconds(30), "429", kT0).ok());
  ASSERT_TRUE(outbox.MarkFailed("ver_b", BadgeAction::kVerify, "400 Bad Request", kT0).ok());
  EXPECT_TRUE(outbox.ClaimDue(kT0 + absl::Seconds(29), 10, absl::Seconds(60))->empty());
  std::vector<BadgeItem> again = *outbox.ClaimDue(kT0 + absl::Seconds(30), 10, absl::Seconds(60));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].request.verification_id, "ver_a");
  EXPECT_EQ(again[0].attempts, 1);
  ASSERT_TRUE(outbox.MarkDone("ver_a", BadgeAction::kVerify, kT0 + absl::Seconds(30)).ok());
  EXPECT_TRUE(outbox.ClaimDue(kT0 + absl::Hours(1), 10, absl::Seconds(60))->empty());
  const std::optional<BadgeItem> a = *outbox.Find("ver_a", BadgeAction::kVerify);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->state, BadgeState::kDone);
  EXPECT_EQ(a->attempts, 2);
  const std::optional<BadgeItem> b = *outbox.Find("ver_b", BadgeAction::kVerify);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->state, BadgeState::kFailed);
  EXPECT_EQ(b->error, "400 Bad Request");
  EXPECT_FALSE(outbox.Find("ver_c", BadgeAction::kVerify)->has_value());
  EXPECT_THAT(outbox.MarkDone("ver_c", BadgeAction::kVerify, kT0),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(InMemoryBadgeOutboxTest, ClaimsAtMostMaxOldestFirst) {
  InMemoryBadgeOutbox outbox;
  ASSERT_TRUE(outbox.Enqueue(Verify("ver_late"), kT0 + absl::Seconds(2)).ok());
  ASSERT_TRUE(outbox.Enqueue(Verify("ver_early"), kT0).ok());
  std::vector<BadgeItem> claimed = *outbox.ClaimDue(kT0 + absl::Seconds(5), 1, absl::Seconds(60));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].request.verification_id, "ver_early");
}

}  // namespace
}  // namespace vouch::verifier::telegram
