#ifndef VOUCH_VERIFIER_CLI_OCR_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_OCR_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// Registers `vouchctl ocr` and its subcommands. Each subcommand has its own
// Add<Name>Command below, so groups of work can add theirs independently:
//   ocr read   IMAGE... [--json]   read the MRZ of each image
//   (ocr check is added by the image-checks work)
// `exit_code` receives the command's exit code (0 ok, 1 a file failed).
void AddOcrCommands(CLI::App& app, int& exit_code);

// `ocr read`: one process for all images, models loaded once.
void AddOcrReadCommand(CLI::App& ocr, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_OCR_COMMANDS_H_
