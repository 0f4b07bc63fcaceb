#ifndef VOUCH_PASSPORT_INTERNAL_JSON_H_
#define VOUCH_PASSPORT_INTERNAL_JSON_H_

// nlohmann-json behind a non-throwing wrapper. Private to passport.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vouch::passport::internal {

using Json = nlohmann::json;

// Parses `text` (UTF-8 JSON). Nesting deeper than `max_depth` is category
// kLimit; anything unparsable (incl. invalid UTF-8) is category kJson.
// `what` names the document in messages.
absl::StatusOr<Json> ParseJson(absl::string_view text, size_t max_depth, absl::string_view what);

// Compact JSON text; never throws.
std::string DumpJson(const Json& json);

// An error of category kJson with `message`.
absl::Status JsonError(absl::string_view message);

}  // namespace vouch::passport::internal

#endif  // VOUCH_PASSPORT_INTERNAL_JSON_H_
