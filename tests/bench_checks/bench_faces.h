#ifndef VOUCH_TESTS_BENCH_CHECKS_BENCH_FACES_H_
#define VOUCH_TESTS_BENCH_CHECKS_BENCH_FACES_H_

#include <string>

namespace vouch::ocr {

// True when `dir` holds manifest.json and pairs.json (the layout of
// ../shared/corpus/faces).
bool IsFaceCorpus(const std::string& dir);

// bench_checks --faces DIR [--models MODELS]: the face matcher on a labelled
// folder. Prints the gate's outcome (share scored, why not), the pose and
// sharpness of the faces, the ROC table (EER, FNMR at FMR 1e-2 and 1e-3)
// with and without the gate and for colour and greyscale photos apart, the
// rates at the default thresholds, the same for document portraits
// rendered by docgen from the photos, and the time per pair against a
// baseline (decoding the same files) measured in the same run.
// Returns 0, or 1 when the models or the folder cannot be loaded.
int BenchFaces(const std::string& models_dir, const std::string& faces_dir);

}  // namespace vouch::ocr

#endif  // VOUCH_TESTS_BENCH_CHECKS_BENCH_FACES_H_
