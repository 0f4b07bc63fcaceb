// Asynchronous jobs through outages: the engine with a real in-memory
// store behind a FaultyStore, and MonitoredStore's health and errors. Fake
// decryption, reader and issuer; short leases so the tests take seconds.

#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc/errors.h"
#include "service/monitored_store.h"
#include "service/verification_engine.h"
#include "testing/faulty_store.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::service {
namespace {

using testing::FakeAttestationIssuer;
using testing::FakeDocumentReader;
using testing::FakeDocumentReaderFactory;
using testing::FakePassportOpener;
using testing::FaultyStore;
using testing::GatedReaderFactory;
using ::vouch::testing::FixedClock;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

constexpr absl::Duration kLease = absl::Milliseconds(600);
constexpr absl::Duration kWait = absl::Seconds(20);

class JobLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = *WorkerPool::Create(1, 2, readers_);
    EngineOptions options;
    options.job_poll = absl::Milliseconds(20);
    options.job_reserve = 0;
    options.job_lease = kLease;
    options.job_heartbeat = kLease / 3;
    options.job_heartbeat_retry = absl::Milliseconds(50);
    options.completion_retry_first = absl::Milliseconds(20);
    options.completion_retry_max = absl::Milliseconds(100);
    engine_ = std::make_unique<VerificationEngine>(options, config_, pipeline_, store_, *pool_,
                                                   clock_, metrics_);
    engine_->Start();
  }
  void TearDown() override {
    if (!readers_.release.HasBeenNotified()) readers_.release.Notify();
    engine_->StopAccepting();
    pool_->Drain();
    engine_.reset();
  }

  std::string Submit() {
    v1::VerifyRequest r;
    r.set_passport_data_json(R"({"data":[],"credentials":{}})");
    r.set_nonce("nonce-1");
    r.set_telegram_user_id(42);
    r.set_relying_service("svc.example");
    absl::StatusOr<v1::SubmitResponse> submitted = engine_->Submit(r);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->verification_id() : "";
  }

  // The stored record once terminal (or the last one seen after kWait).
  storage::VerificationRecord WaitTerminal(const std::string& id) {
    const absl::Time deadline = absl::Now() + kWait;
    absl::StatusOr<storage::VerificationRecord> r = store_.inner().GetVerification(id);
    while (r.ok() && !storage::IsTerminal(r->state) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
      r = store_.inner().GetVerification(id);
    }
    return r.ok() ? *r : storage::VerificationRecord{};
  }

  pipeline::Config config_ = pipeline::Config::Default();
  FakePassportOpener opener_;
  FakeAttestationIssuer issuer_;
  GatedReaderFactory readers_;
  FaultyStore store_{storage::NewMemoryStore()};
  SystemClock clock_;
  Metrics metrics_;
  pipeline::VerificationPipeline pipeline_{opener_, issuer_, store_, clock_};
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<VerificationEngine> engine_;
};

TEST_F(JobLeaseTest, LeaseIsRenewedWhileTheJobRunsLongerThanIt) {
  const std::string id = Submit();
  readers_.entered.WaitForNotification();

  // Three leases later another worker still cannot claim it.
  const absl::Time until = absl::Now() + 3 * kLease;
  while (absl::Now() < until) {
    absl::StatusOr<std::optional<storage::ClaimedJob>> other =
        store_.inner().ClaimJob(absl::Now(), kLease);
    ASSERT_THAT(other, IsOk());
    ASSERT_FALSE(other->has_value()) << "the running job's lease ran out";
    absl::SleepFor(absl::Milliseconds(50));
  }
  readers_.release.Notify();

  EXPECT_EQ(WaitTerminal(id).state, storage::VerificationState::kCompleted);
  EXPECT_GE(store_.renewals.load(), 3);
  EXPECT_EQ(store_.complete_ok.load(), 1);
}

TEST_F(JobLeaseTest, CompletionIsRetriedUntilTheStoreTakesIt) {
  store_.FailCompletions(4, absl::UnavailableError("postgresql: connection refused"));
  readers_.release.Notify();

  const std::string id = Submit();
  const storage::VerificationRecord record = WaitTerminal(id);

  ASSERT_EQ(record.state, storage::VerificationState::kCompleted);
  EXPECT_EQ(store_.complete_calls.load(), 5);
  EXPECT_EQ(store_.complete_ok.load(), 1);
  v1::VerificationResult result;
  ASSERT_TRUE(result.ParseFromString(record.result));
  // The attestation was recorded with the result, once.
  EXPECT_THAT(store_.inner().GetAttestation(result.attestation().attestation_id()), IsOk());
  EXPECT_EQ(issuer_.issued, 1);
}

TEST_F(JobLeaseTest, LostLeaseStopsTheWorkAndItIsNeverCompletedByTheLoser) {
  const std::string id = Submit();
  readers_.entered.WaitForNotification();
  // The store goes away for longer than the lease; meanwhile another
  // instance (here: the test) claims the job once the store is back.
  store_.FailAll(absl::UnavailableError("postgresql: server closed the connection"));
  absl::SleepFor(kLease + absl::Milliseconds(100));
  absl::StatusOr<std::optional<storage::ClaimedJob>> other =
      store_.inner().ClaimJob(absl::Now(), absl::Hours(1));
  ASSERT_THAT(other, IsOk());
  ASSERT_TRUE(other->has_value());
  store_.FailAll(absl::OkStatus());
  // The next heartbeat finds the lease lost.
  absl::SleepFor(kLease);
  readers_.release.Notify();
  absl::SleepFor(kLease);

  EXPECT_EQ(store_.complete_ok.load(), 0);
  EXPECT_EQ(store_.complete_calls.load(), 0) << "the loser tried to complete";
  ASSERT_THAT(store_.inner().CompleteJob(**other, storage::VerificationState::kCompleted, "theirs",
                                         absl::Now(), nullptr),
              IsOk());
  EXPECT_EQ(WaitTerminal(id).result, "theirs");
}

TEST_F(JobLeaseTest, OwnExpiredLeaseFoundAgainAfterAnOutageIsAdoptedNotRunTwice) {
  const std::string id = Submit();
  readers_.entered.WaitForNotification();
  // The store is away longer than the lease; when it returns this
  // instance's claimer finds its own job claimable again.
  store_.FailAll(absl::UnavailableError("postgresql: server closed the connection"));
  absl::SleepFor(2 * kLease);
  store_.FailAll(absl::OkStatus());
  absl::SleepFor(kLease);
  readers_.release.Notify();

  const storage::VerificationRecord record = WaitTerminal(id);

  EXPECT_EQ(record.state, storage::VerificationState::kCompleted);
  EXPECT_EQ(store_.complete_ok.load(), 1);
  EXPECT_EQ(store_.complete_calls.load(), 1) << "a completion was refused";
  EXPECT_EQ(issuer_.issued, 1) << "the job ran twice";
}

TEST_F(JobLeaseTest, SynchronousResultIsStoredAfterATransientRefusal) {
  readers_.release.Notify();
  store_.FailCompletions(2, absl::UnavailableError("postgresql: connection refused"));
  v1::VerifyRequest r;
  r.set_passport_data_json(R"({"data":[],"credentials":{}})");
  r.set_nonce("nonce-1");
  r.set_telegram_user_id(42);
  r.set_relying_service("svc.example");
  absl::Notification done;
  absl::StatusOr<v1::VerificationResult> result;

  engine_->Verify(r, nullptr, [&](absl::StatusOr<v1::VerificationResult> got) {
    result = std::move(got);
    done.Notify();
  });
  done.WaitForNotification();

  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(store_.finish_calls.load(), 3);
  EXPECT_THAT(store_.inner().GetAttestation(result->attestation().attestation_id()), IsOk());
}

TEST_F(JobLeaseTest, VerifyAnswersTheResultItStoredAsGetDoes) {
  readers_.release.Notify();
  v1::VerifyRequest r;
  r.set_passport_data_json(R"({"data":[],"credentials":{}})");
  r.set_nonce("nonce-1");
  r.set_telegram_user_id(42);
  r.set_relying_service("svc.example");
  r.set_idempotency_key("key-1");
  absl::Notification done;
  absl::StatusOr<v1::VerificationResult> result;

  engine_->Verify(r, nullptr, [&](absl::StatusOr<v1::VerificationResult> got) {
    result = std::move(got);
    done.Notify();
  });
  done.WaitForNotification();

  ASSERT_THAT(result, IsOk());
  absl::StatusOr<v1::VerificationResult> got = engine_->Get(result->verification_id());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(result->state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(result->state(), got->state());
  EXPECT_EQ(result->policy(), got->policy());
  EXPECT_EQ(result->idempotency_key(), "key-1");
  EXPECT_EQ(result->create_time().seconds(), got->create_time().seconds());
  EXPECT_EQ(result->decision(), got->decision());
  EXPECT_EQ(result->checks_size(), got->checks_size());
  EXPECT_EQ(result->attestation().attestation_id(), got->attestation().attestation_id());
  // The attestation record went into the same transaction as the result.
  EXPECT_EQ(store_.inner().GetAttestationByVerification(got->verification_id())->attestation_id,
            got->attestation().attestation_id());
}

TEST_F(JobLeaseTest, JobCompletionIsPublishedWithTheRowAsClaimed) {
  const std::string id = Submit();
  absl::Mutex mu;
  std::vector<v1::VerificationResult> seen;
  const int64_t handle = engine_->Subscribe(id, [&](const v1::VerificationResult& r) {
    absl::MutexLock lock(&mu);
    seen.push_back(r);
  });
  readers_.release.Notify();

  const storage::VerificationRecord record = WaitTerminal(id);
  ASSERT_EQ(record.state, storage::VerificationState::kCompleted);
  const auto published = [&] {
    absl::MutexLock lock(&mu);
    return !seen.empty() && seen.back().state() == v1::VERIFICATION_STATE_COMPLETED;
  };
  const absl::Time deadline = absl::Now() + kWait;
  while (!published() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  engine_->Unsubscribe(handle);

  absl::MutexLock lock(&mu);
  ASSERT_FALSE(seen.empty());
  const v1::VerificationResult& last = seen.back();
  EXPECT_EQ(last.state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(last.policy(), "default");
  EXPECT_EQ(last.create_time().seconds(), absl::ToUnixSeconds(record.create_time));
  EXPECT_EQ(last.attestation().attestation_id(),
            store_.inner().GetAttestationByVerification(id)->attestation_id);
}

// A synchronous Verify whose result write and abandon write both fail
// (the database went away at that moment) leaves its row RUNNING; past its
// deadline the engine's sweep abandons it, and the caller's retry with the
// same idempotency key runs again instead of answering "in progress"
// forever. Not started: the sweep is called directly, on a fixed clock.
TEST(StuckVerificationTest, SweepFreesTheKeyOfAVerifyWhoseWritesAllFailed) {
  const absl::Time t0 = absl::Now();
  FixedClock clock(t0);
  pipeline::Config config = pipeline::Config::Default();
  FakePassportOpener opener;
  FakeAttestationIssuer issuer;
  FakeDocumentReaderFactory readers;
  FaultyStore store(storage::NewMemoryStore());
  Metrics metrics;
  pipeline::VerificationPipeline pipeline(opener, issuer, store, clock);
  std::unique_ptr<WorkerPool> pool = *WorkerPool::Create(1, 2, readers);
  EngineOptions options;
  options.finish_retry_for = absl::ZeroDuration();  // One attempt.
  options.verify_deadline = absl::Minutes(10);
  VerificationEngine engine(options, config, pipeline, store, *pool, clock, metrics);
  v1::VerifyRequest r;
  r.set_passport_data_json(R"({"data":[],"credentials":{}})");
  r.set_nonce("nonce-1");
  r.set_telegram_user_id(42);
  r.set_relying_service("svc.example");
  r.set_idempotency_key("key-1");
  const auto verify = [&] {
    absl::Notification done;
    absl::StatusOr<v1::VerificationResult> result;
    engine.Verify(r, nullptr, [&](absl::StatusOr<v1::VerificationResult> got) {
      result = std::move(got);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  };
  const absl::Status gone = absl::UnavailableError("postgresql: connection refused");
  store.FailCompletions(1, gone);
  store.FailAbandons(1, gone);

  EXPECT_THAT(verify(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(verify(), StatusIs(absl::StatusCode::kAborted)) << "the row is stuck RUNNING";
  EXPECT_THAT(engine.SweepExpiredVerifications(), ::vouch::testing::IsOkAndHolds(0));
  clock.Set(t0 + absl::Minutes(10));
  EXPECT_THAT(engine.SweepExpiredVerifications(), ::vouch::testing::IsOkAndHolds(1));

  absl::StatusOr<v1::VerificationResult> retried = verify();
  ASSERT_THAT(retried, IsOk());
  EXPECT_EQ(retried->state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(retried->idempotency_key(), "key-1");
  engine.StopAccepting();
  pool->Drain();
}

TEST(MonitoredStoreTest, OutageIsStoreUnavailableWithRetryInfoAndNoDriverDetail) {
  auto faulty = std::make_unique<FaultyStore>(storage::NewMemoryStore());
  FaultyStore& faults = *faulty;
  MonitoredStore store(std::move(faulty));
  faults.FailAll(absl::UnavailableError(
      "postgresql: cannot connect: connection to server at \"10.1.2.3\", port 5432 failed"));

  const absl::StatusOr<storage::VerificationRecord> got = store.GetVerification("v1");

  EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(rpc::GetErrorInfo(got.status())->reason(), "STORE_UNAVAILABLE");
  EXPECT_TRUE(rpc::GetRetryInfo(got.status()).has_value());
  EXPECT_THAT(std::string(got.status().message()),
              ::testing::Not(::testing::HasSubstr("10.1.2.3")));
  EXPECT_THAT(std::string(got.status().message()), ::testing::Not(::testing::HasSubstr("5432")));
  EXPECT_FALSE(store.healthy());
}

TEST(MonitoredStoreTest, RefusedDatabaseLoginIsAnOutageForClientsNotUnauthenticated) {
  auto faulty = std::make_unique<FaultyStore>(storage::NewMemoryStore());
  FaultyStore& faults = *faulty;
  MonitoredStore store(std::move(faulty));
  faults.FailAll(absl::UnauthenticatedError(
      "postgresql: login refused for user \"vouch\" at 10.1.2.3:5432 (wrong or missing "
      "password?): password authentication failed"));

  const absl::StatusOr<storage::VerificationRecord> got = store.GetVerification("v1");

  EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(rpc::GetErrorInfo(got.status())->reason(), "STORE_UNAVAILABLE");
  EXPECT_THAT(std::string(got.status().message()), ::testing::Not(::testing::HasSubstr("vouch")));
  EXPECT_FALSE(store.healthy());
}

TEST(OpenStoreWithRetryTest, RefusedLoginFailsAtOnceUnreachableIsRetried) {
  int refused_calls = 0;
  const absl::StatusOr<std::unique_ptr<storage::Store>> refused = OpenStoreWithRetry(
      [&]() -> absl::StatusOr<std::unique_ptr<storage::Store>> {
        ++refused_calls;
        return absl::UnauthenticatedError("postgresql: login refused for user \"vouch\"");
      },
      absl::Seconds(30));
  int unreachable_calls = 0;
  const absl::StatusOr<std::unique_ptr<storage::Store>> reached = OpenStoreWithRetry(
      [&]() -> absl::StatusOr<std::unique_ptr<storage::Store>> {
        if (++unreachable_calls == 1) return absl::UnavailableError("postgresql: cannot connect");
        return storage::NewMemoryStore();
      },
      absl::Seconds(30));

  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(refused_calls, 1);
  EXPECT_THAT(reached, IsOk());
  EXPECT_EQ(unreachable_calls, 2);
}

TEST(MonitoredStoreTest, FullDiskHasItsOwnReason) {
  auto faulty = std::make_unique<FaultyStore>(storage::NewMemoryStore());
  FaultyStore& faults = *faulty;
  MonitoredStore store(std::move(faulty));
  faults.FailAll(absl::ResourceExhaustedError("sqlite: database or disk is full: /var/lib/x.db"));

  const absl::Status s = store.Probe(absl::Now());

  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(rpc::GetErrorInfo(s)->reason(), "STORE_FULL");
  EXPECT_TRUE(rpc::GetRetryInfo(s).has_value());
  EXPECT_THAT(std::string(s.message()), ::testing::Not(::testing::HasSubstr("/var/lib")));
}

TEST(MonitoredStoreTest, DriverMessagesOfOtherErrorsAreReplaced) {
  auto faulty = std::make_unique<FaultyStore>(storage::NewMemoryStore());
  FaultyStore& faults = *faulty;
  MonitoredStore store(std::move(faulty));
  faults.FailAll(
      absl::InternalError("postgresql: SQLSTATE 42P01: relation \"jobs\" does not exist"));

  const absl::Status s = store.AbandonVerification("v1");

  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(std::string(s.message()), ::testing::Not(::testing::HasSubstr("jobs")));
  EXPECT_TRUE(store.healthy()) << "an internal error is not an outage";
  // A store's own precondition message passes unchanged.
  faults.FailAll(absl::OkStatus());
  EXPECT_THAT(store.GetVerification("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MonitoredStoreTest, HealthFollowsTheStoreThroughAnOutage) {
  auto faulty = std::make_unique<FaultyStore>(storage::NewMemoryStore());
  FaultyStore& faults = *faulty;
  StoreHealthOptions options;
  options.probe_interval = absl::Milliseconds(50);
  options.unhealthy_probe_interval = absl::Milliseconds(20);
  options.hold_down = absl::Milliseconds(100);
  MonitoredStore store(std::move(faulty), options);
  absl::Mutex mu;
  std::vector<bool> seen;
  store.StartProbing([&](bool serving) {
    absl::MutexLock lock(&mu);
    seen.push_back(serving);
  });
  auto wait_for = [&](size_t n) {
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      {
        absl::MutexLock lock(&mu);
        if (seen.size() >= n) return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  };

  wait_for(1);
  faults.FailAll(absl::UnavailableError("postgresql: server closed the connection"));
  wait_for(2);
  faults.FailAll(absl::OkStatus());
  wait_for(3);
  store.StopProbing();

  absl::MutexLock lock(&mu);
  EXPECT_THAT(seen, ::testing::ElementsAre(true, false, true));
}

}  // namespace
}  // namespace vouch::verifier::service
