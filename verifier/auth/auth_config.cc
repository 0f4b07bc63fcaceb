#include "auth/auth_config.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/config_text.h"
#include "base/hex_digest.h"
#include "base/private_file.h"
#include "base/status_macros.h"

// toml++ throws unless told otherwise (as in pipeline/policy.cc).
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace vouch::verifier::auth {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr size_t kMaxEntries = 10000;
constexpr size_t kMaxPerEntry = 64;

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != '_' && c != '@') return false;
  }
  return true;
}

absl::Status KeyError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("auth config: ", where, ": ", what));
}

absl::StatusOr<TokenEntry> ParseToken(const toml::node& node, const std::string& where) {
  std::string hex;
  TokenEntry entry;
  if (const toml::value<std::string>* s = node.as_string()) {
    hex = s->get();
  } else if (const toml::table* t = node.as_table()) {
    for (const auto& [key, value] : *t) {
      if (key.str() == "sha256") {
        if (!value.is_string()) return KeyError(where, "sha256 must be a string");
        hex = *value.value<std::string>();
      } else if (key.str() == "expires") {
        if (!value.is_string()) return KeyError(where, "expires must be an RFC 3339 string");
        absl::Time t;
        std::string err;
        if (!absl::ParseTime(absl::RFC3339_full, *value.value<std::string>(), &t, &err)) {
          return KeyError(where, "expires must be RFC 3339 (2027-01-31T00:00:00Z)");
        }
        entry.expires = t;
      } else {
        return KeyError(where, absl::StrCat("unknown key ", std::string(key.str())));
      }
    }
  } else {
    return KeyError(where, "a token is a hex SHA-256 string or {sha256, expires}");
  }
  hex = absl::AsciiStrToLower(hex);
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return KeyError(where, "sha256 must be 64 hex digits (vouchctl auth token prints it)");
  }
  entry.sha256 = absl::HexStringToBytes(hex);
  return entry;
}

absl::StatusOr<std::vector<std::string>> ParseStrings(const toml::node& node,
                                                      const std::string& where) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return KeyError(where, "must be an array of strings");
  if (array->size() > kMaxPerEntry) return KeyError(where, "too many entries");
  std::vector<std::string> out;
  for (const toml::node& n : *array) {
    if (!n.is_string()) return KeyError(where, "must be an array of strings");
    std::string s = *n.value<std::string>();
    if (s.empty() || s.size() > 256) return KeyError(where, "names are 1..256 characters");
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<AuthEntry> ParseEntry(PrincipalKind kind, const std::string& id,
                                     const toml::table& table) {
  const std::string where =
      absl::StrCat(kind == PrincipalKind::kService ? "services." : "operators.", id);
  if (!ValidId(id)) return KeyError(where, "ids are 1..128 of [A-Za-z0-9._@-]");
  AuthEntry entry;
  entry.principal.kind = kind;
  entry.principal.id = id;
  bool has_role = false;
  for (const auto& [key_node, value] : table) {
    const std::string key(key_node.str());
    const std::string at = absl::StrCat(where, ".", key);
    if (key == (kind == PrincipalKind::kService ? "api_keys" : "tokens")) {
      const toml::array* array = value.as_array();
      if (array == nullptr) return KeyError(at, "must be an array");
      if (array->size() > kMaxPerEntry) return KeyError(at, "too many tokens");
      for (const toml::node& n : *array) {
        VOUCH_ASSIGN_OR_RETURN(TokenEntry token, ParseToken(n, at));
        entry.tokens.push_back(std::move(token));
      }
    } else if (key == "certificates") {
      VOUCH_ASSIGN_OR_RETURN(entry.certificate_names, ParseStrings(value, at));
    } else if (key == "disabled") {
      if (!value.is_boolean()) return KeyError(at, "must be true or false");
      entry.disabled = *value.value<bool>();
    } else if (key == "passport_key" && kind == PrincipalKind::kService) {
      if (!value.is_string()) return KeyError(at, "must be a file path");
      entry.passport_key = *value.value<std::string>();
    } else if (key == "role" && kind == PrincipalKind::kOperator) {
      if (!value.is_string()) return KeyError(at, "must be reviewer, senior_reviewer or admin");
      absl::StatusOr<OperatorRole> role = ParseOperatorRole(*value.value<std::string>());
      if (!role.ok()) return KeyError(at, "must be reviewer, senior_reviewer or admin");
      entry.principal.role = *role;
      has_role = true;
    } else {
      return KeyError(at, "unknown key");
    }
  }
  if (kind == PrincipalKind::kOperator && !has_role) return KeyError(where, "role is required");
  return entry;
}

}  // namespace

absl::StatusOr<OperatorRole> ParseOperatorRole(absl::string_view name) {
  if (name == "reviewer") return OperatorRole::kReviewer;
  if (name == "senior_reviewer") return OperatorRole::kSeniorReviewer;
  if (name == "admin") return OperatorRole::kAdmin;
  return absl::InvalidArgumentError("role must be reviewer, senior_reviewer or admin");
}

absl::string_view OperatorRoleName(OperatorRole role) {
  switch (role) {
    case OperatorRole::kReviewer:
      return "reviewer";
    case OperatorRole::kSeniorReviewer:
      return "senior_reviewer";
    case OperatorRole::kAdmin:
      return "admin";
    case OperatorRole::kNone:
      break;
  }
  return "none";
}

absl::StatusOr<AuthConfig> AuthConfig::Parse(absl::string_view toml_text) {
  if (toml_text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError("auth config: larger than 1 MiB");
  }
  VOUCH_RETURN_IF_ERROR(CheckAsciiConfig(toml_text, "auth config"));
  toml::parse_result parsed = toml::parse(std::string_view(toml_text.data(), toml_text.size()));
  if (!parsed) {
    // toml++'s description names the syntax problem, not the value.
    return absl::InvalidArgumentError(absl::StrCat("auth config: line ",
                                                   parsed.error().source().begin.line, ": ",
                                                   std::string(parsed.error().description())));
  }
  const toml::table& root = parsed.table();
  AuthConfig config;
  for (const auto& [key_node, value] : root) {
    const std::string key(key_node.str());
    PrincipalKind kind;
    if (key == "services") {
      kind = PrincipalKind::kService;
    } else if (key == "operators") {
      kind = PrincipalKind::kOperator;
    } else {
      return KeyError(key, "unknown table (services, operators)");
    }
    const toml::table* group = value.as_table();
    if (group == nullptr) return KeyError(key, "must be a table");
    for (const auto& [id_node, entry_node] : *group) {
      const toml::table* entry_table = entry_node.as_table();
      const std::string id(id_node.str());
      if (entry_table == nullptr) return KeyError(absl::StrCat(key, ".", id), "must be a table");
      if (config.entries.size() >= kMaxEntries) return KeyError(key, "too many entries");
      VOUCH_ASSIGN_OR_RETURN(AuthEntry entry, ParseEntry(kind, id, *entry_table));
      config.entries.push_back(std::move(entry));
    }
  }
  // A credential names exactly one principal.
  std::set<std::string> hashes, names;
  for (const AuthEntry& e : config.entries) {
    const std::string who = absl::StrCat(
        e.principal.kind == PrincipalKind::kService ? "services." : "operators.", e.principal.id);
    for (const TokenEntry& t : e.tokens) {
      if (!hashes.insert(t.sha256).second) return KeyError(who, "a token hash is used twice");
    }
    for (const std::string& n : e.certificate_names) {
      if (!names.insert(n).second) {
        return KeyError(who, absl::StrCat("certificate name ", n, " is used twice"));
      }
    }
  }
  return config;
}

absl::StatusOr<AuthConfig> AuthConfig::Load(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("cannot read auth config ", path));
  if (size > kMaxConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat("auth config ", path, " is larger than 1 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::NotFoundError(absl::StrCat("cannot read auth config ", path));
  }
  absl::StatusOr<AuthConfig> config = Parse(text.str());
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

std::string NewToken(absl::string_view prefix) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // No entropy: unsafe to go on.
  std::string token(prefix);
  token += absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return token;
}

std::string TokenSha256Hex(absl::string_view token) { return Sha256Hex(token); }

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:")) return true;
  for (absl::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::StartsWith(address, scheme)) {
      address.remove_prefix(scheme.size());
      break;
    }
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  if (host == "localhost" || host == "[::1]") return true;
  if (!absl::StartsWith(host, "127.")) return false;
  // 127.a.b.c with decimal octets only.
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    int v = 0;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &v) || v > 255) return false;
  }
  return true;
}

// Through base/private_file.h; its errors as this module's
// (kFailedPrecondition, naming the path).
absl::Status WritePrivateFile(const std::string& path, absl::string_view contents) {
  absl::Status written = ::vouch::WritePrivateFile(path, contents);
  if (!written.ok()) return absl::FailedPreconditionError(written.message());
  return absl::OkStatus();
}

absl::StatusOr<bool> BootstrapAuthConfig(const std::string& config_path, const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(config_path, ec)) return false;
  const std::string admin = NewToken("vch_op_");
  const std::string service = NewToken("vch_svc_");
  const std::string admin_path = dir + "/admin.token";
  const std::string service_path = dir + "/service-default.token";
  VOUCH_RETURN_IF_ERROR(WritePrivateFile(admin_path, admin + "\n"));
  VOUCH_RETURN_IF_ERROR(WritePrivateFile(service_path, service + "\n"));
  const std::string config = absl::StrCat(
      "# vouchd authentication (made at the first start; docs/security.md).\n"
      "# Tokens are stored as SHA-256 hashes; the tokens themselves are in\n"
      "# admin.token and service-default.token next to this file.\n\n"
      "[services.default]\n"
      "api_keys = [\"",
      TokenSha256Hex(service), "\"]\n\n",
      "[operators.admin]\n"
      "role = \"admin\"\n"
      "tokens = [\"",
      TokenSha256Hex(admin), "\"]\n");
  VOUCH_RETURN_IF_ERROR(WritePrivateFile(config_path, config));
  return true;
}

}  // namespace vouch::verifier::auth
