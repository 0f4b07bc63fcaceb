// IpRateLimiter: per-address token buckets with an injected time, the
// first refusal flagged once per run, IPv6 /64 sharing and a bounded table.

#include "http/rate_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vouch::verifier::http {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

RateLimit Limit(int burst, absl::Duration interval, size_t max_addresses = 16) {
  RateLimit limit;
  limit.burst = burst;
  limit.interval = interval;
  limit.max_addresses = max_addresses;
  return limit;
}

TEST(IpRateLimiterTest, BurstThenOnePerInterval) {
  IpRateLimiter limiter(Limit(3, absl::Seconds(10)));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("192.0.2.1", kStart).allowed) << i;
  IpRateLimiter::Decision refused = limiter.Take("192.0.2.1", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.first_refusal);
  EXPECT_EQ(refused.retry_after, absl::Seconds(10));
  // Still refused 4 s later, not flagged again, 6 s to wait.
  refused = limiter.Take("192.0.2.1", kStart + absl::Seconds(4));
  EXPECT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.first_refusal);
  EXPECT_EQ(refused.retry_after, absl::Seconds(6));
  // One token back after the interval; then refused again, a new run.
  EXPECT_TRUE(limiter.Take("192.0.2.1", kStart + absl::Seconds(10)).allowed);
  refused = limiter.Take("192.0.2.1", kStart + absl::Seconds(10));
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.first_refusal);
  // Another address has its own budget.
  EXPECT_TRUE(limiter.Take("192.0.2.2", kStart).allowed);
  // Refill never exceeds the burst.
  const absl::Time later = kStart + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("192.0.2.1", later).allowed) << i;
  EXPECT_FALSE(limiter.Take("192.0.2.1", later).allowed);
}

TEST(IpRateLimiterTest, ClockGoingBackEarnsNothing) {
  IpRateLimiter limiter(Limit(1, absl::Seconds(10)));
  EXPECT_TRUE(limiter.Take("192.0.2.1", kStart).allowed);
  EXPECT_FALSE(limiter.Take("192.0.2.1", kStart - absl::Hours(1)).allowed);
  EXPECT_FALSE(limiter.Take("192.0.2.1", kStart + absl::Seconds(5)).allowed);
  EXPECT_TRUE(limiter.Take("192.0.2.1", kStart + absl::Seconds(10)).allowed);
}

TEST(IpRateLimiterTest, Ipv6SharesTheSlash64AndV4MappedIsIpv4) {
  EXPECT_EQ(IpRateLimiter::KeyOf("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(IpRateLimiter::KeyOf("2001:db8:1:2:bbbb::7"), "2001:db8:1:2::/64");
  EXPECT_EQ(IpRateLimiter::KeyOf("::ffff:192.0.2.9"), "192.0.2.9");
  EXPECT_EQ(IpRateLimiter::KeyOf("192.0.2.9"), "192.0.2.9");
  EXPECT_EQ(IpRateLimiter::KeyOf("not-an-address"), "not-an-address");
  IpRateLimiter limiter(Limit(1, absl::Minutes(1)));
  EXPECT_TRUE(limiter.Take("2001:db8:1:2:aaaa::1", kStart).allowed);
  EXPECT_FALSE(limiter.Take("2001:db8:1:2:bbbb::7", kStart).allowed);  // Same /64.
  EXPECT_TRUE(limiter.Take("2001:db8:1:3::1", kStart).allowed);
  EXPECT_TRUE(limiter.Take("::ffff:192.0.2.9", kStart).allowed);
  EXPECT_FALSE(limiter.Take("192.0.2.9", kStart).allowed);  // The same host.
}

TEST(IpRateLimiterTest, TableIsBounded) {
  IpRateLimiter limiter(Limit(1, absl::Minutes(1), /*max_addresses=*/4));
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limiter.Take(absl::StrCat("198.51.100.", i), kStart + absl::Seconds(i)).allowed);
    EXPECT_LE(limiter.size(), 4u);
  }
  // The most recent addresses are still held (and refused); the oldest went.
  EXPECT_FALSE(limiter.Take("198.51.100.99", kStart + absl::Seconds(100)).allowed);
  EXPECT_TRUE(limiter.Take("198.51.100.0", kStart + absl::Seconds(100)).allowed);
  // Buckets that refilled are dropped first: after a minute, a new address
  // replaces them all.
  EXPECT_TRUE(limiter.Take("203.0.113.1", kStart + absl::Minutes(10)).allowed);
  EXPECT_EQ(limiter.size(), 1u);
}

}  // namespace
}  // namespace vouch::verifier::http
