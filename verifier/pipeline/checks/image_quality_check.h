#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_IMAGE_QUALITY_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_IMAGE_QUALITY_CHECK_H_

// quality.<signal>.<source>: the reader's quality and fraud signals of one
// image that was read (the documents stage calls it per image; an image that
// could not be read is judged there, "image.<source>").

#include <string>

#include "absl/strings/str_cat.h"
#include "pipeline/document_reader.h"
#include "pipeline/findings.h"

namespace vouch::verifier::pipeline {

class ImageQualityCheck final {
 public:
  void Run(const OpenedElement& element, const OpenedFile& file, absl::string_view source,
           const ImageFindings& read, Findings& findings) const {
    const ErrorTarget target = ErrorTarget::File(source, element, file);
    if (!read.quality_checked) {
      findings.Unavailable(absl::StrCat("quality.", source), element.type,
                           Reason::kQualityUnavailable, target);
    }
    // A quality check exists so that the page can be read. When this page's
    // MRZ was read and every one of its checks passed, the page evidently
    // was readable: a quality failure contradicted that way (a white scan
    // read as glare, a tight crop read as cut off) goes to a person instead
    // of asking a genuine user to retake a page that was read. Fraud signals
    // keep their own rule (Findings::ConfirmFraud).
    const bool page_read = read.mrz.has_value() && read.mrz->check_digits_ok;
    for (const QualitySignal& q : read.quality) {
      Signal(q, page_read, element.type, source, target, findings);
    }
  }

 private:
  static void Signal(const QualitySignal& q, bool page_read, absl::string_view element,
                     absl::string_view source, const ErrorTarget& target, Findings& findings) {
    const std::string name = absl::StrCat("quality.", q.name, ".", source);
    const Why poor(Reason::kPoorQuality, q.name);
    const bool failed = q.verdict == QualitySignal::Verdict::kFail ||
                        (q.verdict == QualitySignal::Verdict::kNone &&
                         findings.BelowReview(absl::StrCat("quality.", q.name), q.score));
    if (failed && page_read && !q.fraud) {
      findings.Judged(name, element, v1::CHECK_OUTCOME_REVIEW, q.score, q.threshold, &poor,
                      kOnReadPageSuffix, target, q.hint);
      return;
    }
    if (failed && q.fraud) {
      findings.CertainFraudSignal(name, q.name, element, q.score, q.threshold, poor, target,
                                  q.hint);
      return;
    }
    switch (q.verdict) {
      case QualitySignal::Verdict::kNone:
        findings.Scored(name, absl::StrCat("quality.", q.name), element, q.score, poor, target,
                        q.hint);
        break;
      case QualitySignal::Verdict::kPass:
        findings.Judged(name, element, v1::CHECK_OUTCOME_PASS, q.score, q.threshold, nullptr, "",
                        target, q.hint);
        break;
      case QualitySignal::Verdict::kReview:
        findings.Judged(name, element, v1::CHECK_OUTCOME_REVIEW, q.score, q.threshold, &poor,
                        kUncertainSuffix, target, q.hint);
        break;
      case QualitySignal::Verdict::kFail:
        findings.Judged(name, element, v1::CHECK_OUTCOME_FAIL, q.score, q.threshold, &poor, "",
                        target, q.hint);
        break;
      case QualitySignal::Verdict::kUnavailable:
        findings.Unavailable(name, element, Why(Reason::kQualitySignalUnavailable, q.name), target);
        break;
    }
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_IMAGE_QUALITY_CHECK_H_
