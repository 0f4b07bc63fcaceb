#include "telegram/bot_token.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::telegram {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vouch::testing::StatusIs;

constexpr char kToken[] = "123456789:AAH-secret_part_of_the_token_0123456";
constexpr char kSecret[] = "AAH-secret_part_of_the_token_0123456";

std::string WriteFile(const std::string& name, const std::string& text, mode_t mode) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::filesystem::remove(path);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(BotTokenTest, ReadsAPrivateFile) {
  const std::string path = WriteFile("token_ok", std::string(kToken) + "\n", 0600);
  absl::StatusOr<BotToken> token = BotToken::FromFile(path);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->value(), kToken);
  EXPECT_EQ(token->bot_id(), "123456789");
}

TEST(BotTokenTest, RefusesAFileOthersCanRead) {
  const std::string path = WriteFile("token_open", kToken, 0644);
  absl::StatusOr<BotToken> token = BotToken::FromFile(path);
  EXPECT_THAT(token.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 600")));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr(kSecret)));
}

TEST(BotTokenTest, MalformedFileDoesNotEchoItsContent) {
  const std::string path = WriteFile("token_bad", "not a token AAH-secret_part", 0600);
  absl::StatusOr<BotToken> token = BotToken::FromFile(path);
  EXPECT_THAT(token.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not of the form")));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr("AAH-secret")));
}

TEST(BotTokenTest, MissingFileIsNotFound) {
  EXPECT_THAT(BotToken::FromFile(::testing::TempDir() + "/no_such_token").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(BotTokenTest, ReadsTheEnvironment) {
  ::setenv("VOUCH_TEST_BOT_TOKEN", kToken, 1);
  absl::StatusOr<BotToken> token = BotToken::FromEnv("VOUCH_TEST_BOT_TOKEN");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->value(), kToken);
  ::setenv("VOUCH_TEST_BOT_TOKEN", "123:has spaces AAH-secret", 1);
  token = BotToken::FromEnv("VOUCH_TEST_BOT_TOKEN");
  EXPECT_THAT(token.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("VOUCH_TEST_BOT_TOKEN")));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr("AAH-secret")));
  ::unsetenv("VOUCH_TEST_BOT_TOKEN");
  EXPECT_THAT(BotToken::FromEnv("VOUCH_TEST_BOT_TOKEN").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(BotTokenTest, RejectsMalformedTokens) {
  for (const char* bad : {"", ":abc", "123:", "12a:abc", "123:ab/c", "123:ab c"}) {
    EXPECT_THAT(BotToken::FromString(bad).status(), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(BotTokenTest, RedactsTheToken) {
  absl::StatusOr<BotToken> token = BotToken::FromString(kToken);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->Redact(absl::StrCat("GET /bot", kToken, "/getMe")), "GET /bot<token>/getMe");
}

}  // namespace
}  // namespace vouch::verifier::telegram
