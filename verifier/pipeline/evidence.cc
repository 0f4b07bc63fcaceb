#include "pipeline/evidence.h"

#include <iterator>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"

namespace vouch::verifier::pipeline {
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

Sex TypedGender(const std::optional<passport::Gender>& gender) {
  if (!gender.has_value()) return Sex::kUnspecified;
  return *gender == passport::Gender::kMale ? Sex::kMale : Sex::kFemale;
}

// passport::ParseDate checked the day against the month and leap years.
std::optional<absl::CivilDay> TypedDay(const std::optional<passport::Date>& date) {
  if (!date.has_value()) return std::nullopt;
  return absl::CivilDay(date->year, date->month, date->day);
}

}  // namespace

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
  e.sex = DocumentSex(fields.sex);
  e.fields = std::move(fields);
  return e;
}

BarcodeEvidence ToEvidence(BarcodeFields fields) {
  BarcodeEvidence e;
  e.sex = DocumentSex(fields.sex);
  e.fields = std::move(fields);
  return e;
}

PersonalEvidence ToPersonalEvidence(const OpenedElement& element) {
  PersonalEvidence e;
  e.element = &element;
  const auto* p = std::get_if<passport::PersonalDetails>(&element.data);
  if (p == nullptr) return e;
  e.first_name = p->first_name;
  e.middle_name = p->middle_name;
  e.last_name = p->last_name;
  e.first_name_native = p->first_name_native;
  e.middle_name_native = p->middle_name_native;
  e.last_name_native = p->last_name_native;
  e.birth_date = TypedDay(p->birth_date);
  e.gender = TypedGender(p->gender);
  e.country_code = p->country_code;
  return e;
}

DocumentEvidence StartDocumentEvidence(const OpenedElement& element) {
  DocumentEvidence doc;
  doc.element = &element;
  doc.type = passport::ParseElementType(element.type);
  if (const auto* d = std::get_if<passport::IdDocumentData>(&element.data)) {
    doc.typed_document_number = d->document_no;
    doc.typed_expiry = TypedDay(d->expiry_date);
  }
  return doc;
}

void Resolve(DocumentEvidence& doc) {
  const MrzEvidence* mrz = doc.usable_mrz();
  const BarcodeEvidence* barcode = doc.barcode.has_value() ? &*doc.barcode : nullptr;
  doc.expiry = mrz != nullptr ? mrz->fields.expiry_date : std::nullopt;
  if (!doc.expiry.has_value() && barcode != nullptr) doc.expiry = barcode->fields.expiry_date;
  if (!doc.expiry.has_value()) doc.expiry = doc.typed_expiry;
  doc.birth_date = mrz != nullptr ? mrz->fields.birth_date : std::nullopt;
  doc.birth_date_range = mrz != nullptr ? mrz->fields.birth_date_range : std::nullopt;
  if (!doc.birth_date.has_value() && !doc.birth_date_range.has_value() && barcode != nullptr) {
    doc.birth_date = barcode->fields.birth_date;
  }
  if (mrz != nullptr) {
    doc.issuing_country = mrz->fields.issuing_state;
  } else if (barcode != nullptr) {
    doc.issuing_country = barcode->fields.country;
  }
}

}  // namespace vouch::verifier::pipeline
