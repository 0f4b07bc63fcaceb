#ifndef VOUCH_BASE_CLOCK_H_
#define VOUCH_BASE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vouch {

// The time source (injected, so tests can fix the time: testing::FixedClock
// in tests/testing/fixed_clock.h). Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace vouch

#endif  // VOUCH_BASE_CLOCK_H_
