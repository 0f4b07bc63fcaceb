#include "wallet_limit_options.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vouch::verifier::server {
namespace {

// A number in (0, max]. 0 or less is a configuration error, not a way to
// switch the limit off: `why` says what it would do.
CLI::Validator PositiveAtMost(int64_t max, std::string unit, std::string why) {
  return CLI::Validator(
      [max, unit = std::move(unit), why = std::move(why)](std::string& value) -> std::string {
        double number = 0;
        if (!absl::SimpleAtod(value, &number)) return absl::StrCat("not a number: ", value);
        if (!(number > 0) || number > max) {
          return absl::StrCat("must be more than 0 and at most ", max, " ", unit, ", not ", value,
                              " (", why, ")");
        }
        return "";
      },
      absl::StrCat("(0, ", max, "]"));
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
  constexpr char kNoBurst[] = "0 would refuse every wallet request";
  constexpr char kNoRefill[] = "0 would refill at once: no limit";
  app.add_option("--wallet-token-burst", o.token_burst,
                 "OpenID4VCI token endpoint: requests a client address (IPv6: its /64) may make "
                 "at once")
      ->capture_default_str()
      ->check(PositiveAtMost(1000000, "requests", kNoBurst));
  app.add_option("--wallet-token-refill-seconds", o.token_refill_seconds,
                 "OpenID4VCI token endpoint: past the burst, one more request per address every "
                 "this many seconds")
      ->capture_default_str()
      ->check(PositiveAtMost(86400, "seconds", kNoRefill));
  app.add_option("--wallet-credential-burst", o.credential_burst,
                 "OpenID4VCI credential endpoint: requests a client address may make at once")
      ->capture_default_str()
      ->check(PositiveAtMost(1000000, "requests", kNoBurst));
  app.add_option("--wallet-credential-refill-seconds", o.credential_refill_seconds,
                 "OpenID4VCI credential endpoint: past the burst, one more request per address "
                 "every this many seconds")
      ->capture_default_str()
      ->check(PositiveAtMost(86400, "seconds", kNoRefill));
  app.add_option("--wallet-rate-limit-addresses", o.addresses,
                 "client addresses whose budgets each wallet endpoint keeps (bounds the memory)")
      ->capture_default_str()
      ->check(PositiveAtMost(10000000, "addresses", "0 would keep no budget"));
}

}  // namespace vouch::verifier::server
