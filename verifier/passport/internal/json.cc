#include "internal/json.h"

#include <new>

#include "absl/strings/str_cat.h"
#include "passport/errors.h"

namespace vouch::passport::internal {

absl::StatusOr<Json> ParseJson(absl::string_view text, size_t max_depth,
                               absl::string_view what) {
  bool too_deep = false;
  // The SAX parser is iterative; discarding values deeper than max_depth
  // keeps the built tree (and its recursive destructor) shallow.
  Json::parser_callback_t limit_depth = [&](int depth, Json::parse_event_t,
                                            Json&) {
    if (depth > static_cast<int>(max_depth)) {
      too_deep = true;
      return false;
    }
    return true;
  };
  Json parsed;
  try {
    parsed = Json::parse(text.begin(), text.end(), limit_depth,
                         /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return PassportError(ErrorCategory::kJson,
                         absl::StrCat(what, ": not valid JSON"));
  }
  if (too_deep) {
    return PassportError(ErrorCategory::kLimit,
                         absl::StrCat(what, ": JSON nested too deeply"));
  }
  if (parsed.is_discarded()) {
    return PassportError(ErrorCategory::kJson,
                         absl::StrCat(what, ": not valid UTF-8 JSON"));
  }
  return parsed;
}

std::string DumpJson(const Json& json) {
  try {
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "null";
  }
}

}  // namespace vouch::passport::internal
