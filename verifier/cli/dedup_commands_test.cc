// vouchctl dedup: the key rotated with the old key kept, and one
// verification's entries erased and audited; the errors name the problem.
#include "dedup_commands.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "dedup/keyed_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace vouch::verifier::cli {
namespace {

using ::testing::HasSubstr;

class DedupCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/dedup_commands_" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(DedupCommandsTest, RotateKeyPutsANewKeyFirstAndKeepsTheOld) {
  const std::string path = dir_ + "/keys/dedup_hmac.keys";
  auto before = verifier::dedup::DedupKeyring::LoadOrCreate(path);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string old_id = (*before)->current().id;
  ASSERT_TRUE(verifier::storage::NewSqliteStore(dir_ + "/vouch.db").ok());

  ASSERT_EQ(RunDedupRotateKey(dir_, "", out_, err_), 0) << err_.str();

  auto after = verifier::dedup::DedupKeyring::LoadOrCreate(path);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ((*after)->keys().size(), 2u);
  EXPECT_NE((*after)->current().id, old_id);
  EXPECT_EQ((*after)->keys()[1].id, old_id);
  EXPECT_THAT(out_.str(), HasSubstr((*after)->current().id));
  // Audited in vouchd's database, with the key id only.
  auto store = verifier::storage::NewSqliteStore(dir_ + "/vouch.db");
  ASSERT_TRUE(store.ok());
  auto events = (*store)->ListAudit(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "dedup.key_rotate");
  EXPECT_EQ((*events)[0].detail, "{\"key_id\":\"" + (*after)->current().id + "\"}");
}

TEST_F(DedupCommandsTest, RotateKeyWithoutAKeyFileFailsAndCreatesNone) {
  EXPECT_EQ(RunDedupRotateKey(dir_, "", out_, err_), 1);
  EXPECT_THAT(err_.str(), HasSubstr("error: "));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/keys/dedup_hmac.keys"));
}

TEST_F(DedupCommandsTest, EraseDeletesOneVerificationsEntriesAndAuditsIt) {
  {
    auto store = verifier::storage::NewSqliteStore(dir_ + "/vouch.db");
    ASSERT_TRUE(store.ok());
    verifier::storage::DuplicateEntry e;
    e.scope = "provider";
    e.key_id = "k1";
    e.hash = "h";
    e.verification_id = "ver_1";
    e.user_hash = "u";
    e.create_time = absl::Now();
    verifier::storage::DuplicateEntry other = e;
    other.verification_id = "ver_2";
    ASSERT_TRUE((*store)->RecordDuplicates({e, other}).ok());
  }

  ASSERT_EQ(RunDedupErase(dir_, "", "ver_1", "alice", out_, err_), 0) << err_.str();

  EXPECT_THAT(out_.str(), HasSubstr("erased 1 duplicate-index entries of ver_1"));
  auto store = verifier::storage::NewSqliteStore(dir_ + "/vouch.db");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->CountDuplicates(absl::Now()), 1);
  auto events = (*store)->ListAudit(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "duplicate.erase");
  EXPECT_EQ((*events)[0].actor, "alice");
}

TEST_F(DedupCommandsTest, EraseWithoutADatabaseFailsAndCreatesNone) {
  EXPECT_EQ(RunDedupErase(dir_, "", "ver_1", "alice", out_, err_), 1);
  EXPECT_THAT(err_.str(), HasSubstr("no database at"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/vouch.db"));
}

TEST_F(DedupCommandsTest, EraseRefusesAnEmptyVerificationId) {
  ASSERT_TRUE(verifier::storage::NewSqliteStore(dir_ + "/vouch.db").ok());
  EXPECT_EQ(RunDedupErase(dir_, "", "", "alice", out_, err_), 1);
  EXPECT_THAT(err_.str(), HasSubstr("verification id"));
}

}  // namespace
}  // namespace vouch::verifier::cli
