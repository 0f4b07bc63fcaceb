#include "telegram/bot_api_client.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace vouch::verifier::telegram {
namespace {

using json = nlohmann::json;

bool IsLoopbackHost(absl::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" ||
         absl::StartsWith(host, "127.");
}

void SetTimeouts(httplib::Client& client, const BotApiOptions& o) {
  const int64_t connect_us = absl::ToInt64Microseconds(o.connect_timeout);
  const int64_t timeout_us = absl::ToInt64Microseconds(o.timeout);
  client.set_connection_timeout(connect_us / 1000000, connect_us % 1000000);
  client.set_read_timeout(timeout_us / 1000000, timeout_us % 1000000);
  client.set_write_timeout(timeout_us / 1000000, timeout_us % 1000000);
}

BotApiResponse ParseEnvelope(int http_status, const std::string& body) {
  BotApiResponse r;
  r.http_status = http_status;
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
    r.ok = false;
    r.error_code = http_status;
    r.description = absl::StrCat("not a Bot API answer (HTTP ", http_status, ")");
    return r;
  }
  r.ok = j["ok"].get<bool>();
  if (r.ok) {
    r.result_json = j.contains("result") ? j["result"].dump() : "true";
    return r;
  }
  r.error_code = j.contains("error_code") && j["error_code"].is_number_integer()
                     ? j["error_code"].get<int>()
                     : http_status;
  if (j.contains("description") && j["description"].is_string()) {
    constexpr size_t kMaxDescription = 512;
    r.description = j["description"].get<std::string>().substr(0, kMaxDescription);
  }
  if (j.contains("parameters") && j["parameters"].is_object()) {
    const json& p = j["parameters"];
    if (p.contains("retry_after") && p["retry_after"].is_number_integer()) {
      r.retry_after = p["retry_after"].get<int64_t>();
    }
  }
  return r;
}

}  // namespace

absl::StatusOr<BotApiClient> BotApiClient::Create(BotApiOptions options, BotToken token) {
  const std::string& url = options.base_url;
  absl::string_view rest = url;
  std::string scheme;
  if (absl::ConsumePrefix(&rest, "https://")) {
    scheme = "https";
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    scheme = "http";
  } else {
    return absl::InvalidArgumentError("telegram api_url: must start with https://");
  }
  const size_t slash = rest.find('/');
  const absl::string_view host_port = rest.substr(0, slash);
  absl::string_view prefix = slash == absl::string_view::npos ? "" : rest.substr(slash);
  while (absl::ConsumeSuffix(&prefix, "/")) {
  }
  if (host_port.empty() || absl::StrContains(host_port, "@") || absl::StrContains(prefix, "?") ||
      absl::StrContains(prefix, "#")) {
    return absl::InvalidArgumentError(
        "telegram api_url: must be scheme://host[:port][/path] without user, query or fragment");
  }
  absl::string_view host = host_port;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(0, host.find(']') + 1);  // [v6]:port
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (scheme == "http" && !IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(
        "telegram api_url: plain http:// is allowed only on a loopback host");
  }
  BotApiClient client(std::move(options), std::move(token));
  client.scheme_host_port_ = absl::StrCat(scheme, "://", host_port);
  client.host_ = std::string(host_port);
  client.prefix_ = std::string(prefix);
  return client;
}

absl::StatusOr<BotApiResponse> BotApiClient::Call(absl::string_view method,
                                                  absl::string_view params_json) const {
  httplib::Client client(scheme_host_port_);
  SetTimeouts(client, options_);
  if (!options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file.c_str());
  client.enable_server_certificate_verification(true);
  const std::string path = absl::StrCat(prefix_, "/bot", token_.value(), "/", method);
  httplib::Result res = client.Post(path.c_str(), std::string(params_json), "application/json");
  if (!res) {
    return absl::UnavailableError(absl::StrCat("Bot API ", method, " at ", host_, ": no answer (",
                                               httplib::to_string(res.error()), ")"));
  }
  BotApiResponse response = ParseEnvelope(res->status, res->body);
  response.description = token_.Redact(response.description);
  return response;
}

absl::StatusOr<BotApiResponse> BotApiClient::VerifyUser(
    int64_t user_id, absl::string_view custom_description) const {
  json params = {{"user_id", user_id}};
  if (!custom_description.empty()) params["custom_description"] = custom_description;
  return Call("verifyUser", params.dump());
}

absl::StatusOr<BotApiResponse> BotApiClient::RemoveUserVerification(int64_t user_id) const {
  return Call("removeUserVerification", json{{"user_id", user_id}}.dump());
}

absl::StatusOr<std::string> BotApiClient::GetFilePath(absl::string_view file_id) const {
  absl::StatusOr<BotApiResponse> r = Call("getFile", json{{"file_id", file_id}}.dump());
  if (!r.ok()) return r.status();
  if (!r->ok) {
    return absl::FailedPreconditionError(absl::StrCat("getFile: ", r->description));
  }
  const json file = json::parse(r->result_json, nullptr, false);
  if (!file.is_object() || !file.contains("file_path") || !file["file_path"].is_string()) {
    return absl::FailedPreconditionError("getFile: the answer has no file_path");
  }
  return file["file_path"].get<std::string>();
}

absl::StatusOr<std::string> BotApiClient::Download(absl::string_view file_path,
                                                   int64_t max_bytes) const {
  httplib::Client client(scheme_host_port_);
  SetTimeouts(client, options_);
  if (!options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file.c_str());
  client.enable_server_certificate_verification(true);
  const std::string path = absl::StrCat(prefix_, "/file/bot", token_.value(), "/", file_path);
  std::string body;
  bool too_large = false;
  httplib::Result res = client.Get(path.c_str(), [&](const char* data, size_t n) {
    if (static_cast<int64_t>(body.size() + n) > max_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large) {
    return absl::ResourceExhaustedError(
        absl::StrCat("file download: larger than ", max_bytes, " bytes"));
  }
  if (!res) {
    return absl::UnavailableError(absl::StrCat("file download at ", host_, ": no answer (",
                                               httplib::to_string(res.error()), ")"));
  }
  if (res->status != 200) {
    return absl::NotFoundError(absl::StrCat("file download: HTTP ", res->status));
  }
  return body;
}

}  // namespace vouch::verifier::telegram
