#ifndef VOUCH_TESTS_E2E_POLICY_TOML_H_
#define VOUCH_TESTS_E2E_POLICY_TOML_H_

// The vouchd config of end-to-end tests that change one rule of the embedded
// default policy (pipeline/policy.cc): its issuer, elements, age, claims and
// check bands, with `policy_lines` added to [policies.default] and the
// face-match band given.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vouch::testing {

inline std::string DefaultPolicyToml(
    absl::string_view policy_lines = "",
    absl::string_view face_match_band = "pass = 0.45, review = 0.30") {
  return absl::StrCat(R"toml(
[issuer]
url = "https://vouch.invalid"

[policies.default]
relying_services = ["*"]
required_elements = ["personal_details", "passport|identity_card|driver_license|internal_passport"]
require_selfie = true
minimum_age = 18
disclosable_claims = ["document_verified", "age_equal_or_over", "verification"]
)toml",
                      policy_lines, R"toml(
[policies.default.checks]
default = { pass = 0.5, review = 0.3 }
mrz = { pass = 0.9, review = 0.6 }
face_match = { )toml",
                      face_match_band, " }\n");
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_POLICY_TOML_H_
