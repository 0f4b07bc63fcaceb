// The Store conformance suite, part 5: the reviewer's reversal (#16,
// docs/review.md). Run by every store through the same instantiations as
// store_conformance.cc.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

// A VERIFIED verification `id` stored with `attestation` and its badge
// calls.
void Verified(Store& store, const std::string& id, const AttestationRecord* attestation,
              absl::Span<const BadgeRequest> badges) {
  ASSERT_THAT(store.CreateVerification(Running(id)), IsOk());
  ASSERT_THAT(store.FinishVerification(id, VerificationState::kCompleted, "verified", kT0, nullptr,
                                       attestation, badges),
              IsOk());
}

void RecordVerify(Store& store, BadgeState outcome) {
  absl::StatusOr<std::vector<BadgeItem>> claimed = store.ClaimBadges(kT0, 1, kLease);
  ASSERT_THAT(claimed, IsOk());
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_EQ((*claimed)[0].request.action, BadgeAction::kVerify);
  ASSERT_THAT(store.RecordBadgeAttempt((*claimed)[0], outcome, kT0, "", kT0), IsOk());
}

std::vector<BadgeItem> Removals(Store& store, const std::string& id) {
  absl::StatusOr<std::vector<BadgeItem>> items = store.FindBadges(id);
  EXPECT_THAT(items, IsOk());
  std::vector<BadgeItem> removals;
  if (!items.ok()) return removals;
  for (const BadgeItem& b : *items) {
    if (b.request.action == BadgeAction::kRemove) removals.push_back(b);
  }
  return removals;
}

}  // namespace

TEST_P(StoreConformanceTest, ReversalReplacesTheResultRevokesAndQueuesTheRemovalAtOnce) {
  AttestationRecord a{"att1", "v1", "svc", kT0 + absl::Hours(24), "https://x/status/1", 3, 0};
  const BadgeRequest badges[] = {
      Verify("v1", 99), BadgeRequest{"v1", 99, BadgeAction::kRemove, "", kT0 + absl::Hours(24)}};
  Verified(*store_, "v1", &a, badges);
  RecordVerify(*store_, BadgeState::kDone);
  const absl::Time later = kT0 + absl::Minutes(5);

  absl::StatusOr<ReversalOutcome> reversed =
      store_->ReverseVerification("v1", "verified", "reversed", later);

  ASSERT_THAT(reversed, IsOk());
  EXPECT_THAT(reversed->revoked_attestations, ::testing::ElementsAre("att1"));
  EXPECT_TRUE(reversed->removal_queued);
  absl::StatusOr<VerificationRecord> v = store_->GetVerification("v1");
  EXPECT_EQ(v->result, "reversed");
  EXPECT_EQ(v->state, VerificationState::kCompleted);
  EXPECT_EQ(v->update_time, later);
  EXPECT_EQ(store_->GetAttestation("att1")->status, 1);
  // The removal scheduled for the expiry is due now, for the same user.
  absl::StatusOr<std::vector<BadgeItem>> due = store_->ClaimBadges(later, 10, kLease);
  ASSERT_THAT(due, IsOk());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].request.action, BadgeAction::kRemove);
  EXPECT_EQ((*due)[0].request.user_id, 99);
}

TEST_P(StoreConformanceTest, ReversalOfADirectModeVerificationQueuesTheRemoval) {
  // Direct mode: no status-list entry, nothing to revoke; the badge still goes.
  AttestationRecord a{"att1", "v1", "svc", kT0 + absl::Hours(1), "", -1, 0};
  const BadgeRequest badges[] = {Verify("v1", 7)};
  Verified(*store_, "v1", &a, badges);
  RecordVerify(*store_, BadgeState::kDone);

  absl::StatusOr<ReversalOutcome> reversed =
      store_->ReverseVerification("v1", "verified", "reversed", kT0);

  ASSERT_THAT(reversed, IsOk());
  EXPECT_THAT(reversed->revoked_attestations, ::testing::IsEmpty());
  EXPECT_TRUE(reversed->removal_queued);
  EXPECT_EQ(store_->GetAttestation("att1")->status, 0);
  std::vector<BadgeItem> removals = Removals(*store_, "v1");
  ASSERT_EQ(removals.size(), 1u);
  EXPECT_EQ(removals[0].request.user_id, 7);
  EXPECT_EQ(removals[0].state, BadgeState::kPending);
}

TEST_P(StoreConformanceTest, ReversalWhileTheVerifyIsPendingRemovesAfterIt) {
  const BadgeRequest badges[] = {Verify("v1")};
  Verified(*store_, "v1", nullptr, badges);

  ASSERT_THAT(store_->ReverseVerification("v1", "verified", "reversed", kT0), IsOk());

  // The verify first; the removal only once it ended.
  absl::StatusOr<std::vector<BadgeItem>> first = store_->ClaimBadges(kT0, 10, kLease);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].request.action, BadgeAction::kVerify);
  ASSERT_THAT(store_->RecordBadgeAttempt((*first)[0], BadgeState::kDone, kT0, "", kT0), IsOk());
  absl::StatusOr<std::vector<BadgeItem>> second = store_->ClaimBadges(kT0, 10, kLease);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].request.action, BadgeAction::kRemove);
}

TEST_P(StoreConformanceTest, ReversalWithoutABadgeOrAfterAFailedVerifyQueuesNothing) {
  Verified(*store_, "v1", nullptr, {});
  const BadgeRequest refused[] = {Verify("v2")};
  Verified(*store_, "v2", nullptr, refused);
  RecordVerify(*store_, BadgeState::kFailed);

  EXPECT_FALSE(store_->ReverseVerification("v1", "verified", "reversed", kT0)->removal_queued);
  EXPECT_FALSE(store_->ReverseVerification("v2", "verified", "reversed", kT0)->removal_queued);

  EXPECT_THAT(*store_->FindBadges("v1"), ::testing::IsEmpty());
  EXPECT_THAT(Removals(*store_, "v2"), ::testing::IsEmpty());
}

TEST_P(StoreConformanceTest, ReversalAfterTheBadgeWasRemovedCallsNothingMore) {
  AttestationRecord a{"att1", "v1", "svc", kT0 + absl::Hours(24), "https://x/status/1", 3, 0};
  const BadgeRequest badges[] = {Verify("v1")};
  Verified(*store_, "v1", &a, badges);
  RecordVerify(*store_, BadgeState::kDone);
  ASSERT_EQ(*store_->SetAttestationStatus("att1", 1), true);  // Revoked: removal queued.
  absl::StatusOr<std::vector<BadgeItem>> removal = store_->ClaimBadges(kT0, 10, kLease);
  ASSERT_EQ(removal->size(), 1u);
  ASSERT_THAT(store_->RecordBadgeAttempt((*removal)[0], BadgeState::kDone, kT0, "", kT0), IsOk());

  absl::StatusOr<ReversalOutcome> reversed =
      store_->ReverseVerification("v1", "verified", "reversed", kT0);

  ASSERT_THAT(reversed, IsOk());
  EXPECT_THAT(reversed->revoked_attestations, ::testing::IsEmpty());  // Already revoked.
  EXPECT_FALSE(reversed->removal_queued);
  std::vector<BadgeItem> removals = Removals(*store_, "v1");
  ASSERT_EQ(removals.size(), 1u);
  EXPECT_EQ(removals[0].state, BadgeState::kDone);
  EXPECT_THAT(*store_->ClaimBadges(kT0 + absl::Hours(1), 10, kLease), ::testing::IsEmpty());
}

TEST_P(StoreConformanceTest, ReversalIsRefusedWhenTheResultChangedOrIsNotCompleted) {
  Verified(*store_, "v1", nullptr, {});
  ASSERT_THAT(store_->CreateVerification(Running("v2")), IsOk());
  AttestationRecord a{"att3", "v3", "svc", kT0 + absl::Hours(24), "https://x/status/1", 5, 0};
  const BadgeRequest badges[] = {Verify("v3")};
  Verified(*store_, "v3", &a, badges);

  EXPECT_THAT(store_->ReverseVerification("v1", "something else", "reversed", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ReverseVerification("v2", "", "reversed", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ReverseVerification("nope", "verified", "reversed", kT0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ReverseVerification("v1", "verified", "", kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A refused reversal changes nothing.
  EXPECT_THAT(store_->ReverseVerification("v3", "stale", "reversed", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetVerification("v1")->result, "verified");
  EXPECT_EQ(store_->GetVerification("v3")->result, "verified");
  EXPECT_EQ(store_->GetAttestation("att3")->status, 0);
  EXPECT_THAT(Removals(*store_, "v3"), ::testing::IsEmpty());
  // The second of two reversals read from the same result is refused.
  ASSERT_THAT(store_->ReverseVerification("v1", "verified", "reversed", kT0), IsOk());
  EXPECT_THAT(store_->ReverseVerification("v1", "verified", "reversed again", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetVerification("v1")->result, "reversed");
}

TEST_P(StoreConformanceTest, ReversalLocksTheWalletOfferNotYetIssued) {
  Verified(*store_, "v1", nullptr, {});
  WalletOfferRecord o;
  o.code_hash = "code1";
  o.verification_id = "v1";
  o.sealed = "sealed";
  o.key_id = "k1";
  o.create_time = kT0;
  o.expire_time = kT0 + absl::Minutes(10);
  ASSERT_THAT(store_->CreateWalletOffer(o), IsOk());
  WalletOfferRecord redeemed_before = o;
  redeemed_before.code_hash = "code2";
  ASSERT_THAT(store_->CreateWalletOffer(redeemed_before), IsOk());
  ASSERT_EQ(
      store_->RedeemWalletOffer("code2", "", "token2", kT0 + absl::Minutes(5), 3, kT0)->result,
      WalletRedemption::kRedeemed);

  ASSERT_THAT(store_->ReverseVerification("v1", "verified", "reversed", kT0), IsOk());

  // The wallet that redeemed before gets no credential either.
  EXPECT_THAT(store_->ClaimWalletOffer("token2", kT0), StatusIs(absl::StatusCode::kNotFound));

  absl::StatusOr<WalletRedeemOutcome> redeemed =
      store_->RedeemWalletOffer("code1", "", "token1", kT0 + absl::Minutes(5), 3, kT0);
  ASSERT_THAT(redeemed, IsOk());
  EXPECT_EQ(redeemed->result, WalletRedemption::kLocked);
}

}  // namespace vouch::verifier::storage::testing
