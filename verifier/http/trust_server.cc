#include "http/trust_server.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "guarded_server.h"
#include "nlohmann/json.hpp"

namespace vouch::verifier::http {
namespace {

using http_internal::CutReason;
using http_internal::GuardedServer;

constexpr char kJson[] = "application/json";
constexpr char kJwks[] = "application/jwk-set+json";
constexpr char kStatusListJwt[] = "application/statuslist+jwt";
constexpr char kText[] = "text/plain; charset=utf-8";
// Status list numbers: 1 .. 999999999 (no sign, no leading zero).
constexpr size_t kMaxListDigits = 9;
constexpr int kMaxRequestsPerConnection = 100;

// "https://host[:port][/path]" → {authority, path without trailing slash}.
absl::StatusOr<std::pair<std::string, std::string>> SplitHttpsUrl(absl::string_view url,
                                                                  absl::string_view what) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://") || rest.empty() ||
      rest.find_first_of("?#\\ ") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be an https URL without query or fragment"));
  }
  const size_t slash = rest.find('/');
  std::string authority(rest.substr(0, slash));
  std::string path(slash == absl::string_view::npos ? "" : rest.substr(slash));
  if (authority.empty() || absl::EndsWith(path, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must have a host and no trailing /"));
  }
  return std::make_pair(std::move(authority), std::move(path));
}

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("--http-listen must be HOST:PORT");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

// A strong validator: the first 16 bytes of SHA-256 of the body, hex.
std::string ETagOf(const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(body.data(), body.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned int i = 0; i < 16 && i < size; ++i) {
    tag += kHex[digest[i] >> 4];
    tag += kHex[digest[i] & 0xf];
  }
  return tag + "\"";
}

// RFC 9110 §13.1.2: a list of entity tags or "*"; weak comparison.
bool MatchesIfNoneMatch(const std::string& header, const std::string& etag) {
  for (absl::string_view tag : absl::StrSplit(header, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

void SetError(httplib::Response& res, int status, absl::string_view message) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(absl::StrCat(message, "\n"), kText);
}

// 200 with the document, or 304 when the client holds it already.
void SetDocument(const httplib::Request& req, httplib::Response& res, const std::string& body,
                 const char* media_type, absl::Duration max_age) {
  const std::string etag = ETagOf(body);
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", absl::StrCat("public, max-age=", absl::ToInt64Seconds(max_age)));
  res.set_header("Access-Control-Allow-Origin", "*");
  if (req.has_header("If-None-Match") &&
      MatchesIfNoneMatch(req.get_header_value("If-None-Match"), etag)) {
    res.status = 304;
    return;
  }
  res.set_content(body, media_type);
}

void SetFromStatus(const httplib::Request& req, httplib::Response& res,
                   const absl::StatusOr<std::string>& document, const char* media_type,
                   absl::Duration max_age) {
  if (document.ok()) {
    SetDocument(req, res, *document, media_type, max_age);
  } else if (absl::IsNotFound(document.status())) {
    SetError(res, 404, "not found");
  } else {
    // Never the message: it may name internals.
    SetError(res, 503, "temporarily unavailable");
  }
}

absl::StatusOr<http_internal::SslCtxPtr> NewSslCtx(const TrustServerOptions& o) {
  http_internal::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.tls_cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        "the HTTPS listener cannot use --tls-cert/--tls-key (unreadable, or not a matching pair)");
  }
  return ctx;
}

using HandlerResponse = httplib::Server::HandlerResponse;

// Answers `res` and closes the connection after it (its remaining bytes
// may not be a request).
HandlerResponse RefuseAndClose(httplib::Response& res, int status, absl::string_view message) {
  res.set_header("Connection", "close");
  GuardedServer::CloseAfterResponse();
  SetError(res, status, message);
  return HandlerResponse::Handled;
}

// A wallet POST before its body is read: the address's budget for
// `endpoint` first (a flood of any kind is cut, its refusals audited once),
// then a bounded, length-delimited body and the header count.
HandlerResponse PreRouteWalletPost(const httplib::Request& req, httplib::Response& res,
                                   WalletIssuer& wallet, absl::string_view endpoint,
                                   int max_headers) {
  const auto close_with = [&res](const WalletAnswer& a) {
    res.status = a.status;
    res.set_header("Cache-Control", "no-store");
    res.set_header("Connection", "close");
    GuardedServer::CloseAfterResponse();
    res.set_content(a.body, kJson);
    return HandlerResponse::Handled;
  };
  if (const std::optional<WalletAnswer> a = wallet.Throttle(endpoint, req.remote_addr)) {
    res.set_header("Retry-After", absl::StrCat(a->retry_after_seconds));
    return close_with(*a);
  }
  size_t length = 0;
  if (req.has_header("Transfer-Encoding") ||
      !absl::SimpleAtoi(
          req.has_header("Content-Length") ? req.get_header_value("Content-Length") : "0",
          &length) ||
      length > kMaxWalletRequestBytes) {
    return close_with(wallet.Refuse(req.path, 413, "invalid_request",
                                    "request body too large or not length-delimited"));
  }
  if (static_cast<int>(req.headers.size()) > max_headers) {
    return RefuseAndClose(res, 431, "too many request header fields");
  }
  return HandlerResponse::Unhandled;
}

// Any other request before routing: GET or HEAD, without a body, with at
// most `max_headers` header fields.
HandlerResponse PreRouteGet(const httplib::Request& req, httplib::Response& res, int max_headers) {
  if (req.method != "GET" && req.method != "HEAD") {
    res.set_header("Allow", "GET, HEAD");
    return RefuseAndClose(res, 405, "method not allowed: only GET and HEAD");
  }
  if (req.has_header("Transfer-Encoding") ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0")) {
    return RefuseAndClose(res, 413, "a GET or HEAD request carries no body");
  }
  if (static_cast<int>(req.headers.size()) > max_headers) {
    return RefuseAndClose(res, 431, "too many request header fields");
  }
  return HandlerResponse::Unhandled;
}

// httplib answers 400 when a read fails; name the reason when it was ours,
// or when it refused a header line over its own limit.
void AnswerUnreadRequest(httplib::Response& res) {
  CutReason cut = GuardedServer::CurrentCut();
  if (cut == CutReason::kNone && res.status == 400 &&
      GuardedServer::CurrentRequestBytes() > CPPHTTPLIB_HEADER_MAX_LENGTH) {
    cut = CutReason::kTooLarge;
  }
  if (!res.body.empty()) return;  // One of ours: the request was understood.
  // httplib could not read the request: answer and close the connection,
  // whose remaining bytes are not a request.
  switch (cut) {
    case CutReason::kDeadline:
      RefuseAndClose(res, 408, "request not received in time");
      return;
    case CutReason::kTooLarge:
      RefuseAndClose(res, 431, "request header fields too large");
      return;
    case CutReason::kNone:
      break;
  }
  const int status = res.status;
  RefuseAndClose(res, status, status == 414 ? "request target too long" : "bad request");
}

}  // namespace

std::string TypeMetadataJson(const std::string& vct) {
  using json = nlohmann::json;
  const auto claim = [](std::vector<std::string> path, const char* label) {
    json p = json::array();
    for (std::string& part : path) p.push_back(std::move(part));
    return json{{"path", std::move(p)},
                {"sd", "always"},
                {"display", json::array({json{{"locale", "en"}, {"label", label}}})}};
  };
  json claims = json::array({
      claim({"sub"}, "Pairwise subject (per relying service)"),
      claim({"document_verified"}, "An identity document was verified"),
      claim({"verification"}, "How the document was verified"),
      claim({"age_equal_or_over"}, "Age thresholds reached"),
      claim({"nationalities"}, "Nationalities"),
      claim({"birthdate"}, "Date of birth"),
      claim({"given_name"}, "Given name"),
      claim({"family_name"}, "Family name"),
  });
  return json{{"vct", vct},
              {"name", "Identity verification"},
              {"description",
               "A Telegram Passport identity document verified by vouch: the checks that "
               "passed and the claims the relying service's policy discloses."},
              {"display", json::array({json{{"locale", "en"}, {"name", "Identity verification"}}})},
              {"claims", std::move(claims)}}
      .dump();
}

absl::StatusOr<std::unique_ptr<TrustServer>> TrustServer::Create(
    TrustServerOptions options, pipeline::AttestationIssuer& issuer,
    std::function<absl::Status()> ready, WalletIssuer* wallet) {
  auto issuer_parts = SplitHttpsUrl(options.issuer_url, "the issuer URL");
  if (!issuer_parts.ok()) return issuer_parts.status();
  if (options.worker_threads < 1 || options.worker_threads > 256 ||
      options.max_pending_connections < 0 || options.max_headers < 1 ||
      options.max_request_bytes < 1024 || options.request_deadline <= absl::ZeroDuration() ||
      options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("bad HTTP listener limits");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  http_internal::SslCtxPtr ssl_ctx;
  if (!options.tls_cert_file.empty()) {
    auto ctx = NewSslCtx(options);
    if (!ctx.ok()) return ctx.status();
    ssl_ctx = *std::move(ctx);
  }
  http_internal::ConnectionLimits limits;
  limits.worker_threads = options.worker_threads;
  limits.max_pending = options.max_pending_connections;
  limits.request_deadline = options.request_deadline;
  limits.idle_timeout = options.idle_timeout;
  limits.max_request_bytes = options.max_request_bytes;
  limits.max_requests_per_connection = kMaxRequestsPerConnection;
  auto server = std::make_unique<GuardedServer>(limits, std::move(ssl_ctx));
  std::unique_ptr<TrustServer> trust(new TrustServer(std::move(options), std::move(server)));
  trust->Route(issuer, ready, wallet);
  return trust;
}

TrustServer::TrustServer(TrustServerOptions options, std::unique_ptr<GuardedServer> server)
    : options_(std::move(options)), server_(std::move(server)) {}

TrustServer::~TrustServer() { Stop(); }

void TrustServer::Route(pipeline::AttestationIssuer& issuer,
                        const std::function<absl::Status()>& ready, WalletIssuer* wallet) {
  const auto [issuer_authority, issuer_path] = *SplitHttpsUrl(options_.issuer_url, "issuer");
  std::string vct_path;
  if (auto vct = SplitHttpsUrl(options_.vct, "vct");
      vct.ok() && vct->first == issuer_authority && !vct->second.empty()) {
    vct_path = vct->second;
  }
  const std::string metadata_path = absl::StrCat("/.well-known/jwt-vc-issuer", issuer_path);
  // The paths the routes' lambdas capture are strings built here (not the
  // structured binding itself: clang 14 cannot capture one).
  const std::string wallet_issuer_metadata_path =
      absl::StrCat("/.well-known/openid-credential-issuer", issuer_path);
  const std::string wallet_as_metadata_path =
      absl::StrCat("/.well-known/oauth-authorization-server", issuer_path);
  const std::string jwks_path = absl::StrCat(issuer_path, "/jwks.json");
  const std::string status_prefix = absl::StrCat(issuer_path, "/status/");
  const std::string type_metadata = TypeMetadataJson(options_.vct);
  const std::string issuer_url = options_.issuer_url;
  const absl::Duration list_age = options_.status_list_max_age;
  const absl::Duration metadata_age = options_.metadata_max_age;
  const int max_headers = options_.max_headers;

  server_->set_keep_alive_timeout(absl::ToInt64Seconds(options_.idle_timeout));
  server_->set_keep_alive_max_count(kMaxRequestsPerConnection);
  server_->set_payload_max_length(options_.max_request_bytes);
  server_->set_default_headers({{"X-Content-Type-Options", "nosniff"}});
  // Before routing (and before a body is read): methods and header counts.
  // ---- OpenID4VCI issuer endpoints ----
  const std::string wallet_token = absl::StrCat(issuer_path, "/token");
  const std::string wallet_nonce = absl::StrCat(issuer_path, "/nonce");
  const std::string wallet_credential = absl::StrCat(issuer_path, "/credential");
  const auto is_wallet_post = [=](const httplib::Request& req) {
    return wallet != nullptr && req.method == "POST" &&
           (req.path == wallet_token || req.path == wallet_nonce || req.path == wallet_credential);
  };
  if (wallet != nullptr) {
    const auto answer = [](httplib::Response& res, const WalletAnswer& a) {
      res.status = a.status;
      res.set_header("Cache-Control", "no-store");
      if (!a.www_authenticate.empty()) res.set_header("WWW-Authenticate", a.www_authenticate);
      res.set_content(a.body, kJson);
    };
    const auto dpop = [](const httplib::Request& req) {  // RFC 9449: every DPoP header.
      std::vector<std::string> proofs;
      for (size_t i = 0, n = req.get_header_value_count("DPoP"); i < n; ++i) {
        proofs.push_back(req.get_header_value("DPoP", i));
      }
      return proofs;
    };
    server_->Post(
        wallet_token, [wallet, answer, dpop](const httplib::Request& req, httplib::Response& res) {
          answer(res, wallet->Token(req.get_header_value("Content-Type"), req.body, dpop(req)));
        });
    server_->Post(wallet_nonce, [wallet, answer](const httplib::Request&, httplib::Response& res) {
      answer(res, wallet->Nonce());
    });
    server_->Post(wallet_credential, [wallet, answer, dpop](const httplib::Request& req,
                                                            httplib::Response& res) {
      answer(res, wallet->Credential(req.get_header_value("Authorization"),
                                     req.get_header_value("Content-Type"), req.body, dpop(req)));
    });
  }
  // ---- end OpenID4VCI issuer endpoints ----
  server_->set_pre_routing_handler(
      [max_headers, is_wallet_post, wallet, wallet_token, wallet_credential](
          const httplib::Request& req, httplib::Response& res) {
        if (is_wallet_post(req)) {  // Bounded bodies, before they are read.
          const absl::string_view endpoint = req.path == wallet_token        ? "token"
                                             : req.path == wallet_credential ? "credential"
                                                                             : "";
          return PreRouteWalletPost(req, res, *wallet, endpoint, max_headers);
        }
        return PreRouteGet(req, res, max_headers);
      });
  server_->set_error_handler(
      [](const httplib::Request&, httplib::Response& res) { AnswerUnreadRequest(res); });
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
        SetError(res, 500, "internal error");
      });
  server_->Get(".*", [=, &issuer](const httplib::Request& req, httplib::Response& res) {
    const std::string& path = req.path;
    if (wallet != nullptr && path == wallet_issuer_metadata_path) {
      SetDocument(req, res, wallet->CredentialIssuerMetadata(), kJson, metadata_age);
    } else if (wallet != nullptr && path == wallet_as_metadata_path) {
      SetDocument(req, res, wallet->AuthorizationServerMetadata(), kJson, metadata_age);
    } else if (path == metadata_path) {
      SetFromStatus(req, res, issuer.IssuerMetadata(), kJson, metadata_age);
    } else if (path == jwks_path) {
      SetFromStatus(req, res, issuer.Jwks(), kJwks, metadata_age);
    } else if (absl::StartsWith(path, status_prefix)) {
      const std::string number = path.substr(status_prefix.size());
      if (number.empty() || number.size() > kMaxListDigits || number[0] == '0' ||
          number.find_first_not_of("0123456789") != std::string::npos) {
        SetError(res, 404, "not found");
        return;
      }
      SetFromStatus(req, res, issuer.StatusList(absl::StrCat(issuer_url, "/status/", number)),
                    kStatusListJwt, list_age);
    } else if (!vct_path.empty() && path == vct_path) {
      SetDocument(req, res, type_metadata, kJson, metadata_age);
    } else if (path == "/healthz") {
      res.set_header("Cache-Control", "no-store");
      res.set_content("ok\n", kText);
    } else if (path == "/readyz") {
      const absl::Status status = ready ? ready() : absl::OkStatus();
      if (status.ok()) {
        res.set_header("Cache-Control", "no-store");
        res.set_content("ready\n", kText);
      } else {
        SetError(res, 503, absl::StrCat("not ready: ", status.message()));
      }
    } else {
      SetError(res, 404, "not found");
    }
  });
}

absl::Status TrustServer::Start() {
  auto host_port = SplitHostPort(options_.listen);
  if (!host_port.ok()) return host_port.status();
  const auto& [host, port] = *host_port;
  const int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  bound_ = absl::StrCat(options_.listen.substr(0, options_.listen.rfind(':')), ":", bound);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void TrustServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace vouch::verifier::http
