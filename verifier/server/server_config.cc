#include "server_config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/config_text.h"
#include "base/status_macros.h"

// Header-only toml++ without exceptions, as in pipeline/policy.cc.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace vouch::verifier::server {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

absl::Status Bad(absl::string_view path, const toml::node& node, absl::string_view key,
                 absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": line ", node.source().begin.line, ": server.", key, ": ", what));
}

// One scalar as option text. nullopt for tables, arrays and dates.
std::optional<std::string> Scalar(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) {
    std::ostringstream out;
    out << f->get();
    return out.str();
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> FindConfigPath(int argc, const char* const* argv) {
  std::optional<std::string> found;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      found = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      found = arg.substr(sizeof("--config=") - 1);
    }
  }
  return found;
}

absl::StatusOr<std::vector<std::string>> ServerTableArguments(
    absl::string_view toml_text, absl::string_view path, const CLI::App& app,
    const std::vector<std::string>& not_in_file) {
  VOUCH_RETURN_IF_ERROR(CheckAsciiConfig(toml_text, path));
  toml::parse_result parsed = toml::parse(std::string_view(toml_text.data(), toml_text.size()));
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ",
                                                   parsed.error().source().begin.line, ": ",
                                                   std::string(parsed.error().description())));
  }
  std::vector<std::string> args;
  const toml::node* server = parsed.table().get("server");
  if (server == nullptr) return args;
  const toml::table* table = server->as_table();
  if (table == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": server must be a table"));
  }
  for (const auto& [toml_key, value] : *table) {
    const std::string key(toml_key);
    const std::string name = absl::StrReplaceAll(key, {{"_", "-"}});
    const std::string flag = "--" + name;
    const CLI::Option* option = app.get_option_no_throw(flag);
    if (option == nullptr ||
        std::find(not_in_file.begin(), not_in_file.end(), name) != not_in_file.end()) {
      return Bad(path, value, key,
                 "unknown key (keys are vouchd's options without the dashes; see "
                 "deploy/vouchd.example.toml)");
    }
    std::optional<std::string> text;
    if (const toml::array* array = value.as_array()) {
      std::vector<std::string> items;
      for (const toml::node& item : *array) {
        std::optional<std::string> one = Scalar(item);
        if (!one) return Bad(path, item, key, "array items must be strings or numbers");
        items.push_back(*std::move(one));
      }
      text = absl::StrJoin(items, ",");
    } else {
      text = Scalar(value);
    }
    if (!text) return Bad(path, value, key, "must be a string, number, boolean or array");
    args.push_back(absl::StrCat(flag, "=", *text));
  }
  return args;
}

absl::StatusOr<std::vector<std::string>> ServerFileArguments(
    const std::string& path, const CLI::App& app, const std::vector<std::string>& not_in_file) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config ", path));
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, " is over 1 MiB"));
  }
  return ServerTableArguments(text, path, app, not_in_file);
}

}  // namespace vouch::verifier::server
