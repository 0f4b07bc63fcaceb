#ifndef VOUCH_TESTS_BENCH_CHECKS_CALIBRATION_H_
#define VOUCH_TESTS_BENCH_CHECKS_CALIBRATION_H_

// `bench_checks --calibrate`: the labelled data behind the thresholds of
// the fraud and quality signals (docs/checks.md, "Calibration"), built by
// code from the shared real images and vouch::docgen pages, and every
// signal's verdicts on it, split into the part the thresholds were tuned on
// and the held-out rest.

#include <string>

#include "docgen/docgen.h"

namespace vouch::ocr::calibration {

struct Options {
  int n = 24;              // Generated pages per set.
  std::string shared_dir;  // ../shared (corpus/specimens, mrz_real, faces).
  bool list = false;       // One line per image (scores, verdicts).
};

// Prints the sets and the per-signal tables. Returns 0, or 1 when the
// shared data is missing.
int Run(docgen::DocumentGenerator& generator, const Options& options);

}  // namespace vouch::ocr::calibration

#endif  // VOUCH_TESTS_BENCH_CHECKS_CALIBRATION_H_
