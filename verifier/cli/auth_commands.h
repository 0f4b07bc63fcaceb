#ifndef VOUCH_VERIFIER_CLI_AUTH_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_AUTH_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// vouchctl auth token: mints a bearer token for a service or an operator and
// prints the auth-config entry holding its SHA-256 (docs/security.md).
void AddAuthCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_AUTH_COMMANDS_H_
