#include "telegram/bot_token.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace vouch::verifier::telegram {
namespace {

constexpr size_t kMaxTokenLength = 256;

bool IsSecretChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }

}  // namespace

absl::StatusOr<BotToken> BotToken::FromString(absl::string_view text) {
  const absl::string_view token = absl::StripAsciiWhitespace(text);
  const size_t colon = token.find(':');
  bool ok = token.size() <= kMaxTokenLength && colon != absl::string_view::npos && colon > 0 &&
            colon + 1 < token.size();
  for (size_t i = 0; ok && i < token.size(); ++i) {
    ok = i < colon ? absl::ascii_isdigit(token[i]) : (i == colon || IsSecretChar(token[i]));
  }
  if (!ok) {
    return absl::InvalidArgumentError("bot token: not of the form <bot id>:<secret>");
  }
  BotToken t;
  t.token_ = std::string(token);
  t.bot_id_ = std::string(token.substr(0, colon));
  return t;
}

absl::StatusOr<BotToken> BotToken::FromFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("bot token file ", path, " cannot be read"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("bot token file ", path, " is accessible by others (chmod 600)"));
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::InvalidArgumentError(absl::StrCat("bot token file ", path, " is empty"));
  }
  absl::StatusOr<BotToken> token = FromString(line);
  OPENSSL_cleanse(line.data(), line.size());
  if (!token.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bot token file ", path, ": not of the form <bot id>:<secret>"));
  }
  return token;
}

absl::StatusOr<BotToken> BotToken::FromEnv(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    return absl::NotFoundError(absl::StrCat("environment variable ", variable, " is not set"));
  }
  absl::StatusOr<BotToken> token = FromString(value);
  if (!token.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ", variable, ": not of the form <bot id>:<secret>"));
  }
  return token;
}

std::string BotToken::Redact(absl::string_view text) const {
  if (token_.empty()) return std::string(text);
  return absl::StrReplaceAll(text, {{token_, "<token>"}});
}

BotToken::~BotToken() { OPENSSL_cleanse(token_.data(), token_.size()); }

}  // namespace vouch::verifier::telegram
