// The public trust plane (vouchd --http-listen, docs/service.md) against a
// real vouchd: the documents over HTTPS with the gRPC certificate, hostile
// HTTP clients answered with HTTP errors while gRPC verification keeps
// working, and stock verifiers (Node: @sd-jwt/sd-jwt-vc, jose) resolving
// keys and status from a wallet credential alone, before and after a
// revocation (tests/interop/attest/trust_plane.mjs; needs node, npm and the
// face models, and FAILS without them).

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "e2e_requests.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "issuer_e2e_config.h"
#include "nlohmann/json.hpp"
#include "passport/seal.h"
#include "testing/cli_run.h"
#include "testing/test_pki.h"
#include "tls_vouchd.h"
#include "vouch/v1/attestations.grpc.pb.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kSource = VOUCH_SOURCE_DIR;

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

int Connect(int port, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string Raw(int port, const std::string& request) {
  const int fd = Connect(port, 15000);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

nlohmann::json JwtPart(const std::string& jwt, int part) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  std::string text;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[part], &text)) return {};
  return nlohmann::json::parse(text, nullptr, false);
}

std::string Config(const std::string& issuer) { return IssuerE2eConfig(issuer); }

class TrustHttpE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("trust_http_e2e");
    std::filesystem::create_directories(dir_);
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0) << "vouchd did not stop cleanly";
      if (getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  // vouchd with TLS on gRPC and HTTPS (a throwaway CA), the issuer at its
  // HTTPS address.
  void StartTls() {
    pki_ = std::make_unique<TestPki>(dir_ + "/pki");
    ASSERT_TRUE(MakeServerPki(*pki_));
    issuer_ = StartTlsHttpsVouchd(*vouchd_, *pki_, dir_ + "/vouchd.toml", Config);
    ASSERT_FALSE(issuer_.empty()) << vouchd_->Log();
    ASSERT_EQ(absl::StrCat("https://", vouchd_->http_address()), issuer_);
    channel_ = TlsChannel(*vouchd_, *pki_);
  }

  std::unique_ptr<httplib::SSLClient> Https() {
    auto client =
        std::make_unique<httplib::SSLClient>("127.0.0.1", PortOf(vouchd_->http_address()));
    client->set_ca_cert_path(pki_->Path("ca.pem").c_str());
    client->enable_server_certificate_verification(true);
    return client;
  }

  std::string dir_;
  std::string issuer_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<VouchdProcess> vouchd_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(TrustHttpE2eTest, PublishesTheTrustDocumentsOverHttps) {
  StartTls();
  std::unique_ptr<httplib::SSLClient> https = Https();
  httplib::SSLClient& client = *https;
  auto metadata = client.Get("/.well-known/jwt-vc-issuer");
  ASSERT_TRUE(metadata) << httplib::to_string(metadata.error());
  ASSERT_EQ(metadata->status, 200);
  const nlohmann::json m = nlohmann::json::parse(metadata->body);
  EXPECT_EQ(m["issuer"], issuer_);
  EXPECT_EQ(m["jwks_uri"], issuer_ + "/jwks.json");

  auto jwks = client.Get("/jwks.json");
  ASSERT_TRUE(jwks);
  ASSERT_EQ(jwks->status, 200);
  EXPECT_EQ(jwks->get_header_value("Content-Type"), "application/jwk-set+json");
  const nlohmann::json keys = nlohmann::json::parse(jwks->body)["keys"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_FALSE(keys[0].contains("d"));
  // The same JWKS as the gRPC API's.
  auto attestations = v1::Attestations::NewStub(channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
  v1::GetJwksResponse grpc_jwks;
  ASSERT_TRUE(attestations->GetJwks(&context, v1::GetJwksRequest(), &grpc_jwks).ok());
  EXPECT_EQ(nlohmann::json::parse(grpc_jwks.jwks_json()), nlohmann::json::parse(jwks->body));

  auto list = client.Get("/status/1");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(list->get_header_value("Content-Type"), "application/statuslist+jwt");
  EXPECT_EQ(list->get_header_value("Cache-Control"), "public, max-age=2");
  const nlohmann::json header = JwtPart(list->body, 0), payload = JwtPart(list->body, 1);
  EXPECT_EQ(header["typ"], "statuslist+jwt");
  EXPECT_EQ(header["kid"], keys[0]["kid"]);
  EXPECT_EQ(payload["sub"], issuer_ + "/status/1");
  EXPECT_EQ(payload["ttl"], 2);
  auto again = client.Get("/status/1", {{"If-None-Match", list->get_header_value("ETag")}});
  ASSERT_TRUE(again);
  EXPECT_THAT(again->status, ::testing::AnyOf(200, 304));

  auto type = client.Get("/credentials/identity/1");
  ASSERT_TRUE(type);
  ASSERT_EQ(type->status, 200);
  EXPECT_EQ(nlohmann::json::parse(type->body)["vct"], issuer_ + "/credentials/identity/1");
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  // The placeholder issuer warning is not given for a real issuer.
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("WARNING: the issuer")));
}

TEST_F(TrustHttpE2eTest, PlainHttpOnlyOnLoopbackAndPlaceholderIssuerIsLoud) {
  auto [rc, out] = RunShell(absl::StrCat(VOUCHD_PATH, " --listen 127.0.0.1:0 --insecure-loopback",
                                         " --metrics-listen '' --http-listen 0.0.0.0:0 --data-dir ",
                                         dir_, "/refused 2>&1"));
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("refusing plain HTTP on 0.0.0.0:0"));
  ASSERT_TRUE(vouchd_->Start({"--http-listen", "127.0.0.1:0"}));
  EXPECT_THAT(vouchd_->Log(), HasSubstr("WARNING: the issuer is https://vouch.invalid"));
}

// Hostile HTTP clients while a gRPC Verify runs: each gets its HTTP error,
// and the Verify completes.
TEST_F(TrustHttpE2eTest, HostileHttpClientsDoNotStallGrpc) {
  ASSERT_TRUE(vouchd_->Start({"--http-listen", "127.0.0.1:0"}));
  const int port = PortOf(vouchd_->http_address());
  // Slowloris: more dribbling connections than HTTP workers and wait list.
  std::atomic<bool> stop{false};
  std::vector<int> slow;
  slow.reserve(80);
  for (int i = 0; i < 80; ++i) slow.push_back(Connect(port, 15000));
  std::thread drip([&] {
    for (int round = 0; round < 100 && !stop; ++round) {
      for (int fd : slow) ::send(fd, "X", 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  auto key = PassportPublicKeyOf(vouchd_->data_dir() + "/keys/passport_rsa.pem");
  ASSERT_TRUE(key.ok()) << key.status();
  std::vector<passport::PlainElement> elements(1);
  elements[0].type = passport::ElementType::kPersonalDetails;
  elements[0].data_json =
      R"({"first_name":"Anna","last_name":"Eriksson","birth_date":"12.08.1974"})";
  auto sealed = passport::SealPassportData(*key, elements, "trust-nonce");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  v1::VerifyRequest request = VerifyRequestFor(*sealed, "trust-nonce");
  request.set_telegram_user_id(777);
  request.mutable_attestation()->mutable_direct()->set_audience("shop.example");
  auto stub = v1::Verification::NewStub(
      grpc::CreateChannel(vouchd_->address(), grpc::InsecureChannelCredentials()));
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::VerificationResult result;
  const grpc::Status verified = stub->Verify(&context, request, &result);
  EXPECT_TRUE(verified.ok()) << verified.error_message();
  EXPECT_EQ(result.state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  // Once the slow clients are gone (the unit test shows they are cut at the
  // request deadline), requests are served again, and hostile ones get
  // their HTTP error.
  stop = true;
  drip.join();
  for (int fd : slow) ::close(fd);
  const auto request_for = [](const std::string& target) {
    return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  // The server notices the closed connections on its own schedule; until
  // it has, it answers 503 with Retry-After, as a client should expect.
  std::string served = Raw(port, request_for("/jwks.json"));
  for (int i = 0; i < 50 && absl::StartsWith(served, "HTTP/1.1 503"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    served = Raw(port, request_for("/jwks.json"));
  }
  EXPECT_THAT(served, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(Raw(port, request_for("/%2e%2e/%2e%2e/etc/passwd")), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Raw(port, request_for("/status/../jwks.json")), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Raw(port, "POST /status/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"),
              StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Raw(port, "DELETE /status/1 HTTP/1.1\r\nHost: x\r\n\r\n"),
              StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Raw(port, absl::StrCat("GET /jwks.json HTTP/1.1\r\nHost: x\r\nCookie: ",
                                     std::string(64 << 10, 'c'), "\r\n\r\n")),
              StartsWith("HTTP/1.1 431"));
  // And gRPC still answers.
  grpc::ClientContext again;
  again.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
  v1::GetVerificationRequest get_request;
  get_request.set_verification_id(result.verification_id());
  v1::VerificationResult fetched;
  EXPECT_TRUE(stub->GetVerification(&again, get_request, &fetched).ok());
}

// Stock verifiers, from the token alone: @sd-jwt/sd-jwt-vc resolves the key
// through the issuer metadata and fetches the status list; jose's
// createRemoteJWKSet reads the published JWKS. Then a revocation: the list
// says so within its ttl.
TEST_F(TrustHttpE2eTest, StockVerifiersResolveKeysAndStatusOverHttps) {
  ASSERT_TRUE(FaceModelsPresent());
  StartTls();
  const std::string npm = std::string(VOUCH_BINARY_DIR) + "/attest/interop";
  const std::string script = kSource + "/tests/interop/attest/run_trust.sh";
  auto [key_rc, key_out] =
      RunShell(absl::StrCat("bash ", script, " ", npm, " keygen ", dir_, "/holder 2>&1"));
  ASSERT_EQ(key_rc, 0) << key_out;
  // A genuine sample (docgen), sealed and submitted in wallet mode.
  const std::string sample = dir_ + "/sample", sealed = dir_ + "/sealed";
  auto [mk_rc, mk_out] = RunShell(
      absl::StrCat(VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce trust-nonce --face ", kSource,
                   "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
  ASSERT_EQ(mk_rc, 0) << mk_out;
  auto [pub_rc, pub_out] =
      RunShell(absl::StrCat("openssl pkey -in ", vouchd_->data_dir(),
                            "/keys/passport_rsa.pem -pubout -out ", dir_, "/pub.pem 2>&1"));
  ASSERT_EQ(pub_rc, 0) << pub_out;
  auto [seal_rc, seal_out] = RunShell(
      absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir_, "/pub.pem --in ", sample,
                   "/PLAIN.json --files-dir ", sample, " --out-dir ", sealed, " 2>&1"));
  ASSERT_EQ(seal_rc, 0) << seal_out;
  auto [rc, out] =
      RunShell(absl::StrCat(VOUCHCTL_PATH, " submit --server ", vouchd_->address(), " --ca ",
                            pki_->Path("ca.pem"), " --token-file ", vouchd_->service_token_file(),
                            " --passport-data ", sealed, "/passport_data.json --files-dir ", sealed,
                            " --nonce trust-nonce --holder-jwk ", dir_, "/holder.jwk --json"));
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  ASSERT_EQ(r.value("decision", ""), "DECISION_VERIFIED") << out;
  const std::string token = r["attestation"].value("sd_jwt", "");
  ASSERT_FALSE(token.empty()) << out;
  std::ofstream(dir_ + "/token") << token;
  const nlohmann::json status = JwtPart(token.substr(0, token.find('~')), 1)["status"];
  ASSERT_TRUE(status.contains("status_list")) << status.dump();
  EXPECT_THAT(status["status_list"].value("uri", ""), StartsWith(issuer_ + "/status/"));

  const auto verify = [&](const std::string& expect) {
    return RunShell(absl::StrCat("NODE_EXTRA_CA_CERTS=", pki_->Path("ca.pem"), " bash ", script,
                                 " ", npm, " verify ", dir_, "/token ", dir_, "/holder ", expect,
                                 " 2>&1"));
  };
  auto [valid_rc, valid_out] = verify("valid");
  EXPECT_EQ(valid_rc, 0) << valid_out;

  auto [revoke_rc, revoke_out] =
      RunShell(absl::StrCat("VOUCH_TOKEN=$(cat ", vouchd_->admin_token_file(), ") ", VOUCHCTL_PATH,
                            " attest revoke --server ", vouchd_->address(), " --ca ",
                            pki_->Path("ca.pem"), " ", r.value("verification_id", ""), " 2>&1"));
  ASSERT_EQ(revoke_rc, 0) << revoke_out;
  // Within the list's ttl (2 s).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto [revoked_rc, revoked_out] = verify("revoked");
  EXPECT_EQ(revoked_rc, 0) << revoked_out;
}

}  // namespace
}  // namespace vouch::testing
