#ifndef VOUCH_VERIFIER_PIPELINE_FINDINGS_H_
#define VOUCH_VERIFIER_PIPELINE_FINDINGS_H_

// What checks write: one v1::Check per finding and, for a failed check that
// names something the user can fix, one Bot API PassportElementError. The
// decision is derived from the findings (Decide).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pipeline/passport_opener.h"
#include "pipeline/policy.h"
#include "pipeline/reasons.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::pipeline {

// Where a failed check points the user: the fields of one
// PassportElementError other than `message`.
struct ErrorTarget {
  std::string source;  // "" when the check cannot name anything to fix.
  std::string type;
  std::string field_name;
  std::string data_hash;
  std::string file_hash;
  std::string element_hash;

  static ErrorTarget None() { return {}; }
  static ErrorTarget Data(const OpenedElement& e, absl::string_view field);
  static ErrorTarget File(absl::string_view source, const OpenedElement& e, const OpenedFile& f);
  static ErrorTarget Unspecified(const OpenedElement& e);
  // The front side's scan when there is one, else the whole element.
  static ErrorTarget FrontOrElement(const OpenedElement& e);
};

// A reason as written into a Check: a row of the reasons table, completed by
// a quality signal's name (kPoorQuality, kQualitySignalUnavailable) and
// optionally a suffix (reasons.h).
struct Why {
  Why(Reason r) : reason(r) {}  // NOLINT(google-explicit-constructor): a Reason is a Why.
  Why(Reason r, absl::string_view s) : reason(r), signal(s) {}

  Reason reason;
  absl::string_view signal;

  std::string WireName() const;
};

inline constexpr absl::string_view kUncertainSuffix = "_uncertain";
inline constexpr absl::string_view kSingleSignalSuffix = "_single_signal";
inline constexpr absl::string_view kOnReadPageSuffix = "_on_read_page";

// A fraud signal rejects only when this many different fraud signals of one
// submission are certain (ocr::kIndependentFraudSignals; docs/checks.md,
// "Decision rule"): a false fraud verdict on a genuine user is the worst
// outcome, and every signal on its own has false positives.
inline constexpr int kIndependentFraudSignals = 2;

// Collects checks and the user-facing errors of failed ones.
// Thread-compatible; one per verification.
class Findings {
 public:
  // `policy` is not owned and must outlive the findings.
  explicit Findings(const Policy& policy) : policy_(policy) {}

  const Policy& policy() const { return policy_; }

  // A scored check against the policy's thresholds for `threshold_key`:
  // pass, review (reason + "_uncertain") or fail.
  void Scored(absl::string_view name, absl::string_view threshold_key, absl::string_view element,
              double score, Why fail, const ErrorTarget& target, absl::string_view hint = "");
  // Whether `score` is below the review band of the policy's `threshold_key`.
  bool BelowReview(absl::string_view threshold_key, double score) const;
  // A check the reader already judged against its own calibrated threshold;
  // `suffix` completes the reason's wire name.
  void Judged(absl::string_view name, absl::string_view element, v1::CheckOutcome outcome,
              double score, double threshold, const Why* reason, absl::string_view suffix,
              const ErrorTarget& target, absl::string_view hint);
  // A yes/no check.
  void Binary(absl::string_view name, absl::string_view element, bool ok, Why fail,
              const ErrorTarget& target);
  // A check that could not run: review or fail as the policy says.
  void Unavailable(absl::string_view name, absl::string_view element, Why reason,
                   const ErrorTarget& target);
  // A check that needs a person: always review.
  void Review(absl::string_view name, absl::string_view element, Why reason);
  void Skipped(absl::string_view name, absl::string_view element, Why reason);
  // A fraud signal certain on its own. Recorded as REVIEW
  // ("<reason>_single_signal"); ConfirmFraud() turns it into FAIL when enough
  // independent signals agree.
  void CertainFraudSignal(absl::string_view name, absl::string_view signal,
                          absl::string_view element, double score, double threshold, Why reason,
                          const ErrorTarget& target, absl::string_view hint);

  // Applies the two-signal rule once all images are read: when at least
  // kIndependentFraudSignals different signals are certain (the same signal
  // on two sides counts once), each of them fails with its error.
  void ConfirmFraud();
  v1::Decision Decide() const;
  // Names of the passed checks, in order.
  std::vector<std::string> Passed() const;
  const std::vector<v1::Check>& checks() const { return checks_; }
  const std::vector<v1::PassportElementError>& errors() const { return errors_; }
  void MoveInto(v1::VerificationResult& result);

 private:
  void Add(absl::string_view name, absl::string_view element, v1::CheckOutcome outcome,
           double score, double threshold, double review_threshold, absl::string_view reason,
           absl::string_view message, const ErrorTarget& target, absl::string_view hint);
  void AddError(const ErrorTarget& t, std::string message);

  struct PendingFraud {
    size_t check;  // Index into checks_.
    std::string signal;
    std::string reason;
    std::string message;
    ErrorTarget target;
    std::string hint;
  };

  const Policy& policy_;
  std::vector<v1::Check> checks_;
  std::vector<v1::PassportElementError> errors_;
  std::vector<PendingFraud> certain_fraud_;
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_FINDINGS_H_
