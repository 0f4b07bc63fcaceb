#include "fake_bot_api.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace vouch::testing {
namespace {

using json = nlohmann::json;

// Parameter types as the Bot API documents them.
enum class Type { kInteger, kString, kBoolean, kArray, kObject, kIntegerOrString };

struct Param {
  const char* name;
  Type type;
  bool required;
};

struct Method {
  const char* name;
  std::vector<Param> params;
};

const std::vector<Method>& Methods() {
  static const auto* methods = new std::vector<Method>{
      {"getMe", {}},
      {"getUpdates",
       {{"offset", Type::kInteger, false},
        {"limit", Type::kInteger, false},
        {"timeout", Type::kInteger, false},
        {"allowed_updates", Type::kArray, false}}},
      {"deleteWebhook", {{"drop_pending_updates", Type::kBoolean, false}}},
      {"sendMessage",
       {{"chat_id", Type::kIntegerOrString, true},
        {"text", Type::kString, true},
        {"parse_mode", Type::kString, false},
        {"entities", Type::kArray, false},
        {"disable_web_page_preview", Type::kBoolean, false},
        {"disable_notification", Type::kBoolean, false},
        {"protect_content", Type::kBoolean, false},
        {"reply_to_message_id", Type::kInteger, false},
        {"allow_sending_without_reply", Type::kBoolean, false},
        {"reply_markup", Type::kObject, false},
        {"message_thread_id", Type::kInteger, false}}},
      {"getFile", {{"file_id", Type::kString, true}}},
      {"setPassportDataErrors",
       {{"user_id", Type::kInteger, true}, {"errors", Type::kArray, true}}},
      {"verifyUser",
       {{"user_id", Type::kInteger, true}, {"custom_description", Type::kString, false}}},
      {"removeUserVerification", {{"user_id", Type::kInteger, true}}},
  };
  return *methods;
}

bool IsDigits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c) || c == '-'; });
}

// Form and query values arrive as strings; JSON values keep their types.
bool HasType(const json& v, Type t) {
  switch (t) {
    case Type::kInteger:
      return v.is_number_integer() || (v.is_string() && IsDigits(v.get<std::string>()));
    case Type::kString:
      return v.is_string();
    case Type::kBoolean:
      return v.is_boolean() || (v.is_string() && (v == "true" || v == "false"));
    case Type::kArray:
      return v.is_array() ||
             (v.is_string() && json::parse(v.get<std::string>(), nullptr, false).is_array());
    case Type::kObject:
      return v.is_object() ||
             (v.is_string() && json::parse(v.get<std::string>(), nullptr, false).is_object());
    case Type::kIntegerOrString:
      return v.is_number_integer() || v.is_string();
  }
  return false;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

bool IsStdBase64(const json& v) {
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  std::string out;
  return !s.empty() && s.size() % 4 == 0 && s.find_first_of("-_ \n") == std::string::npos &&
         absl::Base64Unescape(s, &out);
}

const std::set<std::string> kIdTypes = {"passport", "driver_license", "identity_card",
                                        "internal_passport"};
const std::set<std::string> kAddressDocTypes = {"utility_bill", "bank_statement",
                                                "rental_agreement", "passport_registration",
                                                "temporary_registration"};

// PassportElementError* (https://core.telegram.org/bots/api#passportelementerror).
void CheckPassportError(const json& e, size_t i, std::vector<std::string>& problems) {
  const std::string at = absl::StrCat("errors[", i, "]");
  if (!e.is_object()) {
    problems.push_back(at + " is not an object");
    return;
  }
  for (const char* k : {"source", "type", "message"}) {
    if (!e.contains(k) || !e[k].is_string()) {
      problems.push_back(absl::StrCat(at, ".", k, " missing"));
      return;
    }
  }
  const std::string source = e["source"], type = e["type"];
  std::set<std::string> types;
  std::vector<std::string> fields;
  if (source == "data") {
    types = kIdTypes;
    types.insert({"personal_details", "address"});
    fields = {"field_name", "data_hash"};
  } else if (source == "front_side" || source == "selfie") {
    types = kIdTypes;
    fields = {"file_hash"};
  } else if (source == "reverse_side") {
    types = {"driver_license", "identity_card"};
    fields = {"file_hash"};
  } else if (source == "file" || source == "files") {
    types = kAddressDocTypes;
    fields = {source == "file" ? "file_hash" : "file_hashes"};
  } else if (source == "translation_file" || source == "translation_files") {
    types = kIdTypes;
    types.insert(kAddressDocTypes.begin(), kAddressDocTypes.end());
    fields = {source == "translation_file" ? "file_hash" : "file_hashes"};
  } else if (source == "unspecified") {
    types = kIdTypes;
    types.insert(kAddressDocTypes.begin(), kAddressDocTypes.end());
    types.insert({"personal_details", "address", "phone_number", "email"});
    fields = {"element_hash"};
  } else {
    problems.push_back(absl::StrCat(at, ".source '", source, "' unknown"));
    return;
  }
  if (types.count(type) == 0) {
    problems.push_back(absl::StrCat(at, ": type '", type, "' not allowed for source ", source));
  }
  std::set<std::string> allowed = {"source", "type", "message"};
  for (const std::string& f : fields) {
    allowed.insert(f);
    if (!e.contains(f)) {
      problems.push_back(absl::StrCat(at, ".", f, " missing"));
    } else if (f == "field_name") {
      if (!e[f].is_string() || e[f].get<std::string>().empty()) {
        problems.push_back(absl::StrCat(at, ".field_name empty"));
      }
    } else if (f == "file_hashes") {
      if (!e[f].is_array() || e[f].empty() || !std::all_of(e[f].begin(), e[f].end(), IsStdBase64)) {
        problems.push_back(absl::StrCat(at, ".file_hashes not an array of base64"));
      }
    } else if (!IsStdBase64(e[f])) {
      problems.push_back(absl::StrCat(at, ".", f, " not standard base64"));
    }
  }
  for (const auto& [k, v] : e.items()) {
    if (allowed.count(k) == 0) problems.push_back(absl::StrCat(at, ": unknown field ", k));
  }
}

}  // namespace

std::vector<std::string> CheckBotApiParams(const std::string& method, const json& params) {
  std::vector<std::string> problems;
  const Method* m = nullptr;
  for (const Method& candidate : Methods()) {
    if (candidate.name == method) m = &candidate;
  }
  if (m == nullptr) return {absl::StrCat("method ", method, " not found")};
  for (const Param& p : m->params) {
    const bool present = params.contains(p.name) && !params[p.name].is_null();
    if (!present) {
      if (p.required) problems.push_back(absl::StrCat(method, ": ", p.name, " is required"));
      continue;
    }
    if (!HasType(params[p.name], p.type)) {
      problems.push_back(absl::StrCat(method, ": ", p.name, " has the wrong type"));
    }
  }
  for (const auto& [k, v] : params.items()) {
    if (std::none_of(m->params.begin(), m->params.end(),
                     [&k = k](const Param& p) { return k == p.name; })) {
      problems.push_back(absl::StrCat(method, ": unknown parameter ", k));
    }
  }
  if (method == "verifyUser" && params.contains("custom_description") &&
      params["custom_description"].is_string() &&
      Utf8Length(params["custom_description"].get<std::string>()) > 70) {
    problems.push_back("verifyUser: custom_description is longer than 70 characters");
  }
  if (method == "setPassportDataErrors" && params.contains("errors")) {
    json errors = params["errors"];
    if (errors.is_string()) errors = json::parse(errors.get<std::string>(), nullptr, false);
    if (errors.is_array()) {
      if (errors.empty()) problems.push_back("setPassportDataErrors: errors is empty");
      for (size_t i = 0; i < errors.size(); ++i) CheckPassportError(errors[i], i, problems);
    }
  }
  return problems;
}

FakeBotApi::FakeBotApi(std::string token, bool control)
    : token_(std::move(token)), control_(control), server_(std::make_unique<httplib::Server>()) {
  auto api = [this](const httplib::Request& req, httplib::Response& res) {
    {
      absl::MutexLock lock(&mu_);
      paths_.push_back(req.path);
    }
    const std::string token = req.matches[1];
    const std::string method = req.matches[2];
    json params = json::object();
    if (absl::StartsWith(req.get_header_value("Content-Type"), "application/json") &&
        !req.body.empty()) {
      params = json::parse(req.body, nullptr, false);
      if (!params.is_object()) {
        Violation(method + ": body is not a JSON object");
        res.status = 400;
        res.set_content(R"({"ok":false,"error_code":400,"description":"Bad Request: bad JSON"})",
                        "application/json");
        return;
      }
    }
    for (const auto& [k, v] : req.params) params[k] = v;         // Query string and form.
    for (const auto& [k, v] : req.files) params[k] = v.content;  // Multipart.
    Answer answer;
    if (token != token_) {
      answer = {401, {{"ok", false}, {"error_code", 401}, {"description", "Unauthorized"}}};
    } else {
      answer = Handle(method, params);
    }
    res.status = answer.status;
    res.set_content(answer.body.dump(), "application/json");
  };
  server_->Post(R"(/bot([^/]*)/([A-Za-z]+))", api);
  server_->Get(R"(/bot([^/]*)/([A-Za-z]+))", api);
  server_->Get(R"(/file/bot([^/]*)/(.+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 absl::MutexLock lock(&mu_);
                 paths_.push_back(req.path);
                 if (req.matches[1] != token_) {
                   res.status = 401;
                   return;
                 }
                 for (const auto& [id, file] : files_) {
                   if (file.path == req.matches[2]) {
                     res.set_content(file.content, "application/octet-stream");
                     return;
                   }
                 }
                 res.status = 404;
               });
  if (control_) {
    server_->Post("/__control/update", [this](const httplib::Request& req, httplib::Response& res) {
      json update = json::parse(req.body, nullptr, false);
      if (!update.is_object()) {
        res.status = 400;
        return;
      }
      AddUpdate(std::move(update));
    });
    server_->Post("/__control/file", [this](const httplib::Request& req, httplib::Response& res) {
      const json f = json::parse(req.body, nullptr, false);
      std::string content;
      if (!f.is_object() || !f.contains("file_id") || !f.contains("file_path") ||
          !f.contains("content_b64") ||
          !absl::Base64Unescape(f["content_b64"].get<std::string>(), &content)) {
        res.status = 400;
        return;
      }
      AddFile(f["file_id"], f["file_path"], std::move(content));
    });
    server_->Post("/__control/script", [this](const httplib::Request& req, httplib::Response& res) {
      const json s = json::parse(req.body, nullptr, false);
      if (!s.is_object() || !s.contains("method") || !s.contains("status") || !s.contains("body")) {
        res.status = 400;
        return;
      }
      Script(s["method"], s["status"], s["body"]);
    });
    server_->Get("/__control/calls", [this](const httplib::Request&, httplib::Response& res) {
      json out = {{"calls", json::array()}, {"violations", violations()}, {"paths", paths()}};
      for (const Call& c : calls()) {
        out["calls"].push_back(
            {{"method", c.method}, {"params", c.params}, {"time_ms", c.time_ms}});
      }
      res.set_content(out.dump(), "application/json");
    });
  }
}

FakeBotApi::~FakeBotApi() { Stop(); }

int FakeBotApi::Start(int port) {
  if (port == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else {
    port_ = server_->bind_to_port("127.0.0.1", port) ? port : -1;
  }
  if (port_ <= 0) return -1;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // The socket already listens; Stop() needs the accept loop running.
  while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  return port_;
}

void FakeBotApi::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

std::string FakeBotApi::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void FakeBotApi::Script(const std::string& method, int http_status, json body) {
  absl::MutexLock lock(&mu_);
  scripted_[method].push_back({http_status, std::move(body)});
}

void FakeBotApi::Delay(const std::string& method, std::function<void()> before) {
  absl::MutexLock lock(&mu_);
  delayed_[method] = std::move(before);
}

void FakeBotApi::Script429(const std::string& method, int retry_after) {
  Script(method, 429,
         {{"ok", false},
          {"error_code", 429},
          {"description", absl::StrCat("Too Many Requests: retry after ", retry_after)},
          {"parameters", {{"retry_after", retry_after}}}});
}

void FakeBotApi::Script500(const std::string& method) {
  Script(method, 500,
         {{"ok", false}, {"error_code", 500}, {"description", "Internal Server Error"}});
}

void FakeBotApi::ScriptError(const std::string& method, int error_code,
                             const std::string& description) {
  Script(method, error_code,
         {{"ok", false}, {"error_code", error_code}, {"description", description}});
}

void FakeBotApi::AddFile(const std::string& file_id, const std::string& file_path,
                         std::string content) {
  absl::MutexLock lock(&mu_);
  files_[file_id] = File{file_path, std::move(content)};
}

void FakeBotApi::AddUpdate(json update) {
  absl::MutexLock lock(&mu_);
  update["update_id"] = next_update_id_++;
  updates_.push_back(std::move(update));
}

std::vector<FakeBotApi::Call> FakeBotApi::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

std::vector<FakeBotApi::Call> FakeBotApi::calls(const std::string& method) const {
  std::vector<Call> out;
  for (Call& c : calls()) {
    if (c.method == method) out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> FakeBotApi::violations() const {
  absl::MutexLock lock(&mu_);
  return violations_;
}

std::vector<std::string> FakeBotApi::paths() const {
  absl::MutexLock lock(&mu_);
  return paths_;
}

void FakeBotApi::Violation(const std::string& what) {
  absl::MutexLock lock(&mu_);
  violations_.push_back(what);
}

FakeBotApi::Answer FakeBotApi::Handle(const std::string& method, const json& params) {
  std::function<void()> before;
  {
    absl::MutexLock lock(&mu_);
    auto it = delayed_.find(method);
    if (it != delayed_.end()) {
      before = std::move(it->second);
      delayed_.erase(it);
    }
  }
  if (before) before();
  {
    absl::MutexLock lock(&mu_);
    calls_.push_back({method, params, absl::ToUnixMillis(absl::Now())});
  }
  const std::vector<std::string> problems = CheckBotApiParams(method, params);
  if (!problems.empty()) {
    for (const std::string& p : problems) Violation(p);
    const bool unknown = absl::StartsWith(problems[0], "method ");
    return {unknown ? 404 : 400,
            {{"ok", false},
             {"error_code", unknown ? 404 : 400},
             {"description",
              unknown ? std::string("Not Found") : absl::StrCat("Bad Request: ", problems[0])}}};
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = scripted_.find(method);
    if (it != scripted_.end() && !it->second.empty()) {
      Answer a = std::move(it->second.front());
      it->second.pop_front();
      return a;
    }
  }
  return Default(method, params);
}

FakeBotApi::Answer FakeBotApi::Default(const std::string& method, const json& params) {
  auto ok = [](json result) { return Answer{200, {{"ok", true}, {"result", std::move(result)}}}; };
  const std::string bot_id = token_.substr(0, token_.find(':'));
  if (method == "getMe") {
    return ok({{"id", std::stoll(bot_id)},
               {"is_bot", true},
               {"first_name", "Fake"},
               {"username", "fake_vouch_bot"},
               {"can_join_groups", false},
               {"can_read_all_group_messages", false},
               {"supports_inline_queries", false}});
  }
  if (method == "getUpdates") {
    int64_t offset = 0;
    if (params.contains("offset") && !params["offset"].is_null()) {
      offset = params["offset"].is_string() ? std::stoll(params["offset"].get<std::string>())
                                            : params["offset"].get<int64_t>();
    }
    int64_t timeout = 0;
    if (params.contains("timeout") && !params["timeout"].is_null()) {
      timeout = params["timeout"].is_string() ? std::stoll(params["timeout"].get<std::string>())
                                              : params["timeout"].get<int64_t>();
    }
    absl::MutexLock lock(&mu_);
    auto drop = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      while (!updates_.empty() && updates_.front()["update_id"].get<int64_t>() < offset) {
        updates_.pop_front();
      }
      return !updates_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&drop),
                         absl::Seconds(std::min<int64_t>(std::max<int64_t>(timeout, 0), 1)));
    json result = json::array();
    for (const json& u : updates_) result.push_back(u);
    return ok(result);
  }
  if (method == "deleteWebhook" || method == "setPassportDataErrors" || method == "verifyUser" ||
      method == "removeUserVerification") {
    return ok(true);
  }
  if (method == "sendMessage") {
    static std::atomic<int64_t> message_id{1};
    json chat_id = params["chat_id"];
    if (chat_id.is_string() && IsDigits(chat_id.get<std::string>())) {
      chat_id = std::stoll(chat_id.get<std::string>());
    }
    return ok({{"message_id", message_id++},
               {"date", absl::ToUnixSeconds(absl::Now())},
               {"chat", {{"id", chat_id}, {"type", "private"}}},
               {"text", params["text"]}});
  }
  if (method == "getFile") {
    absl::MutexLock lock(&mu_);
    auto it = files_.find(params["file_id"].get<std::string>());
    if (it == files_.end()) {
      return {
          400,
          {{"ok", false}, {"error_code", 400}, {"description", "Bad Request: invalid file_id"}}};
    }
    return ok({{"file_id", it->first},
               {"file_unique_id", absl::StrCat("u", it->first.size())},
               {"file_size", it->second.content.size()},
               {"file_path", it->second.path}});
  }
  return {404, {{"ok", false}, {"error_code", 404}, {"description", "Not Found"}}};
}

}  // namespace vouch::testing
