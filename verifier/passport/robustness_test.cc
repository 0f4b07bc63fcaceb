// Hostile input: random bytes, truncations and bit flips never crash and
// always fail with exactly one error category.

#include <openssl/rand.h>

#include <random>

#include "gtest/gtest.h"
#include "passport/passport.h"
#include "testing/passport_testing.h"

namespace vouch::passport {
namespace {

using ::vouch::passport::testing::Json;
using ::vouch::passport::testing::TestKey;
using ::vouch::passport::testing::TestPublicKey;

SealedPassport Sample() {
  std::vector<PlainElement> elements(3);
  elements[0].type = ElementType::kPersonalDetails;
  elements[0].data_json = R"({"first_name":"A","last_name":"B","birth_date":"1.2.1990"})";
  elements[1].type = ElementType::kIdentityCard;
  elements[1].data_json = R"({"document_no":"X","expiry_date":""})";
  elements[1].front_side = PlainFile{"front", SecureBytes(std::string(700, 'f'))};
  elements[1].reverse_side = PlainFile{"reverse", SecureBytes(std::string(300, 'r'))};
  elements[2].type = ElementType::kUtilityBill;
  elements[2].files.push_back(PlainFile{"bill", SecureBytes(std::string(500, 'b'))});
  auto sealed = SealPassportData(TestPublicKey(), elements, "n");
  EXPECT_TRUE(sealed.ok());
  return *std::move(sealed);
}

// Runs a decryption; the outcome must be OK or carry a category.
void ExpectOkOrCategory(const absl::StatusOr<DecryptedPassport>& result, int& failures) {
  if (result.ok()) return;
  ++failures;
  EXPECT_TRUE(GetErrorCategory(result.status()).has_value()) << result.status();
}

TEST(PassportRobustnessTest, RandomBytes) {
  std::mt19937 rng(1234);
  int failures = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string input(rng() % 600, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    if (i % 2 == 0 && !input.empty()) input[0] = '{';
    ExpectOkOrCategory(DecryptPassportData(TestKey(), input, {}, "n"), failures);
  }
  EXPECT_EQ(failures, 2000);
}

TEST(PassportRobustnessTest, EveryTruncationOfTheJson) {
  const SealedPassport sealed = Sample();
  const std::string& json = sealed.passport_data_json;
  int failures = 0;
  for (size_t n = 0; n < json.size(); ++n) {
    ExpectOkOrCategory(
        DecryptPassportData(TestKey(), json.substr(0, n), sealed.encrypted_files_by_file_id, "n"),
        failures);
  }
  EXPECT_EQ(failures, static_cast<int>(json.size()));
}

TEST(PassportRobustnessTest, BitFlipsInTheJson) {
  const SealedPassport sealed = Sample();
  std::mt19937 rng(99);
  int failures = 0;
  const int kRuns = 1500;
  for (int i = 0; i < kRuns; ++i) {
    std::string json = sealed.passport_data_json;
    json[rng() % json.size()] ^= static_cast<char>(1 << (rng() % 8));
    ExpectOkOrCategory(DecryptPassportData(TestKey(), json, sealed.encrypted_files_by_file_id, "n"),
                       failures);
  }
  // Flips in opaque fields (element hash, file_unique_id) may still decrypt;
  // most flips must fail.
  EXPECT_GT(failures, kRuns / 2);
}

TEST(PassportRobustnessTest, FileTamperingIsAlwaysCaught) {
  const SealedPassport sealed = Sample();
  std::mt19937 rng(7);
  for (const auto& [id, bytes] : sealed.encrypted_files_by_file_id) {
    for (int i = 0; i < 200; ++i) {
      SealedPassport tampered = sealed;
      std::string& file = tampered.encrypted_files_by_file_id[id];
      file[rng() % file.size()] ^= static_cast<char>(1 << (rng() % 8));
      auto result = DecryptPassportData(TestKey(), tampered.passport_data_json,
                                        tampered.encrypted_files_by_file_id, "n");
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(GetErrorCategory(result.status()), ErrorCategory::kHashMismatch);
    }
    for (size_t cut : {size_t{1}, size_t{15}, size_t{16}, bytes.size()}) {
      SealedPassport tampered = sealed;
      std::string& file = tampered.encrypted_files_by_file_id[id];
      file.resize(file.size() - cut);
      auto result = DecryptPassportData(TestKey(), tampered.passport_data_json,
                                        tampered.encrypted_files_by_file_id, "n");
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(GetErrorCategory(result.status()), cut % 16 == 0 && cut != bytes.size()
                                                       ? ErrorCategory::kHashMismatch
                                                       : ErrorCategory::kLength)
          << cut;
    }
  }
}

TEST(PassportRobustnessTest, RandomValuesIntoDecryptValue) {
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    auto random = [&](size_t n) {
      std::string s(n, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      return s;
    };
    const size_t sizes[] = {0, 1, 16, 31, 32, 33, 48, 64, 256};
    auto result = DecryptValue(random(sizes[rng() % 9]), random(sizes[rng() % 9]),
                               random(sizes[rng() % 9]), 1 << 20, "v");
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(GetErrorCategory(result.status()).has_value());
  }
}

// Found by fuzz/passport_element (fuzz/regressions/passport_element/): the
// JSON parser stopped at a raw NUL and accepted whatever came after it.
TEST(PassportRobustnessTest, RawNulIsNotJson) {
  using namespace std::string_literals;
  auto element = ParseElementData(ElementType::kPassport, "{\"document_no\":\"X\"}\0{\"junk\":"s);
  ASSERT_FALSE(element.ok());
  EXPECT_EQ(GetErrorCategory(element.status()), ErrorCategory::kJson);
  EXPECT_EQ(GetErrorCategory(ParseDate("1.1.2000\0x"s).status()), ErrorCategory::kJson);

  const std::string json = Sample().passport_data_json;
  ASSERT_TRUE(ParsePassportData(json).ok());
  auto data = ParsePassportData(json + "\0garbage"s);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(GetErrorCategory(data.status()), ErrorCategory::kJson);
}

}  // namespace
}  // namespace vouch::passport
