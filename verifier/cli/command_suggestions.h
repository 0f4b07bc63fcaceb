#ifndef VOUCH_VERIFIER_CLI_COMMAND_SUGGESTIONS_H_
#define VOUCH_VERIFIER_CLI_COMMAND_SUGGESTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// For a command line that names an unknown subcommand where `app` (or one of
// its subcommands) expects one, e.g. `vouchctl queue lst`: "unknown command
// 'lst' for 'vouchctl queue'; did you mean 'list'?" (the suggestion when a
// known name is within two edits or starts with the typo), else nullopt.
// `args` excludes the program name.
std::optional<std::string> UnknownCommandMessage(CLI::App& app,
                                                 const std::vector<std::string>& args);

// Levenshtein distance between two short ASCII words.
int EditDistance(const std::string& a, const std::string& b);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_COMMAND_SUGGESTIONS_H_
