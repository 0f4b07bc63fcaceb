#include "internal/json.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "passport/errors.h"

namespace vouch::passport::internal {

namespace {

// Nesting depth of JSON text, ignoring brackets inside strings. Run before
// parsing so nothing deeper than the limit is ever built (nlohmann's DOM
// destructor recurses).
size_t MaxDepth(absl::string_view text) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text, size_t max_depth, absl::string_view what) {
  if (MaxDepth(text) > max_depth) {
    return PassportError(ErrorCategory::kLimit, absl::StrCat(what, ": JSON nested too deeply"));
  }
  // nlohmann-json takes a raw NUL for the end of the input, so "{...}\0junk"
  // would parse as "{...}". A raw NUL is never valid JSON (RFC 8259 §7).
  if (text.find('\0') != absl::string_view::npos) {
    return PassportError(ErrorCategory::kJson, absl::StrCat(what, ": not valid UTF-8 JSON"));
  }
  Json parsed;
  try {
    parsed = Json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                         /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return PassportError(ErrorCategory::kJson, absl::StrCat(what, ": not valid JSON"));
  }
  if (parsed.is_discarded()) {
    return PassportError(ErrorCategory::kJson, absl::StrCat(what, ": not valid UTF-8 JSON"));
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

absl::Status JsonError(absl::string_view message) {
  return PassportError(ErrorCategory::kJson, message);
}

}  // namespace vouch::passport::internal
