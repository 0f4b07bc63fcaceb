#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_BARCODE_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_BARCODE_CHECK_H_

// barcode: the PDF417 on a reverse side, when the reader ran the check:
// driver licences (an AAMVA record) and identity cards (only when one is
// there: US and Canadian ID cards).

#include "pipeline/check.h"

namespace vouch::verifier::pipeline {

class BarcodeCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence&, Findings& findings) const override {
    const OpenedElement& e = *doc.element;
    if (!doc.barcode_signal.has_value() || !e.reverse_side.has_value()) return;
    const QualitySignal& b = *doc.barcode_signal;
    const ErrorTarget target = ErrorTarget::File("reverse_side", e, *e.reverse_side);
    const bool licence = doc.type == ElementType::kDriverLicense;
    const Why not_aamva(Reason::kBarcodeNotAamva);
    const Why not_found(Reason::kBarcodeNotFound);
    switch (b.verdict) {
      case QualitySignal::Verdict::kNone:
        findings.Scored("barcode", "barcode", e.type, b.score, Reason::kBarcodeUnreadable, target,
                        b.hint);
        break;
      case QualitySignal::Verdict::kPass:
        findings.Judged("barcode", e.type, v1::CHECK_OUTCOME_PASS, b.score, b.threshold, nullptr,
                        "", target, "");
        break;
      case QualitySignal::Verdict::kReview:
        // A PDF417 that is not an AAMVA record: on a licence a person looks;
        // on an identity card it may be a national format we do not read.
        if (licence) {
          findings.Judged("barcode", e.type, v1::CHECK_OUTCOME_REVIEW, b.score, b.threshold,
                          &not_aamva, "", target, b.hint);
        }
        break;
      case QualitySignal::Verdict::kFail:
        // No PDF417 decoded on a licence back. Licences from outside North
        // America carry none, so this cannot tell an unreadable barcode from
        // a licence without one: a person looks (never a reject by itself).
        findings.Judged("barcode", e.type, v1::CHECK_OUTCOME_REVIEW, b.score, b.threshold,
                        &not_found, "", target, b.hint);
        break;
      case QualitySignal::Verdict::kUnavailable:
        break;  // Optional and absent (identity cards).
    }
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_BARCODE_CHECK_H_
