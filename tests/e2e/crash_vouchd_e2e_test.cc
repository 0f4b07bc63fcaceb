// kill -9 of vouchd in the middle of a batch of asynchronous submissions, on
// SQLite and on PostgreSQL: after a restart every accepted submission reaches
// a terminal state, its job is gone, and no verification was completed twice
// (a run the crash cut short before its completion is run again; one that
// completed is never run again).

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <ostream>
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

class CrashE2eTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const bool pg = GetParam() == Backend::kPostgres;
    dir_ = absl::StrCat(::testing::TempDir(), "/crash_e2e_", pg ? "pg_" : "sqlite_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // Short job leases: on PostgreSQL the restarted instance takes over the
    // dead one's jobs only once they expire (SQLite releases them at start).
    flags_ = {"--job-lease-seconds", "10", "--queue", "1"};
    if (pg) {
      absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_crash_", getpid()));
      ASSERT_THAT(uri, IsOk());
      uri_ = *uri;
      flags_.insert(flags_.end(), {"--database", uri_});
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> OpenStore() {
    return GetParam() == Backend::kPostgres
               ? verifier::storage::NewPostgresStore(uri_)
               : verifier::storage::NewSqliteStore(dir_ + "/data/vouch.db");
  }

  std::string dir_;
  std::string uri_;
  std::vector<std::string> flags_;
};

TEST_P(CrashE2eTest, EveryAcceptedSubmissionCompletesExactlyOnceAfterKill9) {
  auto first = std::make_unique<VouchdProcess>(dir_ + "/data");
  ASSERT_TRUE(first->Start(flags_));
  auto stub = StubFor(*first);
  const v1::VerifyRequest request = SealedSample(first->data_dir());
  constexpr int kSubmissions = 10;
  std::vector<std::string> ids;
  for (int i = 0; i < kSubmissions; ++i) {
    std::string id = SubmitAsync(*stub, request, first->ServiceToken());
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
  }
  // Let the workers get into the batch, then kill -9 in the middle of it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int ran = 0;
    const std::string log = first->Log();
    for (const std::string& id : ids) ran += RunsInLog(log, id) > 0 ? 1 : 0;
    if (ran >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string first_log = first->Log();
  first.reset();  // SIGKILL, no drain
  int done_before_kill = 0;
  for (const std::string& id : ids) done_before_kill += RunsInLog(first_log, id) > 0 ? 1 : 0;
  ASSERT_LT(done_before_kill, kSubmissions) << "the batch finished before the kill";

  auto second = std::make_unique<VouchdProcess>(dir_ + "/data");
  const size_t second_log_from = first_log.size();
  ASSERT_TRUE(second->Start(flags_));
  stub = StubFor(*second);
  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub, ids, second->ServiceToken(), std::chrono::seconds(240));
  ASSERT_EQ(second->Stop(), 0);
  const std::string full_log = second->Log();  // both lives (the log is appended)
  const std::string second_log = full_log.substr(std::min(second_log_from, full_log.size()));

  for (const std::string& id : ids) {
    EXPECT_TRUE(IsTerminalState(states[id])) << id << " state " << states[id];
    // At most one run per life, and one after the restart only for a job the
    // crash left without its completion.
    EXPECT_LE(RunsInLog(second_log, id), 1) << id;
    EXPECT_GE(RunsInLog(full_log, id), 1) << id;
  }
  EXPECT_EQ(CountInLog(second_log, "job completion refused"), 0);
  int rerun = 0;
  for (const std::string& id : ids) rerun += RunsInLog(second_log, id);
  std::cout << "crash: " << done_before_kill << " of " << kSubmissions
            << " had run when vouchd was killed; " << rerun << " ran after the restart\n";
  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store = OpenStore();
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ(*(*store)->PendingJobCount(), 0);
  for (const std::string& id : ids) {
    absl::StatusOr<verifier::storage::VerificationRecord> record = (*store)->GetVerification(id);
    ASSERT_THAT(record, IsOk());
    EXPECT_TRUE(verifier::storage::IsTerminal(record->state)) << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, CrashE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace vouch::testing
