// The wallet endpoints' per-address budgets as vouchd options and [server]
// keys (docs/wallet.md): parsed from the config file into RateLimits,
// a flag overriding a key, and a zero or negative budget refused naming the
// option.

#include "wallet_limit_options.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server_config.h"

namespace vouch::verifier::server {
namespace {

using ::testing::HasSubstr;

// The app's shape mirrors vouchd's main(): last value wins, [server] keys
// first, then the flags.
class WalletLimitOptionsTest : public ::testing::Test {
 protected:
  WalletLimitOptionsTest() {
    app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    AddWalletLimitOptions(app_, options_);
  }

  void Parse(absl::string_view toml, std::vector<std::string> flags = {}) {
    absl::StatusOr<std::vector<std::string>> from_file =
        ServerTableArguments(toml, "vouchd.toml", app_, {});
    ASSERT_TRUE(from_file.ok()) << from_file.status();
    std::vector<std::string> args = {"vouchd"};
    args.insert(args.end(), from_file->begin(), from_file->end());
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    app_.parse(static_cast<int>(argv.size()), argv.data());
  }

  // The message of the ValidationError that parsing `toml` throws ("" when
  // it parses).
  std::string Refusal(absl::string_view toml) {
    try {
      Parse(toml);
    } catch (const CLI::ValidationError& e) {
      return e.what();
    }
    return "";
  }

  CLI::App app_;
  WalletLimitOptions options_;
};

TEST_F(WalletLimitOptionsTest, DefaultsAreTheRateLimitDefaults) {
  Parse("[server]\n");
  const http::RateLimit defaults;
  for (const http::RateLimit& limit : {options_.token(), options_.credential()}) {
    EXPECT_EQ(limit.burst, defaults.burst);
    EXPECT_EQ(limit.interval, defaults.interval);
    EXPECT_EQ(limit.max_addresses, defaults.max_addresses);
  }
}

TEST_F(WalletLimitOptionsTest, KeysSetEachEndpointsBudgetAndFlagsOverride) {
  Parse(
      "[server]\nwallet_token_burst = 5\nwallet_token_refill_seconds = 0.5\n"
      "wallet_credential_burst = 3\nwallet_credential_refill_seconds = 10\n"
      "wallet_rate_limit_addresses = 100\n",
      {"--wallet-credential-burst", "7"});
  EXPECT_EQ(options_.token().burst, 5);
  EXPECT_EQ(options_.token().interval, absl::Milliseconds(500));
  EXPECT_EQ(options_.credential().burst, 7);
  EXPECT_EQ(options_.credential().interval, absl::Seconds(10));
  EXPECT_EQ(options_.token().max_addresses, 100u);
  EXPECT_EQ(options_.credential().max_addresses, 100u);
}

TEST_F(WalletLimitOptionsTest, ZeroBurstIsRefusedNamingTheOption) {
  const std::string refusal = Refusal("[server]\nwallet_token_burst = 0\n");
  EXPECT_THAT(refusal, HasSubstr("--wallet-token-burst"));
  EXPECT_THAT(refusal, HasSubstr("must be more than 0 and at most 1000000 requests, not 0 (0 "
                                 "would refuse every wallet request)"));
}

TEST_F(WalletLimitOptionsTest, NegativeBudgetsAreRefused) {
  EXPECT_THAT(Refusal("[server]\nwallet_credential_burst = -3\n"),
              HasSubstr("--wallet-credential-burst: must be more than 0"));
  EXPECT_THAT(Refusal("[server]\nwallet_token_refill_seconds = -1.5\n"),
              HasSubstr("--wallet-token-refill-seconds: must be more than 0 and at most 86400 "
                        "seconds, not -1.5"));
  EXPECT_THAT(Refusal("[server]\nwallet_credential_refill_seconds = 0\n"),
              HasSubstr("--wallet-credential-refill-seconds: must be more than 0 and at most "
                        "86400 seconds, not 0 (0 would refill at once: no limit)"));
  EXPECT_THAT(Refusal("[server]\nwallet_rate_limit_addresses = 0\n"),
              HasSubstr("--wallet-rate-limit-addresses: must be more than 0"));
}

TEST_F(WalletLimitOptionsTest, OverTheBoundIsRefused) {
  EXPECT_THAT(Refusal("[server]\nwallet_token_refill_seconds = 90000\n"),
              HasSubstr("--wallet-token-refill-seconds: must be more than 0 and at most 86400"));
}

}  // namespace
}  // namespace vouch::verifier::server
