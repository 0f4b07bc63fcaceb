#ifndef VOUCH_VERIFIER_HTTP_TRUST_SERVER_H_
#define VOUCH_VERIFIER_HTTP_TRUST_SERVER_H_

// The public trust plane over HTTP(S): what a relying service's stock SD-JWT
// VC library fetches from the token alone (docs/service.md, "HTTPS trust
// plane").
//
//   GET /.well-known/jwt-vc-issuer<issuer path>  issuer metadata (issuer, jwks_uri)
//   GET <issuer path>/jwks.json                  the JWKS (application/jwk-set+json)
//   GET <issuer path>/status/N                   status list N (application/statuslist+jwt)
//   GET <vct path>                               Type Metadata, when the vct is on the issuer's
//   host GET /healthz, /readyz                        liveness, readiness (plain text)
//   and, with a WalletIssuer (docs/wallet.md), the OpenID4VCI issuer
//   endpoints: /.well-known/openid-credential-issuer<issuer path>,
//   /.well-known/oauth-authorization-server<issuer path>, and POST
//   <issuer path>/token, /nonce, /credential (wallet_issuer.h)
//
// Only GET and HEAD (405 otherwise; POST on the three wallet endpoints). Every document carries
// Cache-Control and a strong ETag; If-None-Match gives 304. Paths are compared byte for byte after
// httplib's percent-decoding: nothing is read from disk, so no path escapes anything, and every
// other path is 404. Requests are bounded in time, size and concurrency (guarded_server.h); a slow
// or hostile client holds at most one of the HTTP worker threads, never a gRPC or verification
// thread.
//
// Thread-safety: Start/Stop from one thread; requests are served on the
// server's own threads.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/wallet_issuer.h"
#include "pipeline/attestation_issuer.h"

namespace vouch::verifier::http {

namespace http_internal {
class GuardedServer;
}

struct TrustServerOptions {
  // HOST:PORT to listen on (port 0: any free port). The caller enforces the
  // transport policy (plaintext only on loopback).
  std::string listen;
  // PEM certificate chain and key; both empty for plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // The issuer identifier (https URL, no trailing slash, no query); the
  // routes above follow its path.
  std::string issuer_url;
  // The credential type; its Type Metadata is served at the vct's path when
  // the vct is an https URL on the issuer's host.
  std::string vct;
  // Cache-Control max-age of status lists (their ttl) and of the metadata
  // and JWKS documents.
  absl::Duration status_list_max_age = absl::Hours(1);
  absl::Duration metadata_max_age = absl::Minutes(5);
  // Connection handling.
  int worker_threads = 8;
  int max_pending_connections = 64;
  absl::Duration request_deadline = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(5);
  size_t max_request_bytes = 16 << 10;  // request line, headers and body
  int max_headers = 64;
};

// The Type Metadata document (SD-JWT VC draft, "Type Metadata") for vouch's
// credential of type `vct`: name, description and the claims it may hold.
std::string TypeMetadataJson(const std::string& vct);

class TrustServer {
 public:
  // `issuer` must outlive the server. `ready` answers /readyz (OK: 200,
  // else 503 with the status message); it is called on HTTP threads.
  // Errors: kInvalidArgument for a bad issuer URL or limits;
  // kFailedPrecondition for an unusable certificate or key.
  // `wallet` (docs/wallet.md), when not null, adds the OpenID4VCI
  // issuer endpoints (wallet_issuer.h): POST is then accepted on its token,
  // nonce and credential paths only; it must outlive the server.
  static absl::StatusOr<std::unique_ptr<TrustServer>> Create(TrustServerOptions options,
                                                             pipeline::AttestationIssuer& issuer,
                                                             std::function<absl::Status()> ready,
                                                             WalletIssuer* wallet = nullptr);
  ~TrustServer();

  // Binds and serves on a background thread. Errors: kUnavailable when the
  // address cannot be bound.
  absl::Status Start();
  // HOST:PORT actually bound (after Start).
  const std::string& bound_address() const { return bound_; }
  // Stops accepting; connections being served finish within their deadlines.
  void Stop();

 private:
  TrustServer(TrustServerOptions options, std::unique_ptr<http_internal::GuardedServer> server);
  void Route(pipeline::AttestationIssuer& issuer, const std::function<absl::Status()>& ready,
             WalletIssuer* wallet);

  const TrustServerOptions options_;
  std::unique_ptr<http_internal::GuardedServer> server_;
  std::thread thread_;
  std::string bound_;
};

}  // namespace vouch::verifier::http

#endif  // VOUCH_VERIFIER_HTTP_TRUST_SERVER_H_
