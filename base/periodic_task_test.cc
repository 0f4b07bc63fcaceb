#include "base/periodic_task.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace vouch {
namespace {

TEST(PeriodicTaskTest, TicksRepeatedlyUntilDestroyed) {
  std::atomic<int> ticks{0};
  absl::Notification third;
  {
    PeriodicTask task(absl::Milliseconds(1), [&] {
      if (++ticks == 3) third.Notify();
    });
    ASSERT_TRUE(third.WaitForNotificationWithTimeout(absl::Seconds(30)));
  }
  const int after_destruction = ticks.load();
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(ticks.load(), after_destruction);  // the thread is gone
  EXPECT_GE(after_destruction, 3);
}

TEST(PeriodicTaskTest, DestructionDoesNotWaitForTheInterval) {
  int ticks = 0;
  const absl::Time start = absl::Now();
  {
    PeriodicTask task(absl::Hours(1), [&] { ++ticks; });
  }
  // Returned long before the hour: the stop woke the thread. No tick ran.
  EXPECT_LT(absl::Now() - start, absl::Minutes(5));
  EXPECT_EQ(ticks, 0);
}

}  // namespace
}  // namespace vouch
