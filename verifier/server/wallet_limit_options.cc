#include "wallet_limit_options.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vouch::verifier::server {
namespace {

// The bound of one option: a number in (0, max]. 0 or less is a
// configuration error, not a way to switch the limit off: `why` says what it
// would do.
struct WalletLimitBound {
  int64_t max;
  const char* unit;
  const char* why;
};
constexpr WalletLimitBound kBurstBound{1000000, "requests", "0 would refuse every wallet request"};
constexpr WalletLimitBound kRefillBound{86400, "seconds", "0 would refill at once: no limit"};
constexpr WalletLimitBound kAddressesBound{10000000, "addresses", "0 would keep no budget"};

CLI::Validator PositiveAtMost(const WalletLimitBound& bound) {
  return CLI::Validator(
      [bound](std::string& value) -> std::string {
        double number = 0;
        if (!absl::SimpleAtod(value, &number)) return absl::StrCat("not a number: ", value);
        if (!(number > 0) || number > bound.max) {
          return absl::StrCat("must be more than 0 and at most ", bound.max, " ", bound.unit,
                              ", not ", value, " (", bound.why, ")");
        }
        return "";
      },
      absl::StrCat("(0, ", bound.max, "]"));
}

// Adds option `name` (so [server] key), bound to `value`, refused outside `bound`.
template <typename T>
void AddWalletLimit(CLI::App& app, const char* name, T& value, const char* help,
                    const WalletLimitBound& bound) {
  app.add_option(name, value, help)->capture_default_str()->check(PositiveAtMost(bound));
}

http::RateLimit Limit(int burst, double refill_seconds, int addresses) {
  http::RateLimit limit;
  limit.burst = burst;
  limit.interval = absl::Seconds(refill_seconds);
  limit.max_addresses = static_cast<size_t>(addresses);
  return limit;
}

}  // namespace

http::RateLimit WalletLimitOptions::token() const {
  return Limit(token_burst, token_refill_seconds, addresses);
}

http::RateLimit WalletLimitOptions::credential() const {
  return Limit(credential_burst, credential_refill_seconds, addresses);
}

void AddWalletLimitOptions(CLI::App& app, WalletLimitOptions& o) {
  AddWalletLimit(app, "--wallet-token-burst", o.token_burst,
                 "OpenID4VCI token endpoint: requests a client address (IPv6: its /64) may make "
                 "at once",
                 kBurstBound);
  AddWalletLimit(app, "--wallet-token-refill-seconds", o.token_refill_seconds,
                 "OpenID4VCI token endpoint: past the burst, one more request per address every "
                 "this many seconds",
                 kRefillBound);
  AddWalletLimit(app, "--wallet-credential-burst", o.credential_burst,
                 "OpenID4VCI credential endpoint: requests a client address may make at once",
                 kBurstBound);
  AddWalletLimit(app, "--wallet-credential-refill-seconds", o.credential_refill_seconds,
                 "OpenID4VCI credential endpoint: past the burst, one more request per address "
                 "every this many seconds",
                 kRefillBound);
  AddWalletLimit(app, "--wallet-rate-limit-addresses", o.addresses,
                 "client addresses whose budgets each wallet endpoint keeps (bounds the memory)",
                 kAddressesBound);
}

}  // namespace vouch::verifier::server
