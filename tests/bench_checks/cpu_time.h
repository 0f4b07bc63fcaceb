#ifndef VOUCH_TESTS_BENCH_CHECKS_CPU_TIME_H_
#define VOUCH_TESTS_BENCH_CHECKS_CPU_TIME_H_

// CPU time of the calling thread, in milliseconds. The benchmarks run on a
// machine shared with other builds: wall time there measures the queue for
// the cores as much as the work, while the thread's CPU time (the checks run
// on one thread, cv::setNumThreads(1)) stays close to what one quiet core
// takes. Both are printed; targets are judged on one core.

#include <time.h>

namespace vouch::ocr {

inline double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

}  // namespace vouch::ocr

#endif  // VOUCH_TESTS_BENCH_CHECKS_CPU_TIME_H_
