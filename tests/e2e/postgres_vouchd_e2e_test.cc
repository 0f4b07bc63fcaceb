// Two vouchd processes on one PostgreSQL database (the throwaway cluster of
// tests/pg): asynchronous submissions spread over both are each run and
// completed by exactly one of them.

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/pg_test_env.h"
#include "postgres_e2e_helpers.h"
#include "storage/store.h"
#include "testing/status_matchers.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

class PostgresVouchdE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/pg_e2e_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_two_", getpid()));
    ASSERT_THAT(uri, IsOk());
    uri_ = *uri;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::string uri_;
};

TEST_F(PostgresVouchdE2eTest, TwoInstancesCompleteEachSubmissionExactlyOnce) {
  // Both instances need the same keys (a relying service seals for one
  // Passport key): the second starts from a copy of the first's.
  VouchdProcess a(dir_ + "/a");
  ASSERT_TRUE(a.Start({"--database", uri_, "--job-lease-seconds", "120", "--queue", "1"}));
  std::filesystem::create_directories(dir_ + "/b");
  std::filesystem::copy(dir_ + "/a/keys", dir_ + "/b/keys",
                        std::filesystem::copy_options::recursive);
  // And the same auth config, so one service API key works on both.
  std::filesystem::copy_file(dir_ + "/a/auth.toml", dir_ + "/b/auth.toml");
  VouchdProcess b(dir_ + "/b");
  ASSERT_TRUE(b.Start({"--database", uri_, "--job-lease-seconds", "120", "--queue", "1"}));
  auto stub_a = StubFor(a);
  auto stub_b = StubFor(b);
  const v1::VerifyRequest request = SealedSample(a.data_dir());

  constexpr int kSubmissions = 12;
  std::vector<std::string> ids;
  for (int i = 0; i < kSubmissions; ++i) {
    std::string id = SubmitAsync(i % 2 == 0 ? *stub_a : *stub_b, request, a.ServiceToken());
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
  }
  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub_b, ids, a.ServiceToken(), std::chrono::seconds(240));
  ASSERT_EQ(a.Stop(), 0);
  ASSERT_EQ(b.Stop(), 0);

  const std::string log_a = a.Log();
  const std::string log_b = b.Log();
  int ran_on_a = 0;
  int ran_on_b = 0;
  for (const std::string& id : ids) {
    EXPECT_EQ(states[id], v1::VERIFICATION_STATE_COMPLETED) << id;
    const int on_a = RunsInLog(log_a, id);
    const int on_b = RunsInLog(log_b, id);
    EXPECT_EQ(on_a + on_b, 1) << id << " ran " << on_a << " times on a, " << on_b << " on b";
    ran_on_a += on_a;
    ran_on_b += on_b;
  }
  // Both instances took jobs from the shared queue, none was completed twice.
  EXPECT_GT(ran_on_a, 0);
  EXPECT_GT(ran_on_b, 0);
  EXPECT_EQ(CountInLog(log_a + log_b, "job completion refused"), 0);
  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store =
      verifier::storage::NewPostgresStore(uri_);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ(*(*store)->PendingJobCount(), 0);
  std::cout << "two instances: " << ran_on_a << " ran on a, " << ran_on_b << " on b\n";
}

}  // namespace
}  // namespace vouch::testing
