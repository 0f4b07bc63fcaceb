#ifndef VOUCH_VERIFIER_SERVER_SERVER_CONFIG_H_
#define VOUCH_VERIFIER_SERVER_SERVER_CONFIG_H_

// vouchd's settings from the [server] table of its TOML config (--config),
// the same file that holds [issuer] and [policies.*]. Every command-line
// option is also a key there: the option's name without the leading dashes,
// with '_' or '-' between words (`metrics_listen = "0.0.0.0:9464"` is
// `--metrics-listen 0.0.0.0:9464`). The table becomes command-line
// arguments placed before the real ones, and every option takes its last
// value, so flags override the file and the file is validated exactly like
// the flags (ranges, types).

#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch::verifier::server {

// The --config value in argv ("--config FILE" or "--config=FILE"), if any.
std::optional<std::string> FindConfigPath(int argc, const char* const* argv);

// The [server] table of `toml_text` as "--name=value" arguments for `app`
// (empty when there is no such table). Arrays become one comma-separated
// value. Errors: kInvalidArgument naming `path`, the line and the key for a
// TOML syntax error, a key that is not an option of `app` (or is one of
// `not_in_file`, e.g. "config", "version"), or a value that is a table or a
// date.
absl::StatusOr<std::vector<std::string>> ServerTableArguments(
    absl::string_view toml_text, absl::string_view path, const CLI::App& app,
    const std::vector<std::string>& not_in_file);

// Reads `path` and returns ServerTableArguments of it. Errors: kNotFound
// when it cannot be read, else as ServerTableArguments.
absl::StatusOr<std::vector<std::string>> ServerFileArguments(
    const std::string& path, const CLI::App& app, const std::vector<std::string>& not_in_file);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_SERVER_CONFIG_H_
