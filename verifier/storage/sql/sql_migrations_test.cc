// The schema's migrations, written once: each dialect's text of every
// released migration is pinned, so neither an edit of a shared migration
// nor of a dialect's names can change a schema that deployments already
// have (a fresh database must equal an upgraded one).

#include "sql/sql_migrations.h"

#include <openssl/evp.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"

namespace vouch::verifier::storage::internal {
namespace {

// Versions 1 to 8 are released.
constexpr int kReleasedMigrations = 8;

// SHA-256 (hex) of the first `n` migrations, each followed by a NUL.
std::string ReleasedMigrationsDigest(absl::Span<const std::string> migrations, int n) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (int i = 0; i < n; ++i)
    EVP_DigestUpdate(ctx, migrations[i].c_str(), migrations[i].size() + 1);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), len));
}

// The digests of the text each dialect ran before the migrations were
// written once (kSqliteMigrations in sqlite_store.cc, kPostgresMigrations
// in postgres_store.cc, at c75b802). Never update them: append a migration.
TEST(SqlMigrationsTest, ReleasedMigrationsAreFrozen) {
  ASSERT_GE(Migrations(SqlSchema::kSqlite).size(), kReleasedMigrations);
  ASSERT_GE(Migrations(SqlSchema::kPostgres).size(), kReleasedMigrations);
  EXPECT_EQ(ReleasedMigrationsDigest(Migrations(SqlSchema::kSqlite), kReleasedMigrations),
            "4d8a4c6d1e5047eb9695619010b07bb203679fe6aed1ded7a6380a141f5a7534");
  EXPECT_EQ(ReleasedMigrationsDigest(Migrations(SqlSchema::kPostgres), kReleasedMigrations),
            "ef762600b7ffd2236cde096631ce885b774899e7c83bceb7d990602291831dca");
}

// Versions 9 to 12 (the face index, pickup reminders, the indexes of the
// purge and of face re-sealing, and the erased-badge traces) were written
// once for both dialects and released on main: pinned as they were released.
constexpr int kReleasedSharedMigrations = 12;

TEST(SqlMigrationsTest, ReleasedSharedMigrationsAreFrozen) {
  ASSERT_GE(Migrations(SqlSchema::kSqlite).size(), kReleasedSharedMigrations);
  ASSERT_GE(Migrations(SqlSchema::kPostgres).size(), kReleasedSharedMigrations);
  EXPECT_EQ(ReleasedMigrationsDigest(Migrations(SqlSchema::kSqlite), kReleasedSharedMigrations),
            "87a078815d07051783c97d594ef4ab8e9a5e4e00682ba4ed714f10c0888fbcb3");
  EXPECT_EQ(ReleasedMigrationsDigest(Migrations(SqlSchema::kPostgres), kReleasedSharedMigrations),
            "03ce1dfd5258fc9c3a4a7e65ff629aa71b8f7818efad0ae39cb3a8a8c051ddc6");
}

TEST(SqlMigrationsTest, SchemaVersionTableIsUnchanged) {
  EXPECT_EQ(CreateSchemaVersion(SqlSchema::kSqlite),
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  EXPECT_EQ(CreateSchemaVersion(SqlSchema::kPostgres),
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
}

// A new migration is written once: both dialects reach the same version.
TEST(SqlMigrationsTest, BothDialectsHaveTheSameVersions) {
  EXPECT_EQ(Migrations(SqlSchema::kSqlite).size(), Migrations(SqlSchema::kPostgres).size());
}

// A misspelt placeholder would reach the database as "{...}" text.
TEST(SqlMigrationsTest, EveryPlaceholderIsReplaced) {
  for (const SqlSchema schema : {SqlSchema::kSqlite, SqlSchema::kPostgres}) {
    for (const std::string& m : Migrations(schema)) {
      EXPECT_FALSE(absl::StrContains(m, "{")) << m;
      EXPECT_FALSE(absl::StrContains(m, "}")) << m;
    }
  }
}

}  // namespace
}  // namespace vouch::verifier::storage::internal
