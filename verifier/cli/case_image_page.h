#ifndef VOUCH_VERIFIER_CLI_CASE_IMAGE_PAGE_H_
#define VOUCH_VERIFIER_CLI_CASE_IMAGE_PAGE_H_

// A loopback web page that shows a review case's images, for an operator who
// has only a terminal (`vouchctl queue show --serve-images`, `vouchctl review
// --serve-images`; docs/review.md). The operator opens the printed URL in a
// browser on the same machine, or through an SSH tunnel
// (`ssh -L PORT:127.0.0.1:PORT host`).
//
// What it guarantees:
//   - it listens on 127.0.0.1 only, on a port the kernel picks;
//   - every URL carries a random 256-bit token made for this page (OpenSSL
//     RAND_bytes), compared in constant time; a request without it, for any
//     other path, with another Host header than 127.0.0.1:PORT (DNS
//     rebinding), or with another method than GET gets 404 and no content;
//   - the decrypted images stay in memory (SecureBytes, wiped when replaced
//     or dropped) and are streamed from there: nothing is written to a file;
//   - responses say no-store, no-referrer, nosniff and a CSP that allows
//     only this page's own images;
//   - Stop() (or the destructor) closes the listener; afterwards nothing
//     answers on the port.

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/secure_bytes.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace vouch::verifier::cli {

// One image of a case as the page shows it.
struct PageImage {
  std::string element;  // "passport", "selfie" ... (as vouchd labels it)
  std::string source;   // "front_side", "selfie", "files" ...
  SecureBytes content;  // the decrypted file, wiped when dropped
};

// The served case. Shared with the requests streaming it, so replacing the
// case never frees bytes a response is still sending; wiped when the last
// holder drops it.
struct PageCase {
  std::string case_id;
  std::vector<PageImage> images;
};

// Thread-safe: Show/Clear/Stop may be called while requests are served.
class CaseImagePage {
 public:
  // Binds 127.0.0.1:0 and starts serving (no case shown yet). Errors:
  // kInternal when no random token can be made or the socket cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<CaseImagePage>> Start();

  ~CaseImagePage();
  CaseImagePage(const CaseImagePage&) = delete;
  CaseImagePage& operator=(const CaseImagePage&) = delete;

  // Shows `page_case` from now on; the previous case is dropped (wiped once
  // no response is sending it).
  void Show(PageCase page_case);
  // Shows no case (the page says so).
  void Clear();
  // Stops listening and drops the case. Idempotent.
  void Stop();

  // "http://127.0.0.1:PORT/TOKEN/": the page listing the images.
  std::string url() const { return url_; }
  // The URL of image `index` of the shown case.
  std::string ImageUrl(size_t index) const;
  int port() const { return port_; }

 private:
  CaseImagePage(std::unique_ptr<httplib::Server> server, int port, std::string token);

  void Handle(const httplib::Request& request, httplib::Response& response);
  std::shared_ptr<const PageCase> Current() const;

  const std::unique_ptr<httplib::Server> server_;
  const int port_;
  const std::string token_;  // 64 lower-case hex digits
  const std::string url_;
  std::thread listener_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const PageCase> case_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_CASE_IMAGE_PAGE_H_
