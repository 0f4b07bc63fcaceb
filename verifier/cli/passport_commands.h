#ifndef VOUCH_VERIFIER_CLI_PASSPORT_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_PASSPORT_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// Registers `vouchctl passport decrypt|seal|keygen` (docs/passport.md).
// A command that fails sets `exit_code` to 1 and prints a last stderr line
// "error: CATEGORY: message"; on success stdout carries the result.
void AddPassportCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_PASSPORT_COMMANDS_H_
