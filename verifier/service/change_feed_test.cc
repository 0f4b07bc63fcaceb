// ChangeFeed without push (the in-memory store, like SQLite): the followed
// verifications are handed on every poll interval, the others never, and a
// verification stops being handed on once its last follower leaves. Push
// (PostgreSQL LISTEN/NOTIFY) is covered by the Store conformance suite on
// PostgreSQL and tests/e2e/trust_watch_pg_e2e_test.cc.

#include "service/change_feed.h"

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::service {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(40);

class CallLog {
 public:
  void Add(const std::string& id) {
    absl::MutexLock lock(&mu_);
    ++calls_[id];
  }
  int Count(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return calls_[id];
  }
  // Waits (at most `patience`) until `id` has had `n` calls.
  bool WaitFor(const std::string& id, int n, absl::Duration patience) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_[id] >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), patience);
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
};

TEST(ChangeFeedTest, WithoutPushPollsTheFollowedVerificationsOnly) {
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore();
  CallLog verifications, attestations;
  ChangeFeedOptions options;
  options.poll = kPoll;
  ChangeFeed feed(
      *store, options, [&](const std::string& id) { verifications.Add(id); },
      [&](const std::string& id) { attestations.Add(id); });
  feed.Follow("ver_a");
  feed.Follow("ver_b");
  feed.Follow("ver_b");  // Two streams on one verification.
  feed.Start();

  EXPECT_TRUE(verifications.WaitFor("ver_a", 3, absl::Seconds(10)));
  EXPECT_FALSE(feed.pushed());
  feed.Unfollow("ver_a");
  feed.Unfollow("ver_b");  // One follower of ver_b is left.
  const int a_after = verifications.Count("ver_a");
  const int b_after = verifications.Count("ver_b");
  EXPECT_TRUE(verifications.WaitFor("ver_b", b_after + 3, absl::Seconds(10)));
  // At most one round was under way when ver_a was dropped.
  EXPECT_LE(verifications.Count("ver_a"), a_after + 1);
  EXPECT_EQ(verifications.Count("ver_unfollowed"), 0);
  feed.Stop();
  EXPECT_EQ(attestations.Count("any"), 0);  // Nothing pushed, nothing polled.
}

TEST(ChangeFeedTest, StopEndsTheCallsAndIsIdempotent) {
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore();
  CallLog verifications;
  ChangeFeedOptions options;
  options.poll = kPoll;
  ChangeFeed feed(
      *store, options, [&](const std::string& id) { verifications.Add(id); },
      [](const std::string&) {});
  feed.Follow("ver_a");
  feed.Start();
  ASSERT_TRUE(verifications.WaitFor("ver_a", 1, absl::Seconds(10)));
  feed.Stop();
  const int stopped_at = verifications.Count("ver_a");
  absl::SleepFor(kPoll * 4);
  EXPECT_EQ(verifications.Count("ver_a"), stopped_at);
  feed.Stop();
}

}  // namespace
}  // namespace vouch::verifier::service
