#include "case_image_page.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace vouch::verifier::cli {
namespace {

constexpr char kLoopback[] = "127.0.0.1";
constexpr size_t kTokenBytes = 32;  // 256 bits, printed as 64 hex digits
// The listener should be up well within this; the thread is already running.
constexpr auto kStartWait = std::chrono::seconds(5);
constexpr auto kStartPoll = std::chrono::milliseconds(5);
// A browser's requests are tiny; nothing needs a body.
constexpr size_t kMaxRequestBody = 1024;
constexpr time_t kReadTimeoutSeconds = 5;
// Bytes per write when streaming an image from memory.
constexpr size_t kStreamChunk = 64 * 1024;

// The content type of an image from its first bytes; "" for anything that is
// not an image a browser shows (served as a download instead).
std::string ImageType(const SecureBytes& content) {
  const absl::string_view c = content.view();
  if (absl::StartsWith(c, "\xff\xd8\xff")) return "image/jpeg";
  if (absl::StartsWith(c, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (c.size() >= 12 && absl::StartsWith(c, "RIFF") && c.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  return "";
}

std::string EscapeHtml(absl::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// Headers on every answer, the refusals included.
void SetCommonHeaders(httplib::Response& response) {
  response.set_header("Cache-Control", "no-store");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Content-Security-Policy",
                      "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
}

void NotFound(httplib::Response& response) {
  response.status = 404;
  response.set_content("not found\n", "text/plain");
}

std::string IndexHtml(const PageCase* page_case) {
  std::string html =
      "<!doctype html><meta charset=\"utf-8\"><title>vouch review case</title>"
      "<style>body{font-family:sans-serif;margin:1em;background:#1e1e1e;color:#ddd}"
      "img{max-width:100%;border:1px solid #555}figure{margin:0 0 2em}</style>";
  if (page_case == nullptr) {
    return html + "<p>No case is shown now. Reload when vouchctl shows the next one.</p>";
  }
  absl::StrAppend(&html, "<h1>case ", EscapeHtml(page_case->case_id), "</h1>");
  for (size_t i = 0; i < page_case->images.size(); ++i) {
    const PageImage& image = page_case->images[i];
    const std::string label = EscapeHtml(absl::StrCat(image.element, " ", image.source));
    absl::StrAppend(&html, "<figure><figcaption>", i + 1, ". ", label, " (", image.content.size(),
                    " bytes)</figcaption>");
    if (ImageType(image.content).empty()) {
      absl::StrAppend(&html, "<a href=\"", i, "\">not an image a browser shows: download</a>");
    } else {
      absl::StrAppend(&html, "<img src=\"", i, "\" alt=\"", label, "\">");
    }
    html += "</figure>";
  }
  return html;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CaseImagePage>> CaseImagePage::Start() {
  unsigned char random[kTokenBytes];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("cannot make a random token for the image page (RAND_bytes)");
  }
  std::string token = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  OPENSSL_cleanse(random, sizeof(random));

  auto server = std::make_unique<httplib::Server>();
  server->set_payload_max_length(kMaxRequestBody);
  server->set_read_timeout(kReadTimeoutSeconds, 0);
  const int port = server->bind_to_any_port(kLoopback);
  if (port <= 0) {
    return absl::InternalError(absl::StrCat("cannot listen on ", kLoopback, " for the image page"));
  }
  std::unique_ptr<CaseImagePage> page(new CaseImagePage(std::move(server), port, std::move(token)));
  const auto deadline = std::chrono::steady_clock::now() + kStartWait;
  while (!page->server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::InternalError("the image page's listener did not start");
    }
    std::this_thread::sleep_for(kStartPoll);
  }
  return page;
}

CaseImagePage::CaseImagePage(std::unique_ptr<httplib::Server> server, int port, std::string token)
    : server_(std::move(server)),
      port_(port),
      token_(std::move(token)),
      url_(absl::StrCat("http://", kLoopback, ":", port_, "/", token_, "/")) {
  // Every path goes through Handle, which checks token, host and path itself,
  // so a refusal looks the same whatever was wrong.
  server_->Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
    Handle(request, response);
  });
  listener_ = std::thread([this] { server_->listen_after_bind(); });
}

CaseImagePage::~CaseImagePage() { Stop(); }

void CaseImagePage::Show(PageCase page_case) {
  auto shown = std::make_shared<const PageCase>(std::move(page_case));
  absl::MutexLock lock(&mu_);
  if (!stopped_) case_ = std::move(shown);
}

void CaseImagePage::Clear() {
  absl::MutexLock lock(&mu_);
  case_.reset();
}

void CaseImagePage::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    case_.reset();
  }
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

std::string CaseImagePage::ImageUrl(size_t index) const { return absl::StrCat(url_, index); }

std::shared_ptr<const PageCase> CaseImagePage::Current() const {
  absl::MutexLock lock(&mu_);
  return case_;
}

void CaseImagePage::Handle(const httplib::Request& request, httplib::Response& response) {
  SetCommonHeaders(response);
  // "/" TOKEN "/" [INDEX]
  const std::string& path = request.path;
  const size_t prefix = 1 + token_.size() + 1;
  const bool token_ok = path.size() >= prefix && path[0] == '/' && path[prefix - 1] == '/' &&
                        CRYPTO_memcmp(path.data() + 1, token_.data(), token_.size()) == 0;
  const bool host_ok = request.get_header_value("Host") == absl::StrCat(kLoopback, ":", port_);
  if (!token_ok || !host_ok) return NotFound(response);

  const std::shared_ptr<const PageCase> shown = Current();
  const absl::string_view rest = absl::string_view(path).substr(prefix);
  if (rest.empty()) {
    response.set_content(IndexHtml(shown.get()), "text/html; charset=utf-8");
    return;
  }
  size_t index = 0;
  if (shown == nullptr || !std::all_of(rest.begin(), rest.end(), absl::ascii_isdigit) ||
      rest.size() > 4 || !absl::SimpleAtoi(rest, &index) || index >= shown->images.size()) {
    return NotFound(response);
  }
  const SecureBytes& content = shown->images[index].content;
  std::string type = ImageType(content);
  if (type.empty()) {
    type = "application/octet-stream";
    response.set_header("Content-Disposition", "attachment");
  }
  // Streamed from the shared, wiped-on-drop buffer: no copy into the
  // response's body string (which nobody would wipe).
  response.set_content_provider(
      content.size(), type,
      [shown, &content](size_t offset, size_t length, httplib::DataSink& sink) {
        const size_t n = std::min(length, kStreamChunk);
        return sink.write(reinterpret_cast<const char*>(content.data()) + offset, n);
      });
}

}  // namespace vouch::verifier::cli
