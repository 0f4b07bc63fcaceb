#ifndef VOUCH_VERIFIER_AUTH_PRINCIPAL_H_
#define VOUCH_VERIFIER_AUTH_PRINCIPAL_H_

// Who is calling vouchd. Relying services and operators authenticate
// separately (API key or client certificate; operator token or client
// certificate); every RPC handler asks the Authenticator for the caller and
// checks what that caller may do. Implemented by verifier/auth.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace vouch::verifier::auth {

enum class PrincipalKind : int {
  kService = 1,   // a relying service
  kOperator = 2,  // a human operator (review queue, admin)
};

// Operator roles, each including the ones before it.
enum class OperatorRole : int {
  kNone = 0,            // services
  kReviewer = 1,        // list, claim, show, decide, release cases
  kSeniorReviewer = 2,  // also confirm four-eyes overrides
  kAdmin = 3,           // also keys, revocation, audit
};

struct Principal {
  PrincipalKind kind = PrincipalKind::kService;
  std::string id;  // service id (as in policies' relying_services) or operator id
  OperatorRole role = OperatorRole::kNone;
};

// Thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The caller of the current RPC, from its metadata ("authorization:
  // Bearer TOKEN") and its TLS peer (client certificate). Errors:
  // kUnauthenticated when no valid credential is presented.
  virtual absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const = 0;
};

// Authorisation helpers for RPC handlers. Errors: kPermissionDenied.
// A relying service (Verification RPCs).
inline absl::Status RequireService(const Principal& p) {
  if (p.kind == PrincipalKind::kService && !p.id.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError("this API is for relying services");
}
// An operator with at least `role` (review and admin RPCs); service
// identities are always refused.
inline absl::Status RequireOperator(const Principal& p, OperatorRole role) {
  if (p.kind != PrincipalKind::kOperator || p.id.empty()) {
    return absl::PermissionDeniedError(
        "this API is for operators; a service identity may not call it");
  }
  if (static_cast<int>(p.role) < static_cast<int>(role)) {
    return absl::PermissionDeniedError("the operator's role does not allow this call");
  }
  return absl::OkStatus();
}

}  // namespace vouch::verifier::auth

#endif  // VOUCH_VERIFIER_AUTH_PRINCIPAL_H_
