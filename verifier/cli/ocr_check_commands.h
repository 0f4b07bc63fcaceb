#ifndef VOUCH_VERIFIER_CLI_OCR_CHECK_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_OCR_CHECK_COMMANDS_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "ocr/face.h"

namespace vouch::verifier::cli {

// Registers `vouchctl ocr check` under the `ocr` group, creating the group
// when no earlier registration did (register after AddOcrCommands):
//   ocr check --document FRONT [--back BACK] [--selfie SELFIE]
//             [--face-models DIR] [--licence] [--json]
// `exit_code` receives 0 when the checks ran (whatever their verdicts), 1
// when an image could not be read or decoded.
void AddOcrCheckCommands(CLI::App& app, int& exit_code);

// The face models from `dir` (a --face-models flag) or, when it is empty,
// from face/ of the models folder (base/model_paths.h: --models-dir,
// VOUCH_MODELS_DIR, the installed share/vouch/models, the build tree), so
// the command works from any directory. Errors name the folder and the file.
absl::StatusOr<std::unique_ptr<ocr::FaceModels>> LoadFaceModels(const std::string& dir);

// Adds `check` to an existing `ocr` group.
void AddOcrCheckCommand(CLI::App& ocr, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_OCR_CHECK_COMMANDS_H_
