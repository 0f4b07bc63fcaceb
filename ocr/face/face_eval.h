#ifndef VOUCH_OCR_FACE_FACE_EVAL_H_
#define VOUCH_OCR_FACE_FACE_EVAL_H_

// Evaluation of the face matcher on a labelled folder laid out like
// ../shared/corpus/faces: manifest.json (one entry per image: "file",
// "identity") and pairs.json ("genuine" and "impostor": lists of
// [file, file]). Used by bench_checks --faces and the model tests; not part
// of the product.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/face_gate.h"

namespace vouch::ocr::face_eval {

struct Corpus {
  std::filesystem::path dir;
  std::vector<std::string> files;       // Relative to dir, manifest order.
  std::vector<std::string> identities;  // Parallel to files.
  // Indices into files.
  std::vector<std::pair<size_t, size_t>> genuine;
  std::vector<std::pair<size_t, size_t>> impostor;
};

// Errors: kNotFound without manifest.json/pairs.json, kInvalidArgument
// when they do not parse or a pair names a file not in the manifest.
absl::StatusOr<Corpus> LoadCorpus(const std::filesystem::path& dir);

// One image through the product's path: detect, gate, embed.
struct ImageOutcome {
  bool decoded = false;
  bool greyscale = false;   // All three channels equal.
  FaceSelection selection;  // What the gate said.
  // Set whenever one face with landmarks was found, also when the gate
  // sent it to review (blurred, turned), to measure the gate's effect.
  std::vector<float> embedding;
  bool scored() const { return selection.problem == FaceProblem::kNone && !embedding.empty(); }
  double ms = 0;         // Detect + landmarks + embed.
  double detect_ms = 0;  // Detect + landmarks.
};

// One image (8-bit BGR; an empty one is reported not decoded). Errors:
// kInternal from the models.
absl::StatusOr<ImageOutcome> RunImage(const cv::Mat& bgr, FaceModels& models,
                                      const FaceOptions& options);

// Runs `models` on every image of `corpus` (8-bit BGR, greyscale files
// expanded to three channels as the product does). Errors: kInternal from
// the models.
absl::StatusOr<std::vector<ImageOutcome>> RunImages(const Corpus& corpus, FaceModels& models,
                                                    const FaceOptions& options);

struct Roc {
  size_t genuine_total = 0, impostor_total = 0;
  size_t genuine_scored = 0, impostor_scored = 0;
  double eer = 0, eer_threshold = 0;
  // FNMR at the lowest threshold whose FMR is at most the target, and that
  // threshold.
  double fnmr_at_fmr_1e2 = 0, threshold_fmr_1e2 = 0;
  double fnmr_at_fmr_1e3 = 0, threshold_fmr_1e3 = 0;
};

// The ROC summary of two score lists (higher = more alike).
Roc ComputeRoc(std::vector<double> genuine, std::vector<double> impostor);

// False match / non-match rates at one threshold (pass iff score >= t).
double FalseMatchRate(const std::vector<double>& impostor, double threshold);
double FalseNonMatchRate(const std::vector<double>& genuine, double threshold);

// Scores of the pairs (`a` from `first`, `b` from `second`, indexed as
// corpus.files) whose two images were both scored; with `gated` false,
// every pair whose two images have an embedding. `keep` filters pairs by
// their indices (all when empty).
struct PairScores {
  std::vector<double> genuine;
  std::vector<double> impostor;
};
PairScores ScorePairs(const Corpus& corpus, const std::vector<ImageOutcome>& first,
                      const std::vector<ImageOutcome>& second, bool gated,
                      const std::function<bool(size_t, size_t)>& keep = {});

}  // namespace vouch::ocr::face_eval

#endif  // VOUCH_OCR_FACE_FACE_EVAL_H_
