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
      Invalid(*doc.mrz, e.type, target, findings);
      return;
    }
    findings.Scored("mrz", "mrz", e.type, doc.mrz->fields.confidence, Reason::kMrzLowConfidence,
                    target);
  }

 private:
  // An MRZ read with confidence that does not add up. No retake changes
  // what the document prints, and genuine documents in circulation carry
  // issuers' errors, so neither goes straight to REJECTED:
  // - a check digit failing as printed (data changed after issue, or an
  //   issuer's error) is one certain fraud signal: alone a person looks,
  //   and with another certain one (screen, copy, tampering) the
  //   two-signal rule rejects (Findings::ConfirmFraud);
  // - a state code on no list or a date on no calendar under passing check
  //   digits: a person looks.
  static void Invalid(const MrzEvidence& mrz, const std::string& type, const ErrorTarget& target,
                      Findings& findings) {
    if (mrz.fields.printed_checks_fail) {
      constexpr double kFails = 0.0, kPasses = 1.0;  // Score and threshold of a yes/no signal.
      findings.CertainFraudSignal("mrz", "mrz_check_digits", type, kFails, kPasses,
                                  Reason::kMrzCheckDigits, target, "");
    } else {
      findings.Review("mrz", type, Reason::kMrzImplausible);
    }
  }

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
