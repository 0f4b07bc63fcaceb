#ifndef VOUCH_TESTS_TESTING_TYPED_FIELDS_H_
#define VOUCH_TESTS_TESTING_TYPED_FIELDS_H_

// Test-only: an OpenedElement's typed data from fields written as a user
// types them ({"birth_date", "12.08.1974"}, {"gender", "female"}), through
// the real parser (passport::ParseElementData), so test data obeys the rules
// decrypted data does.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "passport/types.h"
#include "pipeline/passport_opener.h"

namespace vouch::verifier::testing {

// The typed data of an element of type `element_type` with `fields` ("" is
// an absent field). A field the parser rejects (a malformed date, an unknown
// country code) is left out and its key added to `invalid` (when not null).
inline passport::ElementData TypedData(const std::string& element_type,
                                       const std::map<std::string, std::string>& fields,
                                       std::vector<std::string>* invalid) {
  const std::optional<passport::ElementType> type = passport::ParseElementType(element_type);
  if (!type.has_value() || !passport::HasEncryptedData(*type)) {
    if (invalid != nullptr) invalid->push_back("type " + element_type);
    return {};
  }
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [key, value] : fields) {
    if (passport::ParseElementData(*type, nlohmann::json{{key, value}}.dump()).ok()) {
      json[key] = value;
    } else if (invalid != nullptr) {
      invalid->push_back(key);
    }
  }
  absl::StatusOr<passport::ElementData> data = passport::ParseElementData(*type, json.dump());
  return data.ok() ? *std::move(data) : passport::ElementData();
}

// Replaces `e`'s data with `fields` ("" is an absent field); a field the
// parser rejects is a test failure.
inline void SetFields(pipeline::OpenedElement& e,
                      const std::map<std::string, std::string>& fields) {
  std::vector<std::string> invalid;
  e.data = TypedData(e.type, fields, &invalid);
  for (const std::string& key : invalid) ADD_FAILURE() << "SetFields: invalid " << key;
}

// Sets one field ("" clears it), keeping the others.
inline void SetField(pipeline::OpenedElement& e, const std::string& key, const std::string& value) {
  std::map<std::string, std::string> fields = passport::ElementDataFields(e.data);
  fields[key] = value;
  SetFields(e, fields);
}

// A field as the user typed it; "" when absent.
inline std::string FieldOf(const pipeline::OpenedElement& e, const std::string& key) {
  const std::map<std::string, std::string> fields = passport::ElementDataFields(e.data);
  auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_TESTING_TYPED_FIELDS_H_
