#ifndef VOUCH_VERIFIER_SERVICE_LOG_LIMITER_H_
#define VOUCH_VERIFIER_SERVICE_LOG_LIMITER_H_

// Rate limit for a repeated log line (a store outage makes every call fail):
// the first occurrence is logged, then at most one per interval, each saying
// how many were left out since the last.

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vouch::verifier::service {

// Thread-safe.
class LogLimiter {
 public:
  explicit LogLimiter(absl::Duration interval) : interval_(interval) {}

  // True when a line may be logged at `now`; *suppressed is then the number
  // of lines refused since the last one allowed.
  bool Allow(absl::Time now, int64_t* suppressed) {
    absl::MutexLock lock(&mu_);
    if (now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    last_ = now;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

  // Starts over: the next line is logged at once (after a recovery).
  void Reset() {
    absl::MutexLock lock(&mu_);
    last_ = absl::InfinitePast();
    suppressed_ = 0;
  }

 private:
  const absl::Duration interval_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_LOG_LIMITER_H_
