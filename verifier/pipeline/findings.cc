#include "pipeline/findings.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vouch::verifier::pipeline {

ErrorTarget ErrorTarget::Data(const OpenedElement& e, absl::string_view field) {
  return {"data", e.type, std::string(field), e.data_hash, "", ""};
}

ErrorTarget ErrorTarget::File(absl::string_view source, const OpenedElement& e,
                              const OpenedFile& f) {
  return {std::string(source), e.type, "", "", f.file_hash, ""};
}

ErrorTarget ErrorTarget::Unspecified(const OpenedElement& e) {
  return {"unspecified", e.type, "", "", "", e.element_hash};
}

ErrorTarget ErrorTarget::FrontOrElement(const OpenedElement& e) {
  return e.front_side.has_value() ? File("front_side", e, *e.front_side) : Unspecified(e);
}

std::string Why::WireName() const {
  const absl::string_view name = verifier::pipeline::WireName(reason);
  if (reason == Reason::kPoorQuality) return absl::StrCat(name, signal);
  if (reason == Reason::kQualitySignalUnavailable) return absl::StrCat(signal, name);
  return std::string(name);
}

void Findings::Scored(absl::string_view name, absl::string_view threshold_key,
                      absl::string_view element, double score, Why fail, const ErrorTarget& target,
                      absl::string_view hint) {
  const CheckThreshold th = policy_.ThresholdFor(threshold_key);
  score = std::clamp(score, 0.0, 1.0);
  v1::CheckOutcome outcome = v1::CHECK_OUTCOME_PASS;
  std::string reason;
  if (score < th.review) {
    outcome = v1::CHECK_OUTCOME_FAIL;
    reason = fail.WireName();
  } else if (score < th.pass) {
    outcome = v1::CHECK_OUTCOME_REVIEW;
    reason = absl::StrCat(fail.WireName(), kUncertainSuffix);
  }
  Add(name, element, outcome, score, th.pass, th.review, reason, UserMessage(fail.reason), target,
      hint);
}

bool Findings::BelowReview(absl::string_view threshold_key, double score) const {
  return std::clamp(score, 0.0, 1.0) < policy_.ThresholdFor(threshold_key).review;
}

void Findings::Judged(absl::string_view name, absl::string_view element, v1::CheckOutcome outcome,
                      double score, double threshold, const Why* reason, absl::string_view suffix,
                      const ErrorTarget& target, absl::string_view hint) {
  const std::string wire = reason == nullptr ? "" : absl::StrCat(reason->WireName(), suffix);
  const absl::string_view message = reason == nullptr ? "" : UserMessage(reason->reason);
  Add(name, element, outcome, score, threshold, threshold, wire, message, target, hint);
}

void Findings::Binary(absl::string_view name, absl::string_view element, bool ok, Why fail,
                      const ErrorTarget& target) {
  Add(name, element, ok ? v1::CHECK_OUTCOME_PASS : v1::CHECK_OUTCOME_FAIL, ok ? 1 : 0, 1, 1,
      ok ? "" : fail.WireName(), UserMessage(fail.reason), target, "");
}

void Findings::Unavailable(absl::string_view name, absl::string_view element, Why reason,
                           const ErrorTarget& target) {
  const bool fail = policy_.unavailable_check == UnavailableCheck::kFail;
  Add(name, element, fail ? v1::CHECK_OUTCOME_FAIL : v1::CHECK_OUTCOME_REVIEW, 0, 1, 1,
      reason.WireName(), UserMessage(reason.reason), target, "");
}

void Findings::Review(absl::string_view name, absl::string_view element, Why reason) {
  Add(name, element, v1::CHECK_OUTCOME_REVIEW, 0, 1, 1, reason.WireName(), "", ErrorTarget::None(),
      "");
}

void Findings::Skipped(absl::string_view name, absl::string_view element, Why reason) {
  Add(name, element, v1::CHECK_OUTCOME_SKIPPED, 0, 0, 0, reason.WireName(), "", ErrorTarget::None(),
      "");
}

void Findings::CertainFraudSignal(absl::string_view name, absl::string_view signal,
                                  absl::string_view element, double score, double threshold,
                                  Why reason, const ErrorTarget& target, absl::string_view hint) {
  const std::string wire = reason.WireName();
  Add(name, element, v1::CHECK_OUTCOME_REVIEW, score, threshold, threshold,
      absl::StrCat(wire, kSingleSignalSuffix), "", ErrorTarget::None(), "");
  certain_fraud_.push_back({checks_.size() - 1, std::string(signal), wire,
                            std::string(UserMessage(reason.reason)), target, std::string(hint)});
}

void Findings::ConfirmFraud() {
  std::set<std::string> signals;
  for (const PendingFraud& f : certain_fraud_) signals.insert(f.signal);
  if (static_cast<int>(signals.size()) >= kIndependentFraudSignals) {
    for (const PendingFraud& f : certain_fraud_) {
      v1::Check& c = checks_[f.check];
      c.set_outcome(v1::CHECK_OUTCOME_FAIL);
      c.set_reason(f.reason);
      if (!f.target.source.empty()) AddError(f.target, f.hint.empty() ? f.message : f.hint);
    }
  }
  certain_fraud_.clear();
}

v1::Decision Findings::Decide() const {
  bool review = false;
  for (const v1::Check& c : checks_) {
    if (c.outcome() == v1::CHECK_OUTCOME_FAIL) return v1::DECISION_REJECTED;
    if (c.outcome() == v1::CHECK_OUTCOME_REVIEW) review = true;
  }
  return review ? v1::DECISION_NEEDS_REVIEW : v1::DECISION_VERIFIED;
}

std::vector<std::string> Findings::Passed() const {
  std::vector<std::string> out;
  for (const v1::Check& c : checks_) {
    if (c.outcome() == v1::CHECK_OUTCOME_PASS) out.push_back(c.name());
  }
  return out;
}

void Findings::MoveInto(v1::VerificationResult& result) {
  for (v1::Check& c : checks_) *result.add_checks() = std::move(c);
  for (v1::PassportElementError& e : errors_) *result.add_errors() = std::move(e);
  checks_.clear();
  errors_.clear();
}

void Findings::Add(absl::string_view name, absl::string_view element, v1::CheckOutcome outcome,
                   double score, double threshold, double review_threshold,
                   absl::string_view reason, absl::string_view message, const ErrorTarget& target,
                   absl::string_view hint) {
  v1::Check& c = checks_.emplace_back();
  c.set_name(std::string(name));
  c.set_element(std::string(element));
  c.set_outcome(outcome);
  c.set_score(score);
  c.set_threshold(threshold);
  c.set_review_threshold(review_threshold);
  c.set_reason(std::string(reason));
  if (outcome == v1::CHECK_OUTCOME_FAIL && !target.source.empty()) {
    AddError(target, std::string(hint.empty() ? message : hint));
  }
}

void Findings::AddError(const ErrorTarget& t, std::string message) {
  // One error per target: the Bot API resolves an error when that field
  // or file changes, so a second one for the same target adds nothing.
  for (const v1::PassportElementError& e : errors_) {
    if (e.source() == t.source && e.type() == t.type && e.field_name() == t.field_name &&
        e.file_hash() == t.file_hash && e.element_hash() == t.element_hash) {
      return;
    }
  }
  v1::PassportElementError& e = errors_.emplace_back();
  e.set_source(t.source);
  e.set_type(t.type);
  e.set_field_name(t.field_name);
  e.set_data_hash(t.data_hash);
  e.set_file_hash(t.file_hash);
  e.set_element_hash(t.element_hash);
  e.set_message(std::move(message));
}

}  // namespace vouch::verifier::pipeline
