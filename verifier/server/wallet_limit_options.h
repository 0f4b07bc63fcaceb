#ifndef VOUCH_VERIFIER_SERVER_WALLET_LIMIT_OPTIONS_H_
#define VOUCH_VERIFIER_SERVER_WALLET_LIMIT_OPTIONS_H_

// vouchd's options (so [server] keys, server_config.h) for the per-address
// budgets of the OpenID4VCI token and credential endpoints
// (docs/wallet.md, http/rate_limiter.h):
//   --wallet-token-burst 20            --wallet-token-refill-seconds 2
//   --wallet-credential-burst 20       --wallet-credential-refill-seconds 2
//   --wallet-rate-limit-addresses 4096 (buckets kept per endpoint)
// A zero or negative value is refused when the options are parsed (a
// CLI::ValidationError naming the option: vouchd exits 2 at start).

#include "CLI/CLI.hpp"
#include "http/rate_limiter.h"

namespace vouch::verifier::server {

struct WalletLimitOptions {
  int token_burst = http::RateLimit().burst;
  double token_refill_seconds = absl::ToDoubleSeconds(http::RateLimit().interval);
  int credential_burst = http::RateLimit().burst;
  double credential_refill_seconds = absl::ToDoubleSeconds(http::RateLimit().interval);
  int addresses = static_cast<int>(http::RateLimit().max_addresses);

  http::RateLimit token() const;
  http::RateLimit credential() const;
};

// Adds the options above to `app`, bound to `o` (which must outlive it).
void AddWalletLimitOptions(CLI::App& app, WalletLimitOptions& o);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_WALLET_LIMIT_OPTIONS_H_
