#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_REQUIRED_ELEMENTS_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_REQUIRED_ELEMENTS_CHECK_H_

// required.<a>|<b>: the submission holds one of each requirement's element
// types (policy key required_elements).

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "passport/types.h"
#include "pipeline/check.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class RequiredElementsCheck final : public SubmissionCheck {
 public:
  void Run(const OpenedSubmission& submission, const Evidence&, Findings& findings) const override {
    for (const std::vector<std::string>& alternatives : findings.policy().required_elements) {
      bool present = false;
      for (const std::string& type : alternatives) present = present || submission.Find(type);
      findings.Binary(absl::StrCat("required.", absl::StrJoin(alternatives, "|")), "", present,
                      Reason::kRequiredElementMissing, ErrorTarget::None());
    }
  }

  // Each entry is an element type, or alternatives joined by '|'.
  static absl::Status ParseRequiredElements(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<std::vector<std::string>> entries = value.Strings();
    if (!entries.ok()) return entries.status();
    for (const std::string& entry : *entries) {
      std::vector<std::string> alternatives = absl::StrSplit(entry, '|');
      for (const std::string& type : alternatives) {
        if (!passport::ParseElementType(type).has_value()) {
          return value.Bad(absl::StrCat("unknown element type '", type, "'"));
        }
      }
      policy.required_elements.push_back(std::move(alternatives));
    }
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {{"required_elements", &ParseRequiredElements}};
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_REQUIRED_ELEMENTS_CHECK_H_
