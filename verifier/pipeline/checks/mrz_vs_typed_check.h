#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_MRZ_VS_TYPED_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_MRZ_VS_TYPED_CHECK_H_

// mrz_vs_typed.<field>: a valid MRZ against what the user typed: the
// document's number and expiry date, and the personal details' names
// (transliterated, ICAO 9303 Part 3 §6, or by the document's national
// scheme), birth date, gender and nationality.

#include "absl/strings/str_cat.h"
#include "pipeline/check.h"
#include "pipeline/country_codes.h"
#include "transliteration.h"

namespace vouch::verifier::pipeline {

class MrzVsTypedCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence& evidence,
           Findings& findings) const override {
    const MrzEvidence* mrz = doc.usable_mrz();
    if (mrz == nullptr) return;
    const OpenedElement& e = *doc.element;
    findings.Binary("mrz_vs_typed.document_no", e.type,
                    TypedNumberIsPrinted(MrzDocumentNumber(doc.typed_document_number), mrz->fields),
                    Reason::kDocumentNumberMismatch, ErrorTarget::Data(e, "document_no"));
    if (doc.typed_expiry.has_value()) {
      findings.Binary("mrz_vs_typed.expiry_date", e.type,
                      mrz->fields.expiry_date == doc.typed_expiry, Reason::kExpiryDateMismatch,
                      ErrorTarget::Data(e, "expiry_date"));
    }
    if (evidence.personal.has_value()) Personal(doc, *mrz, *evidence.personal, findings);
  }

 private:
  // The shortest optional datum a typed number may match: a national
  // identity number, not a one-letter code.
  static constexpr size_t kMinOptionalNumberLength = 6;

  // Whether the typed number (normalised) is the MRZ's document number or,
  // for cards whose holders know another number as "the" number (Spain's
  // DNI number, printed in the optional data beside the card's support
  // number), one of its optional data elements whole. Both are printed on
  // the document the user sent and covered by its check digits.
  static bool TypedNumberIsPrinted(const std::string& typed, const MrzFields& mrz) {
    if (typed.empty()) return false;
    if (typed == MrzDocumentNumber(mrz.document_number)) return true;
    if (typed.size() < kMinOptionalNumberLength) return false;
    return typed == MrzDocumentNumber(mrz.optional_data) ||
           typed == MrzDocumentNumber(mrz.optional_data_2);
  }

  // The typed birth date against the document's: equal, or within the
  // days a date printed partly unknown may be (then a person looks: the
  // document does not confirm the day).
  static void BirthDate(const DocumentEvidence& doc, const PersonalEvidence& p,
                        Findings& findings) {
    const OpenedElement& pe = *p.element;
    if (doc.birth_date_range.has_value() && p.birth_date.has_value() &&
        doc.birth_date_range->Contains(*p.birth_date)) {
      findings.Review("mrz_vs_typed.birth_date", pe.type, Reason::kBirthDatePartlyUnknown);
      return;
    }
    findings.Binary("mrz_vs_typed.birth_date", pe.type,
                    p.birth_date.has_value() && p.birth_date == doc.birth_date,
                    Reason::kBirthDateMismatch, ErrorTarget::Data(pe, "birth_date"));
  }

  static void Personal(const DocumentEvidence& doc, const MrzEvidence& mrz,
                       const PersonalEvidence& p, Findings& findings) {
    const OpenedElement& pe = *p.element;
    const bool truncated = mrz.name_field_full();
    // The document's own scheme where it has one (the Russian internal
    // passport), else the ICAO spellings.
    const auto matches = [&](absl::string_view typed, absl::string_view mrz_name,
                             NameCover cover = NameCover::kWhole) {
      return NameMatchesDocumentMrz(typed, mrz_name, truncated, mrz.fields.name_script, cover);
    };
    const std::string& surname = mrz.fields.surname;
    const bool last_ok = matches(p.last_name, surname) || matches(p.last_name_native, surname);
    findings.Binary("mrz_vs_typed.last_name", pe.type, last_ok, Reason::kLastNameMismatch,
                    ErrorTarget::Data(pe, "last_name"));
    const auto given = [&](absl::string_view first, absl::string_view middle) {
      // The given names may be typed without the later ones (a second
      // given name or a patronymic left out): the attestation carries the
      // typed first name, which the document then begins with.
      constexpr NameCover kCover = NameCover::kLeadingNames;
      return matches(first, mrz.fields.given_names, kCover) ||
             (!middle.empty() &&
              matches(absl::StrCat(first, " ", middle), mrz.fields.given_names, kCover));
    };
    if (NormalizeMrzName(mrz.fields.given_names).empty()) {
      // The MRZ prints no given names: a surname that fills the name field
      // leaves none (ICAO 9303-3 §4.6), or the holder has one name only.
      // The typed first name is printed on the page only; a person
      // compares it there.
      findings.Review("mrz_vs_typed.first_name", pe.type, Reason::kFirstNameNotInMrz);
    } else {
      const bool first_ok =
          given(p.first_name, p.middle_name) || given(p.first_name_native, p.middle_name_native);
      findings.Binary("mrz_vs_typed.first_name", pe.type, first_ok, Reason::kFirstNameMismatch,
                      ErrorTarget::Data(pe, "first_name"));
    }
    BirthDate(doc, p, findings);
    if (mrz.sex == Sex::kUnspecified) {
      findings.Skipped("mrz_vs_typed.gender", pe.type, Reason::kGenderUnspecifiedInMrz);
    } else {
      findings.Binary("mrz_vs_typed.gender", pe.type, p.gender == mrz.sex, Reason::kGenderMismatch,
                      ErrorTarget::Data(pe, "gender"));
    }
    const std::string nationality = NormalizeIcaoState(mrz.fields.nationality);
    if (IsNonStateNationality(nationality)) {
      // A stateless person or a refugee cannot choose their nationality
      // from a list of countries: no typed value can be told to match.
      findings.Review("mrz_vs_typed.country_code", pe.type, Reason::kNationalityNotACountry);
      return;
    }
    const absl::string_view alpha3 = Alpha2ToAlpha3(p.country_code);
    findings.Binary("mrz_vs_typed.country_code", pe.type, !alpha3.empty() && alpha3 == nationality,
                    Reason::kNationalityMismatch, ErrorTarget::Data(pe, "country_code"));
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_MRZ_VS_TYPED_CHECK_H_
