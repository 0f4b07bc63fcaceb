// Watch across replicas: two vouchd on one PostgreSQL database (the
// throwaway cluster of tests/pg). A WatchVerification stream is open on A,
// which processes no jobs; B, started after the stream opened, runs the job
// (a policy that sends every face match to review), and an operator decides
// the case through B. The stream on A reports the completion and then the
// decision, within a bound, and the test never polls: it only reads the
// stream. The bound is far below the feed's safety re-read (30 s), so only
// LISTEN/NOTIFY can meet it. Needs the face models.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
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

using Clock = std::chrono::steady_clock;

// A decision on B must reach the stream on A within this.
constexpr auto kPushBound = std::chrono::seconds(3);

// Reads a WatchVerification stream (until_decided) on its own thread and
// stamps each message with the time it arrived.
class StampedWatch {
 public:
  struct Seen {
    v1::VerificationResult result;
    Clock::time_point at;
  };

  StampedWatch(const std::string& address, const std::string& id) {
    stub_ =
        v1::Verification::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(240));
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", kE2eServiceToken));
    v1::WatchVerificationRequest request;
    request.set_verification_id(id);
    request.set_until_decided(true);
    reader_ = stub_->WatchVerification(&context_, request);
    thread_ = std::thread([this] {
      v1::VerificationResult r;
      while (reader_->Read(&r)) {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back({r, Clock::now()});
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      status_ = reader_->Finish();
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~StampedWatch() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }

  // Blocks (no polling: a condition variable the reader signals) until a
  // message satisfies `pred` or the stream ends or `timeout` passes.
  template <typename Pred>
  std::optional<Seen> WaitFor(Pred pred, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<Seen> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const Seen& s : seen_) {
        if (pred(s.result)) {
          found = s;
          return true;
        }
      }
      return ended_;
    });
    return found;
  }

  bool EndedOk() {
    if (thread_.joinable()) thread_.join();
    return status_.ok();
  }

 private:
  std::unique_ptr<v1::Verification::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::VerificationResult>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
  grpc::Status status_;
  bool ended_ = false;
};

TEST(TrustWatchPgE2eTest, WatchOnOneReplicaSeesTheJobAndTheReviewDecisionOfAnother) {
  ASSERT_TRUE(FaceModelsPresent());
  const std::string dir = FreshTestDir("trust_watch_pg");
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_watch_", getpid()));
  ASSERT_THAT(uri, IsOk());
  WriteReviewConfigs(dir, /*four_eyes=*/false);
  const std::vector<std::string> flags = {
      "--database", *uri, "--config", dir + "/vouchd.toml", "--auth-config", dir + "/auth.toml"};
  std::vector<std::string> a_flags = flags;
  a_flags.insert(a_flags.end(), {"--process-jobs", "false"});
  VouchdProcess a(dir + "/a");
  ASSERT_TRUE(a.Start(a_flags));
  auto stub_a = StubFor(a);
  const v1::VerifyRequest request = DocgenSampleRequest(dir, a.data_dir());
  const std::string id = SubmitAsync(*stub_a, request, kE2eServiceToken);
  ASSERT_FALSE(id.empty());

  StampedWatch watch(a.address(), id);
  ASSERT_TRUE(watch
                  .WaitFor(
                      [](const v1::VerificationResult& r) {
                        return r.state() == v1::VERIFICATION_STATE_PENDING;
                      },
                      std::chrono::seconds(10))
                  .has_value());

  // B (the same keys) runs the job A accepted.
  std::filesystem::create_directories(dir + "/b");
  std::filesystem::copy(dir + "/a/keys", dir + "/b/keys", std::filesystem::copy_options::recursive);
  VouchdProcess b(dir + "/b");
  ASSERT_TRUE(b.Start(flags));
  std::optional<StampedWatch::Seen> completed = watch.WaitFor(
      [](const v1::VerificationResult& r) { return r.state() == v1::VERIFICATION_STATE_COMPLETED; },
      std::chrono::seconds(150));
  ASSERT_TRUE(completed.has_value()) << "A's Watch never saw B's completion; B's log:\n" << b.Log();
  EXPECT_EQ(completed->result.decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_EQ(RunsInLog(b.Log(), id), 1);
  EXPECT_EQ(RunsInLog(a.Log(), id), 0);

  // The decision, through B.
  auto [claim_rc, claim_out] = VouchctlAs(kAliceToken, b.address(), "queue claim " + id);
  ASSERT_EQ(claim_rc, 0) << claim_out;
  const Clock::time_point approve_started = Clock::now();
  auto [rc, out] =
      VouchctlAs(kAliceToken, b.address(), "queue approve " + id + " --reason document_ok");
  const Clock::time_point approved = Clock::now();
  ASSERT_EQ(rc, 0) << out;
  std::optional<StampedWatch::Seen> decided = watch.WaitFor(
      [](const v1::VerificationResult& r) { return r.decision() == v1::DECISION_VERIFIED; },
      std::chrono::seconds(60));
  ASSERT_TRUE(decided.has_value());
  const auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::cout << "[ measured ] the decision made on B reached the Watch on A "
            << ms(decided->at - approve_started) << " ms after `vouchctl queue approve` started ("
            << ms(approved - approve_started) << " ms until it exited; bound: " << ms(kPushBound)
            << " ms after its exit)\n";
  EXPECT_GE(decided->at, approve_started);
  EXPECT_LE(decided->at - approved, kPushBound)
      << "the decision reached A after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(decided->at - approved).count()
      << " ms";
  EXPECT_FALSE(decided->result.attestation().sd_jwt().empty());
  EXPECT_TRUE(watch.EndedOk());  // until_decided: the stream ends with the decision.
  EXPECT_THAT(a.Log(), ::testing::HasSubstr("change feed mode=push"));
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::testing
