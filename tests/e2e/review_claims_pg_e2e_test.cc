// Two vouchd processes on one PostgreSQL database (the throwaway cluster of
// tests/pg), submissions that a policy sends to review, and two operators
// claiming "the next case" at the same moment, one through each vouchd:
// never the same case, every case claimed exactly once, and once the cases
// run out the one who came second gets exit 3 (nothing to claim). Needs the
// face models (a face match is what the policy sends to review).

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/pg_test_env.h"
#include "postgres_e2e_helpers.h"
#include "review_e2e_config.h"
#include "testing/status_matchers.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

// The decision of verification `id` (DECISION_UNSPECIFIED on error).
v1::Decision DecisionOf(v1::Verification::Stub& stub, const std::string& id) {
  v1::VerificationResult result;
  return FetchVerification(stub, id, kE2eServiceToken, &result).ok() ? result.decision()
                                                                     : v1::DECISION_UNSPECIFIED;
}

TEST(ReviewClaimsPgE2eTest, TwoOperatorsOnTwoInstancesNeverClaimTheSameCase) {
  ASSERT_TRUE(FaceModelsPresent());
  const std::string dir = FreshTestDir("review_claims_pg");
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_claims_", getpid()));
  ASSERT_THAT(uri, IsOk());
  WriteReviewConfigs(dir, /*four_eyes=*/false);
  const std::vector<std::string> flags = {
      "--database", *uri, "--config", dir + "/vouchd.toml", "--auth-config", dir + "/auth.toml"};
  VouchdProcess a(dir + "/a");
  ASSERT_TRUE(a.Start(flags));
  // The same Passport and storage keys on both (the second starts from a copy).
  std::filesystem::create_directories(dir + "/b");
  std::filesystem::copy(dir + "/a/keys", dir + "/b/keys", std::filesystem::copy_options::recursive);
  VouchdProcess b(dir + "/b");
  ASSERT_TRUE(b.Start(flags));
  auto stub_a = StubFor(a);
  auto stub_b = StubFor(b);
  const v1::VerifyRequest request = DocgenSampleRequest(dir, a.data_dir());

  // An odd count: the last round has one case for two operators.
  constexpr int kSubmissions = 5;
  std::vector<std::string> ids;
  for (int i = 0; i < kSubmissions; ++i) {
    std::string id = SubmitAsync(i % 2 == 0 ? *stub_a : *stub_b, request, kE2eServiceToken);
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
  }
  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub_a, ids, kE2eServiceToken, std::chrono::seconds(120));
  for (const std::string& id : ids) {
    ASSERT_EQ(states[id], v1::VERIFICATION_STATE_COMPLETED) << id;
    ASSERT_EQ(DecisionOf(*stub_b, id), v1::DECISION_NEEDS_REVIEW) << id;
  }

  // Rounds of two simultaneous `queue claim` (the oldest claimable case):
  // alice through a, dave through b, until both find nothing.
  std::multiset<std::string> claimed;
  int rounds = 0;
  int one_left_rounds = 0;
  for (; rounds < kSubmissions + 2; ++rounds) {
    std::pair<int, std::string> by_alice, by_dave;
    std::thread ta([&] { by_alice = VouchctlAs(kAliceToken, a.address(), "queue claim --json"); });
    std::thread td([&] { by_dave = VouchctlAs(kDaveToken, b.address(), "queue claim --json"); });
    ta.join();
    td.join();
    int got = 0;
    for (const auto* run : {&by_alice, &by_dave}) {
      ASSERT_TRUE(run->first == 0 || run->first == 3) << run->first << ": " << run->second;
      if (run->first != 0) continue;
      const std::string id =
          ParseJsonOrEmpty(run->second).value(nlohmann::json::json_pointer("/case/case_id"), "");
      ASSERT_FALSE(id.empty()) << run->second;
      claimed.insert(id);
      ++got;
    }
    if (got == 1) ++one_left_rounds;
    if (got == 0) break;
    // While cases remain, both operators get one.
    if (claimed.size() < static_cast<size_t>(kSubmissions)) {
      EXPECT_EQ(got, 2) << "round " << rounds;
    }
  }
  // Each case exactly once, none twice, and the odd one out was a 0 + 3 round.
  EXPECT_EQ(claimed, std::multiset<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(one_left_rounds, 1);
  EXPECT_EQ(rounds, (kSubmissions + 1) / 2);
  // Each operator sees its own claims, the other's are not claimable by id.
  auto [steal_rc, steal_out] =
      VouchctlAs(kDaveToken, b.address(), absl::StrCat("queue claim ", ids[0]));
  auto [steal2_rc, steal2_out] =
      VouchctlAs(kAliceToken, a.address(), absl::StrCat("queue claim ", ids[0]));
  // One of them holds it (re-claiming one's own renews: 0), the other is
  // refused (4).
  EXPECT_EQ(std::multiset<int>({steal_rc, steal2_rc}), std::multiset<int>({0, 4}))
      << steal_out << steal2_out;
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::testing
