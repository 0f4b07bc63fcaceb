#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_EXPIRY_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_EXPIRY_CHECK_H_

// expiry: the document has not expired (the valid MRZ's expiry date, else
// the barcode's, else the typed one); skipped when none is known.

#include "pipeline/check.h"

namespace vouch::verifier::pipeline {

class ExpiryCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence& evidence,
           Findings& findings) const override {
    const OpenedElement& e = *doc.element;
    if (!doc.expiry.has_value()) {
      findings.Skipped("expiry", e.type, Reason::kNoExpiryDate);
      return;
    }
    findings.Binary("expiry", e.type, *doc.expiry >= evidence.today, Reason::kDocumentExpired,
                    ErrorTarget::FrontOrElement(e));
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_EXPIRY_CHECK_H_
