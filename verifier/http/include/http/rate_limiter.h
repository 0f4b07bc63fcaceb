#ifndef VOUCH_VERIFIER_HTTP_RATE_LIMITER_H_
#define VOUCH_VERIFIER_HTTP_RATE_LIMITER_H_

// Per-client-address request budgets for the OpenID4VCI token and credential
// endpoints (docs/wallet.md): a token bucket per address, `burst`
// requests at once, then one more every `interval`. IPv6 addresses share the
// bucket of their /64 (one host usually holds the whole prefix); IPv4 ones
// (and v4-mapped IPv6) are their own. The table holds at most
// `max_addresses` buckets: a new address first drops the buckets that are
// full again (the same as absent), then, if still full, the one idle the
// longest. So memory is bounded whatever the number of addresses; an
// attacker who cycles through more addresses than the table holds can reset
// their own buckets, but no more than that. Thread-safe; time is passed in
// (the caller's Clock).

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vouch::verifier::http {

struct RateLimit {
  int burst = 20;                              // requests at once
  absl::Duration interval = absl::Seconds(2);  // then one per interval
  size_t max_addresses = 4096;                 // buckets kept
};

class IpRateLimiter {
 public:
  explicit IpRateLimiter(RateLimit limit) : limit_(limit) {}

  struct Decision {
    bool allowed = true;
    // The first refusal since this address was last allowed (callers audit
    // that one, not every refusal of a flood).
    bool first_refusal = false;
    // When a request would be allowed again (0 when allowed).
    absl::Duration retry_after;
  };
  // Takes one request from `address`'s budget.
  Decision Take(absl::string_view address, absl::Time now);
  // The buckets held (tests).
  size_t size() const;

  // The bucket's key: the address itself, an IPv6 one cut to its /64.
  static std::string KeyOf(absl::string_view address);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
    bool refused = false;
  };
  void MakeRoom(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double Refilled(const Bucket& bucket, absl::Time now) const;

  const RateLimit limit_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::http

#endif  // VOUCH_VERIFIER_HTTP_RATE_LIMITER_H_
