#ifndef VOUCH_VERIFIER_HTTP_GUARDED_SERVER_H_
#define VOUCH_VERIFIER_HTTP_GUARDED_SERVER_H_

// cpp-httplib's Server with the connection handling vouch needs on a public
// port (module-private; trust_server.h is the API).
//
// cpp-httplib 0.11 (Debian 12) bounds each read by a timeout but not a whole
// request: a client that sends one byte every few seconds keeps a worker
// thread forever, and it has no bound on the number of headers or on queued
// connections. GuardedServer keeps httplib's request parsing, routing and
// response writing (Server::process_request) and replaces only the per
// connection loop:
//   - every request (request line, headers, body) must arrive within
//     `request_deadline` and within `max_request_bytes`; otherwise the read
//     fails, httplib answers 400 and the error handler turns that into 408
//     or 431 (CurrentCut());
//   - a keep-alive connection waits at most `idle_timeout` for the next
//     request and serves at most `max_requests_per_connection`;
//   - `worker_threads` connections are served at once and `max_pending` more
//     wait; beyond that a plain-HTTP connection gets 503 at once and a TLS
//     one is closed;
//   - TLS (OpenSSL, non-blocking) with the handshake under the same deadline.
//
// Thread-safety: as httplib::Server (configure before listening).

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>

#include "absl/time/time.h"
#include "httplib.h"

namespace vouch::verifier::http::http_internal {

struct ConnectionLimits {
  int worker_threads = 8;
  int max_pending = 64;
  absl::Duration request_deadline = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(10);
  int max_requests_per_connection = 100;
  size_t max_request_bytes = 16 << 10;
};

// Why the request being served on this thread was cut short.
enum class CutReason { kNone, kDeadline, kTooLarge };

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

class GuardedServer final : public httplib::Server {
 public:
  // `ssl_ctx` null: plaintext.
  GuardedServer(ConnectionLimits limits, SslCtxPtr ssl_ctx);

  // For handlers and the error handler: the cut of the request being served
  // on the calling thread (kNone outside a request).
  static CutReason CurrentCut();
  // Bytes of the request being served on the calling thread read so far.
  static size_t CurrentRequestBytes();
  // Closes the connection after the response being written on this thread
  // (for refused requests whose body was not read).
  static void CloseAfterResponse();

 private:
  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
  const SslCtxPtr ssl_ctx_;
};

}  // namespace vouch::verifier::http::http_internal

#endif  // VOUCH_VERIFIER_HTTP_GUARDED_SERVER_H_
