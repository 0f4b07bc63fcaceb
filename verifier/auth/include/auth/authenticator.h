#ifndef VOUCH_VERIFIER_AUTH_AUTHENTICATOR_H_
#define VOUCH_VERIFIER_AUTH_AUTHENTICATOR_H_

// The Authenticator behind vouchd's RPCs, configured by AuthConfig:
//  - a bearer token ("authorization: Bearer TOKEN" metadata) is hashed
//    (SHA-256) and compared in constant time against every configured hash;
//  - otherwise the TLS client certificate: vouchd's TLS layer requests but
//    does not itself verify it (so API-key clients without one still
//    connect); this class verifies the chain against the configured client
//    CA (purpose sslclient) and maps the subject CN or a subjectAltName to a
//    principal. A certificate from another CA is refused here, with
//    UNAUTHENTICATED, not as an opaque handshake failure.
// A token, when present, decides alone (a bad token is not rescued by a
// certificate).

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/auth_config.h"
#include "auth/principal.h"

namespace vouch::verifier::auth {

// Thread-safe.
class ConfigAuthenticator final : public Authenticator {
 public:
  // `client_ca_file`: PEM bundle of the CA(s) that issue client
  // certificates; empty means client certificates are not accepted.
  static absl::StatusOr<std::unique_ptr<ConfigAuthenticator>> Create(
      AuthConfig config, const std::string& client_ca_file);
  ~ConfigAuthenticator() override;

  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const override;

  // The credential check itself (the seam for tests): `authorization` is the
  // metadata value if present; `peer_cert_pem` / `peer_chain_pem` the TLS
  // peer's certificate and chain ("" when none). Errors: kUnauthenticated
  // (messages name the reason, never the token).
  absl::StatusOr<Principal> AuthenticateCredentials(std::optional<absl::string_view> authorization,
                                                    absl::string_view peer_cert_pem,
                                                    absl::string_view peer_chain_pem,
                                                    absl::Time now) const;

  // Replaces the configuration (vouchd reloads it on SIGHUP): removed or
  // disabled credentials stop working at once.
  void Reload(AuthConfig config);

  // The Passport key path configured for service `id` ("" when none).
  std::string PassportKeyFor(absl::string_view service_id) const;

 private:
  struct CaStore;
  ConfigAuthenticator(std::shared_ptr<const AuthConfig> config, std::unique_ptr<CaStore> ca);
  std::shared_ptr<const AuthConfig> Snapshot() const;

  std::unique_ptr<CaStore> ca_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AuthConfig> config_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::auth

#endif  // VOUCH_VERIFIER_AUTH_AUTHENTICATOR_H_
