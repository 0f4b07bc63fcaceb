#include "telegram/bot_api_client.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "telegram/fake_bot_api.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::telegram {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using vouch::testing::FakeBotApi;
using vouch::testing::StatusIs;

constexpr char kToken[] = "4242:AAF_secret-token_value_for_the_tests_xyz";
constexpr char kSecret[] = "AAF_secret-token_value_for_the_tests_xyz";

class BotApiClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(api_.Start(), 0); }

  BotApiClient Client(std::string base_url = "") {
    BotApiOptions options;
    options.base_url = base_url.empty() ? api_.base_url() : base_url;
    options.timeout = absl::Seconds(5);
    absl::StatusOr<BotApiClient> client =
        BotApiClient::Create(options, *BotToken::FromString(kToken));
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  FakeBotApi api_{kToken};
};

TEST_F(BotApiClientTest, VerifyUserSendsTheDocumentedParameters) {
  absl::StatusOr<BotApiResponse> r = Client().VerifyUser(777, "Identity document checked");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->result_json, "true");
  const std::vector<FakeBotApi::Call> calls = api_.calls("verifyUser");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].params, nlohmann::json({{"user_id", 777},
                                             {"custom_description", "Identity document checked"}}));
  EXPECT_THAT(api_.violations(), IsEmpty());
  EXPECT_THAT(api_.paths(), ElementsAre(absl::StrCat("/bot", kToken, "/verifyUser")));
}

TEST_F(BotApiClientTest, EmptyDescriptionIsNotSent) {
  ASSERT_TRUE(Client().VerifyUser(777, "").ok());
  ASSERT_TRUE(Client().RemoveUserVerification(777).ok());
  const std::vector<FakeBotApi::Call> calls = api_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params, nlohmann::json({{"user_id", 777}}));
  EXPECT_EQ(calls[1].method, "removeUserVerification");
  EXPECT_EQ(calls[1].params, nlohmann::json({{"user_id", 777}}));
  EXPECT_THAT(api_.violations(), IsEmpty());
}

TEST_F(BotApiClientTest, ReadsRetryAfterOf429) {
  api_.Script429("verifyUser", 17);
  absl::StatusOr<BotApiResponse> r = Client().VerifyUser(1, "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->http_status, 429);
  EXPECT_EQ(r->error_code, 429);
  EXPECT_EQ(r->retry_after, 17);
  EXPECT_EQ(r->description, "Too Many Requests: retry after 17");
}

TEST_F(BotApiClientTest, ReadsOkFalseAndServerErrors) {
  api_.ScriptError("verifyUser", 400, "Bad Request: USER_ID_INVALID");
  api_.Script500("verifyUser");
  api_.Script("verifyUser", 502, "<html>bad gateway</html>");
  absl::StatusOr<BotApiResponse> r = Client().VerifyUser(1, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_code, 400);
  EXPECT_EQ(r->description, "Bad Request: USER_ID_INVALID");
  EXPECT_FALSE(r->retry_after.has_value());
  r = Client().VerifyUser(1, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_code, 500);
  r = Client().VerifyUser(1, "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error_code, 502);
  EXPECT_EQ(r->description, "not a Bot API answer (HTTP 502)");
}

TEST_F(BotApiClientTest, AWrongTokenIsUnauthorizedAndNotEchoed) {
  BotApiOptions options;
  options.base_url = api_.base_url();
  BotApiClient other =
      *BotApiClient::Create(options, *BotToken::FromString("4242:another_token_value"));
  absl::StatusOr<BotApiResponse> r = other.VerifyUser(1, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_code, 401);
  EXPECT_EQ(r->description, "Unauthorized");
}

TEST_F(BotApiClientTest, NoAnswerIsUnavailableWithoutTheToken) {
  BotApiClient client = Client();
  api_.Stop();
  absl::StatusOr<BotApiResponse> r = client.VerifyUser(1, "");
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("verifyUser")));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr(kSecret)));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("/bot")));
  absl::StatusOr<std::string> file = client.Download("documents/file_1.jpg");
  EXPECT_THAT(file.status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(file.status().message()), Not(HasSubstr(kSecret)));
}

TEST_F(BotApiClientTest, GetsAndDownloadsFiles) {
  api_.AddFile("FILEID1", "passport/file_7.jpg", std::string("\xff\xd8\x01\x02", 4));
  BotApiClient client = Client();
  absl::StatusOr<std::string> path = client.GetFilePath("FILEID1");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "passport/file_7.jpg");
  absl::StatusOr<std::string> bytes = client.Download(*path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, std::string("\xff\xd8\x01\x02", 4));
  EXPECT_THAT(client.Download(*path, 3).status(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(client.GetFilePath("nope").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("invalid file_id")));
  EXPECT_THAT(client.Download("passport/none.jpg").status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BotApiClientTest, BaseUrlWithPrefix) {
  // A reverse proxy path: the prefix is kept in front of /bot<token>.
  BotApiClient client = Client(api_.base_url() + "/");
  ASSERT_TRUE(client.VerifyUser(5, "").ok());
  EXPECT_EQ(api_.paths().back(), absl::StrCat("/bot", kToken, "/verifyUser"));
}

TEST(BotApiClientCreateTest, RefusesPlainHttpOffLoopbackAndBadUrls) {
  const BotToken token = *BotToken::FromString(kToken);
  for (const char* bad : {"http://api.telegram.org", "ftp://x", "https://", "https://u@host",
                          "https://host/x?y", "api.telegram.org"}) {
    BotApiOptions options;
    options.base_url = bad;
    EXPECT_THAT(BotApiClient::Create(options, token).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  for (const char* good : {"https://api.telegram.org", "http://127.0.0.1:8081",
                           "http://localhost:8081/tg", "https://[::1]:8443"}) {
    BotApiOptions options;
    options.base_url = good;
    EXPECT_TRUE(BotApiClient::Create(options, token).ok()) << good;
  }
}

}  // namespace
}  // namespace vouch::verifier::telegram
