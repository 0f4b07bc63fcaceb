#include "pipeline/evidence.h"

#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace vouch::verifier {
namespace {

// Length of the MRZ name field by format (ICAO 9303 Parts 4-7).
constexpr size_t kTd1NameLength = 30;
constexpr size_t kTd2NameLength = 31;
constexpr size_t kTd3NameLength = 39;
// The "<<" between surname and given names.
constexpr size_t kNameSeparatorLength = 2;

size_t NameFieldLength(absl::string_view format) {
  if (format == "TD1") return kTd1NameLength;
  if (format == "TD2" || format == "MRVB") return kTd2NameLength;
  return kTd3NameLength;  // TD3, MRVA.
}

Sex DocumentSex(absl::string_view code) {
  if (code == "M") return Sex::kMale;
  if (code == "F") return Sex::kFemale;
  return Sex::kUnspecified;
}

Sex TypedGender(absl::string_view gender) {
  if (gender == "male") return Sex::kMale;
  if (gender == "female") return Sex::kFemale;
  return Sex::kUnspecified;
}

}  // namespace

std::optional<absl::CivilDay> ParseTypedDate(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  int d, m, y;
  constexpr size_t kYearDigits = 4;
  if (parts.size() != 3 || parts[2].size() != kYearDigits || !absl::SimpleAtoi(parts[0], &d) ||
      !absl::SimpleAtoi(parts[1], &m) || !absl::SimpleAtoi(parts[2], &y)) {
    return std::nullopt;
  }
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return std::nullopt;
  return day;
}

std::optional<absl::CivilDay> ParseIsoDate(absl::string_view text) {
  constexpr size_t kIsoDateLength = 10;  // YYYY-MM-DD
  absl::CivilDay day;
  if (text.size() != kIsoDateLength || !absl::ParseCivilTime(text, &day)) return std::nullopt;
  return day;
}

int AgeOn(absl::CivilDay birth, absl::CivilDay today) {
  int age = static_cast<int>(today.year() - birth.year());
  if (today.month() < birth.month() ||
      (today.month() == birth.month() && today.day() < birth.day())) {
    --age;
  }
  return age;
}

std::string MrzDocumentNumber(absl::string_view number) {
  std::string out;
  for (char c : number) {
    if (absl::ascii_isalnum(c)) out.push_back(absl::ascii_toupper(c));
  }
  return out;
}

bool MrzEvidence::name_field_full() const {
  const size_t used = fields.surname.size() + kNameSeparatorLength + fields.given_names.size();
  return used >= NameFieldLength(fields.format);
}

MrzEvidence ToEvidence(MrzFields fields) {
  MrzEvidence e;
  e.birth_date = ParseIsoDate(fields.birth_date);
  e.expiry_date = ParseIsoDate(fields.expiry_date);
  e.sex = DocumentSex(fields.sex);
  e.fields = std::move(fields);
  return e;
}

BarcodeEvidence ToEvidence(BarcodeFields fields) {
  BarcodeEvidence e;
  e.birth_date = ParseIsoDate(fields.birth_date);
  e.expiry_date = ParseIsoDate(fields.expiry_date);
  e.sex = DocumentSex(fields.sex);
  e.fields = std::move(fields);
  return e;
}

PersonalEvidence ToPersonalEvidence(const OpenedElement& p) {
  PersonalEvidence e;
  e.element = &p;
  e.first_name = p.Field("first_name");
  e.middle_name = p.Field("middle_name");
  e.last_name = p.Field("last_name");
  e.first_name_native = p.Field("first_name_native");
  e.middle_name_native = p.Field("middle_name_native");
  e.last_name_native = p.Field("last_name_native");
  e.birth_date = ParseTypedDate(p.Field("birth_date"));
  e.gender = TypedGender(p.Field("gender"));
  e.country_code = p.Field("country_code");
  return e;
}

DocumentEvidence StartDocumentEvidence(const OpenedElement& element) {
  DocumentEvidence doc;
  doc.element = &element;
  doc.type = passport::ParseElementType(element.type);
  doc.typed_document_number = element.Field("document_no");
  doc.typed_expiry_present = !element.Field("expiry_date").empty();
  doc.typed_expiry = ParseTypedDate(element.Field("expiry_date"));
  return doc;
}

void Resolve(DocumentEvidence& doc) {
  const MrzEvidence* mrz = doc.usable_mrz();
  const BarcodeEvidence* barcode = doc.barcode.has_value() ? &*doc.barcode : nullptr;
  doc.expiry = mrz != nullptr ? mrz->expiry_date : std::nullopt;
  if (!doc.expiry.has_value() && barcode != nullptr) doc.expiry = barcode->expiry_date;
  if (!doc.expiry.has_value()) doc.expiry = doc.typed_expiry;
  doc.birth_date = mrz != nullptr ? mrz->birth_date : std::nullopt;
  if (!doc.birth_date.has_value() && barcode != nullptr) doc.birth_date = barcode->birth_date;
  if (mrz != nullptr) {
    doc.issuing_country = mrz->fields.issuing_state;
  } else if (barcode != nullptr) {
    doc.issuing_country = barcode->fields.country;
  }
}

}  // namespace vouch::verifier
