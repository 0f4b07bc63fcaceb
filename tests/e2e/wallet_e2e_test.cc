// OpenID4VCI issuance to the user's wallet (docs/wallet.md) against a
// real vouchd with its HTTPS listener: a genuine sample (docgen) verified in
// the wallet_offer mode gives a credential offer; a wallet client written
// here, from the offer URI alone, discovers the metadata, redeems the
// pre-authorized code with the tx_code, gets a c_nonce, sends a key proof
// and receives a dc+sd-jwt that the attest verifier library and
// vouch-verify accept with the wallet's key as cnf; hostile requests on the
// way get their OAuth errors; a revocation shows in the status list. Needs
// the face models (FAILS without them).

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "attest/verify.h"
#include "e2e_requests.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "internal/jose.h"
#include "nlohmann/json.hpp"
#include "testing/cli_run.h"
#include "testing/test_pki.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"
#include "wallet_offer_fixture.h"

namespace vouch::testing {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace jose = ::vouch::attest::internal;

constexpr char kGrant[] = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

std::string PercentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string Error(const httplib::Result& r) {
  if (!r) return "no response";
  json body = json::parse(r->body, nullptr, false);
  return body.is_object() ? body.value("error", "") : r->body;
}

class WalletE2eTest : public WalletOfferE2eFixture {};

// A budget out of range in vouchd's [server] table stops it at start (exit
// 2, before any key or database is made), naming the key's option and the
// bound (docs/wallet.md).
TEST(WalletLimitsE2eTest, OutOfRangeBudgetKeyStopsVouchdAtStart) {
  const std::string dir = FreshTestDir("wallet_limits_e2e");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/vouchd.toml") << "[server]\nwallet_token_burst = 0\n";
  const CliRun run =
      RunCli(VOUCHD_PATH, absl::StrCat("--config ", dir, "/vouchd.toml --data-dir ", dir, "/data"),
             dir + "/run");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--wallet-token-burst: must be more than 0 and at most 1000000 "
                                 "requests, not 0 (0 would refuse every wallet request)"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/data"));
  std::filesystem::remove_all(dir);
}

TEST_F(WalletE2eTest, GenuineSubmissionToWalletCredentialOverOpenId4Vci) {
  ASSERT_NO_FATAL_FAILURE(StartAndVerify("wallet_e2e", "wallet-nonce", 777));
  const std::string& dir = dir_;
  VouchdProcess& vouchd = *vouchd_;
  TestPki& pki = *pki_;
  const std::string& issuer = issuer_;
  v1::Verification::Stub* stub = stub_.get();
  const v1::VerificationResult& result = result_;
  const v1::CredentialOffer& offer = this->offer();
  const int http_port =
      std::stoi(vouchd.http_address().substr(vouchd.http_address().rfind(':') + 1));
  EXPECT_TRUE(result.attestation().sd_jwt().empty());
  // GetVerification gives the relying service the same offer (the Store
  // keeps it sealed under the storage key).
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + vouchd.ServiceToken());
    v1::GetVerificationRequest get;
    get.set_verification_id(result.verification_id());
    v1::VerificationResult stored;
    ASSERT_TRUE(stub->GetVerification(&context, get, &stored).ok());
    EXPECT_EQ(stored.attestation().credential_offer().uri(), offer.uri());
    EXPECT_EQ(stored.attestation().credential_offer().tx_code(), offer.tx_code());
    EXPECT_TRUE(stored.attestation().credential_offer().sealed().empty());
  }

  // ---- The wallet, from the offer URI alone. ----
  const json credential_offer = json::parse(PercentDecode(
      offer.uri().substr(std::string("openid-credential-offer://?credential_offer=").size())));
  ASSERT_EQ(credential_offer["credential_issuer"], issuer);
  const std::string code = credential_offer["grants"][kGrant]["pre-authorized_code"];
  // Never in the clear in the database (the code is kept as its hash).
  for (const char* file : {"/vouch.db", "/vouch.db-wal"}) {
    EXPECT_FALSE(absl::StrContains(ReadFileOrEmpty(vouchd.data_dir() + file), code)) << file;
  }
  httplib::SSLClient https("127.0.0.1", http_port);
  https.set_ca_cert_path(pki.Path("ca.pem").c_str());
  https.enable_server_certificate_verification(true);
  const std::string issuer_path = "/vouch";
  const auto path_of = [&](const std::string& url) {
    EXPECT_THAT(url, StartsWith(absl::StrCat("https://127.0.0.1:", http_port)));
    return url.substr(url.find('/', std::string("https://").size()));
  };
  auto metadata = https.Get(absl::StrCat("/.well-known/openid-credential-issuer", issuer_path));
  ASSERT_TRUE(metadata && metadata->status == 200);
  const json m = json::parse(metadata->body);
  EXPECT_EQ(m["credential_configurations_supported"]["vouch_identity"]["format"], "dc+sd-jwt");
  auto as = https.Get(absl::StrCat("/.well-known/oauth-authorization-server", issuer_path));
  ASSERT_TRUE(as && as->status == 200);
  const std::string token_path = path_of(json::parse(as->body)["token_endpoint"]);
  const std::string nonce_path = path_of(m["nonce_endpoint"]);
  const std::string credential_path = path_of(m["credential_endpoint"]);

  const auto token_request = [&](const std::string& tx_code) {
    return https.Post(
        token_path,
        absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=", code, "&tx_code=", tx_code),
        "application/x-www-form-urlencoded");
  };
  const std::string wrong = offer.tx_code() == "000000" ? "111111" : "000000";
  EXPECT_EQ(Error(token_request(wrong)), "invalid_grant");
  auto token = token_request(offer.tx_code());
  ASSERT_TRUE(token && token->status == 200) << Error(token);
  EXPECT_EQ(token->get_header_value("Cache-Control"), "no-store");
  const std::string access_token = json::parse(token->body)["access_token"];
  EXPECT_EQ(Error(token_request(offer.tx_code())), "invalid_grant");  // Second redemption.

  auto nonce = https.Post(nonce_path, "", "application/json");
  ASSERT_TRUE(nonce && nonce->status == 200);
  const std::string c_nonce = json::parse(nonce->body)["c_nonce"];

  auto wallet_key = jose::GenerateKey(jose::KeyType::kP256);
  ASSERT_TRUE(wallet_key.ok());
  const json wallet_jwk = *jose::PublicJwk(wallet_key->get());
  const auto proof = [&](const json& jwk) {
    return *jose::SignCompactJws(
        wallet_key->get(), {{"typ", "openid4vci-proof+jwt"}, {"alg", "ES256"}, {"jwk", jwk}},
        {{"aud", issuer}, {"iat", static_cast<int64_t>(time(nullptr))}, {"nonce", c_nonce}});
  };
  const auto credential_request = [&](const std::string& jwt) {
    httplib::Headers headers = {{"Authorization", "Bearer " + access_token}};
    return https.Post(
        credential_path, headers,
        json{{"credential_configuration_id", "vouch_identity"}, {"proofs", {{"jwt", {jwt}}}}}
            .dump(),
        "application/json");
  };
  // Hostile: a private key inside the proof; an oversized body.
  json with_d = wallet_jwk;
  with_d["d"] = "AAAA";
  EXPECT_EQ(Error(credential_request(proof(with_d))), "invalid_proof");
  {
    httplib::Headers headers = {{"Authorization", "Bearer " + access_token}};
    auto big = https.Post(credential_path, headers, std::string(20000, ' '), "application/json");
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
    EXPECT_EQ(Error(big), "invalid_request");
  }
  auto issued = credential_request(proof(wallet_jwk));
  ASSERT_TRUE(issued && issued->status == 200) << Error(issued);
  const std::string sd_jwt = json::parse(issued->body)["credentials"][0]["credential"];

  // The relying service's view: the JWKS over HTTPS, a presentation with the
  // wallet's key, only age_equal_or_over.18 disclosed.
  auto jwks_doc = https.Get(absl::StrCat(issuer_path, "/jwks.json"));
  ASSERT_TRUE(jwks_doc && jwks_doc->status == 200);
  auto jwks = attest::Jwks::Parse(jwks_doc->body);
  ASSERT_TRUE(jwks.ok());
  attest::PresentOptions present;
  present.disclose = {"age_equal_or_over.18"};
  present.holder_key_pem = *jose::PrivateKeyToPem(wallet_key->get());
  present.audience = "https://shop.example";
  present.nonce = "rp-nonce";
  auto presentation = attest::Present(sd_jwt, present);
  ASSERT_TRUE(presentation.ok());
  attest::VerifyOptions v;
  v.audience = "https://shop.example";
  v.nonce = "rp-nonce";
  v.require_key_binding = true;
  auto list = https.Get(absl::StrCat(issuer_path, "/status/1"));
  ASSERT_TRUE(list && list->status == 200);
  v.status_list_token = list->body;
  v.require_status_check = true;
  auto verified = attest::VerifySdJwtVc(*presentation, *jwks, v);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_TRUE(verified->key_bound);
  EXPECT_EQ(verified->claims["cnf"]["jwk"], wallet_jwk);
  EXPECT_EQ(verified->claims["age_equal_or_over"]["18"], true);
  EXPECT_FALSE(verified->claims.contains("verification"));  // Not disclosed.

  // vouch-verify accepts the same presentation.
  std::ofstream(dir + "/jwks.json") << jwks_doc->body;
  std::ofstream(dir + "/presentation") << *presentation;
  auto [cli_rc, cli_out] =
      RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", dir, "/jwks.json --token ", dir,
                            "/presentation --aud https://shop.example --nonce rp-nonce"
                            " --require-kb 2>&1"));
  EXPECT_EQ(cli_rc, 0) << cli_out;
  EXPECT_THAT(cli_out, HasSubstr("\"cnf\""));

  // Revocable: vouchctl attest revoke, then the list says so (ttl 2 s).
  auto [revoke_rc, revoke_out] =
      RunShell(absl::StrCat("VOUCH_TOKEN=$(cat ", vouchd.admin_token_file(), ") ", VOUCHCTL_PATH,
                            " attest revoke --server ", vouchd.address(), " --ca ",
                            pki.Path("ca.pem"), " ", result.verification_id(), " 2>&1"));
  ASSERT_EQ(revoke_rc, 0) << revoke_out;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto revoked_list = https.Get(absl::StrCat(issuer_path, "/status/1"));
  ASSERT_TRUE(revoked_list && revoked_list->status == 200);
  v.status_list_token = revoked_list->body;
  auto revoked = attest::VerifySdJwtVc(*presentation, *jwks, v);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, attest::ErrorCode::kRevoked);
}

}  // namespace
}  // namespace vouch::testing
