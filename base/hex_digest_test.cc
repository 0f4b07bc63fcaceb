#include "base/hex_digest.h"

#include <limits>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace vouch {
namespace {

bool IsLowerHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(HexDigestTest, RandomHexHasTwoDigitsPerByteAndDiffers) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    const std::string id = RandomHex(16);
    EXPECT_EQ(id.size(), 32u);
    EXPECT_TRUE(IsLowerHex(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(RandomHex(0), "");
}

TEST(HexDigestTest, RandomHexMakesUpToTheMaximum) {
  const std::string most = RandomHex(kMaxRandomHexBytes);
  EXPECT_EQ(most.size(), 2u * kMaxRandomHexBytes);
  EXPECT_TRUE(IsLowerHex(most));
}

// A count outside [0, kMaxRandomHexBytes] is a caller's bug: it aborts,
// naming the count, rather than making a huge or negative-sized string.
TEST(HexDigestDeathTest, RandomHexAbortsOnACountOutsideItsRange) {
  EXPECT_DEATH(RandomHex(-1), "RandomHex: -1 bytes is outside \\[0, 1024\\]");
  EXPECT_DEATH(RandomHex(kMaxRandomHexBytes + 1), "RandomHex: 1025 bytes is outside");
  EXPECT_DEATH(RandomHex(std::numeric_limits<int>::min()), "bytes is outside");
}

// FIPS 180-2 test vectors.
TEST(HexDigestTest, Sha256HexMatchesTheStandardVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // The whole view is hashed, an embedded NUL included.
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a"));
}

}  // namespace
}  // namespace vouch
