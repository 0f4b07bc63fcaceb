#ifndef VOUCH_BASE_PERIODIC_TASK_H_
#define VOUCH_BASE_PERIODIC_TASK_H_

// A background thread that calls a function at a fixed interval until it is
// destroyed: the purgers of review cases and duplicate-index entries, the key
// rotation check and the TLS expiry warning run on it.

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vouch {

class PeriodicTask {
 public:
  // Calls `tick` every `interval` on a new thread, the first time one interval
  // from now. `tick` must not throw; its own failures are its to log.
  PeriodicTask(absl::Duration interval, std::function<void()> tick);
  // Wakes the thread and joins it; a tick under way finishes first.
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  const absl::Duration interval_;
  const std::function<void()> tick_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vouch

#endif  // VOUCH_BASE_PERIODIC_TASK_H_
