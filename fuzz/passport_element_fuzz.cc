// Fuzzes the parsers of decrypted Telegram Passport values: element data JSON
// of every type with encrypted data (ParseElementData), dates (ParseDate) and
// strict base64 (DecodeBase64Strict), the PassportData object itself
// (ParsePassportData) and element type names.
//
// Input: byte 0 picks the element type (mod 6: personal_details, passport,
// driver_license, identity_card, internal_passport, address); the rest is the
// text given to every parser.
//
// Invariants: accepted JSON has no raw NUL; parsed dates print and re-parse to the same date; a
// date or country code in parsed element data is well-formed; strict base64 decodes and re-encodes
// to the same text; parsed element types name themselves.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/strings/string_view.h"
#include "fuzz_util.h"
#include "passport/passport.h"

namespace {

namespace pp = vouch::passport;

void CheckDate(const std::optional<pp::Date>& date) {
  if (!date.has_value()) return;
  auto again = pp::ParseDate(date->ToString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *date);
}

void CheckCountry(const std::string& code) {
  FUZZ_CHECK(code.empty() || pp::IsIso3166Alpha2(code));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const pp::ElementType kTypes[] = {
      pp::ElementType::kPersonalDetails,  pp::ElementType::kPassport,
      pp::ElementType::kDriverLicense,    pp::ElementType::kIdentityCard,
      pp::ElementType::kInternalPassport, pp::ElementType::kAddress};
  const pp::ElementType type = kTypes[data[0] % 6];
  const absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  // A raw NUL is never valid JSON (nlohmann-json used to stop at one and
  // accept the rest as trailing junk: regressions/passport_element/).
  const bool has_nul = text.find('\0') != absl::string_view::npos;

  auto element = pp::ParseElementData(type, text);
  if (element.ok()) {
    FUZZ_CHECK(!has_nul);
    if (const auto* details = std::get_if<pp::PersonalDetails>(&*element)) {
      CheckDate(details->birth_date);
      CheckCountry(details->country_code);
      CheckCountry(details->residence_country_code);
      FUZZ_CHECK(type == pp::ElementType::kPersonalDetails);
    } else if (const auto* address = std::get_if<pp::ResidentialAddress>(&*element)) {
      CheckCountry(address->country_code);
      FUZZ_CHECK(type == pp::ElementType::kAddress);
    } else if (const auto* document = std::get_if<pp::IdDocumentData>(&*element)) {
      CheckDate(document->expiry_date);
      FUZZ_CHECK(pp::IsIdDocument(type));
    } else {
      FUZZ_CHECK(false);  // a parsed element always has a typed value
    }
  } else {
    FUZZ_CHECK(pp::GetErrorCategory(element.status()).has_value());
  }

  auto date = pp::ParseDate(text);
  if (date.ok()) CheckDate(*date);

  auto decoded = pp::DecodeBase64Strict(text, "fuzz");
  if (decoded.ok()) FUZZ_CHECK(pp::EncodeBase64(*decoded) == text);

  if (auto named = pp::ParseElementType(text); named.has_value()) {
    FUZZ_CHECK(pp::ElementTypeName(*named) == text);
  }

  pp::Limits limits;
  limits.max_passport_data_json_bytes = 64 << 10;
  auto passport_data = pp::ParsePassportData(text, limits);
  if (passport_data.ok()) {
    FUZZ_CHECK(!has_nul);
    FUZZ_CHECK(passport_data->data.size() <= limits.max_elements);
  } else {
    FUZZ_CHECK(pp::GetErrorCategory(passport_data.status()).has_value());
  }
  return 0;
}
