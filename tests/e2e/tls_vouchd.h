// vouchd with TLS on gRPC and on its HTTPS listener, for the end-to-end
// tests of the trust plane (trust_http_e2e_test) and of wallet issuance
// (wallet_offer_fixture.h): a throwaway CA and a server certificate for
// localhost and 127.0.0.1, and the issuer URL naming the HTTPS port before
// vouchd binds it. The including test target defines VOUCHD_PATH.

#ifndef VOUCH_TESTS_E2E_TLS_VOUCHD_H_
#define VOUCH_TESTS_E2E_TLS_VOUCHD_H_

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "testing/test_pki.h"
#include "vouchd_process.h"

namespace vouch::testing {

// A loopback port free right now (vouchd binds it a moment later).
inline int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  return bound ? ntohs(addr.sin_port) : 0;
}

// Makes the CA "ca" and the server certificate "server" (localhost,
// 127.0.0.1; its key 0600, as vouchd wants it) in `pki`.
inline bool MakeServerPki(TestPki& pki) {
  if (!pki.MakeCa("ca") ||
      !pki.MakeCert("ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth")) {
    return false;
  }
  std::filesystem::permissions(pki.Path("server.key"), std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
  return true;
}

// Starts `vouchd` with TLS from `pki` (MakeServerPki) on gRPC and on
// --http-listen, a free loopback port, and --config `config_path` holding
// `config(issuer)`, where the issuer is https://127.0.0.1:<that port>
// followed by `issuer_path`. A port taken meanwhile is retried (3 times in
// all). Returns the issuer URL, or "" when vouchd did not start.
inline std::string StartTlsHttpsVouchd(VouchdProcess& vouchd, const TestPki& pki,
                                       const std::string& config_path,
                                       const std::function<std::string(const std::string&)>& config,
                                       const std::string& issuer_path = "") {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int port = FreeLoopbackPort();
    std::string issuer = absl::StrCat("https://127.0.0.1:", port, issuer_path);
    std::ofstream(config_path) << config(issuer);
    if (vouchd.Start({"--tls-cert", pki.Path("server.pem"), "--tls-key", pki.Path("server.key"),
                      "--config", config_path, "--http-listen",
                      absl::StrCat("127.0.0.1:", port)})) {
      return issuer;
    }
  }
  return "";
}

// A gRPC channel to `vouchd` that trusts `pki`'s CA.
inline std::shared_ptr<grpc::Channel> TlsChannel(const VouchdProcess& vouchd, const TestPki& pki) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pki.Read("ca.pem");
  return grpc::CreateChannel(vouchd.address(), grpc::SslCredentials(ssl));
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_TLS_VOUCHD_H_
