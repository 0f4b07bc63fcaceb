// OpenID4VCI interop (docs/wallet.md): an independent wallet from npm
// (@openid4vc/openid4vci, wallet.mjs through run.sh) against a real vouchd
// with TLS on gRPC and HTTPS. A genuine docgen sample verified in the
// wallet_offer mode gives the offer; the test hands the Node wallet only the
// offer URI and the tx_code (and the test CA, NODE_EXTRA_CA_CERTS). The
// wallet runs discovery, token (a wrong tx_code, then the right one), nonce,
// a jwt key proof and the credential request; @sd-jwt/sd-jwt-vc verifies the
// credential with the issuer's keys resolved over HTTPS and a presentation
// disclosing only age_equal_or_over.18 with a KB-JWT, which vouch-verify
// accepts too; after `vouchctl attest revoke` both @sd-jwt (through the
// status list) and vouch-verify (given the list) refuse it. Needs node, npm
// and the face models: FAILS without them.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cli_run.h"
#include "testing/test_pki.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"
#include "wallet_offer_fixture.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;

const std::string kSource = VOUCH_SOURCE_DIR;

class OpenId4VciInteropTest : public WalletOfferE2eFixture {};

TEST_F(OpenId4VciInteropTest, NodeWalletRedeemsOfferAndStockVerifiersAgree) {
  ASSERT_NO_FATAL_FAILURE(StartAndVerify("openid4vci_interop", "interop-nonce", 778));
  const std::string& dir = dir_;
  VouchdProcess& vouchd = *vouchd_;
  TestPki& pki = *pki_;
  const v1::VerificationResult& result = result_;
  const v1::CredentialOffer& offer = this->offer();

  // The Node wallet gets the offer URI and the tx_code, nothing else.
  const std::string out = dir + "/wallet";
  std::filesystem::create_directories(out);
  std::ofstream(out + "/offer_uri") << offer.uri();
  std::ofstream(out + "/tx_code") << offer.tx_code();
  const std::string node = absl::StrCat("NODE_EXTRA_CA_CERTS=", pki.Path("ca.pem"), " bash ",
                                        kSource, "/tests/interop/openid4vci/run.sh ",
                                        VOUCH_BINARY_DIR, "/tests/interop/openid4vci/work ");
  auto [issue_rc, issue_out] =
      RunShell(absl::StrCat(node, "issue ", out, "/offer_uri ", out, "/tx_code ", out, " 2>&1"));
  ASSERT_EQ(issue_rc, 0) << issue_out << "\n" << vouchd.Log();
  std::cout << issue_out;
  EXPECT_THAT(issue_out, HasSubstr("ok - credential issued"));
  // The wallet's credential counts as an attestation issued (the
  // verification itself issued none: it made the offer).
  const auto metrics = [&] {
    return RunShell(absl::StrCat("curl -sf http://", vouchd.metrics_address(), "/metrics")).second;
  };
  EXPECT_THAT(metrics(), HasSubstr("\nvouch_attestations_issued_total 1\n"));
  // The wallet endpoints' 429s are on /metrics too; this wallet made
  // no more requests than the default burst.
  EXPECT_THAT(metrics(), HasSubstr("\nvouch_http_rate_limited_total{endpoint=\"token\"} 0\n"));

  // vouch-verify accepts the Node wallet's presentation.
  const std::string verify =
      absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", out, "/jwks.json --token ", out,
                   "/presentation --aud https://shop.example --nonce rp-nonce-1 --require-kb");
  auto [cli_rc, cli_out] = RunShell(verify + " 2>&1");
  EXPECT_EQ(cli_rc, 0) << cli_out;
  EXPECT_THAT(cli_out, HasSubstr("\"cnf\""));
  EXPECT_THAT(cli_out, HasSubstr("\"age_equal_or_over\""));
  EXPECT_THAT(cli_out, ::testing::Not(HasSubstr("\"verification\"")));

  // Revoked (the Admin RPC through vouchctl): @sd-jwt sees it through the
  // status list (ttl 2 s), vouch-verify given that list refuses it.
  auto [revoke_rc, revoke_out] =
      RunShell(absl::StrCat("VOUCH_TOKEN=$(cat ", vouchd.admin_token_file(), ") ", VOUCHCTL_PATH,
                            " attest revoke --server ", vouchd.address(), " --ca ",
                            pki.Path("ca.pem"), " ", result.verification_id(), " 2>&1"));
  ASSERT_EQ(revoke_rc, 0) << revoke_out;
  EXPECT_THAT(metrics(), HasSubstr("\nvouch_attestations_revoked_total{status=\"revoked\"} 1\n"));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto [revoked_rc, revoked_out] = RunShell(absl::StrCat(node, "revoked ", out, " 2>&1"));
  ASSERT_EQ(revoked_rc, 0) << revoked_out;
  std::cout << revoked_out;
  auto [cli2_rc, cli2_out] =
      RunShell(absl::StrCat(verify, " --status-list ", out, "/status_list 2>&1"));
  EXPECT_NE(cli2_rc, 0) << cli2_out;
  EXPECT_THAT(cli2_out, HasSubstr("revoked"));
}

}  // namespace
}  // namespace vouch::testing
