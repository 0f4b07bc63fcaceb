// The loopback image page on a real 127.0.0.1 socket, through cpp-httplib's
// client: what it serves with the token, and that everything else is refused
// the same way (404, no content).

#include "case_image_page.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace vouch::verifier::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A JPEG and a PNG signature followed by bytes a test can recognise; the page
// only looks at the signature to pick the content type.
const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + "jpeg-body-1234567890";
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "png-body-abcdefghij";
const std::string kOther = "plain bytes, not an image";

PageCase SampleCase() {
  PageCase c;
  c.case_id = "vrf_case<1>";
  c.images.push_back({"passport", "front_side", SecureBytes(kJpeg)});
  c.images.push_back({"passport", "selfie", SecureBytes(kPng)});
  c.images.push_back({"passport", "files", SecureBytes(kOther)});
  return c;
}

class CaseImagePageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<CaseImagePage>> page = CaseImagePage::Start();
    ASSERT_TRUE(page.ok()) << page.status();
    page_ = *std::move(page);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", page_->port());
  }

  // The path part of the page's URL: "/TOKEN/".
  std::string PagePath() const {
    const std::string prefix = absl::StrCat("http://127.0.0.1:", page_->port());
    return page_->url().substr(prefix.size());
  }

  // GET `path`; status -1 when nothing answered.
  std::pair<int, std::string> Get(const std::string& path, httplib::Headers headers = {}) {
    httplib::Result r = client_->Get(path, headers);
    if (!r) return {-1, ""};
    return {r->status, r->body};
  }

  void ExpectRefused(const std::string& path, httplib::Headers headers = {}) {
    auto [status, body] = Get(path, std::move(headers));
    EXPECT_EQ(status, 404) << path;
    EXPECT_EQ(body, "not found\n") << path;
  }

  std::unique_ptr<CaseImagePage> page_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(CaseImagePageTest, UrlIsLoopbackWithA256BitToken) {
  EXPECT_THAT(page_->url(), ::testing::MatchesRegex(absl::StrCat(
                                "http://127\\.0\\.0\\.1:", page_->port(), "/[0-9a-f]{64}/")));
  absl::StatusOr<std::unique_ptr<CaseImagePage>> other = CaseImagePage::Start();
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->url().substr((*other)->url().rfind('/', (*other)->url().size() - 2)),
            page_->url().substr(page_->url().rfind('/', page_->url().size() - 2)))
      << "two pages share a token";
}

TEST_F(CaseImagePageTest, ServesTheCaseImagesWithTheToken) {
  page_->Show(SampleCase());
  httplib::Result index = client_->Get(PagePath());
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(index->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_THAT(index->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
  // The case id is escaped; the images are listed with their labels.
  EXPECT_THAT(index->body, HasSubstr("vrf_case&lt;1&gt;"));
  EXPECT_THAT(index->body, Not(HasSubstr("vrf_case<1>")));
  EXPECT_THAT(index->body, HasSubstr("<img src=\"0\""));
  EXPECT_THAT(index->body, HasSubstr("<img src=\"1\""));
  EXPECT_THAT(index->body, HasSubstr("passport selfie"));
  EXPECT_THAT(index->body, Not(HasSubstr("<img src=\"2\"")));  // not an image

  httplib::Result jpeg = client_->Get(PagePath() + "0");
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(jpeg->status, 200);
  EXPECT_EQ(jpeg->body, kJpeg);
  EXPECT_EQ(jpeg->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(jpeg->get_header_value("Cache-Control"), "no-store");
  httplib::Result png = client_->Get(PagePath() + "1");
  ASSERT_TRUE(png);
  EXPECT_EQ(png->body, kPng);
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
  httplib::Result other = client_->Get(PagePath() + "2");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->body, kOther);
  EXPECT_EQ(other->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(other->get_header_value("Content-Disposition"), "attachment");
}

TEST_F(CaseImagePageTest, RefusesWithoutTheTokenAndEveryOtherPath) {
  page_->Show(SampleCase());
  const std::string token = PagePath().substr(1, 64);
  std::string wrong = token;
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  ExpectRefused("/");
  ExpectRefused("/0");
  ExpectRefused("/index.html");
  ExpectRefused(absl::StrCat("/", wrong, "/"));
  ExpectRefused(absl::StrCat("/", wrong, "/0"));
  ExpectRefused(absl::StrCat("/", token));         // no trailing slash
  ExpectRefused(absl::StrCat("/", token, "x/0"));  // token plus a character
  ExpectRefused(absl::StrCat("/", token.substr(0, 63), "/0"));
  ExpectRefused(absl::StrCat("/", token, "/3"));  // past the last image
  ExpectRefused(absl::StrCat("/", token, "/-1"));
  ExpectRefused(absl::StrCat("/", token, "/0x0"));
  ExpectRefused(absl::StrCat("/", token, "/00000000000000000000"));
  ExpectRefused(absl::StrCat("/", token, "/../", token, "/0"));
  ExpectRefused(absl::StrCat("/", token, "/0/"));
  // Another Host (a DNS-rebinding page in the browser) is refused even with
  // the token.
  ExpectRefused(absl::StrCat("/", token, "/0"), {{"Host", "evil.example:80"}});
  ExpectRefused(absl::StrCat("/", token, "/0"), {{"Host", "localhost"}});
  // Only GET serves anything.
  httplib::Result post = client_->Post(PagePath() + "0", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_NE(post->status, 200);
  EXPECT_THAT(post->body, Not(HasSubstr("jpeg-body")));
}

TEST_F(CaseImagePageTest, ClearAndShowReplaceTheCase) {
  page_->Show(SampleCase());
  page_->Clear();
  auto [status, body] = Get(PagePath());
  EXPECT_EQ(status, 200);
  EXPECT_THAT(body, HasSubstr("No case is shown"));
  ExpectRefused(PagePath() + "0");

  PageCase next;
  next.case_id = "vrf_next";
  next.images.push_back({"id_card", "reverse_side", SecureBytes(kPng)});
  page_->Show(std::move(next));
  auto [next_status, next_body] = Get(PagePath());
  EXPECT_EQ(next_status, 200);
  EXPECT_THAT(next_body, HasSubstr("vrf_next"));
  EXPECT_EQ(Get(PagePath() + "0").second, kPng);
  ExpectRefused(PagePath() + "1");
}

TEST_F(CaseImagePageTest, NothingAnswersAfterStop) {
  page_->Show(SampleCase());
  ASSERT_EQ(Get(PagePath() + "0").first, 200);
  page_->Stop();
  page_->Stop();  // idempotent
  httplib::Client fresh("127.0.0.1", page_->port());
  fresh.set_connection_timeout(1, 0);
  EXPECT_FALSE(fresh.Get(PagePath() + "0"));
  page_->Show(SampleCase());  // ignored once stopped
  EXPECT_FALSE(fresh.Get(PagePath()));
}

}  // namespace
}  // namespace vouch::verifier::cli
