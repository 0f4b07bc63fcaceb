// The Store conformance suite, part 2: the Telegram badge outbox (#16). Run
// by every store through the same instantiations as store_conformance.cc.

#include <atomic>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

BadgeRequest Remove(const std::string& id, int64_t user = 42,
                    absl::Time not_before = absl::InfinitePast()) {
  return BadgeRequest{id, user, BadgeAction::kRemove, "", not_before};
}

std::vector<BadgeItem> Claim(Store& store, absl::Time now, int max = 10) {
  absl::StatusOr<std::vector<BadgeItem>> got = store.ClaimBadges(now, max, kLease);
  EXPECT_THAT(got, IsOk());
  return got.ok() ? *got : std::vector<BadgeItem>();
}

// When the late verifyUser cases below have their removal made.
const absl::Time kRemovalMade = kT0 + kLease;

// The setup of the late verifyUser cases (#17): v1's verifyUser (user 42)
// and its removal are queued; a dispatcher claims the verifyUser at kT0 and
// stalls past its lease; at kRemovalMade another claims it again and makes
// it, then makes the removal, and nothing is left due. Returns the stalled
// dispatcher's claim; nullopt, with a failure, if any step went otherwise.
std::optional<BadgeItem> StalledVerifyOvertakenByItsRemoval(Store& store) {
  EXPECT_THAT(store.EnqueueBadge(Verify("v1"), kT0), IsOk());
  EXPECT_THAT(store.EnqueueBadge(Remove("v1"), kT0), IsOk());
  const std::vector<BadgeItem> stale = Claim(store, kT0);
  const std::vector<BadgeItem> verify = Claim(store, kRemovalMade);
  if (stale.size() != 1 || verify.size() != 1) {
    ADD_FAILURE() << "the verifyUser was claimed " << stale.size() << " and " << verify.size()
                  << " times, not once each";
    return std::nullopt;
  }
  EXPECT_THAT(
      store.RecordBadgeAttempt(verify[0], BadgeState::kDone, kRemovalMade, "", kRemovalMade),
      IsOk());
  const std::vector<BadgeItem> removal = Claim(store, kRemovalMade);
  if (removal.size() != 1 || removal[0].request.action != BadgeAction::kRemove) {
    ADD_FAILURE() << "the removal was not claimed alone after the verifyUser";
    return std::nullopt;
  }
  EXPECT_THAT(
      store.RecordBadgeAttempt(removal[0], BadgeState::kDone, kRemovalMade, "", kRemovalMade),
      IsOk());
  EXPECT_THAT(Claim(store, kRemovalMade), ::testing::IsEmpty());
  if (::testing::Test::HasFailure()) return std::nullopt;
  return stale[0];
}

}  // namespace

TEST_P(StoreConformanceTest, BadgeEnqueueIsIdempotentPerVerificationAndAction) {
  EXPECT_EQ(*store_->EnqueueBadge(Verify("v1"), kT0), true);
  EXPECT_EQ(*store_->EnqueueBadge(Verify("v1", 7), kT0), false);  // Nothing changes.
  EXPECT_EQ(*store_->EnqueueBadge(Remove("v1"), kT0), true);

  absl::StatusOr<std::vector<BadgeItem>> items = store_->FindBadges("v1");
  ASSERT_THAT(items, IsOk());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].request.action, BadgeAction::kVerify);
  EXPECT_EQ((*items)[0].request.user_id, 42);
  EXPECT_EQ((*items)[0].request.custom_description, "Checked by vouch");
  EXPECT_EQ((*items)[0].state, BadgeState::kPending);
  EXPECT_EQ((*items)[0].attempts, 0);
  EXPECT_EQ((*items)[0].next_attempt, kT0);
  EXPECT_EQ((*items)[1].request.action, BadgeAction::kRemove);
  EXPECT_THAT(*store_->FindBadges("other"), ::testing::IsEmpty());
}

TEST_P(StoreConformanceTest, BadgeEnqueueRejectsBadRequests) {
  EXPECT_THAT(store_->EnqueueBadge(Verify(""), kT0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->EnqueueBadge(Verify("v1", 0), kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BadgeRequest long_text = Verify("v1");
  long_text.custom_description = std::string(281, 'x');
  EXPECT_THAT(store_->EnqueueBadge(long_text, kT0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ClaimBadges(kT0, 0, kLease), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(*store_->FindBadges("v1"), ::testing::IsEmpty());
}

TEST_P(StoreConformanceTest, BadgeClaimLeasesOnceUntilTheLeaseRunsOut) {
  ASSERT_THAT(store_->EnqueueBadge(Verify("v1"), kT0), IsOk());

  std::vector<BadgeItem> first = Claim(*store_, kT0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].attempts, 1);
  EXPECT_FALSE(first[0].lease_token.empty());
  EXPECT_EQ(first[0].lease_expiry, kT0 + kLease);
  EXPECT_THAT(Claim(*store_, kT0 + absl::Seconds(59)), ::testing::IsEmpty());

  // The holder died mid-call: after the lease another dispatcher has it,
  // and the first holder's outcome is refused.
  std::vector<BadgeItem> second = Claim(*store_, kT0 + kLease);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempts, 2);
  EXPECT_NE(second[0].lease_token, first[0].lease_token);
  EXPECT_THAT(store_->RecordBadgeAttempt(first[0], BadgeState::kDone, kT0, "", kT0 + kLease),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->RecordBadgeAttempt(second[0], BadgeState::kDone, kT0, "", kT0 + kLease),
              IsOk());
  EXPECT_EQ((*store_->FindBadges("v1"))[0].state, BadgeState::kDone);
}

TEST_P(StoreConformanceTest, BadgeClaimIsDueOrderedAndBounded) {
  ASSERT_THAT(store_->EnqueueBadge(Verify("late"), kT0 + absl::Seconds(5)), IsOk());
  ASSERT_THAT(store_->EnqueueBadge(Verify("early"), kT0), IsOk());
  ASSERT_THAT(store_->EnqueueBadge(Verify("mid"), kT0 + absl::Seconds(2)), IsOk());

  EXPECT_THAT(Claim(*store_, kT0 - absl::Seconds(1)), ::testing::IsEmpty());
  std::vector<BadgeItem> got = Claim(*store_, kT0 + absl::Seconds(10), 2);

  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].request.verification_id, "early");
  EXPECT_EQ(got[1].request.verification_id, "mid");
}

TEST_P(StoreConformanceTest, BadgeRetryWaitsAndFailureIsFinal) {
  ASSERT_THAT(store_->EnqueueBadge(Verify("v1"), kT0), IsOk());
  ASSERT_THAT(store_->EnqueueBadge(Verify("v2"), kT0), IsOk());
  std::vector<BadgeItem> claimed = Claim(*store_, kT0);
  ASSERT_EQ(claimed.size(), 2u);

  ASSERT_THAT(store_->RecordBadgeAttempt(claimed[0], BadgeState::kPending, kT0 + absl::Seconds(30),
                                         "429 Too Many Requests: retry after 30", kT0),
              IsOk());
  ASSERT_THAT(store_->RecordBadgeAttempt(claimed[1], BadgeState::kFailed, kT0,
                                         "400 Bad Request: user not found", kT0),
              IsOk());

  EXPECT_THAT(Claim(*store_, kT0 + absl::Seconds(29)), ::testing::IsEmpty());  // Lease dropped.
  std::vector<BadgeItem> again = Claim(*store_, kT0 + absl::Seconds(30));
  ASSERT_EQ(again.size(), 1u);  // Never the failed one.
  EXPECT_EQ(again[0].request.verification_id, claimed[0].request.verification_id);
  EXPECT_EQ(again[0].error, "429 Too Many Requests: retry after 30");
  const BadgeItem failed = (*store_->FindBadges(claimed[1].request.verification_id))[0];
  EXPECT_EQ(failed.state, BadgeState::kFailed);
  EXPECT_EQ(failed.error, "400 Bad Request: user not found");
  EXPECT_THAT(store_->RecordBadgeAttempt(claimed[1], BadgeState::kDone, kT0, "", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  BadgeItem unknown = claimed[0];
  unknown.request.verification_id = "nope";
  EXPECT_THAT(store_->RecordBadgeAttempt(unknown, BadgeState::kDone, kT0, "", kT0),
              StatusIs(absl::StatusCode::kNotFound));
  BadgeCounts counts = *store_->CountBadges();
  EXPECT_EQ(counts.pending, 1);
  EXPECT_EQ(counts.done, 0);
  EXPECT_EQ(counts.failed, 1);
}

TEST_P(StoreConformanceTest, BadgeRemovalWaitsForItsVerifyAndItsTime) {
  ASSERT_THAT(store_->EnqueueBadge(Verify("v1"), kT0), IsOk());
  ASSERT_THAT(store_->EnqueueBadge(Remove("v1"), kT0), IsOk());
  ASSERT_THAT(store_->EnqueueBadge(Remove("v2", 7, kT0 + absl::Hours(1)), kT0), IsOk());

  std::vector<BadgeItem> first = Claim(*store_, kT0);
  ASSERT_EQ(first.size(), 1u);  // The verify; the removal waits for it.
  EXPECT_EQ(first[0].request.action, BadgeAction::kVerify);
  ASSERT_THAT(store_->RecordBadgeAttempt(first[0], BadgeState::kDone, kT0, "", kT0), IsOk());

  std::vector<BadgeItem> second = Claim(*store_, kT0 + absl::Minutes(59));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].request.action, BadgeAction::kRemove);
  EXPECT_EQ(second[0].request.verification_id, "v1");
  ASSERT_THAT(
      store_->RecordBadgeAttempt(second[0], BadgeState::kDone, kT0, "", kT0 + absl::Minutes(59)),
      IsOk());
  std::vector<BadgeItem> third = Claim(*store_, kT0 + absl::Hours(1));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].request.verification_id, "v2");
}

// #17: a verifyUser whose lease ran out mid-call may set the badge after
// the removal another dispatcher made since: recording it puts the removal
// back in the queue (its own outcome is still refused).
TEST_P(StoreConformanceTest, ALateVerifyRequeuesTheRemovalMadeBeforeIt) {
  const std::optional<BadgeItem> stale = StalledVerifyOvertakenByItsRemoval(*store_);
  ASSERT_TRUE(stale.has_value());

  // The first holder's call ends now: it set the badge after the removal.
  const absl::Time late = kRemovalMade + absl::Seconds(5);
  EXPECT_THAT(store_->RecordBadgeAttempt(*stale, BadgeState::kDone, late, "", late),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  const std::vector<BadgeItem> again = Claim(*store_, late);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].request.action, BadgeAction::kRemove);
  EXPECT_EQ(again[0].request.user_id, 42);
  EXPECT_EQ(again[0].attempts, 2);
  // The verify stays made; nothing else is queued.
  EXPECT_EQ((*store_->FindBadges("v1"))[0].state, BadgeState::kDone);
}

// A late verifyUser that Telegram refused set nothing: the removal made
// stays made; a removal not yet made is left as it is.
TEST_P(StoreConformanceTest, ALateRefusedVerifyLeavesTheRemovalAlone) {
  const std::optional<BadgeItem> stale = StalledVerifyOvertakenByItsRemoval(*store_);
  ASSERT_TRUE(stale.has_value());

  EXPECT_THAT(store_->RecordBadgeAttempt(*stale, BadgeState::kFailed, kRemovalMade,
                                         "400 Bad Request: USER_ID_INVALID", kRemovalMade),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_THAT(Claim(*store_, kRemovalMade + absl::Hours(1)), ::testing::IsEmpty());
  const std::vector<BadgeItem> items = *store_->FindBadges("v1");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].state, BadgeState::kDone);
  EXPECT_EQ(items[1].state, BadgeState::kDone);
}

TEST_P(StoreConformanceTest, AFailedVerifyDropsItsScheduledRemoval) {
  ASSERT_THAT(store_->EnqueueBadge(Verify("v1"), kT0), IsOk());
  ASSERT_THAT(store_->EnqueueBadge(Remove("v1", 42, kT0 + absl::Hours(1)), kT0), IsOk());
  std::vector<BadgeItem> verify = Claim(*store_, kT0);
  ASSERT_EQ(verify.size(), 1u);

  ASSERT_THAT(store_->RecordBadgeAttempt(verify[0], BadgeState::kFailed, kT0,
                                         "400 Bad Request: USER_ID_INVALID", kT0),
              IsOk());

  EXPECT_THAT(Claim(*store_, kT0 + absl::Hours(2)), ::testing::IsEmpty());
  const std::vector<BadgeItem> items = *store_->FindBadges("v1");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].state, BadgeState::kFailed);
  EXPECT_EQ(items[1].attempts, 0);
  EXPECT_THAT(items[1].error, ::testing::HasSubstr("verifyUser failed"));
}

TEST_P(StoreConformanceTest, BadgeQueuedWithTheResultInOneTransaction) {
  ASSERT_THAT(store_->CreateVerification(Running("v1")), IsOk());
  const BadgeRequest badges[] = {Verify("v1"), Remove("v1", 42, kT0 + absl::Hours(24))};
  AttestationRecord a{"att1", "v1", "svc", kT0 + absl::Hours(24), "https://x/status/1", 3, 0};

  ASSERT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "verified", kT0,
                                         nullptr, &a, badges),
              IsOk());

  std::vector<BadgeItem> items = *store_->FindBadges("v1");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].next_attempt, kT0 + absl::Hours(24));
  // A completion that fails writes no badge: the second Finish is refused.
  ASSERT_THAT(store_->CreateVerification(Running("v2")), IsOk());
  ASSERT_THAT(store_->FinishVerification("v2", VerificationState::kCompleted, "r", kT0, nullptr),
              IsOk());
  const BadgeRequest late[] = {Verify("v2")};
  EXPECT_THAT(store_->FinishVerification("v2", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, late),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(*store_->FindBadges("v2"), ::testing::IsEmpty());
  // A bad badge writes nothing at all.
  ASSERT_THAT(store_->CreateVerification(Running("v3")), IsOk());
  const BadgeRequest bad[] = {Verify("v3", -1)};
  EXPECT_THAT(store_->FinishVerification("v3", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_->GetVerification("v3")->state, VerificationState::kRunning);
}

TEST_P(StoreConformanceTest, BadgeQueuedWithAJobCompletion) {
  NewVerification v = Running("v1");
  v.record.state = VerificationState::kPending;
  v.job_payload = "payload";
  ASSERT_THAT(store_->CreateVerification(v), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Minutes(5));
  ASSERT_TRUE(job.has_value());
  const BadgeRequest badges[] = {Verify("v1")};

  ASSERT_THAT(
      store_->CompleteJob(*job, VerificationState::kCompleted, "r", kT0, nullptr, nullptr, badges),
      IsOk());
  EXPECT_THAT(
      store_->CompleteJob(*job, VerificationState::kCompleted, "r", kT0, nullptr, nullptr, badges),
      StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_EQ(store_->FindBadges("v1")->size(), 1u);
}

TEST_P(StoreConformanceTest, BadgeQueuedWithAReviewApproval) {
  std::optional<ReviewCase> held = AddClaimedCase("v1");
  ASSERT_TRUE(held.has_value());
  const BadgeRequest badges[] = {Verify("v1")};

  EXPECT_THAT(store_->DecideCase("v1", "wrong-token", "approved", kT0, kT0, nullptr, badges),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(*store_->FindBadges("v1"), ::testing::IsEmpty());
  ASSERT_THAT(store_->DecideCase("v1", held->lease_token, "approved", kT0, kT0, nullptr, badges),
              IsOk());
  EXPECT_EQ(store_->FindBadges("v1")->size(), 1u);
}

TEST_P(StoreConformanceTest, RevokingQueuesTheRemovalAtOnce) {
  ASSERT_THAT(store_->CreateVerification(Running("v1")), IsOk());
  AttestationRecord a{"att1", "v1", "svc", kT0 + absl::Hours(24), "https://x/status/1", 3, 0};
  const BadgeRequest badges[] = {Verify("v1", 99), Remove("v1", 99, kT0 + absl::Hours(24))};
  ASSERT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "verified", kT0,
                                         nullptr, &a, badges),
              IsOk());
  std::vector<BadgeItem> verify = Claim(*store_, kT0);
  ASSERT_EQ(verify.size(), 1u);
  ASSERT_THAT(store_->RecordBadgeAttempt(verify[0], BadgeState::kDone, kT0, "", kT0), IsOk());
  EXPECT_THAT(Claim(*store_, kT0 + absl::Seconds(1)), ::testing::IsEmpty());  // Due at expiry.

  EXPECT_EQ(*store_->SetAttestationStatus("att1", 1), true);

  std::vector<BadgeItem> removal = Claim(*store_, kT0 + absl::Seconds(1));
  ASSERT_EQ(removal.size(), 1u);
  EXPECT_EQ(removal[0].request.action, BadgeAction::kRemove);
  EXPECT_EQ(removal[0].request.user_id, 99);
}

TEST_P(StoreConformanceTest, RevokingWithoutABadgeQueuesNothing) {
  ASSERT_THAT(store_->CreateVerification(Running("v1")), IsOk());
  AttestationRecord a{"att1", "v1", "svc", kT0, "https://x/status/1", 3, 0};
  ASSERT_THAT(
      store_->FinishVerification("v1", VerificationState::kCompleted, "verified", kT0, nullptr, &a),
      IsOk());
  ASSERT_THAT(store_->CreateVerification(Running("v2")), IsOk());
  AttestationRecord b{"att2", "v2", "svc", kT0, "https://x/status/1", 4, 0};
  const BadgeRequest refused[] = {Verify("v2", 5)};
  ASSERT_THAT(store_->FinishVerification("v2", VerificationState::kCompleted, "verified", kT0,
                                         nullptr, &b, refused),
              IsOk());
  std::vector<BadgeItem> claimed = Claim(*store_, kT0);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_THAT(store_->RecordBadgeAttempt(claimed[0], BadgeState::kFailed, kT0, "400 x", kT0),
              IsOk());

  EXPECT_EQ(*store_->SetAttestationStatus("att1", 1), true);
  EXPECT_EQ(*store_->SetAttestationStatus("att2", 1), true);  // Its verify failed.

  EXPECT_THAT(*store_->FindBadges("v1"), ::testing::IsEmpty());
  EXPECT_EQ(store_->FindBadges("v2")->size(), 1u);
}

TEST_P(StoreConformanceTest, ConcurrentBadgeClaimsNeverShareAnItem) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_THAT(store_->EnqueueBadge(Verify(absl::StrCat("v", i)), kT0), IsOk());
  }
  std::vector<std::vector<BadgeItem>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        absl::StatusOr<std::vector<BadgeItem>> claimed = store_->ClaimBadges(kT0, 3, kLease);
        if (claimed.ok()) got[t].insert(got[t].end(), claimed->begin(), claimed->end());
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::multiset<std::string> ids;
  for (const auto& per_thread : got) {
    for (const BadgeItem& b : per_thread) ids.insert(b.request.verification_id);
  }
  EXPECT_EQ(ids.size(), std::set<std::string>(ids.begin(), ids.end()).size());
  EXPECT_EQ(ids.size(), 40u);
}

TEST_P(DurableStoreConformanceTest, BadgeOutboxSurvivesReopen) {
  ASSERT_TRUE(GetParam().durable) << "instantiate only with durable stores";
  ASSERT_THAT(store_->EnqueueBadge(Verify("v1"), kT0), IsOk());
  ASSERT_EQ(Claim(*store_, kT0).size(), 1u);  // Then "kill -9" mid-call.
  store_.reset();

  store_ = Open();
  EXPECT_THAT(Claim(*store_, kT0 + absl::Seconds(1)), ::testing::IsEmpty());  // Still leased.
  // A single process at start-up frees the leases at once, as it does jobs'.
  ASSERT_THAT(store_->ReleaseAllLeases(), IsOk());
  std::vector<BadgeItem> again = Claim(*store_, kT0 + absl::Seconds(1));

  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2);
  ASSERT_THAT(store_->RecordBadgeAttempt(again[0], BadgeState::kDone, kT0, "", kT0 + kLease),
              IsOk());
  store_.reset();
  store_ = Open();
  EXPECT_EQ((*store_->FindBadges("v1"))[0].state, BadgeState::kDone);
  EXPECT_THAT(Claim(*store_, kT0 + absl::Hours(1)), ::testing::IsEmpty());
}

}  // namespace vouch::verifier::storage::testing
