// DPoP (RFC 9449) at the OpenID4VCI token and credential endpoints
// (docs/wallet.md): attest/dpop.h checks the proof; here its URL, the time and
// the replay cache.

#include "absl/strings/str_cat.h"
#include "http/wallet_issuer.h"

namespace vouch::verifier::http {

attest::DpopCheck WalletIssuer::CheckDpop(absl::string_view proof, absl::string_view path,
                                          absl::string_view access_token) {
  attest::DpopCheckOptions o;
  o.method = "POST";
  o.url = absl::StrCat(options_.issuer_url, path);
  o.now = absl::ToUnixSeconds(clock_.Now());
  o.access_token = std::string(access_token);
  attest::DpopCheck check =
      attest::VerifyDpopProof(std::string_view(proof.data(), proof.size()), o);
  if (check.ok() && !dpop_replays_.FirstUse(check.jkt, check.jti, check.expire, o.now)) {
    check.refusal = "DPoP proof replayed (jti already used)";
  }
  return check;
}

}  // namespace vouch::verifier::http
