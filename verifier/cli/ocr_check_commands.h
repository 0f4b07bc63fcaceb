#ifndef VOUCH_VERIFIER_CLI_OCR_CHECK_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_OCR_CHECK_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::cli {

// Registers `vouchctl ocr check` under the `ocr` group, creating the group
// when no earlier registration did (register after AddOcrCommands):
//   ocr check --document FRONT [--back BACK] [--selfie SELFIE]
//             [--face-models DIR] [--licence] [--json]
// `exit_code` receives 0 when the checks ran (whatever their verdicts), 1
// when an image could not be read or decoded.
void AddOcrCheckCommands(CLI::App& app, int& exit_code);

// Adds `check` to an existing `ocr` group.
void AddOcrCheckCommand(CLI::App& ocr, int& exit_code);

}  // namespace vouch::cli

#endif  // VOUCH_VERIFIER_CLI_OCR_CHECK_COMMANDS_H_
