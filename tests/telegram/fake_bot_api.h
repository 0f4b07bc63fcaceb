#ifndef VOUCH_TESTS_TELEGRAM_FAKE_BOT_API_H_
#define VOUCH_TESTS_TELEGRAM_FAKE_BOT_API_H_

// A fake Telegram Bot API server on loopback HTTP, for tests.
//
//   POST|GET /bot<token>/<method>     the methods below, parameters as JSON,
//                                     form or query string (as the Bot API
//                                     accepts them); any other token: 401
//   GET /file/bot<token>/<file_path>  a file added with AddFile
//
// Every call is recorded with its parameters. Each method's parameters are
// checked as https://core.telegram.org/bots/api documents them (required
// ones present with the right type, no unknown ones, custom_description at
// most 70 characters, PassportElementError sources and their hash fields);
// a call that breaks the rules is answered 400 like Telegram and listed in
// violations(). Methods: getMe, getUpdates, deleteWebhook, sendMessage,
// getFile, setPassportDataErrors, verifyUser, removeUserVerification.
// Unknown methods: 404 "Not Found" and a violation.
//
// Answers can be scripted per method (Script): a 429 with retry_after, a
// 500, an ok:false; unscripted calls succeed.
//
// With control = true (the standalone fake_bot_api_server), /__control/*
// endpoints let another process drive it: POST /__control/update (an Update
// for getUpdates), POST /__control/file {file_id, file_path, content_b64},
// POST /__control/script {method, status, body}, GET /__control/calls
// (each call with its method, params and time_ms).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace httplib {
class Server;
}

namespace vouch::testing {

class FakeBotApi {
 public:
  struct Call {
    std::string method;
    nlohmann::json params;  // Always an object.
    int64_t time_ms = 0;    // When it arrived (Unix milliseconds).
  };

  explicit FakeBotApi(std::string token, bool control = false);
  ~FakeBotApi();
  FakeBotApi(const FakeBotApi&) = delete;
  FakeBotApi& operator=(const FakeBotApi&) = delete;

  // Listens on 127.0.0.1 (`port` 0: any free port); returns the port, or -1.
  int Start(int port = 0);
  void Stop();
  // "http://127.0.0.1:<port>".
  std::string base_url() const;

  // The next call of `method` gets this answer instead of the default.
  void Script(const std::string& method, int http_status, nlohmann::json body);
  void Script429(const std::string& method, int retry_after);
  void Script500(const std::string& method);
  void ScriptError(const std::string& method, int error_code, const std::string& description);
  // The next call of `method` first runs `before` (on the server's thread,
  // which may call this server again), and only then arrives: as a call
  // that reaches Telegram late, after whatever `before` did.
  void Delay(const std::string& method, std::function<void()> before);

  void AddFile(const std::string& file_id, const std::string& file_path, std::string content);
  void AddUpdate(nlohmann::json update);  // update_id is assigned.

  std::vector<Call> calls() const;
  std::vector<Call> calls(const std::string& method) const;
  std::vector<std::string> violations() const;
  // Every request path seen (to check where the token went).
  std::vector<std::string> paths() const;

 private:
  struct Answer {
    int status;
    nlohmann::json body;
  };
  Answer Handle(const std::string& method, const nlohmann::json& params);
  Answer Default(const std::string& method, const nlohmann::json& params);
  void Violation(const std::string& what);

  const std::string token_;
  const bool control_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> paths_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<Answer>> scripted_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::function<void()>> delayed_ ABSL_GUARDED_BY(mu_);
  struct File {
    std::string path;
    std::string content;
  };
  std::map<std::string, File> files_ ABSL_GUARDED_BY(mu_);  // By file_id.
  std::deque<nlohmann::json> updates_ ABSL_GUARDED_BY(mu_);
  int64_t next_update_id_ ABSL_GUARDED_BY(mu_) = 1;
};

// Checks `params` of `method` against the Bot API documentation; returns the
// problems ("" entries never). Exposed for its own test.
std::vector<std::string> CheckBotApiParams(const std::string& method, const nlohmann::json& params);

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TELEGRAM_FAKE_BOT_API_H_
