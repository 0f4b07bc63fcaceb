#include "base/config_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch {
namespace {

using ::testing::HasSubstr;

TEST(CheckAsciiConfigTest, AcceptsAsciiAndNamesTheLineOfAnythingElse) {
  EXPECT_TRUE(CheckAsciiConfig("a = 1\n# comment\n[t]\nb = \"x\"\n", "config").ok());
  EXPECT_TRUE(CheckAsciiConfig("", "config").ok());
  // The toml++ 3.3.0 reproducer: a non-ASCII character right after a value.
  const absl::Status s = CheckAsciiConfig("a = 1\nx = 1\xc3\xa9\n", "auth config");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("auth config: line 2: non-ASCII"));
  EXPECT_EQ(CheckAsciiConfig("# M\xc3\xbcller\n", "c").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckAsciiConfig("a = \"\xff\"", "c").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vouch
