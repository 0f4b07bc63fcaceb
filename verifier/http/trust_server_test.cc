// TrustServer on a loopback port with a fake issuer: the routes, caching
// headers, and the hostile-client bounds (methods, path tricks, oversized
// and too many headers, slow clients, connection overload), over plain
// HTTP with raw sockets and over TLS with httplib's client.

#include "http/trust_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "testing/pipeline_fakes.h"

namespace vouch::verifier::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kIssuer[] = "https://vouch.invalid";
constexpr char kVct[] = "https://vouch.invalid/credentials/identity/1";

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

// Connects to 127.0.0.1:port with a receive timeout.
int Connect(int port, int timeout_ms = 5000) {
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

void SendAll(int fd, const std::string& data) {
  ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
}

// Everything until the peer closes (or the receive timeout).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One raw request on its own connection; the whole response.
std::string Raw(int port, const std::string& request) {
  const int fd = Connect(port);
  SendAll(fd, request);
  std::string out = ReadAll(fd);
  ::close(fd);
  return out;
}

std::string Get(const std::string& target) {
  return absl::StrCat("GET ", target,
                      " HTTP/1.1\r\nHost: vouch.invalid\r\nConnection: close\r\n\r\n");
}

class TrustServerTest : public ::testing::Test {
 protected:
  void Start(TrustServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    options.issuer_url = kIssuer;
    options.vct = kVct;
    auto server = TrustServer::Create(std::move(options), issuer_, [this] { return ready_; });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->Start().ok());
    port_ = PortOf(server_->bound_address());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  httplib::Client Client() { return httplib::Client("127.0.0.1", port_); }

  testing::FakeAttestationIssuer issuer_;
  absl::Status ready_ = absl::OkStatus();
  std::unique_ptr<TrustServer> server_;
  int port_ = 0;
};

TEST_F(TrustServerTest, ServesTheIssuerDocuments) {
  Start();
  httplib::Client client = Client();
  auto metadata = client.Get("/.well-known/jwt-vc-issuer");
  ASSERT_TRUE(metadata);
  EXPECT_EQ(metadata->status, 200);
  EXPECT_EQ(metadata->body, R"({"issuer":"https://vouch.invalid"})");
  EXPECT_EQ(metadata->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(metadata->get_header_value("Cache-Control"), "public, max-age=300");
  auto jwks = client.Get("/jwks.json");
  ASSERT_TRUE(jwks);
  EXPECT_EQ(jwks->body, R"({"keys":[]})");
  EXPECT_EQ(jwks->get_header_value("Content-Type"), "application/jwk-set+json");
  auto list = client.Get("/status/1");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(list->body, "status.list.jwt");
  EXPECT_EQ(list->get_header_value("Content-Type"), "application/statuslist+jwt");
  EXPECT_EQ(list->get_header_value("Cache-Control"), "public, max-age=3600");
  auto type = client.Get("/credentials/identity/1");
  ASSERT_TRUE(type);
  EXPECT_EQ(nlohmann::json::parse(type->body)["vct"], kVct);
  auto head = client.Head("/status/1");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

TEST_F(TrustServerTest, ETagGivesNotModified) {
  Start();
  httplib::Client client = Client();
  auto first = client.Get("/status/1");
  ASSERT_TRUE(first);
  const std::string etag = first->get_header_value("ETag");
  ASSERT_THAT(etag, StartsWith("\""));
  auto again = client.Get("/status/1", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto listed = client.Get("/status/1", {{"If-None-Match", "\"other\", W/" + etag}});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 304);
  auto other = client.Get("/status/1", {{"If-None-Match", "\"other\""}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
}

TEST_F(TrustServerTest, UnknownListsAndPathTricksAreNotFound) {
  Start();
  for (const std::string target :
       {"/status/2", "/status/01", "/status/1/", "/status/-1", "/status/1x", "/status/",
        "/status/../jwks.json", "/%2e%2e/jwks.json", "/.well-known/../jwks.json",
        "/.well-known/jwt-vc-issuer/..", "/jwks.json%00", "/%2Fjwks.json", "//jwks.json",
        "/etc/passwd", "/../../../../etc/passwd", "/healthz/../readyz"}) {
    const std::string response = Raw(port_, Get(target));
    EXPECT_THAT(response, StartsWith("HTTP/1.1 404")) << target;
    EXPECT_THAT(response, Not(HasSubstr("root:"))) << target;
  }
}

TEST_F(TrustServerTest, OnlyGetAndHead) {
  Start();
  for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"}) {
    const std::string response = Raw(port_, absl::StrCat(method,
                                                         " /jwks.json HTTP/1.1\r\nHost: x\r\n"
                                                         "Content-Length: 3\r\n\r\nabc"));
    EXPECT_THAT(response, StartsWith("HTTP/1.1 405")) << method;
    EXPECT_THAT(response, HasSubstr("Allow: GET, HEAD")) << method;
  }
  // Not a method at all.
  EXPECT_THAT(Raw(port_, "BREW /jwks.json HTTP/1.1\r\nHost: x\r\n\r\n"),
              StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Raw(port_, "\x16\x03\x01garbage\r\n\r\n"), StartsWith("HTTP/1.1 400"));
}

TEST_F(TrustServerTest, OversizedAndTooManyHeadersAreRefused) {
  Start();
  const std::string big = absl::StrCat(
      "GET /jwks.json HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(10000, 'a'), "\r\n\r\n");
  EXPECT_THAT(Raw(port_, big), StartsWith("HTTP/1.1 431"));
  std::string many = "GET /jwks.json HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&many, "X-", i, ": y\r\n");
  many += "\r\n";
  EXPECT_THAT(Raw(port_, many), StartsWith("HTTP/1.1 431"));
  const std::string long_uri = Get(absl::StrCat("/", std::string(9000, 'a')));
  EXPECT_THAT(Raw(port_, long_uri), StartsWith("HTTP/1.1 414"));
  const std::string huge = absl::StrCat(
      "GET /jwks.json HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(40000, 'a'), "\r\n\r\n");
  EXPECT_THAT(Raw(port_, huge), StartsWith("HTTP/1.1 431"));
  // A large body on a GET.
  EXPECT_THAT(Raw(port_, absl::StrCat("GET /jwks.json HTTP/1.1\r\nHost: x\r\nContent-Length: ",
                                      1 << 20, "\r\n\r\n", std::string(20000, 'b'))),
              StartsWith("HTTP/1.1 413"));
}

TEST_F(TrustServerTest, SlowClientIsCutAtTheDeadline) {
  TrustServerOptions options;
  options.request_deadline = absl::Seconds(1);
  Start(options);
  const int fd = Connect(port_, 10000);
  SendAll(fd, "GET /jwks.json HTTP/1.1\r\nHost: x\r\n");
  const auto start = std::chrono::steady_clock::now();
  // Slowloris: a header line every 200 ms, never the end of the headers.
  std::thread drip([fd] {
    for (int i = 0; i < 30; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (::send(fd, "X-a: b\r\n", 8, MSG_NOSIGNAL) < 0) return;
    }
  });
  const std::string response = ReadAll(fd);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::shutdown(fd, SHUT_RDWR);
  drip.join();
  ::close(fd);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 408"));
  EXPECT_LT(elapsed, std::chrono::seconds(4));
  // A silent client is closed too (nothing to answer).
  const int silent = Connect(port_, 10000);
  const auto silent_start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(silent), "");
  EXPECT_LT(std::chrono::steady_clock::now() - silent_start, std::chrono::seconds(4));
  ::close(silent);
}

TEST_F(TrustServerTest, OverloadGetsServiceUnavailableAndRecovers) {
  TrustServerOptions options;
  options.worker_threads = 1;
  options.max_pending_connections = 1;
  options.request_deadline = absl::Seconds(2);
  Start(options);
  // One silent connection holds the only worker, a second one waits.
  const int held = Connect(port_, 10000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int waiting = Connect(port_, 10000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  const std::string refused = Raw(port_, Get("/healthz"));
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 503"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ::close(held);
  ::close(waiting);
  // Once the held connections are cut, requests are served again.
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  EXPECT_THAT(Raw(port_, Get("/healthz")), StartsWith("HTTP/1.1 200"));
}

TEST_F(TrustServerTest, ReadinessFollowsTheCallback) {
  Start();
  httplib::Client client = Client();
  auto ok = client.Get("/readyz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  ready_ = absl::UnavailableError("store unreachable");
  auto down = client.Get("/readyz");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_THAT(down->body, HasSubstr("store unreachable"));
  auto live = client.Get("/healthz");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

TEST_F(TrustServerTest, RefusesBadOptions) {
  TrustServerOptions options;
  options.listen = "127.0.0.1:0";
  options.issuer_url = "http://vouch.invalid";
  EXPECT_EQ(TrustServer::Create(options, issuer_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.issuer_url = "https://vouch.invalid/";
  EXPECT_EQ(TrustServer::Create(options, issuer_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.issuer_url = kIssuer;
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(TrustServer::Create(options, issuer_, nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TrustServerTest, ServesOverTls) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/trust_tls_", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
      "/CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout ",
      key, " -out ", cert, " 2>/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0);
  TrustServerOptions options;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  options.request_deadline = absl::Seconds(1);
  Start(options);
  httplib::SSLClient client("127.0.0.1", port_);
  client.set_ca_cert_path(cert.c_str());
  client.enable_server_certificate_verification(true);
  auto list = client.Get("/status/1");
  ASSERT_TRUE(list) << httplib::to_string(list.error());
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(list->body, "status.list.jwt");
  auto post = client.Post("/status/1", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  // Plain HTTP on the TLS port gets nothing; a stalled handshake is cut.
  EXPECT_THAT(Raw(port_, Get("/healthz")), Not(HasSubstr("200 OK")));
  const int stalled = Connect(port_, 10000);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(stalled), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  ::close(stalled);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::verifier::http
