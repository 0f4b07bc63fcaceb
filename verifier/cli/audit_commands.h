#ifndef VOUCH_VERIFIER_CLI_AUDIT_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_AUDIT_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// vouchctl audit verify | export: the hash-chained audit log, from a remote
// vouchd (Admin service, admin operator credentials), a local data
// directory (--data-dir), or (verify only) a JSON Lines export (--file).
// verify exits 0 when the chain is intact, 3 when it is broken (naming the
// first broken seq), 1 when the log cannot be read.
void AddAuditCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_AUDIT_COMMANDS_H_
