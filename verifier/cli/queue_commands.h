#ifndef VOUCH_VERIFIER_CLI_QUEUE_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_QUEUE_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// Registers `vouchctl queue list | claim [ID] | show ID | approve ID |
// reject ID | release ID` and the interactive `vouchctl review`
// (docs/review.md). Exit codes: 0 done; 1 failed (last stderr line
// "error: CODE: REASON: message"); 2 usage; 3 nothing to claim; 4 the case is
// claimed by someone else or not by you (FAILED_PRECONDITION); 5 unknown
// case (NOT_FOUND); 6 not allowed (UNAUTHENTICATED, PERMISSION_DENIED).
void AddQueueCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_QUEUE_COMMANDS_H_
