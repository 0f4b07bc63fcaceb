#ifndef VOUCH_VERIFIER_CLI_SUBMIT_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_SUBMIT_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// Registers `vouchctl submit` (docs/service.md): sends a sealed Telegram
// Passport submission to vouchd (Verify, or Submit + Watch with --async
// --wait) and prints the decision, the checks, the errors for
// setPassportDataErrors and the attestation. Exit 0 when the call succeeded
// (whatever the decision), 1 when it failed (last stderr line
// "error: CODE: REASON: message"), 2 for usage errors.
void AddSubmitCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_SUBMIT_COMMANDS_H_
