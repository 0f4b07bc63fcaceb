#include "guarded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace vouch::verifier::http::http_internal {
namespace {

// Set while the acceptor runs a connection it has no room for.
thread_local bool t_reject = false;

class DeadlineStream;
thread_local DeadlineStream* t_stream = nullptr;

constexpr size_t kReadBufferBytes = 4096;

int MillisUntil(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
}

// Waits for `events` on `fd` until `deadline`. False on timeout or error.
bool PollUntil(int fd, short events, absl::Time deadline) {
  while (true) {
    const int ms = MillisUntil(deadline);
    if (ms == 0) return false;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

void AddressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

// A connection as httplib's Stream: plain or TLS over a non-blocking socket,
// every read bounded by the current request's deadline and byte budget.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int fd, SSL* ssl, const ConnectionLimits& limits)
      : fd_(fd), ssl_(ssl), limits_(limits) {}

  void StartRequest() {
    deadline_ = absl::Now() + limits_.request_deadline;
    request_bytes_ = 0;
    cut_ = CutReason::kNone;
  }
  CutReason cut() const { return cut_; }
  size_t request_bytes() const { return request_bytes_; }

  // Whether a next request starts within `idle`.
  bool WaitForRequest(absl::Duration idle) const {
    if (begin_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
    return PollUntil(fd_, POLLIN, absl::Now() + idle);
  }

  bool is_readable() const override {
    return begin_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0) ||
           PollUntil(fd_, POLLIN, deadline_);
  }
  bool is_writable() const override {
    return PollUntil(fd_, POLLOUT, absl::Now() + limits_.write_timeout);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (cut_ != CutReason::kNone) return -1;
    if (begin_ == end_) {
      const ssize_t n = Fill();
      if (n <= 0) return n;
    }
    const size_t n = std::min(size, end_ - begin_);
    if (request_bytes_ + n > limits_.max_request_bytes) {
      cut_ = CutReason::kTooLarge;
      return -1;
    }
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    request_bytes_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    const absl::Time deadline = absl::Now() + limits_.write_timeout;
    size_t done = 0;
    while (done < size) {
      if (ssl_ != nullptr) {
        const int n =
            SSL_write(ssl_, ptr + done, static_cast<int>(std::min<size_t>(size - done, 1 << 20)));
        if (n > 0) {
          done += static_cast<size_t>(n);
          continue;
        }
        if (!WaitSsl(SSL_get_error(ssl_, n), deadline)) return -1;
      } else {
        const ssize_t n = ::send(fd_, ptr + done, size - done, MSG_NOSIGNAL);
        if (n > 0) {
          done += static_cast<size_t>(n);
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            PollUntil(fd_, POLLOUT, deadline)) {
          continue;
        }
        return -1;
      }
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, false, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  // Reads what arrives before the deadline into the buffer: > 0 bytes, 0 at
  // the end of the stream, -1 on error or when the deadline passes.
  ssize_t Fill() {
    begin_ = end_ = 0;
    while (true) {
      if (ssl_ != nullptr) {
        const int n = SSL_read(ssl_, buffer_, sizeof(buffer_));
        if (n > 0) {
          end_ = static_cast<size_t>(n);
          return n;
        }
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_ZERO_RETURN) return 0;
        if (!WaitSsl(error, deadline_)) return Cut();
      } else {
        const ssize_t n = ::recv(fd_, buffer_, sizeof(buffer_), 0);
        if (n > 0) {
          end_ = static_cast<size_t>(n);
          return n;
        }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (!PollUntil(fd_, POLLIN, deadline_)) return Cut();
      }
    }
  }

  ssize_t Cut() {
    if (absl::Now() >= deadline_) cut_ = CutReason::kDeadline;
    return -1;
  }

  // Waits for what OpenSSL asks for; false for a fatal error or timeout.
  bool WaitSsl(int error, absl::Time deadline) const {
    if (error == SSL_ERROR_WANT_READ) return PollUntil(fd_, POLLIN, deadline);
    if (error == SSL_ERROR_WANT_WRITE) return PollUntil(fd_, POLLOUT, deadline);
    return false;
  }

  const int fd_;
  SSL* const ssl_;
  const ConnectionLimits& limits_;
  absl::Time deadline_ = absl::InfinitePast();
  size_t request_bytes_ = 0;
  CutReason cut_ = CutReason::kNone;
  char buffer_[kReadBufferBytes];
  size_t begin_ = 0;
  size_t end_ = 0;

 public:
  bool close_after_response = false;
};

// A fixed set of worker threads and a bounded wait list. A connection that
// finds the list full is run on the acceptor with t_reject set: it gets a
// 503 (plain HTTP) or is closed (TLS), without waiting.
class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(int threads, int max_pending) : max_pending_(max_pending) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (static_cast<int>(pending_.size()) < max_pending_) {
        pending_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    t_reject = true;
    fn();
    t_reject = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return shutdown_ || !pending_.empty(); });
        if (pending_.empty()) return;  // Shut down and drained.
        fn = std::move(pending_.front());
        pending_.pop_front();
      }
      fn();
    }
  }

  const int max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> pending_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

constexpr char kOverloaded[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
    "Retry-After: 1\r\nConnection: close\r\n\r\noverloaded\r\n";

void CloseSocket(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

// Lingering close: after our last response, stop sending and discard what
// the client still sends for a moment (bounded in time and bytes), so that
// closing with unread data (e.g. the rest of an oversized request) does not
// make the kernel reset the connection before the client read the response.
constexpr absl::Duration kLinger = absl::Milliseconds(500);
constexpr size_t kLingerBytes = 256 << 10;

void LingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  const absl::Time deadline = absl::Now() + kLinger;
  char sink[4096];
  size_t drained = 0;
  while (drained < kLingerBytes && PollUntil(fd, POLLIN, deadline)) {
    const ssize_t n = ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) break;
    if (n > 0) drained += static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace

GuardedServer::GuardedServer(ConnectionLimits limits, SslCtxPtr ssl_ctx)
    : limits_(limits), ssl_ctx_(std::move(ssl_ctx)) {
  const int threads = limits_.worker_threads;
  const int pending = limits_.max_pending;
  new_task_queue = [threads, pending] { return new BoundedTaskQueue(threads, pending); };
}

CutReason GuardedServer::CurrentCut() {
  return t_stream != nullptr ? t_stream->cut() : CutReason::kNone;
}

size_t GuardedServer::CurrentRequestBytes() {
  return t_stream != nullptr ? t_stream->request_bytes() : 0;
}

void GuardedServer::CloseAfterResponse() {
  if (t_stream != nullptr) t_stream->close_after_response = true;
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (t_reject) {
    // Best effort, never blocking the acceptor.
    if (ssl_ctx_ == nullptr)
      ::send(sock, kOverloaded, sizeof(kOverloaded) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    CloseSocket(sock);
    return false;
  }
  const int flags = ::fcntl(sock, F_GETFL, 0);
  if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) != 0) {
    CloseSocket(sock);
    return false;
  }
  SSL* ssl = nullptr;
  if (ssl_ctx_ != nullptr) {
    ssl = SSL_new(ssl_ctx_.get());
    if (ssl == nullptr || SSL_set_fd(ssl, sock) != 1) {
      SSL_free(ssl);
      CloseSocket(sock);
      return false;
    }
    const absl::Time deadline = absl::Now() + limits_.request_deadline;
    while (true) {
      const int rc = SSL_accept(ssl);
      if (rc == 1) break;
      const int error = SSL_get_error(ssl, rc);
      const bool waited = (error == SSL_ERROR_WANT_READ && PollUntil(sock, POLLIN, deadline)) ||
                          (error == SSL_ERROR_WANT_WRITE && PollUntil(sock, POLLOUT, deadline));
      if (!waited) {
        SSL_free(ssl);
        CloseSocket(sock);
        return false;
      }
    }
  }
  bool served = false;
  {
    DeadlineStream stream(sock, ssl, limits_);
    t_stream = &stream;
    for (int i = 0; i < limits_.max_requests_per_connection; ++i) {
      if (i > 0 && !stream.WaitForRequest(limits_.idle_timeout)) break;
      stream.StartRequest();
      bool closed = false;
      const bool last = i + 1 == limits_.max_requests_per_connection;
      const bool ok =
          process_request(stream, last, closed, [ssl](httplib::Request& req) { req.ssl = ssl; });
      served = served || ok;
      if (!ok || closed || stream.cut() != CutReason::kNone || stream.close_after_response) break;
    }
    t_stream = nullptr;
  }
  if (ssl != nullptr) {
    SSL_shutdown(ssl);  // One non-blocking attempt: the close_notify.
    SSL_free(ssl);
  }
  LingeringClose(sock);
  return served;
}

}  // namespace vouch::verifier::http::http_internal
