// The Store conformance suite, part 6: the attestation pickup window (#17,
// docs/service.md): the reminders that make the purge drop a sealed
// credential from its stored result; and retention (docs/production.md
// section 10): verifications purged with what is kept about them,
// idempotency keys freed. Times are given, as an injected clock would. Run
// by every store through the same instantiations as store_conformance.cc.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::vouch::testing::IsOk;
using ::vouch::testing::IsOkAndHolds;
using ::vouch::testing::StatusIs;

TEST_P(StoreConformanceTest, PickupRemindersFallDueInTimeOrder) {
  ASSERT_THAT(store_->SchedulePickupExpiry("v2", kT0 + absl::Minutes(2)), IsOk());
  ASSERT_THAT(store_->SchedulePickupExpiry("v1", kT0 + absl::Minutes(1)), IsOk());
  ASSERT_THAT(store_->SchedulePickupExpiry("v3", kT0 + absl::Minutes(9)), IsOk());
  // A second call moves the time.
  ASSERT_THAT(store_->SchedulePickupExpiry("v3", kT0 + absl::Minutes(3)), IsOk());

  EXPECT_THAT(store_->ListExpiredPickups(kT0, 10), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Minutes(2), 10),
              IsOkAndHolds(ElementsAre("v1", "v2")));
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Minutes(3), 10),
              IsOkAndHolds(ElementsAre("v1", "v2", "v3")));
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Minutes(3), 1),
              IsOkAndHolds(ElementsAre("v1")));
}

TEST_P(StoreConformanceTest, PickupRemindersRefuseBadArguments) {
  EXPECT_THAT(store_->SchedulePickupExpiry("", kT0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SchedulePickupExpiry(std::string(65, 'v'), kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListExpiredPickups(kT0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListExpiredPickups(kT0, 1001), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ClosingAPickupReplacesTheResultOnlyIfUnchanged) {
  ASSERT_THAT(store_->CreateVerification(Running("v1")), IsOk());
  ASSERT_THAT(
      store_->FinishVerification("v1", VerificationState::kCompleted, "sealed", kT0, nullptr),
      IsOk());
  ASSERT_THAT(store_->SchedulePickupExpiry("v1", kT0 + absl::Minutes(5)), IsOk());
  const absl::Time update_time = store_->GetVerification("v1")->update_time;

  // Changed meanwhile (a reversal, a decision): nothing written.
  EXPECT_THAT(store_->ClosePickup("v1", "other", "scrubbed"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetVerification("v1")->result, "sealed");
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Minutes(5), 10),
              IsOkAndHolds(ElementsAre("v1")));

  ASSERT_THAT(store_->ClosePickup("v1", "sealed", "scrubbed"), IsOk());
  absl::StatusOr<VerificationRecord> after = store_->GetVerification("v1");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->result, "scrubbed");
  EXPECT_EQ(after->state, VerificationState::kCompleted);
  EXPECT_EQ(after->update_time, update_time);
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Minutes(5), 10), IsOkAndHolds(IsEmpty()));

  // A reminder alone (its result never stored, or the verification gone)
  // is closed without a result; closing twice is no error.
  ASSERT_THAT(store_->SchedulePickupExpiry("v9", kT0), IsOk());
  EXPECT_THAT(store_->ClosePickup("v9", "", ""), IsOk());
  EXPECT_THAT(store_->ClosePickup("v9", "x", "y"), IsOk());
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Minutes(5), 10), IsOkAndHolds(IsEmpty()));
}

// ---- retention ----

namespace {
// A terminal verification `id` of `policy`, completed at `at`.
void Completed(Store& store, const std::string& id, absl::Time at,
               const std::string& policy = "default",
               const AttestationRecord* attestation = nullptr,
               absl::Span<const BadgeRequest> badges = {}) {
  NewVerification v = Running(id);
  v.record.policy = policy;
  v.record.idempotency_key = "key-" + id;
  ASSERT_THAT(store.CreateVerification(v), IsOk());
  ASSERT_THAT(store.FinishVerification(id, VerificationState::kCompleted, "result-" + id, at,
                                       nullptr, attestation, badges),
              IsOk());
}
}  // namespace

TEST_P(StoreConformanceTest, PurgeDeletesOldTerminalVerificationsWithWhatIsKeptAboutThem) {
  const absl::Time day = kT0 + absl::Hours(24);
  Completed(*store_, "v1", kT0);
  ASSERT_THAT(store_->SchedulePickupExpiry("v1", kT0 + absl::Minutes(5)), IsOk());
  // An attestation valid for two days: kept until it has expired.
  AttestationRecord a{"att2", "v2", "svc", kT0 + absl::Hours(48), "https://x/status/1", 5, 1};
  Completed(*store_, "v2", kT0, "default", &a);
  Completed(*store_, "v3", kT0 + absl::Hours(2));  // Not old enough.
  Completed(*store_, "v4", kT0, "other");          // Another policy.
  const BadgeRequest badge = Verify("v5");
  Completed(*store_, "v5", kT0, "default", nullptr, absl::MakeConstSpan(&badge, 1));  // Pending.
  ASSERT_THAT(store_->CreateVerification(Running("v6")), IsOk());  // Not terminal.
  ASSERT_TRUE(AddClaimedCase("v7").has_value());                   // Under review.

  absl::StatusOr<std::vector<std::string>> purged =
      store_->PurgeVerifications("default", kT0 + absl::Hours(1), day, 100);
  ASSERT_THAT(purged, IsOk());
  EXPECT_THAT(*purged, ElementsAre("v1"));
  EXPECT_THAT(store_->GetVerification("v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ListExpiredPickups(day, 10), IsOkAndHolds(IsEmpty()));
  for (const char* kept : {"v2", "v3", "v4", "v5", "v6", "v7"}) {
    EXPECT_THAT(store_->GetVerification(kept), IsOk()) << kept;
  }
  // Its key is free: the same request makes a new verification.
  NewVerification again = Running("v1b");
  again.record.idempotency_key = "key-v1";
  absl::StatusOr<CreateOutcome> created = store_->CreateVerification(again);
  ASSERT_THAT(created, IsOk());
  EXPECT_FALSE(created->existed);

  // Once the attestation has expired (at its expire_time), it goes with its
  // verification.
  EXPECT_THAT(store_->PurgeVerifications("default", kT0 + absl::Hours(1),
                                         kT0 + absl::Hours(48) - absl::Seconds(1), 100),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(
      store_->PurgeVerifications("default", kT0 + absl::Hours(1), kT0 + absl::Hours(48), 100),
      IsOkAndHolds(ElementsAre("v2")));
  EXPECT_THAT(store_->GetAttestation("att2"), StatusIs(absl::StatusCode::kNotFound));
  // Oldest first, at most `limit`.
  EXPECT_THAT(store_->PurgeVerifications("default", kT0 + absl::Hours(3), day, 1),
              IsOkAndHolds(ElementsAre("v3")));
  EXPECT_THAT(store_->PurgeVerifications("default", kT0, day, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ReleasedIdempotencyKeysStartNewVerifications) {
  Completed(*store_, "v1", kT0);
  ASSERT_THAT(store_->CreateVerification(Running("v2")), IsOk());  // Running: kept.
  NewVerification running = Running("v3");
  running.record.idempotency_key = "key-v3";
  ASSERT_THAT(store_->CreateVerification(running), IsOk());

  EXPECT_THAT(store_->ReleaseIdempotencyKeys("other", kT0 + absl::Hours(1)), IsOkAndHolds(0));
  EXPECT_THAT(store_->ReleaseIdempotencyKeys("default", kT0), IsOkAndHolds(0));  // Not before.
  EXPECT_THAT(store_->ReleaseIdempotencyKeys("default", kT0 + absl::Hours(1)), IsOkAndHolds(1));
  EXPECT_THAT(store_->ReleaseIdempotencyKeys("default", kT0 + absl::Hours(1)), IsOkAndHolds(0));
  // The result stays; its key is free.
  absl::StatusOr<VerificationRecord> kept = store_->GetVerification("v1");
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->result, "result-v1");
  EXPECT_EQ(kept->idempotency_key, "");
  NewVerification again = Running("v1b");
  again.record.idempotency_key = "key-v1";
  EXPECT_THAT(store_->CreateVerification(again),
              IsOkAndHolds(::testing::Field(&CreateOutcome::existed, false)));
  // A running verification keeps its key.
  NewVerification retry = Running("v3b");
  retry.record.idempotency_key = "key-v3";
  EXPECT_THAT(store_->CreateVerification(retry),
              IsOkAndHolds(::testing::Field(&CreateOutcome::existed, true)));
}

}  // namespace vouch::verifier::storage::testing
