#ifndef VOUCH_ATTEST_SIGNER_JSON_TEXT_H_
#define VOUCH_ATTEST_SIGNER_JSON_TEXT_H_

// Writes JSON text directly. The issuer produces each disclosure and payload
// once and never re-serializes it, so building a JSON DOM only to dump it
// would be pure overhead (it was a third of the issue time).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "internal/jose.h"  // IsValidUtf8

namespace vouch::attest::internal {

// Appends `s` (valid UTF-8) as a JSON string literal, escaping '"', '\' and
// control characters.
void AppendJsonString(std::string& out, std::string_view s);

inline std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(out, s);
  return out;
}

inline std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, items[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace vouch::attest::internal

#endif  // VOUCH_ATTEST_SIGNER_JSON_TEXT_H_
