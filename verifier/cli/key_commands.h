#ifndef VOUCH_VERIFIER_CLI_KEY_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_KEY_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// `vouchctl keys list|rotate` (admin; vouchd's Admin service):
//   keys list                         the attestation keys and their states
//   keys rotate attestation [--publish-delay S]
//                                     a new signing key, in the JWKS now,
//                                     signing once the delay has passed
//   keys rotate passport              a new Telegram Passport key; prints the
//                                     public key to register with @BotFather
// Sets `exit_code` to 1 when a call fails.
void AddKeyCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_KEY_COMMANDS_H_
