#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_BARCODE_VS_TYPED_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_BARCODE_VS_TYPED_CHECK_H_

// barcode_vs_typed.<field>: the back's AAMVA record against what the user
// typed: the document's number and expiry date, and the personal details'
// names, birth date and gender.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pipeline/check.h"
#include "transliteration.h"

namespace vouch::verifier::pipeline {

class BarcodeVsTypedCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence& evidence,
           Findings& findings) const override {
    if (!doc.barcode.has_value()) return;
    const BarcodeEvidence& b = *doc.barcode;
    const OpenedElement& e = *doc.element;
    const std::string typed_number = MrzDocumentNumber(doc.typed_document_number);
    findings.Binary(
        "barcode_vs_typed.document_no", e.type,
        !typed_number.empty() && typed_number == MrzDocumentNumber(b.fields.document_number),
        Reason::kDocumentNumberMismatch, ErrorTarget::Data(e, "document_no"));
    if (doc.typed_expiry.has_value() && b.fields.expiry_date.has_value()) {
      findings.Binary("barcode_vs_typed.expiry_date", e.type,
                      b.fields.expiry_date == doc.typed_expiry, Reason::kExpiryDateMismatch,
                      ErrorTarget::Data(e, "expiry_date"));
    }
    if (evidence.personal.has_value()) Personal(b, *evidence.personal, findings);
  }

 private:
  // An AAMVA name in the form NameMatchesMrz compares with: A-Z and single
  // spaces (hyphens and spaces separate, apostrophes are dropped).
  static std::string BarcodeName(absl::string_view name) {
    const std::vector<std::string> spellings = MrzSpellings(name);
    return spellings.empty() ? NormalizeMrzName(name) : spellings.front();
  }

  static void Personal(const BarcodeEvidence& b, const PersonalEvidence& p, Findings& findings) {
    const OpenedElement& pe = *p.element;
    const BarcodeFields& f = b.fields;
    const std::string family = BarcodeName(f.family_name);
    const bool last_ok = NameMatchesMrz(p.last_name, family, f.family_name_truncated) ||
                         NameMatchesMrz(p.last_name_native, family, f.family_name_truncated);
    findings.Binary("barcode_vs_typed.last_name", pe.type, last_ok, Reason::kLastNameMismatch,
                    ErrorTarget::Data(pe, "last_name"));
    const std::string first = BarcodeName(f.first_name);
    const std::string first_middle =
        f.middle_names.empty() ? first
                               : BarcodeName(absl::StrCat(f.first_name, " ", f.middle_names));
    const auto given = [&](absl::string_view typed_first, absl::string_view typed_middle) {
      if (NameMatchesMrz(typed_first, first, f.first_name_truncated)) return true;
      return !typed_middle.empty() && NameMatchesMrz(absl::StrCat(typed_first, " ", typed_middle),
                                                     first_middle, f.first_name_truncated);
    };
    const bool first_ok =
        given(p.first_name, p.middle_name) || given(p.first_name_native, p.middle_name_native);
    findings.Binary("barcode_vs_typed.first_name", pe.type, first_ok, Reason::kFirstNameMismatch,
                    ErrorTarget::Data(pe, "first_name"));
    if (f.birth_date.has_value()) {
      findings.Binary("barcode_vs_typed.birth_date", pe.type,
                      p.birth_date.has_value() && p.birth_date == f.birth_date,
                      Reason::kBirthDateMismatch, ErrorTarget::Data(pe, "birth_date"));
    }
    if (b.sex != Sex::kUnspecified) {
      findings.Binary("barcode_vs_typed.gender", pe.type, p.gender == b.sex,
                      Reason::kGenderMismatch, ErrorTarget::Data(pe, "gender"));
    }
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_BARCODE_VS_TYPED_CHECK_H_
