#ifndef VOUCH_TESTS_TESTING_FAKE_AUTHENTICATOR_H_
#define VOUCH_TESTS_TESTING_FAKE_AUTHENTICATOR_H_

// An Authenticator that answers every call with one fixed Principal, for
// in-process gRPC tests that are not about credentials (the auth tests use
// the real ConfigAuthenticator). Needs vouch::verifier_auth from the test.

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "auth/principal.h"

namespace vouch::testing {

class FixedPrincipalAuthenticator final : public verifier::auth::Authenticator {
 public:
  explicit FixedPrincipalAuthenticator(verifier::auth::Principal principal)
      : principal_(std::move(principal)) {}

  // A relying service `id`.
  static FixedPrincipalAuthenticator Service(std::string id) {
    return FixedPrincipalAuthenticator(
        verifier::auth::Principal{verifier::auth::PrincipalKind::kService, std::move(id),
                                  verifier::auth::OperatorRole::kNone});
  }
  // An operator `id` with `role`.
  static FixedPrincipalAuthenticator Operator(std::string id, verifier::auth::OperatorRole role) {
    return FixedPrincipalAuthenticator(
        verifier::auth::Principal{verifier::auth::PrincipalKind::kOperator, std::move(id), role});
  }

  absl::StatusOr<verifier::auth::Principal> Authenticate(
      const grpc::ServerContextBase& /*context*/) const override {
    return principal_;
  }

 private:
  verifier::auth::Principal principal_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_FAKE_AUTHENTICATOR_H_
