// Per-client-address rate limits of the OpenID4VCI token and credential
// endpoints (docs/wallet.md), and their refusals counted;
// http/rate_limiter.h keeps the budgets.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "http/wallet_issuer.h"
#include "nlohmann/json.hpp"

namespace vouch::verifier::http {

std::optional<WalletAnswer> WalletIssuer::Throttle(absl::string_view endpoint,
                                                   absl::string_view client_address) {
  IpRateLimiter* limiter = endpoint == "token"        ? &token_limiter_
                           : endpoint == "credential" ? &credential_limiter_
                                                      : nullptr;
  if (limiter == nullptr) return std::nullopt;
  const IpRateLimiter::Decision decision = limiter->Take(client_address, clock_.Now());
  if (decision.allowed) return std::nullopt;
  (limiter == &token_limiter_ ? token_limited_ : credential_limited_).fetch_add(1);
  const int64_t retry_after = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(decision.retry_after))));
  const std::string reason =
      absl::StrCat("too many requests from this address: retry after ", retry_after, " s");
  WalletAnswer answer;
  if (decision.first_refusal) {
    // Audited once per run of refusals (Fail audits), so a flood does not
    // flood the audit log.
    answer = Fail(endpoint, 429, "slow_down", reason);
  } else {
    answer.status = 429;
    answer.body = nlohmann::json{{"error", "slow_down"}, {"error_description", reason}}.dump();
  }
  answer.retry_after_seconds = retry_after;
  return answer;
}

std::string WalletIssuer::RenderMetrics() const {
  return absl::StrCat(
      "# HELP vouch_http_rate_limited_total Wallet requests refused 429 slow_down by the "
      "per-address budgets since start.\n"
      "# TYPE vouch_http_rate_limited_total counter\n"
      "vouch_http_rate_limited_total{endpoint=\"token\"} ",
      token_limited_.load(), "\n", "vouch_http_rate_limited_total{endpoint=\"credential\"} ",
      credential_limited_.load(), "\n");
}

}  // namespace vouch::verifier::http
