#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_DOCUMENT_KIND_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_DOCUMENT_KIND_CHECK_H_

// document_type_matches_mrz: the document is of the type the user chose for
// it, as its valid MRZ says (ICAO 9303: the document code's first letter and
// the layout). A visa or an identity card sent as a passport, or a passport
// sent as an identity card, would otherwise be attested as the chosen type
// (the attestation's evidence names it) and pass a policy's
// allowed_document_types.

#include <string>

#include "absl/strings/string_view.h"
#include "passport/types.h"
#include "pipeline/check.h"

namespace vouch::verifier::pipeline {

// What a valid MRZ says the document is.
enum class MrzDocumentKind {
  kPassport,          // TD3, code P (9303-4).
  kInternalPassport,  // A national scheme's internal passport (PNRUS).
  kCard,              // TD1 or TD2, code A, C or I (9303-5, 9303-6).
  kVisa,              // MRV-A or MRV-B, code V (9303-7).
  kDrivingLicence,    // Code D (ISO/IEC 18013-1 licences with an MRZ).
  kUnclear,           // The code and the layout disagree, or another code.
};

inline MrzDocumentKind KindOf(const MrzFields& mrz) {
  if (mrz.document_code.empty()) return MrzDocumentKind::kUnclear;
  const char code = mrz.document_code[0];
  const absl::string_view format = mrz.format;
  const bool card_layout = format == "TD1" || format == "TD2";
  if (code == 'P' && format == "TD3") {
    return mrz.internal_passport ? MrzDocumentKind::kInternalPassport : MrzDocumentKind::kPassport;
  }
  if ((code == 'A' || code == 'C' || code == 'I') && card_layout) return MrzDocumentKind::kCard;
  if (code == 'V' && (format == "MRVA" || format == "MRVB")) return MrzDocumentKind::kVisa;
  if (code == 'D') return MrzDocumentKind::kDrivingLicence;
  return MrzDocumentKind::kUnclear;
}

// Whether a document of `kind` may stand as an element of `type`. An
// internal passport may be a national scheme's own (the Russian one) or an
// identity card (other states issue their internal passport as a card);
// a visa is never an identity document.
inline bool KindFits(ElementType type, MrzDocumentKind kind) {
  switch (type) {
    case ElementType::kPassport:
      return kind == MrzDocumentKind::kPassport;
    case ElementType::kInternalPassport:
      return kind == MrzDocumentKind::kInternalPassport || kind == MrzDocumentKind::kCard;
    case ElementType::kIdentityCard:
      return kind == MrzDocumentKind::kCard;
    case ElementType::kDriverLicense:
      return kind == MrzDocumentKind::kDrivingLicence;
    default:
      return true;
  }
}

class DocumentKindCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence&, Findings& findings) const override {
    const MrzEvidence* mrz = doc.usable_mrz();
    if (mrz == nullptr || !doc.type.has_value()) return;
    const std::string& type = doc.element->type;
    const MrzDocumentKind kind = KindOf(mrz->fields);
    if (kind == MrzDocumentKind::kUnclear) {
      // A valid MRZ whose code and layout do not say one kind: a person
      // looks at the document.
      findings.Review("document_type_matches_mrz", type, Reason::kDocumentKindUnclear);
      return;
    }
    findings.Binary("document_type_matches_mrz", type, KindFits(*doc.type, kind),
                    Reason::kDocumentKindMismatch, ErrorTarget::FrontOrElement(*doc.element));
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_DOCUMENT_KIND_CHECK_H_
