#ifndef VOUCH_VERIFIER_TELEGRAM_BOT_API_CLIENT_H_
#define VOUCH_VERIFIER_TELEGRAM_BOT_API_CLIENT_H_

// A client of the Telegram Bot API (https://core.telegram.org/bots/api) over
// cpp-httplib, HTTPS by default. Requests are POST <base>/bot<token>/<method>
// with a JSON body; downloads are GET <base>/file/bot<token>/<file_path>.
// Only the methods vouchd needs: verifyUser and removeUserVerification (the
// verification badge), getFile and the download (tests and tools).
//
// The token is in every request path, so nothing here logs a URL or a path,
// and no Status message carries one: transport errors name the host and
// the method only.
//
// Thread-safe: every call opens its own connection.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "telegram/bot_token.h"

namespace vouch::verifier::telegram {

struct BotApiOptions {
  // scheme://host[:port][/prefix], no trailing slash: https://api.telegram.org,
  // a local Bot API server (telegram-bot-api --local), or a test server
  // (http:// is accepted only for loopback hosts).
  std::string base_url = "https://api.telegram.org";
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(15);
  // PEM CA bundle to verify the server with ("" = the system's).
  std::string ca_file;
};

// What the Bot API answered (an HTTP exchange took place).
struct BotApiResponse {
  int http_status = 0;
  // The JSON envelope: {"ok": true, "result": ...} or {"ok": false,
  // "error_code": N, "description": "...", "parameters": {"retry_after": S}}.
  // A body that is not such an envelope (a proxy's HTML page) is ok = false
  // with error_code = http_status.
  bool ok = false;
  int error_code = 0;
  std::string description;
  std::optional<int64_t> retry_after;  // Seconds (flood control, 429).
  std::string result_json;             // "result" re-serialised (ok only).
};

class BotApiClient {
 public:
  // Errors: kInvalidArgument for a base URL that is not https:// (or http://
  // on a loopback host) with a host.
  static absl::StatusOr<BotApiClient> Create(BotApiOptions options, BotToken token);

  // Calls `method` with `params_json` (a JSON object) as the body. Errors:
  // kUnavailable when no HTTP answer came (connection refused, TLS failure,
  // timeout): the message names the host and method, never the path.
  absl::StatusOr<BotApiResponse> Call(absl::string_view method,
                                      absl::string_view params_json) const;

  // verifyUser(user_id, custom_description): custom_description is sent
  // only when not empty (0..70 characters; checked by the policy).
  absl::StatusOr<BotApiResponse> VerifyUser(int64_t user_id,
                                            absl::string_view custom_description) const;
  // removeUserVerification(user_id).
  absl::StatusOr<BotApiResponse> RemoveUserVerification(int64_t user_id) const;
  // getFile(file_id) → File.file_path. Errors: kUnavailable as Call; an
  // ok = false answer is kFailedPrecondition with Telegram's description.
  absl::StatusOr<std::string> GetFilePath(absl::string_view file_id) const;
  // Downloads <base>/file/bot<token>/<file_path> (at most `max_bytes`).
  // Errors: kUnavailable as Call; kNotFound for a non-200 answer;
  // kResourceExhausted above max_bytes.
  absl::StatusOr<std::string> Download(absl::string_view file_path,
                                       int64_t max_bytes = 20 << 20) const;

  const std::string& host() const { return host_; }

 private:
  BotApiClient(BotApiOptions options, BotToken token)
      : options_(std::move(options)), token_(std::move(token)) {}

  BotApiOptions options_;
  BotToken token_;
  std::string scheme_host_port_;  // For httplib::Client.
  std::string host_;              // For messages.
  std::string prefix_;            // Path prefix ("" or "/x").
};

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_BOT_API_CLIENT_H_
