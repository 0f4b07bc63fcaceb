#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_MRZ_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_MRZ_CHECK_H_

// mrz: an identity document's machine-readable zone was found and read
// (check digits, confidence against the policy's "mrz" thresholds).

#include "pipeline/check.h"

namespace vouch::verifier::pipeline {

class MrzCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence&, Findings& findings) const override {
    const OpenedElement& e = *doc.element;
    const ErrorTarget target = ErrorTarget::FrontOrElement(e);
    if (!doc.any_side_read()) return;  // The image checks already failed or are unavailable.
    if (!doc.mrz_checked) {
      findings.Unavailable("mrz", e.type, Reason::kMrzReaderUnavailable, target);
      return;
    }
    if (!doc.mrz.has_value()) {
      Absent(doc, target, findings);
      return;
    }
    if (!doc.mrz->valid()) {
      findings.Binary("mrz", e.type, false, Reason::kMrzCheckDigits, target);
      return;
    }
    findings.Scored("mrz", "mrz", e.type, doc.mrz->fields.confidence, Reason::kMrzLowConfidence,
                    target);
  }

 private:
  static void Absent(const DocumentEvidence& doc, const ErrorTarget& target, Findings& findings) {
    const std::string& type = doc.element->type;
    if (doc.mrz_unreadable) {
      // The reader found the band but will not vouch for its reading: a
      // person compares (ocr never reports a doubtful read as valid).
      findings.Review("mrz", type, Reason::kMrzUnreadable);
    } else if (doc.type != ElementType::kPassport && doc.barcode.has_value()) {
      // Documents other than passports may carry no MRZ: the back's barcode
      // gave a record to compare the typed data with.
      findings.Skipped("mrz", type, Reason::kMrzAbsentBarcodeRead);
    } else if (doc.type == ElementType::kPassport) {
      // Passports always carry an MRZ (ICAO 9303 Part 4).
      findings.Binary("mrz", type, false, Reason::kMrzNotFound, target);
    } else if (doc.type == ElementType::kIdentityCard && doc.back_read) {
      // ICAO 9303-5 cards print the MRZ on the back, and the back shows
      // none: the reviewer is told so (not "mrz_unreadable": no band).
      findings.Review("mrz", type, Reason::kMrzNotFound);
    } else {
      // Otherwise a person compares the typed data with the scan.
      findings.Review("mrz", type, Reason::kMrzAbsent);
    }
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_MRZ_CHECK_H_
