#ifndef VOUCH_VERIFIER_AUTH_AUTH_CONFIG_H_
#define VOUCH_VERIFIER_AUTH_AUTH_CONFIG_H_

// Who may call vouchd: relying services and operators, each with bearer
// tokens (stored only as SHA-256 hashes) and/or client-certificate names.
// Loaded from a TOML file (deploy/auth.example.toml, docs/security.md).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/principal.h"

namespace vouch::verifier::auth {

// One bearer token, as the SHA-256 of its text (32 raw bytes).
struct TokenEntry {
  std::string sha256;                 // raw 32 bytes
  std::optional<absl::Time> expires;  // none: does not expire
};

// A service or an operator.
struct AuthEntry {
  Principal principal;
  std::vector<TokenEntry> tokens;
  // Client-certificate names: the subject CN or any subjectAltName (DNS,
  // URI, email) of a certificate issued by the configured client CA.
  std::vector<std::string> certificate_names;
  // Services only: PEM RSA key for this service's Telegram Passport
  // requests (empty: vouchd's own key).
  std::string passport_key;
  bool disabled = false;
};

struct AuthConfig {
  std::vector<AuthEntry> entries;

  // Parses the TOML text. Errors: kInvalidArgument naming the line or key
  // (never a token or hash value).
  static absl::StatusOr<AuthConfig> Parse(absl::string_view toml_text);
  // Reads and parses `path` (at most 1 MiB). Errors: kNotFound, or Parse's.
  static absl::StatusOr<AuthConfig> Load(const std::string& path);
};

// "reviewer", "senior_reviewer", "admin" (kInvalidArgument otherwise).
absl::StatusOr<OperatorRole> ParseOperatorRole(absl::string_view name);
absl::string_view OperatorRoleName(OperatorRole role);

// A new bearer token: `prefix` + 43 base64url characters (256 random bits).
std::string NewToken(absl::string_view prefix);
// Lower-case hex SHA-256 of the token text, as written in the config.
std::string TokenSha256Hex(absl::string_view token);

// True when a gRPC address "HOST:PORT" is on loopback (127.0.0.0/8,
// localhost, [::1]; optionally with a "dns:"/"ipv4:"/"ipv6:" scheme) or a
// "unix:" socket. 0.0.0.0 and [::] are not loopback.
bool IsLoopbackAddress(absl::string_view address);

// Writes `contents` to `path` with mode 0600, atomically (temporary file and
// rename). Errors: kFailedPrecondition.
absl::Status WritePrivateFile(const std::string& path, absl::string_view contents);

// The first-start credentials of the embedded quick start: an "admin"
// operator token and a "default" service API key, written to
// `dir`/admin.token and `dir`/service-default.token (0600), and an auth
// config referencing their hashes at `config_path`. Does nothing when
// `config_path` exists (returns false).
absl::StatusOr<bool> BootstrapAuthConfig(const std::string& config_path, const std::string& dir);

}  // namespace vouch::verifier::auth

#endif  // VOUCH_VERIFIER_AUTH_AUTH_CONFIG_H_
