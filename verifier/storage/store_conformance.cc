#include "storage/store_conformance.h"

#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::testing {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

NewVerification MakeNew(const std::string& id, const std::string& key = "",
                        std::optional<std::string> payload = std::nullopt) {
  NewVerification v;
  v.record.id = id;
  v.record.relying_service = "svc";
  v.record.idempotency_key = key;
  v.record.request_digest = "digest-" + id;
  v.record.policy = "default";
  v.record.state = payload ? VerificationState::kPending : VerificationState::kRunning;
  v.record.create_time = kT0;
  v.record.update_time = kT0;
  v.job_payload = std::move(payload);
  return v;
}

}  // namespace

void StoreConformanceTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = absl::StrCat(::testing::TempDir(), "/store_", getpid(), "_",
                      std::string(info->name()).substr(0, 40));
  for (char& c : dir_) {
    if (c == '/' && &c != &dir_[0]) continue;
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/' && c != '.') c = '_';
  }
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  store_ = Open();
  ASSERT_NE(store_, nullptr);
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  std::filesystem::remove_all(dir_);
}

TEST_P(StoreConformanceTest, CreatesAndReadsVerification) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1")), IsOk());

  absl::StatusOr<VerificationRecord> got = store_->GetVerification("v1");

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->relying_service, "svc");
  EXPECT_EQ(got->request_digest, "digest-v1");
  EXPECT_EQ(got->state, VerificationState::kRunning);
  EXPECT_EQ(got->create_time, kT0);
}

TEST_P(StoreConformanceTest, UnknownVerificationIsNotFound) {
  EXPECT_THAT(store_->GetVerification("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, DuplicateIdIsAlreadyExists) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1")), IsOk());
  EXPECT_THAT(store_->CreateVerification(MakeNew("v1")),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(StoreConformanceTest, IdempotencyKeyReturnsExisting) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1", "key")), IsOk());

  absl::StatusOr<CreateOutcome> again = store_->CreateVerification(MakeNew("v2", "key"));

  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->existed);
  EXPECT_EQ(again->record.id, "v1");
  EXPECT_THAT(store_->GetVerification("v2"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, IdempotencyKeysAreScopedByRelyingService) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1", "key")), IsOk());
  NewVerification other = MakeNew("v2", "key");
  other.record.relying_service = "other";

  absl::StatusOr<CreateOutcome> created = store_->CreateVerification(other);

  ASSERT_THAT(created, IsOk());
  EXPECT_FALSE(created->existed);
}

TEST_P(StoreConformanceTest, FinishSetsResultOnce) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1")), IsOk());

  ASSERT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "res",
                                         kT0 + absl::Seconds(1), nullptr),
              IsOk());

  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kFailed, "x", kT0, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<VerificationRecord> got = store_->GetVerification("v1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->state, VerificationState::kCompleted);
  EXPECT_EQ(got->result, "res");
  EXPECT_EQ(got->update_time, kT0 + absl::Seconds(1));
}

TEST_P(StoreConformanceTest, AbandonFreesIdempotencyKey) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1", "key")), IsOk());

  ASSERT_THAT(store_->AbandonVerification("v1"), IsOk());

  absl::StatusOr<CreateOutcome> again = store_->CreateVerification(MakeNew("v2", "key"));
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->existed);
}

TEST_P(StoreConformanceTest, ClaimsJobsInOrderAndCompletesOnce) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  ASSERT_THAT(store_->CreateVerification(MakeNew("b", "", "pb")), IsOk());

  absl::StatusOr<std::optional<ClaimedJob>> first = store_->ClaimJob(kT0, absl::Minutes(1));
  absl::StatusOr<std::optional<ClaimedJob>> second = store_->ClaimJob(kT0, absl::Minutes(1));
  absl::StatusOr<std::optional<ClaimedJob>> none = store_->ClaimJob(kT0, absl::Minutes(1));

  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->verification_id, "a");
  EXPECT_EQ((*first)->payload, "pa");
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->verification_id, "b");
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(store_->GetVerification("a")->state, VerificationState::kRunning);

  EXPECT_THAT(store_->CompleteJob(**first, VerificationState::kCompleted, "ra", kT0, nullptr), IsOk());
  EXPECT_THAT(store_->CompleteJob(**first, VerificationState::kCompleted, "ra2", kT0, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetVerification("a")->result, "ra");
  EXPECT_EQ(*store_->PendingJobCount(), 1);
}

TEST_P(StoreConformanceTest, ExpiredLeaseIsReclaimedAndOldHolderIsRefused) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> first = *store_->ClaimJob(kT0, absl::Seconds(10));
  ASSERT_TRUE(first.has_value());

  EXPECT_FALSE(store_->ClaimJob(kT0 + absl::Seconds(5), absl::Seconds(10))->has_value());
  std::optional<ClaimedJob> second =
      *store_->ClaimJob(kT0 + absl::Seconds(11), absl::Seconds(10));

  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempts, 2);
  EXPECT_THAT(store_->CompleteJob(*first, VerificationState::kCompleted, "old", kT0, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->CompleteJob(*second, VerificationState::kCompleted, "new", kT0, nullptr), IsOk());
  EXPECT_EQ(store_->GetVerification("a")->result, "new");
}

TEST_P(StoreConformanceTest, ReleaseAllLeasesMakesJobsClaimable) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  ASSERT_TRUE(store_->ClaimJob(kT0, absl::Hours(1))->has_value());

  ASSERT_THAT(store_->ReleaseAllLeases(), IsOk());

  EXPECT_TRUE(store_->ClaimJob(kT0, absl::Hours(1))->has_value());
}

TEST_P(StoreConformanceTest, ReleaseAllLeasesDropsUnfinishedSynchronousVerifications) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("sync", "k-sync")), IsOk());  // Crashed.
  ASSERT_THAT(store_->CreateVerification(MakeNew("done")), IsOk());
  ASSERT_THAT(store_->FinishVerification("done", VerificationState::kCompleted, "r", kT0, nullptr), IsOk());
  ASSERT_THAT(store_->CreateVerification(MakeNew("job", "", "p")), IsOk());

  ASSERT_THAT(store_->ReleaseAllLeases(), IsOk());

  EXPECT_THAT(store_->GetVerification("sync"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetVerification("done"), IsOk());
  EXPECT_THAT(store_->GetVerification("job"), IsOk());
  EXPECT_FALSE(store_->CreateVerification(MakeNew("sync2", "k-sync"))->existed);
}

TEST_P(StoreConformanceTest, FinishIsRefusedForVerificationWithJob) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  EXPECT_THAT(store_->FinishVerification("a", VerificationState::kCompleted, "r", kT0, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, NonTerminalCompletionIsInvalid) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_TRUE(job.has_value());
  EXPECT_THAT(store_->CompleteJob(*job, VerificationState::kRunning, "r", kT0, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ConcurrentClaimsNeverShareAJob) {
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_THAT(store_->CreateVerification(MakeNew(absl::StrCat("j", i), "", "p")), IsOk());
  }
  absl::Mutex mu;
  std::vector<std::string> done;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (true) {
        absl::StatusOr<std::optional<ClaimedJob>> job = store_->ClaimJob(kT0, absl::Hours(1));
        if (!job.ok() || !job->has_value()) return;
        if (store_->CompleteJob(**job, VerificationState::kCompleted, "r", kT0, nullptr).ok()) {
          absl::MutexLock lock(&mu);
          done.push_back((*job)->verification_id);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::sort(done.begin(), done.end());
  EXPECT_EQ(done.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::adjacent_find(done.begin(), done.end()), done.end());
}

TEST_P(DurableStoreConformanceTest, AcceptedJobSurvivesReopen) {
  ASSERT_TRUE(GetParam().durable) << "instantiate only with durable stores";
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "k", "payload")), IsOk());
  ASSERT_TRUE(store_->ClaimJob(kT0, absl::Hours(1))->has_value());  // Then "crash".
  store_.reset();

  store_ = Open();
  ASSERT_THAT(store_->ReleaseAllLeases(), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Hours(1));

  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->payload, "payload");
  EXPECT_THAT(store_->CompleteJob(*job, VerificationState::kCompleted, "r", kT0, nullptr), IsOk());
  EXPECT_TRUE(store_->CreateVerification(MakeNew("b", "k"))->existed);
}

TEST_P(StoreConformanceTest, RecordsAttestationsAndStatuses) {
  AttestationRecord a{"att1", "v1", "svc", kT0, "https://x/status/1", 42, 0};
  AttestationRecord direct{"att2", "v1", "svc", kT0, "", -1, 0};
  ASSERT_THAT(store_->RecordAttestation(a), IsOk());
  ASSERT_THAT(store_->RecordAttestation(direct), IsOk());

  EXPECT_THAT(store_->RecordAttestation(a), StatusIs(absl::StatusCode::kAlreadyExists));
  AttestationRecord same_index{"att3", "v2", "svc", kT0, "https://x/status/1", 42, 0};
  EXPECT_THAT(store_->RecordAttestation(same_index),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(*store_->SetAttestationStatus("att1", 1), true);
  EXPECT_EQ(*store_->SetAttestationStatus("att1", 1), false);
  EXPECT_THAT(store_->SetAttestationStatus("att2", 1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->SetAttestationStatus("nope", 1), StatusIs(absl::StatusCode::kNotFound));
  AttestationRecord second{"att4", "v3", "svc", kT0, "https://x/status/1", 7, 0};
  ASSERT_THAT(store_->RecordAttestation(second), IsOk());
  absl::StatusOr<std::vector<AttestationRecord>> entries =
      store_->ListStatusEntries("https://x/status/1");
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].attestation_id, "att4");
  EXPECT_EQ((*entries)[0].status, 0);
  EXPECT_EQ((*entries)[1].attestation_id, "att1");
  EXPECT_EQ((*entries)[1].status_list_index, 42);
  EXPECT_EQ((*entries)[1].status, 1);
  EXPECT_TRUE(store_->ListStatusEntries("https://other")->empty());
  EXPECT_EQ(store_->GetAttestation("att1")->status, 1);
}

}  // namespace vouch::verifier::testing
