#ifndef VOUCH_VERIFIER_SERVER_LOG_SETUP_H_
#define VOUCH_VERIFIER_SERVER_LOG_SETUP_H_

// vouchd's logging: one stderr logger for vouch's own lines and gRPC core's
// (gpr_set_log_function), as text or as JSON Lines.
//
// vouch's log messages read "event words key=value key=value ..." (ids,
// codes, counts, timings; never document data). In JSON each line is one
// object: {"time", "level", "logger", "event", then one member per key},
// with numbers as numbers and `id=ver_...` as "verification_id". gRPC's lines
// are {"logger":"grpc", "event":"grpc", "message", "file", "line"}.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "spdlog/formatter.h"

namespace vouch::verifier::server {

// The JSON object for one vouch message (without time and level).
nlohmann::json StructuredLogMessage(absl::string_view message);

// An spdlog formatter writing one JSON object per line (see above).
std::unique_ptr<spdlog::formatter> NewJsonLogFormatter();

// Makes the default logger ("vouchd", stderr) and a "grpc" logger on the
// same sink, in `format` ("text" or "json") at `level`, and routes gRPC
// core's logging through the latter. Errors: kInvalidArgument for an unknown
// format or level.
absl::Status ConfigureServerLogging(absl::string_view format, absl::string_view level);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_LOG_SETUP_H_
