#include "duplicate_subject.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/secure_bytes.h"
#include "transliteration.h"

namespace vouch::verifier::pipeline {
namespace {

std::optional<dedup::DocumentIdentity> DocumentOf(const DocumentEvidence& doc) {
  dedup::DocumentIdentity id;
  id.document_type = doc.element != nullptr ? doc.element->type : "";
  if (const MrzEvidence* mrz = doc.usable_mrz(); mrz != nullptr) {
    id.issuing_state = mrz->fields.issuing_state;
    id.document_number = mrz->fields.document_number;
  } else if (doc.barcode.has_value()) {
    id.issuing_state = doc.barcode->fields.country;
    id.document_number = doc.barcode->fields.document_number;
  } else {
    id.issuing_state = doc.issuing_country;
    id.document_number = std::string(doc.typed_document_number);
  }
  if (!dedup::IsHashable(id)) {
    WipeMemory(id.document_number.data(), id.document_number.size());
    return std::nullopt;
  }
  return id;
}

// The recommended ICAO spelling of typed names (A-Z and spaces), "" when a
// name cannot be transliterated.
std::string TypedName(const PersonalEvidence& p) {
  std::vector<std::string> parts;
  for (absl::string_view n : {p.last_name, p.first_name, p.middle_name}) {
    if (n.empty()) continue;
    std::vector<std::string> spellings = MrzSpellings(n);
    if (spellings.empty()) return "";
    parts.push_back(std::move(spellings.front()));
    for (size_t i = 1; i < spellings.size(); ++i) {
      WipeMemory(spellings[i].data(), spellings[i].size());
    }
  }
  std::string out = absl::StrJoin(parts, " ");
  for (std::string& part : parts) WipeMemory(part.data(), part.size());
  return out;
}

std::optional<dedup::PersonIdentity> PersonOf(const Evidence& evidence) {
  const DocumentEvidence* doc = evidence.documents.empty() ? nullptr : &evidence.documents.front();
  const PersonalEvidence* typed = evidence.personal.has_value() ? &*evidence.personal : nullptr;
  std::optional<absl::CivilDay> birth;
  if (doc != nullptr) birth = doc->birth_date;
  if (!birth.has_value() && typed != nullptr) birth = typed->birth_date;
  if (!birth.has_value()) return std::nullopt;
  dedup::PersonIdentity person;
  person.birth_date = *birth;
  if (typed != nullptr) person.name = TypedName(*typed);
  if (person.name.empty() && doc != nullptr) {
    const MrzEvidence* mrz = doc->usable_mrz();
    if (mrz != nullptr && !mrz->name_field_full()) {
      person.name =
          NormalizeMrzName(absl::StrCat(mrz->fields.surname, " ", mrz->fields.given_names));
    }
  }
  if (!dedup::IsHashable(person)) {
    WipeMemory(person.name.data(), person.name.size());
    return std::nullopt;
  }
  return person;
}

}  // namespace

std::string DuplicateScope(const Policy& policy, absl::string_view relying_service) {
  return policy.duplicates.provider_scope ? std::string("provider")
                                          : absl::StrCat("service:", relying_service);
}

dedup::DuplicateSubject MakeDuplicateSubject(const Evidence& evidence, std::string scope,
                                             int64_t telegram_user_id) {
  dedup::DuplicateSubject subject;
  subject.scope = std::move(scope);
  subject.telegram_user_id = telegram_user_id;
  if (!evidence.documents.empty()) subject.document = DocumentOf(evidence.documents.front());
  subject.person = PersonOf(evidence);
  return subject;
}

}  // namespace vouch::verifier::pipeline
