#ifndef VOUCH_TESTS_E2E_ISSUER_E2E_CONFIG_H_
#define VOUCH_TESTS_E2E_ISSUER_E2E_CONFIG_H_

// The vouchd config shared by the end-to-end tests of the attestations'
// trust plane and of wallet credentials (trust_http_e2e_test,
// wallet_e2e_test): [issuer] at `issuer_url` with status lists cached 2 s,
// and the default policy for the genuine docgen sample (any service, an
// identity document with a selfie, 18+, wallet attestations of 30 days,
// advisory face match), plus `extra_policy_keys`: more lines of
// [policies.default].

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vouch::testing {

inline std::string IssuerE2eConfig(absl::string_view issuer_url,
                                   absl::string_view extra_policy_keys = "") {
  return absl::StrCat(R"toml(
[issuer]
url = ")toml",
                      issuer_url, R"toml("
status_list_ttl = "2s"

[policies.default]
relying_services = ["*"]
required_elements = ["personal_details", "passport|identity_card|driver_license|internal_passport"]
require_selfie = true
minimum_age = 18
wallet_lifetime = "720h"
disclosable_claims = ["document_verified", "age_equal_or_over", "verification"]
)toml",
                      extra_policy_keys, R"toml(
[policies.default.checks]
default = { pass = 0.5, review = 0.3 }
mrz = { pass = 0.9, review = 0.6 }
face_match = { pass = 0.45, review = 0.0 }
)toml");
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_ISSUER_E2E_CONFIG_H_
