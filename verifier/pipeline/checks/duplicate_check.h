#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_DUPLICATE_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_DUPLICATE_CHECK_H_

// duplicate_document, duplicate_person (docs/dedup.md): what the
// duplicate index answered for the submission (Evidence::duplicates, filled
// by the pipeline before the consistency stage).
//   - the same document already verified for another Telegram user:
//     NEEDS_REVIEW or REJECTED, as policy key duplicate_document says
//     ("off", "review", "reject"; reason duplicate_document);
//   - the same person (name + birth date) for another Telegram user:
//     NEEDS_REVIEW when duplicate_person = "review" (duplicate_person);
//   - a document or person of a verification a reviewer rejected as forged:
//     NEEDS_REVIEW, whoever submits it (duplicate_forged).
// The same user verifying again is never held. The check never tells the
// user why (no Passport error: nothing for them to fix).

#include <algorithm>

#include "absl/strings/ascii.h"
#include "pipeline/check.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class DuplicateCheck final : public SubmissionCheck {
 public:
  void Run(const OpenedSubmission&, const Evidence& evidence, Findings& findings) const override {
    const Policy::Duplicates& policy = findings.policy().duplicates;
    // duplicate_face is DuplicateFaceCheck's.
    if (policy.document == Action::kOff && policy.person == Action::kOff) return;
    const absl::string_view document_element = evidence.documents.empty()
                                                   ? absl::string_view("")
                                                   : evidence.documents.front().element->type;
    if (!evidence.duplicates.has_value()) {
      const absl::string_view name =
          policy.document != Action::kOff ? "duplicate_document" : "duplicate_person";
      findings.Unavailable(name, document_element, Reason::kDuplicateIndexUnavailable,
                           ErrorTarget::None());
      return;
    }
    const DuplicateEvidence& d = *evidence.duplicates;
    if (policy.document != Action::kOff) {
      Judge("duplicate_document", document_element, policy.document, d.document_looked_up,
            d.matches.documents, Reason::kDuplicateDocument, findings);
    }
    if (policy.person != Action::kOff) {
      Judge("duplicate_person", "personal_details", policy.person, d.person_looked_up,
            d.matches.persons, Reason::kDuplicatePerson, findings);
    }
  }

  static absl::Status ParseDocument(const PolicyValue& value, Policy& policy) {
    return ParseAction(value, /*reject_allowed=*/true, policy.duplicates.document);
  }
  static absl::Status ParsePerson(const PolicyValue& value, Policy& policy) {
    return ParseAction(value, /*reject_allowed=*/false, policy.duplicates.person);
  }
  static absl::Status ParseScope(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<std::string> scope = value.String();
    if (!scope.ok()) return scope.status();
    if (*scope != "service" && *scope != "provider") {
      return value.Bad("must be \"service\" or \"provider\"");
    }
    policy.duplicates.provider_scope = *scope == "provider";
    return absl::OkStatus();
  }
  static absl::Status ParseTtl(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<absl::Duration> ttl = value.Duration();
    if (!ttl.ok()) return ttl.status();
    policy.duplicates.ttl = *ttl;
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {{"duplicate_document", &ParseDocument},
                                              {"duplicate_person", &ParsePerson},
                                              {"duplicate_scope", &ParseScope},
                                              {"duplicate_ttl", &ParseTtl}};

 private:
  using Action = Policy::Duplicates::Action;

  static void Judge(absl::string_view name, absl::string_view element, Action action,
                    bool looked_up, const std::vector<storage::DuplicateEntry>& matches,
                    Reason duplicate, Findings& findings) {
    if (!looked_up) {
      findings.Skipped(name, element, duplicate);
      return;
    }
    const bool forged = std::any_of(matches.begin(), matches.end(),
                                    [](const storage::DuplicateEntry& e) { return e.forged; });
    if (forged) {
      findings.Review(name, element, Reason::kDuplicateForged);
    } else if (matches.empty()) {
      findings.Binary(name, element, true, duplicate, ErrorTarget::None());
    } else if (action == Action::kReject) {
      findings.Binary(name, element, false, duplicate, ErrorTarget::None());
    } else {
      findings.Review(name, element, duplicate);
    }
  }

  static absl::Status ParseAction(const PolicyValue& value, bool reject_allowed, Action& out) {
    absl::StatusOr<std::string> text = value.String();
    if (!text.ok()) return text.status();
    if (*text == "off") {
      out = Action::kOff;
    } else if (*text == "review") {
      out = Action::kReview;
    } else if (*text == "reject" && reject_allowed) {
      out = Action::kReject;
    } else {
      return value.Bad(reject_allowed ? "must be \"off\", \"review\" or \"reject\""
                                      : "must be \"off\" or \"review\"");
    }
    return absl::OkStatus();
  }
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_DUPLICATE_CHECK_H_
