// The Store conformance suite, part 6: the attestation pickup window (#17,
// docs/service.md): the reminders that make the purge drop a sealed
// credential from its stored result. Run by every store through the same
// instantiations as store_conformance.cc.

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

}  // namespace vouch::verifier::storage::testing
