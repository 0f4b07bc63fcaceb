// The face 1:N index across replicas (docs/dedup.md): two vouchd on
// one PostgreSQL database (the throwaway cluster of tests/pg), sharing their
// keys. A face verified on A reaches B's in-memory index by B's poll within
// seconds (without any lookup on B); a second Telegram user submitting
// another document with the same face photo to B is held with
// duplicate_face, the first user re-verifying with it is not; an erasure
// (vouchctl dedup erase) leaves both replicas' indexes within seconds.
// Needs the face models.

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pg/pg_test_env.h"
#include "policy_toml.h"
#include "sealed_submit_fixture.h"
#include "testing/cli_run.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;

std::string SchemaUri() {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_face_", getpid()));
  return uri.ok() ? *uri : std::string();
}

class DuplicateFacePgE2eTest : public SealedSubmitE2eTest {
 protected:
  DuplicateFacePgE2eTest()
      : SealedSubmitE2eTest("duplicate_pg_e2e", DefaultPolicyToml("duplicate_face = \"review\"\n")),
        uri_(SchemaUri()) {
    flags_ = {"--database", uri_, "--face-poll-seconds", "0.5"};
  }

  // Replica B: the same keys, auth config and policy as A (vouchd_), on the
  // same database.
  void StartB() {
    const std::string b = dir_ + "/b";
    std::filesystem::create_directories(b);
    std::filesystem::copy(vouchd_->data_dir() + "/keys", b + "/keys",
                          std::filesystem::copy_options::recursive);
    std::filesystem::copy_file(vouchd_->data_dir() + "/auth.toml", b + "/auth.toml");
    std::filesystem::copy_file(vouchd_->service_token_file(), b + "/service-default.token");
    b_ = std::make_unique<VouchdProcess>(b);
    ASSERT_TRUE(b_->Start(
        {"--config", dir_ + "/vouchd.toml", "--database", uri_, "--face-poll-seconds", "0.5"}));
  }
  void TearDown() override {
    if (b_) {
      EXPECT_EQ(b_->Stop(), 0);
    }
    b_.reset();
    SealedSubmitE2eTest::TearDown();
  }

  void MakeAndSeal(const std::string& number) {
    const std::string sample = dir_ + "/sample" + number;
    auto [rc, out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce ", kNonce, " --face ", VOUCH_SOURCE_DIR,
        "/models/face/samples/astronaut.png --face-box 120,0,210,273 --document-number ", number,
        " 2>&1"));
    ASSERT_EQ(rc, 0) << out;
    Seal(sample);
  }

  // Submits on `replica` (swapped in as the fixture's vouchd for the call).
  nlohmann::json SubmitOn(std::unique_ptr<VouchdProcess>& replica, int64_t user) {
    std::swap(vouchd_, replica);
    nlohmann::json r = Submit(kNonce, user);
    std::swap(vouchd_, replica);
    return r;
  }

  // Seconds until `replica`'s /metrics shows `line` (-1: not within 15 s).
  static double SecondsUntilMetric(const VouchdProcess& replica, const std::string& line) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(15)) {
      auto [rc, metrics] =
          RunShell(absl::StrCat("curl -sf http://", replica.metrics_address(), "/metrics"));
      if (rc == 0 && metrics.find(line) != std::string::npos) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

  static nlohmann::json CheckNamed(const nlohmann::json& result, const std::string& name) {
    for (const auto& c : result.value("checks", nlohmann::json::array())) {
      if (c.value("name", "") == name) return c;
    }
    return nlohmann::json::object();
  }

  static constexpr char kNonce[] = "e2e-face-pg-nonce";
  std::string uri_;
  std::unique_ptr<VouchdProcess> b_;
};

TEST_F(DuplicateFacePgE2eTest, TwoReplicasSeeEachOthersFacesWithinSeconds) {
  ASSERT_FALSE(uri_.empty());
  ASSERT_NO_FATAL_FAILURE(StartB());
  constexpr char kEntries[] = "vouch_duplicate_face_index_entries ";

  // User 2001 verified on A: B's poll brings the face into B's memory.
  ASSERT_NO_FATAL_FAILURE(MakeAndSeal("L898902C3"));
  const nlohmann::json first = Submit(kNonce, 2001);
  ASSERT_EQ(first.value("decision", ""), "DECISION_VERIFIED") << first.dump(2);
  const double seen = SecondsUntilMetric(*b_, absl::StrCat(kEntries, "1\n"));
  EXPECT_GE(seen, 0) << "B never loaded A's face";
  EXPECT_LT(seen, 5);

  // User 2002, another document, the same face photo, on B: held.
  ASSERT_NO_FATAL_FAILURE(MakeAndSeal("X7654321"));
  const nlohmann::json second = SubmitOn(b_, 2002);
  EXPECT_EQ(second.value("decision", ""), "DECISION_NEEDS_REVIEW") << second.dump(2);
  EXPECT_EQ(CheckNamed(second, "duplicate_face").value("reason", ""), "duplicate_face")
      << second.dump(2);
  // User 2001 with that document, on B: not held.
  const nlohmann::json own = SubmitOn(b_, 2001);
  EXPECT_EQ(own.value("decision", ""), "DECISION_VERIFIED") << own.dump(2);
  EXPECT_EQ(CheckNamed(own, "duplicate_face").value("outcome", ""), "CHECK_OUTCOME_PASS")
      << own.dump(2);
  // A sees B's verified face (two in memory; the held case's is not).
  EXPECT_GE(SecondsUntilMetric(*vouchd_, absl::StrCat(kEntries, "2\n")), 0);

  // Erasing the first verification: both replicas drop its face.
  auto [rc, out] =
      RunShell(absl::StrCat(VOUCHCTL_PATH, " dedup erase --verification ",
                            first.value("verification_id", "?"), " --database '", uri_, "' 2>&1"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_GE(SecondsUntilMetric(*vouchd_, absl::StrCat(kEntries, "1\n")), 0);
  EXPECT_GE(SecondsUntilMetric(*b_, absl::StrCat(kEntries, "1\n")), 0);
  // No face in the clear in the database's rows: they are sealed (and the
  // log holds no document number).
  EXPECT_THAT(vouchd_->Log(), ::testing::Not(HasSubstr("X7654321")));
}

}  // namespace
}  // namespace vouch::testing
