#include "command_suggestions.h"

#include <algorithm>

namespace vouch::verifier::cli {
namespace {

constexpr int kMaxSuggestionDistance = 2;

CLI::App* FindSubcommand(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->check_name(name)) return sub;
  }
  return nullptr;
}

}  // namespace

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> UnknownCommandMessage(CLI::App& app,
                                                 const std::vector<std::string>& args) {
  CLI::App* current = &app;
  std::string path = app.get_name();  // CLI11 sets it from argv[0].
  path = path.substr(path.rfind('/') + 1);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return std::nullopt;
    if (!arg.empty() && arg[0] == '-') {
      // An option taking a value consumes the next argument.
      const CLI::Option* option = current->get_option_no_throw(arg.substr(0, arg.find('=')));
      if (option != nullptr && arg.find('=') == std::string::npos &&
          option->get_expected_min() > 0) {
        ++i;
      }
      continue;
    }
    if (CLI::App* sub = FindSubcommand(*current, arg)) {
      current = sub;
      path += " " + sub->get_name();
      continue;
    }
    const std::vector<CLI::App*> subs = current->get_subcommands([](CLI::App*) { return true; });
    // A positional argument of a command without subcommands is fine.
    if (subs.empty()) return std::nullopt;
    std::string best;
    int best_distance = kMaxSuggestionDistance + 1;
    for (const CLI::App* sub : subs) {
      const std::string& name = sub->get_name();
      const int d = name.rfind(arg, 0) == 0 ? 1 : EditDistance(arg, name);
      if (d < best_distance) {
        best_distance = d;
        best = name;
      }
    }
    std::string message = "unknown command '" + arg + "' for '" + path + "'";
    if (!best.empty()) message += "; did you mean '" + best + "'?";
    return message + " (see '" + path + " --help')";
  }
  return std::nullopt;
}

}  // namespace vouch::verifier::cli
