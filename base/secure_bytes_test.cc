#include "base/secure_bytes.h"

#include <string>

#include "gtest/gtest.h"

namespace vouch {
namespace {

TEST(SecureBytesTest, DropPrefixKeepsTail) {
  SecureBytes bytes(absl::string_view("0123456789"));

  bytes.DropPrefix(4);

  EXPECT_EQ(bytes.view(), "456789");
}

TEST(SecureBytesTest, TruncateKeepsHead) {
  SecureBytes bytes(absl::string_view("0123456789"));

  bytes.Truncate(3);

  EXPECT_EQ(bytes.view(), "012");
}

TEST(SecureBytesTest, MoveLeavesSourceEmpty) {
  SecureBytes a(absl::string_view("secret"));

  SecureBytes b = std::move(a);

  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract.
  EXPECT_EQ(b.view(), "secret");
}

TEST(SecureBytesTest, WipeMemoryZeroesBytes) {
  std::string s = "plaintext";

  WipeMemory(s.data(), s.size());

  EXPECT_EQ(s, std::string(9, '\0'));
}

}  // namespace
}  // namespace vouch
