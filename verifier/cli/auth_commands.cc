#include "auth_commands.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "auth/auth_config.h"

namespace vouch::verifier::cli {
namespace {

struct TokenArgs {
  std::string service;
  std::string op;
  std::string role = "reviewer";
  std::string out;
  std::string expires;
};

int RunToken(const TokenArgs& a) {
  const bool service = !a.service.empty();
  if (!service &&
      !absl::StatusOr<verifier::auth::OperatorRole>(verifier::auth::ParseOperatorRole(a.role))
           .ok()) {
    std::cerr << "error: --role must be reviewer, senior_reviewer or admin\n";
    return 1;
  }
  const std::string token = verifier::auth::NewToken(service ? "vch_svc_" : "vch_op_");
  const std::string hash = verifier::auth::TokenSha256Hex(token);
  std::string entry = a.expires.empty() ? absl::StrCat("\"", hash, "\"")
                                        : absl::StrCat("{ sha256 = \"", hash, "\", expires = \"",
                                                       a.expires, "\" }");
  std::string snippet = service
                            ? absl::StrCat("[services.", a.service, "]\napi_keys = [", entry, "]\n")
                            : absl::StrCat("[operators.", a.op, "]\nrole = \"", a.role,
                                           "\"\ntokens = [", entry, "]\n");
  // Validate the snippet as the server will read it (ids, expiry format).
  if (absl::StatusOr<verifier::auth::AuthConfig> check = verifier::auth::AuthConfig::Parse(snippet);
      !check.ok()) {
    std::cerr << "error: " << check.status().message() << "\n";
    return 1;
  }
  if (!a.out.empty()) {
    if (absl::Status s = verifier::auth::WritePrivateFile(a.out, token + "\n"); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
    std::cerr << "token written to " << a.out << " (0600)\n";
  } else {
    std::cout << token << "\n";
  }
  std::cerr << "add to vouchd's auth config (then SIGHUP or restart vouchd):\n";
  (a.out.empty() ? std::cerr : std::cout) << snippet;
  return 0;
}

}  // namespace

void AddAuthCommands(CLI::App& app, int& exit_code) {
  CLI::App* auth = app.add_subcommand("auth", "Credentials for vouchd's auth config");
  auth->require_subcommand(1);
  auto a = std::make_shared<TokenArgs>();
  CLI::App* token = auth->add_subcommand(
      "token",
      "Mint a bearer token: the token goes to stdout (or --out, 0600), the config entry with "
      "its SHA-256 to stderr (or stdout with --out)");
  auto* svc = token->add_option("--service", a->service, "a relying service id");
  auto* op = token->add_option("--operator", a->op, "an operator id");
  svc->excludes(op);
  op->excludes(svc);
  token->add_option("--role", a->role, "operator role: reviewer, senior_reviewer, admin")
      ->capture_default_str();
  token->add_option("--expires", a->expires, "RFC 3339 expiry, e.g. 2027-01-31T00:00:00Z");
  token->add_option("--out", a->out, "write the token to this file (0600) instead of stdout");
  token->callback([a, &exit_code] {
    if (a->service.empty() && a->op.empty()) {
      std::cerr << "error: --service or --operator is required\n";
      exit_code = 2;
      return;
    }
    exit_code = RunToken(*a);
  });
}

}  // namespace vouch::verifier::cli
