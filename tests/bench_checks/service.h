#ifndef VOUCH_TESTS_BENCH_CHECKS_SERVICE_H_
#define VOUCH_TESTS_BENCH_CHECKS_SERVICE_H_

// `bench_checks --service`: the outcome a genuine user gets. Every genuine
// page of ../shared/corpus/specimens and corpus/mrz_real (manifest.json)
// and generated genuine pages (vouch::docgen, each with a selfie of the
// same person from ../shared/corpus/faces) go through
// verifier::VerificationPipeline with the real ocr reader (the code path
// vouchd runs), under the default policy. Real pages have no selfie of
// their holder: they run page-only (the default policy without
// require_selfie). Prints VERIFIED / NEEDS_REVIEW / REJECTED per set with
// the reasons, the share held for review by an image-check signal, and the
// time of all quality checks per page against the JPEG decode of the same
// file (the baseline, measured in the same run).

#include <string>

#include "docgen/docgen.h"

namespace vouch::ocr::service {

struct Options {
  int n = 24;              // Generated submissions.
  std::string shared_dir;  // ../shared
  std::string models_dir;  // The models folder (mrz/, face/).
  bool list = false;       // One line per submission.
};

// Returns 0, or 1 when the shared data is missing.
int Run(docgen::DocumentGenerator& generator, const Options& options);

}  // namespace vouch::ocr::service

#endif  // VOUCH_TESTS_BENCH_CHECKS_SERVICE_H_
