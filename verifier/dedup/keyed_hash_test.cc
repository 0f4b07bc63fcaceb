#include "dedup/keyed_hash.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::dedup {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

DedupKey Key(char fill) {
  const std::string secret(32, fill);
  return DedupKey{DedupKeyId(secret), SecureBytes(secret)};
}

const DocumentIdentity kSpecimen{"UTO", "passport", "L898902C3"};

std::string TempPath(absl::string_view name) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::remove_all(dir);
  return (dir / "keys" / std::string(name)).string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(KeyedHashTest, SameInputsGiveTheSameHash) {
  const DedupKey key = Key('a');
  const std::string h = DocumentHash(key, "provider", kSpecimen);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, DocumentHash(key, "provider", kSpecimen));
  EXPECT_EQ(PersonHash(key, "provider", {"ERIKSSON ANNA MARIA", absl::CivilDay(1974, 8, 12)}),
            PersonHash(key, "provider", {"ERIKSSON ANNA MARIA", absl::CivilDay(1974, 8, 12)}));
  EXPECT_EQ(TelegramUserHash(key, "provider", 42), TelegramUserHash(key, "provider", 42));
}

TEST(KeyedHashTest, DifferentValuesGiveDifferentHashes) {
  const DedupKey key = Key('a');
  const std::string h = DocumentHash(key, "provider", kSpecimen);
  EXPECT_NE(h, DocumentHash(key, "provider", {"UTO", "passport", "L898902C4"}));
  EXPECT_NE(h, DocumentHash(key, "provider", {"D", "passport", "L898902C3"}));
  EXPECT_NE(h, DocumentHash(key, "provider", {"UTO", "identity_card", "L898902C3"}));
  EXPECT_NE(PersonHash(key, "provider", {"ERIKSSON ANNA", absl::CivilDay(1974, 8, 12)}),
            PersonHash(key, "provider", {"ERIKSSON ANNA", absl::CivilDay(1974, 8, 13)}));
  EXPECT_NE(TelegramUserHash(key, "provider", 42), TelegramUserHash(key, "provider", 43));
}

TEST(KeyedHashTest, NormalisesBeforeHashing) {
  const DedupKey key = Key('a');
  EXPECT_EQ(NormalizeDocumentNumber(" l898-902 c3<"), "L898902C3");
  EXPECT_EQ(NormalizeIssuingState(" uto "), "UTO");
  EXPECT_EQ(NormalizePersonName("eriksson<<anna-maria "), "ERIKSSON ANNA MARIA");
  EXPECT_EQ(DocumentHash(key, "provider", kSpecimen),
            DocumentHash(key, "provider", {" uto", " Passport ", "l898 902-c3"}));
  EXPECT_EQ(PersonHash(key, "provider", {"ERIKSSON ANNA MARIA", absl::CivilDay(1974, 8, 12)}),
            PersonHash(key, "provider", {"Eriksson  anna-maria", absl::CivilDay(1974, 8, 12)}));
}

TEST(KeyedHashTest, ShortOrEmptyIdentitiesAreNotHashable) {
  EXPECT_TRUE(IsHashable(kSpecimen));
  EXPECT_FALSE(IsHashable(DocumentIdentity{"UTO", "passport", "1-2"}));
  EXPECT_FALSE(IsHashable(DocumentIdentity{"", "passport", "L898902C3"}));
  EXPECT_FALSE(IsHashable(PersonIdentity{"<<", absl::CivilDay(1974, 8, 12)}));
}

TEST(KeyedHashTest, ScopesAreSeparate) {
  const DedupKey key = Key('a');
  EXPECT_NE(DocumentHash(key, "service:bank", kSpecimen),
            DocumentHash(key, "service:shop", kSpecimen));
  EXPECT_NE(DocumentHash(key, "service:bank", kSpecimen), DocumentHash(key, "provider", kSpecimen));
  EXPECT_NE(TelegramUserHash(key, "service:bank", 42), TelegramUserHash(key, "service:shop", 42));
}

TEST(KeyedHashTest, KindsAndKeysAreSeparate) {
  // A person whose name were a document number still hashes apart.
  EXPECT_NE(DocumentHash(Key('a'), "provider", kSpecimen),
            DocumentHash(Key('b'), "provider", kSpecimen));
  EXPECT_NE(Key('a').id, Key('b').id);
  EXPECT_EQ(Key('a').id.size(), 16u);
}

TEST(DedupKeyringTest, CreatesAPrivateKeyFileAndLoadsTheSameKeyAgain) {
  const std::string path = TempPath("dedup_hmac.keys");
  absl::StatusOr<std::shared_ptr<const DedupKeyring>> first = DedupKeyring::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  absl::StatusOr<std::shared_ptr<const DedupKeyring>> again = DedupKeyring::LoadOrCreate(path);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ((*again)->keys().size(), 1u);
  EXPECT_EQ((*again)->current().id, (*first)->current().id);
  EXPECT_EQ(DocumentHash((*again)->current(), "provider", kSpecimen),
            DocumentHash((*first)->current(), "provider", kSpecimen));
}

TEST(DedupKeyringTest, RefusesAKeyFileOthersCanRead) {
  const std::string path = TempPath("dedup_hmac.keys");
  ASSERT_TRUE(DedupKeyring::LoadOrCreate(path).ok());
  for (mode_t mode : {0640, 0604, 0620}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    absl::StatusOr<std::shared_ptr<const DedupKeyring>> loaded = DedupKeyring::LoadOrCreate(path);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition) << mode;
    EXPECT_THAT(loaded.status().message(), HasSubstr("chmod 600"));
    EXPECT_EQ(DedupKeyring::Rotate(path).status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(DedupKeyringTest, RefusesAMalformedFileWithoutQuotingIt) {
  const std::string path = TempPath("dedup_hmac.keys");
  ASSERT_TRUE(DedupKeyring::LoadOrCreate(path).ok());
  const std::string text = ReadAll(path);
  std::string broken = text;
  broken[broken.size() - 2] = broken[broken.size() - 2] == '0' ? '1' : '0';  // Id no longer fits.
  {
    std::ofstream out(path, std::ios::trunc);
    out << broken;
  }
  absl::StatusOr<std::shared_ptr<const DedupKeyring>> loaded = DedupKeyring::LoadOrCreate(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(loaded.status().message(), HasSubstr("line 2"));
  const std::string secret_hex = text.substr(text.rfind(' ') + 1, 64);
  EXPECT_THAT(loaded.status().message(), Not(HasSubstr(secret_hex)));
}

TEST(DedupKeyringTest, RotationKeepsTheOldKeyForLookup) {
  const std::string path = TempPath("dedup_hmac.keys");
  absl::StatusOr<std::shared_ptr<const DedupKeyring>> before = DedupKeyring::LoadOrCreate(path);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string old_hash = DocumentHash((*before)->current(), "provider", kSpecimen);

  absl::StatusOr<std::string> new_id = DedupKeyring::Rotate(path);
  ASSERT_TRUE(new_id.ok()) << new_id.status();
  absl::StatusOr<std::shared_ptr<const DedupKeyring>> after = DedupKeyring::LoadOrCreate(path);
  ASSERT_TRUE(after.ok()) << after.status();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_EQ((*after)->keys().size(), 2u);
  EXPECT_EQ((*after)->current().id, *new_id);
  EXPECT_EQ((*after)->keys()[1].id, (*before)->current().id);
  // New entries are written under the new key; an entry written before the
  // rotation is still found by looking up under every key of the ring.
  EXPECT_NE(DocumentHash((*after)->current(), "provider", kSpecimen), old_hash);
  bool found = false;
  for (const DedupKey& k : (*after)->keys()) {
    found = found || DocumentHash(k, "provider", kSpecimen) == old_hash;
  }
  EXPECT_TRUE(found);
}

TEST(DedupKeyringTest, FromKeysRefusesAWrongSizedSecret) {
  std::vector<DedupKey> keys;
  keys.push_back(DedupKey{"x", SecureBytes(absl::string_view("short"))});
  EXPECT_EQ(DedupKeyring::FromKeys(std::move(keys)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DedupKeyring::FromKeys({}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vouch::verifier::dedup
