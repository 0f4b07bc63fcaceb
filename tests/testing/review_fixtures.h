// What the review module's tests share: their clock's start, the reviewer who decides, and the
// storage key ring cases are sealed under.
#ifndef VOUCH_TESTS_TESTING_REVIEW_FIXTURES_H_
#define VOUCH_TESTS_TESTING_REVIEW_FIXTURES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "base/secure_bytes.h"
#include "review/case_sealer.h"

namespace vouch::verifier::testing {

inline const absl::Time kReviewNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 27, 12, 0, 0), absl::UTCTimeZone());

// A reviewer (not senior): may decide ordinary cases.
inline const auth::Principal kAlice{auth::PrincipalKind::kOperator, "alice",
                                    auth::OperatorRole::kReviewer};

// One key, always the same bytes.
inline review::StorageKeyRing ReviewKeyRing() {
  std::vector<SecureBytes> keys;
  keys.push_back(SecureBytes(std::string(32, 'k')));
  return *review::StorageKeyRing::FromKeys(std::move(keys));
}

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_TESTING_REVIEW_FIXTURES_H_
