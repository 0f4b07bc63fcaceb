#ifndef VOUCH_VERIFIER_CLI_ERASE_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_ERASE_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// `vouchctl erase` (admin; vouchd's Admin.Erase, docs/erasure.md):
//   erase --verification ID [--verification ID ...]
//   erase --telegram-user N --service S
//         [--out RECEIPT_FILE [--json]]
// erases everything vouchd keeps about the verifications (or the user's
// verifications of service S), revokes their attestations and prints the
// signed receipt (or writes it to --out, mode 0600) and what it states.
// Sets `exit_code` to 1 when the call fails.
void AddEraseCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_ERASE_COMMANDS_H_
