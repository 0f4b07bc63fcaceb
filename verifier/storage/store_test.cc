// Runs the Store conformance suite against the in-memory and SQLite stores.

#include <sys/stat.h>

#include <filesystem>

#include "storage/store.h"
#include "storage/store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::testing {
namespace {

std::unique_ptr<Store> OpenMemory(const std::string&) { return NewMemoryStore(); }

std::unique_ptr<Store> OpenSqlite(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(dir + "/vouch.db");
  return store.ok() ? *std::move(store) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformanceTest,
    ::testing::Values(StoreFactory{"Memory", &OpenMemory, false},
                      StoreFactory{"Sqlite", &OpenSqlite, true}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Stores, DurableStoreConformanceTest,
    ::testing::Values(StoreFactory{"Sqlite", &OpenSqlite, true}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

TEST(SqliteStoreTest, DatabaseFileIsPrivate) {
  const std::string dir = ::testing::TempDir() + "/sqlite_private";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/vouch.db";
  std::filesystem::remove(path);

  ASSERT_THAT(NewSqliteStore(path), ::vouch::testing::IsOk());

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::filesystem::remove_all(dir);
}

TEST(SqliteStoreTest, UnopenablePathIsUnavailable) {
  EXPECT_THAT(NewSqliteStore("/nonexistent-dir/x/vouch.db"),
              ::vouch::testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace vouch::verifier::testing
