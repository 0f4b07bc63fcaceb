#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_MINIMUM_AGE_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_MINIMUM_AGE_CHECK_H_

// minimum_age: the holder is at least the policy's minimum age today (policy
// key minimum_age; 0 = none), from the document's birth date (valid MRZ,
// else barcode), else the typed one; a birth date the MRZ prints partly
// unknown bounds the age (PartlyUnknown). Without an identity document a
// person decides (a SubmissionCheck).

#include "pipeline/check.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class MinimumAgeCheck final : public DocumentCheck, public SubmissionCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence& evidence,
           Findings& findings) const override {
    const int minimum_age = findings.policy().minimum_age;
    if (minimum_age <= 0) return;
    const PersonalEvidence* personal =
        evidence.personal.has_value() ? &*evidence.personal : nullptr;
    const OpenedElement& age_element = personal != nullptr ? *personal->element : *doc.element;
    if (doc.birth_date_range.has_value()) {
      PartlyUnknown(*doc.birth_date_range, minimum_age, evidence.today, age_element, findings);
      return;
    }
    std::optional<absl::CivilDay> birth = doc.birth_date;
    if (!birth.has_value() && personal != nullptr) birth = personal->birth_date;
    if (!birth.has_value()) {
      findings.Binary(
          "minimum_age", age_element.type, false, Reason::kBirthDateMissing,
          personal != nullptr ? ErrorTarget::Data(age_element, "birth_date") : ErrorTarget::None());
      return;
    }
    findings.Binary("minimum_age", age_element.type, AgeOn(*birth, evidence.today) >= minimum_age,
                    Reason::kUnderMinimumAge, ErrorTarget::Unspecified(age_element));
  }

  void Run(const OpenedSubmission&, const Evidence& evidence, Findings& findings) const override {
    if (evidence.documents.empty() && findings.policy().minimum_age > 0) {
      findings.Review("minimum_age", "personal_details", Reason::kNoIdentityDocument);
    }
  }

  // A birth date the document prints partly unknown (DayRange): old enough
  // on its latest possible day passes, too young on its earliest fails, and
  // in between the unknown part decides: a person looks.
  static void PartlyUnknown(const DayRange& birth, int minimum_age, absl::CivilDay today,
                            const OpenedElement& age_element, Findings& findings) {
    if (AgeOn(birth.latest, today) >= minimum_age) {
      findings.Binary("minimum_age", age_element.type, true, Reason::kUnderMinimumAge,
                      ErrorTarget::Unspecified(age_element));
    } else if (AgeOn(birth.earliest, today) < minimum_age) {
      findings.Binary("minimum_age", age_element.type, false, Reason::kUnderMinimumAge,
                      ErrorTarget::Unspecified(age_element));
    } else {
      findings.Review("minimum_age", age_element.type, Reason::kBirthDatePartlyUnknown);
    }
  }

  static absl::Status ParseMinimumAge(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<int64_t> age = value.Integer();
    if (!age.ok()) return age.status();
    constexpr int64_t kMaxAge = 150;
    if (*age < 0 || *age > kMaxAge) return value.Bad("must be 0..150");
    policy.minimum_age = static_cast<int>(*age);
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {{"minimum_age", &ParseMinimumAge}};
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_MINIMUM_AGE_CHECK_H_
