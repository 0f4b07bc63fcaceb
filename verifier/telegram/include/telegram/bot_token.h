#ifndef VOUCH_VERIFIER_TELEGRAM_BOT_TOKEN_H_
#define VOUCH_VERIFIER_TELEGRAM_BOT_TOKEN_H_

// The provider's verifier-bot token (docs/telegram.md). It is a bearer
// secret: whoever has it acts as the bot. It is read from a file that only
// its owner can read (mode 0600) or from the environment, is never logged,
// and never appears in an error or a Status message: errors name the file or
// the variable, never the value.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch::verifier::telegram {

// Holds the token. Not printable on purpose (no operator<<, no AbslStringify);
// value() is for building the request path only.
class BotToken {
 public:
  // Errors: kInvalidArgument "bot token: not of the form <bot id>:<secret>"
  // (the token is not repeated).
  static absl::StatusOr<BotToken> FromString(absl::string_view token);
  // Reads the file's first line. Errors: kNotFound (no such file),
  // kFailedPrecondition (readable or writable by group or others: chmod 600),
  // kInvalidArgument (empty or malformed). The messages name `path` only.
  static absl::StatusOr<BotToken> FromFile(const std::string& path);
  // Reads the environment variable. Errors: kNotFound (unset or empty),
  // kInvalidArgument (malformed). The messages name `variable` only.
  static absl::StatusOr<BotToken> FromEnv(const char* variable);

  const std::string& value() const { return token_; }
  // The bot's user id (the part before ':'), which is public.
  const std::string& bot_id() const { return bot_id_; }
  // `text` with every occurrence of the token replaced by "<token>": for
  // anything that came back from the network and is about to be logged.
  std::string Redact(absl::string_view text) const;

  BotToken(const BotToken&) = default;
  BotToken& operator=(const BotToken&) = default;
  BotToken(BotToken&&) = default;
  BotToken& operator=(BotToken&&) = default;
  ~BotToken();

 private:
  BotToken() = default;
  std::string token_;
  std::string bot_id_;
};

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_BOT_TOKEN_H_
