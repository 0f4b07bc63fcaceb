#ifndef VOUCH_VERIFIER_SERVER_STARTUP_MODELS_H_
#define VOUCH_VERIFIER_SERVER_STARTUP_MODELS_H_

// vouchd's models at start: the folder (base/model_paths.h), every file the
// verification needs, and one load of each model, so a missing or corrupt
// model stops vouchd at start instead of turning every verification into
// NEEDS_REVIEW.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/model_paths.h"

namespace vouch::verifier::server {

struct StartupModelsOptions {
  std::string models_dir_flag;    // --models-dir (from the command line)
  std::string models_dir_config;  // [server] models_dir
  // Components vouchd may run without ("mrz", "face"): a missing one is then
  // a warning, and the checks it feeds report `*_unavailable` (face) or read
  // with the OCR-B font's generic model (MRZ) on every verification.
  std::vector<std::string> allow_missing;
};

struct StartupModels {
  ModelsDir dir;
  // The components found and loaded, and those missing but allowed.
  std::vector<ModelComponent> loaded;
  std::vector<ModelComponent> missing_allowed;
};

// Resolves the models folder, checks the files of every component and loads
// each present one once (MRZ reader with its glyph and Tesseract models,
// face detector, landmarks and embedding). Errors: kInvalidArgument for an
// unknown component name; kNotFound for a missing folder or file, and
// kFailedPrecondition for a file that does not load, unless its component is
// in `allow_missing`; the message names the file, the folder's source, every
// path searched and how to fix it.
absl::StatusOr<StartupModels> PrepareStartupModels(const StartupModelsOptions& options);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_STARTUP_MODELS_H_
