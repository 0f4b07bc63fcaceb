// kill -9 of vouchd in the middle of a batch of asynchronous submissions
// that a policy sends to review, on SQLite and on PostgreSQL: after a restart
// every accepted submission completes exactly once and every NEEDS_REVIEW
// verification has its case (`vouchctl queue list` lists exactly those ids):
// no case lost, none made twice. Needs the face models (the face match is
// what sends the submissions to review).

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/pg_test_env.h"
#include "postgres_e2e_helpers.h"
#include "review_e2e_config.h"
#include "storage/store.h"
#include "testing/status_matchers.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

class ReviewCrashE2eTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(FaceModelsPresent());
    const bool pg = GetParam() == Backend::kPostgres;
    dir_ = FreshTestDir(pg ? "review_crash_pg" : "review_crash_sqlite");
    WriteReviewConfigs(dir_, /*four_eyes=*/false);
    // Short job leases: on PostgreSQL the restarted instance takes over the
    // dead one's jobs only once they expire (SQLite releases them at start).
    flags_ = {"--job-lease-seconds",
              "10",
              "--queue",
              "1",
              "--config",
              dir_ + "/vouchd.toml",
              "--auth-config",
              dir_ + "/auth.toml"};
    if (pg) {
      absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_rcrash_", getpid()));
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

TEST_P(ReviewCrashE2eTest, EveryNeedsReviewVerificationHasItsCaseAfterKill9) {
  auto first = std::make_unique<VouchdProcess>(dir_ + "/data");
  ASSERT_TRUE(first->Start(flags_));
  auto stub = StubFor(*first);
  const v1::VerifyRequest request = DocgenSampleRequest(dir_, first->data_dir());
  constexpr int kSubmissions = 8;
  std::vector<std::string> ids;
  for (int i = 0; i < kSubmissions; ++i) {
    std::string id = SubmitAsync(*stub, request, kE2eServiceToken);
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
  ASSERT_GE(done_before_kill, 1) << "nothing ran before the kill";
  ASSERT_LT(done_before_kill, kSubmissions) << "the batch finished before the kill";

  auto second = std::make_unique<VouchdProcess>(dir_ + "/data");
  ASSERT_TRUE(second->Start(flags_));
  stub = StubFor(*second);
  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub, ids, kE2eServiceToken, std::chrono::seconds(120));
  std::set<std::string> needs_review;
  for (const std::string& id : ids) {
    ASSERT_EQ(states[id], v1::VERIFICATION_STATE_COMPLETED) << id;
    v1::VerificationResult result;
    ASSERT_TRUE(FetchVerification(*stub, id, kE2eServiceToken, &result).ok()) << id;
    if (result.decision() == v1::DECISION_NEEDS_REVIEW) needs_review.insert(id);
  }
  // The policy sends every one of them to review.
  EXPECT_EQ(needs_review, std::set<std::string>(ids.begin(), ids.end()));

  // The queue lists exactly those cases, each once.
  auto [list_rc, list_out] = VouchctlAs(kAliceToken, second->address(), "queue list --json");
  ASSERT_EQ(list_rc, 0) << list_out;
  std::multiset<std::string> listed;
  const nlohmann::json list = ParseJsonOrEmpty(list_out);
  ASSERT_TRUE(list.contains("cases")) << list_out;
  for (const auto& c : list["cases"]) listed.insert(c.value("case_id", ""));
  EXPECT_EQ(listed, std::multiset<std::string>(needs_review.begin(), needs_review.end()))
      << list_out;
  // Each case opens (its sealed content survived the crash): claim and show.
  for (const std::string& id : ids) {
    auto [claim_rc, claim_out] =
        VouchctlAs(kAliceToken, second->address(), absl::StrCat("queue claim ", id));
    EXPECT_EQ(claim_rc, 0) << claim_out;
    auto [show_rc, show_out] =
        VouchctlAs(kAliceToken, second->address(), absl::StrCat("queue show ", id));
    EXPECT_EQ(show_rc, 0) << show_out;
    EXPECT_THAT(show_out, ::testing::HasSubstr("face_match")) << id;
  }

  ASSERT_EQ(second->Stop(), 0);
  const std::string full_log = second->Log();  // both lives (the log is appended)
  const std::string second_log = full_log.substr(std::min(first_log.size(), full_log.size()));
  for (const std::string& id : ids) {
    // At most one run per life, and one after the restart only for a job the
    // crash left without its completion.
    const int before = RunsInLog(first_log, id);
    const int after = RunsInLog(second_log, id);
    EXPECT_LE(before, 1) << id;
    EXPECT_LE(after, 1) << id;
    EXPECT_GE(before + after, 1) << id;
  }
  EXPECT_EQ(CountInLog(second_log, "job completion refused"), 0);
  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store = OpenStore();
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ(*(*store)->PendingJobCount(), 0);
  for (const std::string& id : ids) EXPECT_THAT((*store)->GetCase(id), IsOk()) << id;
  std::cout << "review crash: " << done_before_kill << " of " << kSubmissions
            << " had run when vouchd was killed\n";
}

INSTANTIATE_TEST_SUITE_P(Stores, ReviewCrashE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace vouch::testing
