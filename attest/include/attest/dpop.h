#ifndef VOUCH_ATTEST_DPOP_H_
#define VOUCH_ATTEST_DPOP_H_

// DPoP (RFC 9449) for the OpenID4VCI token and credential endpoints
// (docs/wallet.md): the proof JWT's checks, and the cache of the proofs seen
// (`jti`) so that none is accepted twice. No DPoP-Nonce (optional, §8).
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace vouch::attest {

struct DpopCheckOptions {
  std::string method;  // htm: "POST"
  std::string url;     // htu: the endpoint's public URL (no query, no fragment)
  int64_t now = 0;
  int64_t max_age_seconds = 120;  // iat at most this old (plus skew)
  int64_t skew_seconds = 60;      // and at most this far in the future
  // At the credential endpoint: the access token, whose hash `ath` must be.
  std::string access_token;
};

struct DpopCheck {
  // Empty when the proof holds; else why not (an error_description; the
  // error is invalid_dpop_proof).
  std::string refusal;
  std::string jkt;  // RFC 7638 thumbprint of the proof's key
  std::string jti;
  int64_t expire = 0;  // when its iat leaves the window (the replay cache's horizon)
  bool ok() const { return refusal.empty(); }
};

// A `DPoP` header's value: typ dpop+jwt, alg ES256, a public P-256 `jwk`
// (no private members, no crit), the signature, htm, htu (its query and
// fragment ignored), iat within [now - max_age - skew, now + skew], a jti of
// 1..256 characters, and `ath` = base64url(SHA-256(access_token)) when
// `access_token` is set. At most 4 KiB.
DpopCheck VerifyDpopProof(std::string_view proof, const DpopCheckOptions& options);

// The (jkt, jti) pairs accepted and not yet expired. Bounded: a full table
// first drops the expired pairs, then the one expiring first (a proof
// evicted that way could be replayed within its window; it is still bound to
// its method, URL and access token).
class DpopReplayCache {
 public:
  explicit DpopReplayCache(size_t max_entries = 65536) : max_entries_(max_entries) {}
  // False when (jkt, jti) was seen and has not expired; otherwise records
  // it until `expire` and returns true.
  bool FirstUse(std::string_view jkt, std::string_view jti, int64_t expire, int64_t now);
  size_t size() const;

 private:
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_DPOP_H_
