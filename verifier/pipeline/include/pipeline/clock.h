#ifndef VOUCH_VERIFIER_PIPELINE_CLOCK_H_
#define VOUCH_VERIFIER_PIPELINE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vouch::verifier {

// The time source; tests pass a FixedClock. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

// Always returns the time it was given. Thread-compatible.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() override { return now_; }
  void Set(absl::Time now) { now_ = now; }

 private:
  absl::Time now_;
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_PIPELINE_CLOCK_H_
