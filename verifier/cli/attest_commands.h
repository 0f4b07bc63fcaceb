#ifndef VOUCH_VERIFIER_CLI_ATTEST_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_ATTEST_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// `vouchctl attest keygen|jwks|issue|present`: local key and credential
// tools (see docs/attest.md). Sets `exit_code` to 1 when a command fails.
void AddAttestCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_ATTEST_COMMANDS_H_
