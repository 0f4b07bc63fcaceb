#include "service/worker_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::service {
namespace {

TEST(WorkerPoolTest, RunsTasksOnEachWorkersOwnReader) {
  testing::FakeDocumentReaderFactory factory;
  auto pool = *WorkerPool::Create(2, 10, factory);
  std::atomic<int> ran{0};

  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool->TrySubmit([&](pipeline::DocumentReader&) { ++ran; }));
  }
  pool->Drain();

  EXPECT_EQ(ran.load(), 10);
}

TEST(WorkerPoolTest, RefusesWhenWorkersAndQueueAreFull) {
  testing::FakeDocumentReaderFactory factory;
  auto pool = *WorkerPool::Create(1, 1, factory);
  absl::Notification release, started;
  ASSERT_TRUE(pool->TrySubmit([&](pipeline::DocumentReader&) {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();

  EXPECT_TRUE(pool->TrySubmit([](pipeline::DocumentReader&) {}));   // Waits in the queue.
  EXPECT_FALSE(pool->TrySubmit([](pipeline::DocumentReader&) {}));  // Queue full.
  release.Notify();
  pool->Drain();
  EXPECT_FALSE(pool->TrySubmit([](pipeline::DocumentReader&) {}));  // Stopped.
}

TEST(WorkerPoolTest, ReserveKeepsSlotsFree) {
  testing::FakeDocumentReaderFactory factory;
  auto pool = *WorkerPool::Create(1, 2, factory);
  absl::Notification release, started;
  ASSERT_TRUE(pool->TrySubmit([&](pipeline::DocumentReader&) {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();

  EXPECT_TRUE(pool->TrySubmit([](pipeline::DocumentReader&) {}, 1));
  EXPECT_FALSE(pool->TrySubmit([](pipeline::DocumentReader&) {}, 1));
  EXPECT_TRUE(pool->TrySubmit([](pipeline::DocumentReader&) {}, 0));
  release.Notify();
}

TEST(WorkerPoolTest, BadSizesAreInvalid) {
  testing::FakeDocumentReaderFactory factory;
  EXPECT_THAT(WorkerPool::Create(0, 1, factory),
              ::vouch::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::verifier::service
