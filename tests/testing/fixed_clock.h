#ifndef VOUCH_TESTS_TESTING_FIXED_CLOCK_H_
#define VOUCH_TESTS_TESTING_FIXED_CLOCK_H_

#include "absl/time/time.h"
#include "base/clock.h"

namespace vouch::testing {

// Always returns the time it was given. Thread-compatible.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() override { return now_; }
  void Set(absl::Time now) { now_ = now; }

 private:
  absl::Time now_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_FIXED_CLOCK_H_
