#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_ISSUING_COUNTRY_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_ISSUING_COUNTRY_CHECK_H_

// issuing_country_allowed: the document's issuing state (the valid MRZ's,
// else the barcode's country) is one the policy accepts (policy key
// allowed_issuing_countries, ICAO 9303 codes; empty = any). Unknown: review.

#include <algorithm>
#include <string>
#include <vector>

#include "pipeline/check.h"
#include "pipeline/country_codes.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class IssuingCountryCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence&, Findings& findings) const override {
    const std::vector<std::string>& allowed = findings.policy().allowed_issuing_countries;
    if (allowed.empty()) return;
    const std::string& type = doc.element->type;
    const std::string& issuing = doc.issuing_country;
    if (issuing.empty()) {
      findings.Review("issuing_country_allowed", type, Reason::kIssuingCountryUnknown);
      return;
    }
    const std::string state = NormalizeIcaoState(issuing);
    const bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& c) {
      return c == issuing || NormalizeIcaoState(c) == state;
    });
    findings.Binary("issuing_country_allowed", type, ok, Reason::kIssuingCountryNotAllowed,
                    ErrorTarget::Unspecified(*doc.element));
  }

  static absl::Status ParseAllowedIssuingCountries(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<std::vector<std::string>> codes = value.Strings();
    if (!codes.ok()) return codes.status();
    constexpr size_t kMaxCodeLength = 3;  // ICAO 9303 Part 3: "D", "UTO".
    for (const std::string& c : *codes) {
      if (c.empty() || c.size() > kMaxCodeLength ||
          !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
        return value.Bad("codes are 1-3 uppercase letters (ICAO 9303)");
      }
    }
    policy.allowed_issuing_countries = *std::move(codes);
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {
      {"allowed_issuing_countries", &ParseAllowedIssuingCountries}};
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_ISSUING_COUNTRY_CHECK_H_
