#include "log_setup.h"

#include <grpc/support/log.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::server {
namespace {

constexpr char kGrpcLogger[] = "grpc";

// "key=value" with a lower-case identifier key.
bool IsField(absl::string_view token, absl::string_view* key, absl::string_view* value) {
  const size_t eq = token.find('=');
  if (eq == absl::string_view::npos || eq == 0) return false;
  for (char c : token.substr(0, eq)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  *key = token.substr(0, eq);
  *value = token.substr(eq + 1);
  return true;
}

// JSON's number syntax without exponents: -?(0|[1-9][0-9]*)(.[0-9]+)?. Text
// such as "007" or "1e3" stays a string.
bool LooksNumeric(absl::string_view t) {
  if (!t.empty() && t[0] == '-') t.remove_prefix(1);
  const size_t dot = t.find('.');
  const absl::string_view whole = t.substr(0, dot);
  const auto digits = [](absl::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == absl::string_view::npos;
  };
  if (!digits(whole) || (whole.size() > 1 && whole[0] == '0')) return false;
  return dot == absl::string_view::npos || digits(t.substr(dot + 1));
}

nlohmann::json Value(const std::string& text) {
  if (!LooksNumeric(text)) return text;
  int64_t i = 0;
  if (absl::SimpleAtoi(text, &i)) return i;
  double d = 0;
  if (absl::SimpleAtod(text, &d)) return d;
  return text;
}

std::string Level(spdlog::level::level_enum level) {
  const spdlog::string_view_t name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const absl::string_view payload(msg.payload.data(), msg.payload.size());
    const absl::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    // Time, level and logger first, then the message's own members.
    nlohmann::ordered_json line = nlohmann::ordered_json::object();
    line["time"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromChrono(msg.time), absl::UTCTimeZone());
    line["level"] = Level(msg.level);
    line["logger"] = std::string(logger);
    if (logger == kGrpcLogger) {
      line["event"] = "grpc";
      line["message"] = std::string(payload);
      if (msg.source.filename != nullptr) {
        line["file"] = msg.source.filename;
        line["line"] = msg.source.line;
      }
    } else {
      const nlohmann::json fields = StructuredLogMessage(payload);
      line["event"] = fields["event"];
      for (const auto& [key, value] : fields.items()) {
        if (key != "event") line[key] = value;
      }
    }
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

spdlog::level::level_enum GrpcLevel(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return spdlog::level::debug;
    case GPR_LOG_SEVERITY_INFO:
      return spdlog::level::info;
    case GPR_LOG_SEVERITY_ERROR:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

void GrpcLog(gpr_log_func_args* args) {
  std::shared_ptr<spdlog::logger> logger = spdlog::get(kGrpcLogger);
  if (logger == nullptr || args == nullptr || args->message == nullptr) return;
  logger->log(spdlog::source_loc{args->file, args->line, ""}, GrpcLevel(args->severity), "{}",
              args->message);
}

}  // namespace

nlohmann::json StructuredLogMessage(absl::string_view message) {
  nlohmann::json out = nlohmann::json::object();
  std::vector<std::string> event_words;
  std::string key;
  std::string value;
  const auto flush = [&] {
    if (key.empty()) return;
    if (key == "id" && absl::StartsWith(value, "ver_")) key = "verification_id";
    out[key] = Value(value);
    key.clear();
    value.clear();
  };
  for (absl::string_view token : absl::StrSplit(message, ' ', absl::SkipEmpty())) {
    absl::string_view k, v;
    if (IsField(token, &k, &v)) {
      flush();
      key = std::string(k);
      value = std::string(v);
    } else if (!key.empty()) {
      absl::StrAppend(&value, " ", token);  // A value with spaces.
    } else {
      event_words.emplace_back(token);
    }
  }
  flush();
  out["event"] = absl::StrJoin(event_words, " ");
  return out;
}

std::unique_ptr<spdlog::formatter> NewJsonLogFormatter() {
  return std::make_unique<JsonLogFormatter>();
}

absl::Status ConfigureServerLogging(absl::string_view format, absl::string_view level_name) {
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError("--log-format must be text or json");
  }
  const spdlog::level::level_enum level = spdlog::level::from_str(std::string(level_name));
  if (level == spdlog::level::off && level_name != "off") {
    return absl::InvalidArgumentError("unknown --log-level");
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto vouchd = std::make_shared<spdlog::logger>("vouchd", sink);
  auto grpc = std::make_shared<spdlog::logger>(kGrpcLogger, sink);
  if (format == "json") {
    sink->set_formatter(NewJsonLogFormatter());
  } else {
    sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
  }
  spdlog::drop(kGrpcLogger);
  spdlog::register_logger(grpc);
  spdlog::set_default_logger(vouchd);
  spdlog::set_level(level);
  gpr_set_log_function(GrpcLog);
  return absl::OkStatus();
}

}  // namespace vouch::verifier::server
