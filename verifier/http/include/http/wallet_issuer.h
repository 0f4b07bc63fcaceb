#ifndef VOUCH_VERIFIER_HTTP_WALLET_ISSUER_H_
#define VOUCH_VERIFIER_HTTP_WALLET_ISSUER_H_

// OpenID4VCI 1.0 issuance to the user's wallet (docs/wallet.md): the
// credential offers of the `wallet_offer` attestation mode and the issuer
// endpoints TrustServer routes to (pre-authorized code flow only):
//
//   GET  /.well-known/openid-credential-issuer<issuer path>  issuer metadata
//   GET  /.well-known/oauth-authorization-server<issuer path> AS metadata
//   POST <issuer path>/token       pre-authorized code (+ tx_code) -> access token
//   POST <issuer path>/nonce       c_nonce
//   POST <issuer path>/credential  Bearer token + `jwt` key proof -> dc+sd-jwt
//
// WalletIssuer is also an AttestationIssuer: it forwards to the issuer it
// wraps and makes the offers (Offer), so the Attestor reaches it as any
// issuer. Every refusal is the OAuth / OpenID4VCI error the spec names and
// is audited (actor "wallet", action "wallet.refuse"); nothing is issued.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attest/dpop.h"
#include "attest/openid4vci.h"
#include "base/clock.h"
#include "base/sealer.h"
#include "base/secure_bytes.h"
#include "http/rate_limiter.h"
#include "pipeline/attestation_issuer.h"
#include "storage/store.h"

namespace vouch::verifier::http {

struct WalletIssuerOptions {
  // The Credential Issuer Identifier: the issuer URL (https, no trailing /).
  std::string issuer_url;
  // The credential type of both configurations.
  std::string vct;
  absl::Duration access_token_lifetime = absl::Minutes(5);
  absl::Duration nonce_lifetime = absl::Minutes(5);
  // Key proofs: iat at most this old.
  absl::Duration proof_max_age = absl::Minutes(5);
  // Wrong tx_codes before an offer is locked for good.
  int max_tx_code_failures = 5;
  // c_nonce MAC key (>= 32 bytes; the same on every replica).
  SecureBytes nonce_key;
  // Per-client-address budgets of the token and credential endpoints.
  RateLimit token_rate_limit;
  RateLimit credential_rate_limit;
};

// Seals the claims of an offer under the storage key (review::SealerFor in
// vouchd), with `context` (the code hash) bound in.
using OfferSealer = ::vouch::Sealer;

// An HTTP answer: status, JSON body, and the WWW-Authenticate header of a
// 401 ("" otherwise). Always Cache-Control: no-store.
struct WalletAnswer {
  int status = 200;
  std::string body;
  std::string www_authenticate;
  // Retry-After (seconds) of a 429; 0: none.
  int64_t retry_after_seconds = 0;
};

// The credential configurations: every claim the verification's policy
// disclosed, or the age thresholds alone.
inline constexpr char kIdentityConfiguration[] = "vouch_identity";
inline constexpr char kAgeOverConfiguration[] = "vouch_age_over";
// Largest token, nonce or credential request body accepted.
inline constexpr size_t kMaxWalletRequestBytes = 8 << 10;

class WalletIssuer final : public pipeline::AttestationIssuer {
 public:
  // `inner`, `store` and `clock` are not owned and must outlive this.
  WalletIssuer(WalletIssuerOptions options, pipeline::AttestationIssuer& inner,
               storage::Store& store, OfferSealer sealer, Clock& clock);

  // AttestationIssuer: forwarded to `inner`.
  absl::StatusOr<pipeline::IssuedAttestation> Issue(
      const pipeline::AttestationRequest& request) override {
    return inner_.Issue(request);
  }
  absl::StatusOr<std::string> Jwks() override { return inner_.Jwks(); }
  absl::StatusOr<std::string> IssuerMetadata() override { return inner_.IssuerMetadata(); }
  absl::StatusOr<std::string> StatusList(const std::string& uri) override {
    return inner_.StatusList(uri);
  }
  absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool suspend) override {
    return inner_.Revoke(attestation_id, suspend);
  }
  // Stores an offer (code and tx_code hashed, claims sealed) and returns it.
  // Errors: the Store's; kInvalidArgument when wallet_offer is not set.
  absl::StatusOr<v1::CredentialOffer> Offer(const pipeline::AttestationRequest& request,
                                            absl::string_view verification_id) override;
  bool MakesOffers() const override { return true; }

  // The endpoints' paths (after the issuer URL's path).
  const std::string& issuer_path() const { return issuer_path_; }
  std::string CredentialIssuerMetadata() const;
  std::string AuthorizationServerMetadata() const;
  // `dpop`: the request's DPoP header values (RFC 9449; a valid proof binds
  // the access token to its key: token_type DPoP).
  WalletAnswer Token(absl::string_view content_type, absl::string_view body,
                     const std::vector<std::string>& dpop = {});
  WalletAnswer Nonce();
  // `authorization`: "Bearer <token>", or "DPoP <token>" with one proof
  // in `dpop` for a DPoP-bound token.
  WalletAnswer Credential(absl::string_view authorization, absl::string_view content_type,
                          absl::string_view body, const std::vector<std::string>& dpop = {});
  // A request refused before it reached the endpoint (an oversized body):
  // the answer, audited.
  WalletAnswer Refuse(absl::string_view endpoint, int status, absl::string_view error,
                      absl::string_view reason);
  // Before a token or credential request's body is read: the 429 answer
  // (`slow_down`, Retry-After) when `client_address` has spent its budget
  // for `endpoint` ("token" or "credential"), nullopt otherwise (and for
  // other endpoints). The first refusal of a run is audited, not each one.
  std::optional<WalletAnswer> Throttle(absl::string_view endpoint,
                                       absl::string_view client_address);
  // Prometheus text (vouchd's /metrics): the 429s Throttle answered since
  // start, every one of a flood counted (the audit has only the first):
  //   vouch_http_rate_limited_total{endpoint="token"|"credential"}
  std::string RenderMetrics() const;

 private:
  WalletAnswer Fail(absl::string_view endpoint, int status, absl::string_view error,
                    absl::string_view reason, absl::string_view verification_id = "");
  void Audit(absl::string_view action, absl::string_view verification_id, std::string detail);
  // A DPoP proof for POST <issuer>`path`, then not seen before (wallet_dpop.cc).
  attest::DpopCheck CheckDpop(absl::string_view proof, absl::string_view path,
                              absl::string_view access_token);

  const WalletIssuerOptions options_;
  std::string issuer_path_;
  pipeline::AttestationIssuer& inner_;
  storage::Store& store_;
  const OfferSealer sealer_;
  Clock& clock_;
  const attest::NonceMinter nonces_;
  IpRateLimiter token_limiter_;
  IpRateLimiter credential_limiter_;
  std::atomic<uint64_t> token_limited_{0};
  std::atomic<uint64_t> credential_limited_{0};
  attest::DpopReplayCache dpop_replays_;
};

}  // namespace vouch::verifier::http

#endif  // VOUCH_VERIFIER_HTTP_WALLET_ISSUER_H_
