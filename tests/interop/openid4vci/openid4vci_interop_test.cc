// OpenID4VCI interop (#19, docs/wallet.md): an independent wallet from npm
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

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuer_e2e_config.h"
#include "testing/cli_run.h"
#include "testing/test_pki.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kSource = VOUCH_SOURCE_DIR;

// A loopback port free right now (the issuer URL must name it before vouchd
// binds it).
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(OpenId4VciInteropTest, NodeWalletRedeemsOfferAndStockVerifiersAgree) {
  ASSERT_TRUE(FaceModelsPresent());
  const std::string dir = FreshTestDir("openid4vci_interop");
  VouchdProcess vouchd(dir + "/data");
  TestPki pki(dir + "/pki");
  ASSERT_TRUE(pki.MakeCa("ca"));
  ASSERT_TRUE(
      pki.MakeCert("ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth"));
  std::filesystem::permissions(pki.Path("server.key"), std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
  std::string issuer;
  bool started = false;
  for (int attempt = 0; attempt < 3 && !started; ++attempt) {
    const int port = FreeLoopbackPort();
    issuer = absl::StrCat("https://127.0.0.1:", port, "/vouch");
    std::ofstream(dir + "/vouchd.toml") << IssuerE2eConfig(issuer, R"toml(age_thresholds = [18]
wallet_offer_lifetime = "5m"
wallet_offer_tx_code_length = 6
)toml");
    started = vouchd.Start({"--tls-cert", pki.Path("server.pem"), "--tls-key",
                            pki.Path("server.key"), "--config", dir + "/vouchd.toml",
                            "--http-listen", absl::StrCat("127.0.0.1:", port)});
  }
  ASSERT_TRUE(started) << vouchd.Log();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pki.Read("ca.pem");
  auto stub =
      v1::Verification::NewStub(grpc::CreateChannel(vouchd.address(), grpc::SslCredentials(ssl)));

  // A genuine sample, sealed for vouchd's Passport key, verified in the
  // wallet_offer mode.
  const std::string sample = dir + "/sample", sealed = dir + "/sealed";
  auto [mk_rc, mk_out] = RunShell(
      absl::StrCat(VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce interop-nonce --face ", kSource,
                   "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
  ASSERT_EQ(mk_rc, 0) << mk_out;
  auto [pub_rc, pub_out] =
      RunShell(absl::StrCat("openssl pkey -in ", vouchd.data_dir(),
                            "/keys/passport_rsa.pem -pubout -out ", dir, "/pub.pem 2>&1"));
  ASSERT_EQ(pub_rc, 0) << pub_out;
  auto [seal_rc, seal_out] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir, "/pub.pem --in ", sample,
                   "/PLAIN.json --files-dir ", sample, " --out-dir ", sealed, " 2>&1"));
  ASSERT_EQ(seal_rc, 0) << seal_out;
  v1::VerifyRequest request;
  for (const auto& entry : std::filesystem::directory_iterator(sealed)) {
    const std::string name = entry.path().filename().string();
    if (name == "passport_data.json") {
      request.set_passport_data_json(ReadFileOrEmpty(entry.path()));
    } else {
      v1::EncryptedFile* f = request.add_files();
      f->set_file_id(name);
      f->set_content(ReadFileOrEmpty(entry.path()));
    }
  }
  request.set_nonce("interop-nonce");
  request.set_telegram_user_id(778);
  request.mutable_attestation()->mutable_wallet_offer();
  v1::VerificationResult result;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + vouchd.ServiceToken());
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    const grpc::Status status = stub->Verify(&context, request, &result);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_EQ(result.decision(), v1::DECISION_VERIFIED) << result.DebugString();
  const v1::CredentialOffer& offer = result.attestation().credential_offer();
  ASSERT_THAT(offer.uri(), StartsWith("openid-credential-offer://?credential_offer="));
  ASSERT_EQ(offer.tx_code().size(), 6u);

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

  EXPECT_EQ(vouchd.Stop(), 0);
  if (getenv("VOUCH_E2E_LOG")) std::cerr << vouchd.Log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::testing
