#ifndef VOUCH_VERIFIER_CLI_DEDUP_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_DEDUP_COMMANDS_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// `vouchctl dedup rotate-key|erase` (docs/dedup.md), run on the host
// of vouchd's data directory (admin):
//   dedup rotate-key --data-dir D    a new current HMAC key first in
//                                    D/keys/dedup_hmac.keys, the old ones
//                                    kept for lookups; every vouchd loads
//                                    it at its next start
//   dedup erase --verification ID (--data-dir D | --database CONNINFO)
//                                    deletes that verification's
//                                    duplicate-index entries (audited)
// Sets `exit_code` to 1 when a command fails.
void AddDedupCommands(CLI::App& app, int& exit_code);

// The commands' bodies (for tests): 0 on success, 1 with a message on `err`.
// `database` is a PostgreSQL conninfo; empty: D/vouch.db (SQLite).
int RunDedupRotateKey(const std::string& data_dir, const std::string& database, std::ostream& out,
                      std::ostream& err);
int RunDedupErase(const std::string& data_dir, const std::string& database,
                  const std::string& verification_id, const std::string& actor, std::ostream& out,
                  std::ostream& err);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_DEDUP_COMMANDS_H_
