#include "store_conformance.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

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

NewVerification Running(const std::string& id) {
  NewVerification v;
  v.record.id = id;
  v.record.relying_service = "svc";
  v.record.request_digest = "digest-" + id;
  v.record.policy = "default";
  v.record.state = VerificationState::kRunning;
  v.record.create_time = kT0;
  v.record.update_time = kT0;
  return v;
}

std::optional<ReviewCase> StoreConformanceTest::AddClaimedCase(
    const std::string& id, absl::Span<const DuplicateEntry> duplicates) {
  EXPECT_THAT(store_->CreateVerification(Running(id)), IsOk());
  ReviewCase c;
  c.verification_id = id;
  c.relying_service = "svc";
  c.policy = "default";
  c.reasons = {"mrz.read"};
  c.sealed = "sealed";
  c.key_id = "k1";
  c.create_time = kT0;
  c.delete_after = kT0 + absl::Hours(24);
  const absl::Status finished = store_->FinishVerification(
      id, VerificationState::kCompleted, "review", kT0, &c, nullptr, {}, duplicates);
  EXPECT_THAT(finished, IsOk());
  if (!finished.ok()) return std::nullopt;
  ClaimCaseRequest claim;
  claim.case_id = id;
  claim.operator_id = "alice";
  claim.now = kT0;
  absl::StatusOr<std::optional<ReviewCase>> held = store_->ClaimCase(claim);
  EXPECT_THAT(held, IsOk());
  if (!held.ok() || !held->has_value()) {
    ADD_FAILURE() << "case " << id << " not claimed";
    return std::nullopt;
  }
  return **held;
}

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

  EXPECT_THAT(store_->CompleteJob(**first, VerificationState::kCompleted, "ra", kT0, nullptr),
              IsOk());
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
  std::optional<ClaimedJob> second = *store_->ClaimJob(kT0 + absl::Seconds(11), absl::Seconds(10));

  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempts, 2);
  EXPECT_THAT(store_->CompleteJob(*first, VerificationState::kCompleted, "old", kT0, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->CompleteJob(*second, VerificationState::kCompleted, "new", kT0, nullptr),
              IsOk());
  EXPECT_EQ(store_->GetVerification("a")->result, "new");
}

TEST_P(StoreConformanceTest, RenewedLeaseKeepsTheJobFromOtherClaims) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> first = *store_->ClaimJob(kT0, absl::Seconds(10));
  ASSERT_TRUE(first.has_value());

  absl::StatusOr<absl::Time> renewed =
      store_->RenewJobLease(*first, kT0 + absl::Seconds(8), absl::Seconds(10));

  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(*renewed, kT0 + absl::Seconds(18));
  EXPECT_FALSE(store_->ClaimJob(kT0 + absl::Seconds(15), absl::Seconds(10))->has_value());
  EXPECT_TRUE(store_->ClaimJob(kT0 + absl::Seconds(19), absl::Seconds(10))->has_value());
}

TEST_P(StoreConformanceTest, RenewalIsRefusedOnceTheLeaseIsLost) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> first = *store_->ClaimJob(kT0, absl::Seconds(10));
  ASSERT_TRUE(first.has_value());
  // Not renewed in time: another worker takes it over.
  std::optional<ClaimedJob> second = *store_->ClaimJob(kT0 + absl::Seconds(11), absl::Seconds(10));
  ASSERT_TRUE(second.has_value());

  EXPECT_THAT(store_->RenewJobLease(*first, kT0 + absl::Seconds(12), absl::Seconds(10)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->RenewJobLease(*second, kT0 + absl::Seconds(12), absl::Seconds(10)), IsOk());
  ASSERT_THAT(store_->CompleteJob(*second, VerificationState::kCompleted, "r", kT0, nullptr),
              IsOk());
  EXPECT_THAT(store_->RenewJobLease(*second, kT0 + absl::Seconds(13), absl::Seconds(10)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, ExpiredLeaseNotYetClaimedAgainCanBeRenewed) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Seconds(10));
  ASSERT_TRUE(job.has_value());

  EXPECT_THAT(store_->RenewJobLease(*job, kT0 + absl::Seconds(30), absl::Seconds(10)), IsOk());
  EXPECT_FALSE(store_->ClaimJob(kT0 + absl::Seconds(35), absl::Seconds(10))->has_value());
}

TEST_P(StoreConformanceTest, CompletionRecordsItsAttestationInTheSameTransaction) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_TRUE(job.has_value());
  const AttestationRecord att{"att-a", "a", "svc", kT0, "https://x/status/1", 5, 0};

  ASSERT_THAT(store_->CompleteJob(*job, VerificationState::kCompleted, "r", kT0, nullptr, &att),
              IsOk());

  absl::StatusOr<AttestationRecord> got = store_->GetAttestation("att-a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->verification_id, "a");
  EXPECT_EQ(got->status_list_index, 5);
}

TEST_P(StoreConformanceTest, RefusedCompletionLeavesNoAttestationRecord) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> first = *store_->ClaimJob(kT0, absl::Seconds(10));
  std::optional<ClaimedJob> second = *store_->ClaimJob(kT0 + absl::Seconds(11), absl::Minutes(1));
  ASSERT_TRUE(first.has_value() && second.has_value());
  const AttestationRecord old_run{"att-old", "a", "svc", kT0, "https://x/status/1", 1, 0};
  const AttestationRecord new_run{"att-new", "a", "svc", kT0, "https://x/status/1", 2, 0};

  EXPECT_THAT(
      store_->CompleteJob(*first, VerificationState::kCompleted, "old", kT0, nullptr, &old_run),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(
      store_->CompleteJob(*second, VerificationState::kCompleted, "new", kT0, nullptr, &new_run),
      IsOk());

  EXPECT_THAT(store_->GetAttestation("att-old"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetAttestation("att-new"), IsOk());
  ASSERT_EQ(store_->ListStatusEntries("https://x/status/1")->size(), 1u);
}

TEST_P(StoreConformanceTest, CompletionWithATakenAttestationEntryWritesNothing) {
  ASSERT_THAT(store_->RecordAttestation({"att-x", "x", "svc", kT0, "https://x/status/1", 9, 0}),
              IsOk());
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_TRUE(job.has_value());
  const AttestationRecord same_entry{"att-a", "a", "svc", kT0, "https://x/status/1", 9, 0};

  EXPECT_THAT(
      store_->CompleteJob(*job, VerificationState::kCompleted, "r", kT0, nullptr, &same_entry),
      StatusIs(absl::StatusCode::kAlreadyExists));

  EXPECT_EQ(*store_->PendingJobCount(), 1);
  EXPECT_EQ(store_->GetVerification("a")->state, VerificationState::kRunning);
  EXPECT_THAT(store_->GetAttestation("att-a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RenewJobLease(*job, kT0, absl::Minutes(1)), IsOk());
}

TEST_P(StoreConformanceTest, FinishRecordsItsAttestationInTheSameTransaction) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1")), IsOk());
  const AttestationRecord att{"att-1", "v1", "svc", kT0, "", -1, 0};

  ASSERT_THAT(
      store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr, &att),
      IsOk());

  EXPECT_THAT(store_->GetAttestation("att-1"), IsOk());
  EXPECT_THAT(
      store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr, &att),
      StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, ProbeWritesTheHeartbeat) {
  EXPECT_THAT(store_->Probe(kT0), IsOk());
  EXPECT_THAT(store_->Probe(kT0 + absl::Seconds(1)), IsOk());
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
  ASSERT_THAT(store_->FinishVerification("done", VerificationState::kCompleted, "r", kT0, nullptr),
              IsOk());
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
  EXPECT_THAT(store_->RecordAttestation(same_index), StatusIs(absl::StatusCode::kAlreadyExists));
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

}  // namespace vouch::verifier::storage::testing

// --- Review cases ----------------------------------------------------------

namespace vouch::verifier::storage::testing {
namespace {

ReviewCase MakeCase(const std::string& id, absl::Time created,
                    std::vector<std::string> reasons = {"mrz.read"},
                    const std::string& policy = "default") {
  ReviewCase c;
  c.verification_id = id;
  c.relying_service = "svc";
  c.policy = policy;
  c.reasons = std::move(reasons);
  c.sealed = "sealed-" + id;
  c.key_id = "k1";
  c.create_time = created;
  c.delete_after = created + absl::Hours(24 * 7);
  return c;
}

ClaimCaseRequest Claim(const std::string& op, absl::Time now, const std::string& id = "",
                       bool senior = false) {
  ClaimCaseRequest r;
  r.case_id = id;
  r.operator_id = op;
  r.senior = senior;
  r.now = now;
  r.lease = absl::Minutes(15);
  return r;
}

// Creates verification `id` completed synchronously with `c` as its case.
void AddCase(Store& store, const ReviewCase& c) {
  ASSERT_THAT(store.CreateVerification(MakeNew(c.verification_id)), IsOk());
  ASSERT_THAT(store.FinishVerification(c.verification_id, VerificationState::kCompleted,
                                       "needs-review", c.create_time, &c),
              IsOk());
}

std::vector<std::string> Ids(const std::vector<ReviewCase>& cases) {
  std::vector<std::string> out;
  for (const ReviewCase& c : cases) out.push_back(c.verification_id);
  return out;
}

}  // namespace

TEST_P(StoreConformanceTest, FinishWithCaseCreatesItAtomically) {
  ReviewCase c = MakeCase("v1", kT0, {"mrz.read", "face.match"}, "strict");
  c.stage = CaseStage::kDecided;  // ignored: a new case starts in first review
  c.claimed_by = "someone";
  AddCase(*store_, c);

  absl::StatusOr<ReviewCase> got = store_->GetCase("v1");

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->relying_service, "svc");
  EXPECT_EQ(got->policy, "strict");
  EXPECT_THAT(got->reasons, ::testing::ElementsAre("mrz.read", "face.match"));
  EXPECT_EQ(got->sealed, "sealed-v1");
  EXPECT_EQ(got->key_id, "k1");
  EXPECT_EQ(got->stage, CaseStage::kFirstReview);
  EXPECT_EQ(got->claimed_by, "");
  EXPECT_EQ(got->create_time, kT0);
  EXPECT_EQ(got->delete_after, kT0 + absl::Hours(24 * 7));
  EXPECT_EQ(store_->GetVerification("v1")->state, VerificationState::kCompleted);
}

TEST_P(StoreConformanceTest, FinishWithInvalidCaseWritesNothing) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1")), IsOk());
  ReviewCase other = MakeCase("v2", kT0);
  ReviewCase no_key = MakeCase("v1", kT0);
  no_key.key_id.clear();
  ReviewCase spaced = MakeCase("v1", kT0, {"has space"});

  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, &other),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, &no_key),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, &spaced),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ReviewCase ok = MakeCase("v1", kT0);
  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kFailed, "r", kT0, &ok),
              StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_EQ(store_->GetVerification("v1")->state, VerificationState::kRunning);
  EXPECT_THAT(store_->GetCase("v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetCase("v2"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, FinishOfTerminalVerificationCreatesNoCase) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("v1")), IsOk());
  ASSERT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr),
              IsOk());
  ReviewCase c = MakeCase("v1", kT0);

  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r2", kT0, &c),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_THAT(store_->GetCase("v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->GetVerification("v1")->result, "r");
}

TEST_P(StoreConformanceTest, CompleteJobWithCaseCreatesItAtomically) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_TRUE(job.has_value());
  ReviewCase c = MakeCase("a", kT0);

  ASSERT_THAT(store_->CompleteJob(*job, VerificationState::kCompleted, "needs-review", kT0, &c),
              IsOk());

  EXPECT_EQ(store_->GetCase("a")->sealed, "sealed-a");
  EXPECT_EQ(store_->GetVerification("a")->result, "needs-review");
  EXPECT_EQ(*store_->PendingJobCount(), 0);
}

TEST_P(StoreConformanceTest, FailedCompletionCreatesNoCase) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("a", "", "pa")), IsOk());
  std::optional<ClaimedJob> first = *store_->ClaimJob(kT0, absl::Seconds(10));
  ASSERT_TRUE(first.has_value());
  std::optional<ClaimedJob> second = *store_->ClaimJob(kT0 + absl::Seconds(11), absl::Minutes(1));
  ASSERT_TRUE(second.has_value());
  ReviewCase c = MakeCase("a", kT0);
  ReviewCase wrong = MakeCase("b", kT0);

  EXPECT_THAT(store_->CompleteJob(*first, VerificationState::kCompleted, "r", kT0, &c),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->CompleteJob(*second, VerificationState::kCompleted, "r", kT0, &wrong),
              StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_THAT(store_->GetCase("a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(*store_->PendingJobCount(), 1);
  EXPECT_EQ(store_->GetVerification("a")->state, VerificationState::kRunning);
  // The live holder can still complete, with its case.
  EXPECT_THAT(store_->CompleteJob(*second, VerificationState::kCompleted, "r", kT0, &c), IsOk());
  EXPECT_THAT(store_->GetCase("a"), IsOk());
}

TEST_P(StoreConformanceTest, ListsCasesOldestFirstWithFilters) {
  AddCase(*store_, MakeCase("c3", kT0 + absl::Seconds(3), {"face.match"}, "strict"));
  AddCase(*store_, MakeCase("c1", kT0 + absl::Seconds(1), {"mrz.read", "face.match"}));
  AddCase(*store_, MakeCase("c2", kT0 + absl::Seconds(2), {"mrz.read"}));
  ReviewCase other = MakeCase("c4", kT0 + absl::Seconds(4), {"mrz.read.extra"});
  other.relying_service = "other";
  AddCase(*store_, other);
  const absl::Time now = kT0 + absl::Minutes(1);

  CaseFilter all;
  EXPECT_THAT(Ids(*store_->ListCases(all, now)), ::testing::ElementsAre("c1", "c2", "c3", "c4"));
  CaseFilter by_reason;
  by_reason.reason = "mrz.read";  // exact code, not a prefix of mrz.read.extra
  EXPECT_THAT(Ids(*store_->ListCases(by_reason, now)), ::testing::ElementsAre("c1", "c2"));
  CaseFilter by_policy;
  by_policy.policy = "strict";
  EXPECT_THAT(Ids(*store_->ListCases(by_policy, now)), ::testing::ElementsAre("c3"));
  CaseFilter by_service;
  by_service.relying_service = "other";
  EXPECT_THAT(Ids(*store_->ListCases(by_service, now)), ::testing::ElementsAre("c4"));
  CaseFilter by_age;
  by_age.created_after = kT0 + absl::Seconds(1);
  by_age.created_before = kT0 + absl::Seconds(4);
  EXPECT_THAT(Ids(*store_->ListCases(by_age, now)), ::testing::ElementsAre("c2", "c3"));
  CaseFilter limited;
  limited.limit = 2;
  EXPECT_THAT(Ids(*store_->ListCases(limited, now)), ::testing::ElementsAre("c1", "c2"));
  CaseFilter second;
  second.stage = CaseStage::kSecondReview;
  EXPECT_TRUE(store_->ListCases(second, now)->empty());

  std::vector<ReviewCase> listed = *store_->ListCases(all, now);
  EXPECT_EQ(listed[0].sealed, "");  // the envelope only through GetCase
  EXPECT_THAT(listed[0].reasons, ::testing::ElementsAre("mrz.read", "face.match"));
}

TEST_P(StoreConformanceTest, ListCasesRejectsBadLimits) {
  CaseFilter zero;
  zero.limit = 0;
  CaseFilter huge;
  huge.limit = 1001;
  EXPECT_THAT(store_->ListCases(zero, kT0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListCases(huge, kT0), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ListingShowsLiveClaimsOnly) {
  AddCase(*store_, MakeCase("c1", kT0));
  AddCase(*store_, MakeCase("c2", kT0 + absl::Seconds(1)));
  ASSERT_TRUE(store_->ClaimCase(Claim("alice", kT0, "c1"))->has_value());

  std::vector<ReviewCase> during = *store_->ListCases(CaseFilter{}, kT0 + absl::Minutes(1));
  std::vector<ReviewCase> after = *store_->ListCases(CaseFilter{}, kT0 + absl::Minutes(16));

  ASSERT_EQ(during.size(), 2u);
  EXPECT_EQ(during[0].claimed_by, "alice");
  EXPECT_EQ(during[0].lease_token, "");  // a listing never hands out a lease token
  EXPECT_EQ(during[1].claimed_by, "");
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].claimed_by, "");
}

TEST_P(StoreConformanceTest, UnknownCaseIsNotFound) {
  EXPECT_THAT(store_->GetCase("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ClaimCase(Claim("alice", kT0, "nope")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ReleaseCase("nope", "tok", kT0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->EscalateCase("nope", "tok", "d", "alice", kT0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DecideCase("nope", "tok", "r", kT0, kT0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RekeyCase("nope", "k1", "s", "k2"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, ClaimsNextOldestAndRefusesOthers) {
  AddCase(*store_, MakeCase("c2", kT0 + absl::Seconds(2)));
  AddCase(*store_, MakeCase("c1", kT0 + absl::Seconds(1)));

  absl::StatusOr<std::optional<ReviewCase>> a = store_->ClaimCase(Claim("alice", kT0));
  absl::StatusOr<std::optional<ReviewCase>> b = store_->ClaimCase(Claim("bob", kT0));
  absl::StatusOr<std::optional<ReviewCase>> none = store_->ClaimCase(Claim("carol", kT0));

  ASSERT_THAT(a, IsOk());
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->verification_id, "c1");
  EXPECT_EQ((*a)->claimed_by, "alice");
  EXPECT_EQ((*a)->sealed, "sealed-c1");
  EXPECT_EQ((*a)->lease_expiry, kT0 + absl::Minutes(15));
  EXPECT_FALSE((*a)->lease_token.empty());
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->verification_id, "c2");
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_THAT(store_->ClaimCase(Claim("carol", kT0, "c1")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetCase("c1")->claimed_by, "alice");
}

TEST_P(StoreConformanceTest, ClaimNextHonoursTheFilter) {
  AddCase(*store_, MakeCase("c1", kT0 + absl::Seconds(1), {"mrz.read"}));
  AddCase(*store_, MakeCase("c2", kT0 + absl::Seconds(2), {"face.match"}, "strict"));
  ClaimCaseRequest r = Claim("alice", kT0);
  r.filter.reason = "face.match";

  absl::StatusOr<std::optional<ReviewCase>> got = store_->ClaimCase(r);

  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->verification_id, "c2");
  r.filter.reason = "";
  r.filter.policy = "other";
  EXPECT_FALSE(store_->ClaimCase(r)->has_value());
}

TEST_P(StoreConformanceTest, ClaimValidatesTheRequest) {
  AddCase(*store_, MakeCase("c1", kT0));
  ClaimCaseRequest no_operator = Claim("", kT0);
  ClaimCaseRequest no_lease = Claim("alice", kT0);
  no_lease.lease = absl::ZeroDuration();
  EXPECT_THAT(store_->ClaimCase(no_operator), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ClaimCase(no_lease), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_->GetCase("c1")->claimed_by, "");
}

TEST_P(StoreConformanceTest, SameOperatorRenewsWithNewToken) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> first = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(first.has_value());

  absl::StatusOr<std::optional<ReviewCase>> renewed =
      store_->ClaimCase(Claim("alice", kT0 + absl::Minutes(10), "c1"));

  ASSERT_THAT(renewed, IsOk());
  ASSERT_TRUE(renewed->has_value());
  EXPECT_NE((*renewed)->lease_token, first->lease_token);
  EXPECT_EQ((*renewed)->lease_expiry, kT0 + absl::Minutes(25));
  EXPECT_THAT(store_->ReleaseCase("c1", first->lease_token, kT0 + absl::Minutes(11)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Claim-next skips a case under a live claim, even the operator's own.
  EXPECT_FALSE(store_->ClaimCase(Claim("alice", kT0 + absl::Minutes(11)))->has_value());
  EXPECT_THAT(store_->ReleaseCase("c1", (*renewed)->lease_token, kT0 + absl::Minutes(20)), IsOk());
}

TEST_P(StoreConformanceTest, ExpiredCaseLeaseIsReclaimable) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> alice = *store_->ClaimCase(Claim("alice", kT0));
  ASSERT_TRUE(alice.has_value());
  const absl::Time later = kT0 + absl::Minutes(16);

  absl::StatusOr<std::optional<ReviewCase>> bob = store_->ClaimCase(Claim("bob", later));

  ASSERT_THAT(bob, IsOk());
  ASSERT_TRUE(bob->has_value());
  EXPECT_EQ((*bob)->verification_id, "c1");
  EXPECT_EQ((*bob)->claimed_by, "bob");
  EXPECT_THAT(store_->DecideCase("c1", alice->lease_token, "r", later, later),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ReleaseCase("c1", (*bob)->lease_token, later), IsOk());
}

TEST_P(StoreConformanceTest, ReleaseChecksTokenAndExpiry) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());

  EXPECT_THAT(store_->ReleaseCase("c1", "", kT0), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ReleaseCase("c1", "not-the-token", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ReleaseCase("c1", c->lease_token, kT0 + absl::Minutes(15)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(store_->ReleaseCase("c1", c->lease_token, kT0 + absl::Minutes(1)), IsOk());

  EXPECT_EQ(store_->GetCase("c1")->claimed_by, "");
  EXPECT_THAT(store_->ReleaseCase("c1", c->lease_token, kT0 + absl::Minutes(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<std::optional<ReviewCase>> bob = store_->ClaimCase(Claim("bob", kT0));
  ASSERT_THAT(bob, IsOk());
  EXPECT_TRUE(bob->has_value());
}

TEST_P(StoreConformanceTest, FourEyesNeedsAnotherSenior) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> first = *store_->ClaimCase(Claim("alice", kT0, "c1", true));
  ASSERT_TRUE(first.has_value());  // seniors may take first review too

  ASSERT_THAT(store_->EscalateCase("c1", first->lease_token, "approve:override", "alice", kT0),
              IsOk());

  ReviewCase escalated = *store_->GetCase("c1");
  EXPECT_EQ(escalated.stage, CaseStage::kSecondReview);
  EXPECT_EQ(escalated.first_decision, "approve:override");
  EXPECT_EQ(escalated.first_operator, "alice");
  EXPECT_EQ(escalated.claimed_by, "");
  // Not a non-senior, not the first reviewer, by id or as "next".
  EXPECT_THAT(store_->ClaimCase(Claim("bob", kT0, "c1", false)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ClaimCase(Claim("alice", kT0, "c1", true)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(store_->ClaimCase(Claim("bob", kT0, "", false))->has_value());
  EXPECT_FALSE(store_->ClaimCase(Claim("alice", kT0, "", true))->has_value());
  absl::StatusOr<std::optional<ReviewCase>> carol =
      store_->ClaimCase(Claim("carol", kT0, "", true));
  ASSERT_THAT(carol, IsOk());
  ASSERT_TRUE(carol->has_value());
  EXPECT_EQ((*carol)->verification_id, "c1");
  EXPECT_THAT(store_->EscalateCase("c1", (*carol)->lease_token, "x", "carol", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // already second review
  EXPECT_THAT(store_->DecideCase("c1", (*carol)->lease_token, "approved", kT0, kT0), IsOk());
  EXPECT_THAT(store_->GetCase("c1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->GetVerification("c1")->result, "approved");
}

TEST_P(StoreConformanceTest, EscalateChecksTheLease) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(store_->EscalateCase("c1", "wrong", "d", "alice", kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->EscalateCase("c1", c->lease_token, "d", "alice", kT0 + absl::Hours(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->EscalateCase("c1", c->lease_token, "d", "", kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_->GetCase("c1")->stage, CaseStage::kFirstReview);
}

TEST_P(StoreConformanceTest, DecideDeletesCaseAndReplacesResult) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());
  const absl::Time t = kT0 + absl::Minutes(1);

  EXPECT_THAT(store_->DecideCase("c1", "wrong", "approved", t, t),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(store_->DecideCase("c1", c->lease_token, "approved", t, t), IsOk());

  EXPECT_THAT(store_->GetCase("c1"), StatusIs(absl::StatusCode::kNotFound));
  VerificationRecord v = *store_->GetVerification("c1");
  EXPECT_EQ(v.state, VerificationState::kCompleted);
  EXPECT_EQ(v.result, "approved");
  EXPECT_EQ(v.update_time, t);
  EXPECT_THAT(store_->DecideCase("c1", c->lease_token, "rejected", t, t),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->GetVerification("c1")->result, "approved");
}

TEST_P(StoreConformanceTest, DecideRecordsTheApprovalsAttestationWithTheResult) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());
  const absl::Time t = kT0 + absl::Minutes(1);
  const AttestationRecord attestation{"att-c1", "c1", "svc", t + absl::Hours(1), "", -1, 0};

  ASSERT_THAT(store_->DecideCase("c1", c->lease_token, "approved", t, t, &attestation), IsOk());

  EXPECT_EQ(store_->GetVerification("c1")->result, "approved");
  absl::StatusOr<AttestationRecord> recorded = store_->GetAttestation("att-c1");
  ASSERT_THAT(recorded, IsOk());
  EXPECT_EQ(recorded->verification_id, "c1");
  EXPECT_EQ(store_->GetAttestationByVerification("c1")->attestation_id, "att-c1");
}

TEST_P(StoreConformanceTest, DecideWithADuplicateAttestationWritesNothing) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());
  const absl::Time t = kT0 + absl::Minutes(1);
  const AttestationRecord taken{"att-dup", "other", "svc", t, "", -1, 0};
  ASSERT_THAT(store_->RecordAttestation(taken), IsOk());
  const AttestationRecord duplicate{"att-dup", "c1", "svc", t, "", -1, 0};

  EXPECT_THAT(store_->DecideCase("c1", c->lease_token, "approved", t, t, &duplicate),
              StatusIs(absl::StatusCode::kAlreadyExists));

  EXPECT_THAT(store_->GetCase("c1"), IsOk());  // Still waiting for a decision.
  EXPECT_NE(store_->GetVerification("c1")->result, "approved");
  EXPECT_EQ(store_->GetAttestation("att-dup")->verification_id, "other");
}

TEST_P(StoreConformanceTest, DecideKeepsCaseUntilKeepUntil) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());
  const absl::Time keep = kT0 + absl::Hours(48);

  ASSERT_THAT(store_->DecideCase("c1", c->lease_token, "rejected", kT0, keep), IsOk());

  ReviewCase kept = *store_->GetCase("c1");
  EXPECT_EQ(kept.stage, CaseStage::kDecided);
  EXPECT_EQ(kept.delete_after, keep);
  EXPECT_EQ(kept.claimed_by, "");
  EXPECT_EQ(kept.sealed, "sealed-c1");
  EXPECT_TRUE(store_->ListCases(CaseFilter{}, kT0)->empty());  // not in the queue
  CaseFilter decided;
  decided.stage = CaseStage::kDecided;
  EXPECT_THAT(Ids(*store_->ListCases(decided, kT0)), ::testing::ElementsAre("c1"));
  EXPECT_THAT(store_->ClaimCase(Claim("bob", kT0, "c1", true)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(store_->ClaimCase(Claim("bob", kT0, "", true))->has_value());
  EXPECT_THAT(store_->DecideCase("c1", c->lease_token, "approved", kT0, keep),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->GetVerification("c1")->result, "rejected");
}

TEST_P(StoreConformanceTest, ConcurrentDecisionsSucceedExactlyOnce) {
  AddCase(*store_, MakeCase("c1", kT0));
  std::optional<ReviewCase> c = *store_->ClaimCase(Claim("alice", kT0, "c1"));
  ASSERT_TRUE(c.has_value());
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      absl::Status s = store_->DecideCase("c1", c->lease_token, absl::StrCat("r", t), kT0, kT0);
      if (s.ok()) {
        ++ok;
      } else if (s.code() == absl::StatusCode::kNotFound ||
                 s.code() == absl::StatusCode::kFailedPrecondition) {
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_THAT(store_->GetCase("c1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, ConcurrentClaimsNeverShareACase) {
  constexpr int kCases = 12;
  for (int i = 0; i < kCases; ++i) {
    AddCase(*store_, MakeCase(absl::StrCat("c", i), kT0 + absl::Seconds(i)));
  }
  absl::Mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (true) {
        absl::StatusOr<std::optional<ReviewCase>> c =
            store_->ClaimCase(Claim(absl::StrCat("op", t), kT0));
        if (!c.ok() || !c->has_value()) return;
        absl::MutexLock lock(&mu);
        claimed.push_back((*c)->verification_id);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kCases));
  EXPECT_EQ(std::adjacent_find(claimed.begin(), claimed.end()), claimed.end());
}

TEST_P(StoreConformanceTest, RekeyNeedsTheExpectedKey) {
  AddCase(*store_, MakeCase("c1", kT0));
  AddCase(*store_, MakeCase("c2", kT0));
  ReviewCase c3 = MakeCase("c3", kT0);
  c3.key_id = "k0";
  AddCase(*store_, c3);
  EXPECT_THAT(*store_->CasesSealedWith("k1"), ::testing::ElementsAre("c1", "c2"));

  ASSERT_THAT(store_->RekeyCase("c1", "k1", "resealed", "k2"), IsOk());

  EXPECT_THAT(store_->RekeyCase("c1", "k1", "again", "k3"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->RekeyCase("c2", "k1", "", "k2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ReviewCase c1 = *store_->GetCase("c1");
  EXPECT_EQ(c1.sealed, "resealed");
  EXPECT_EQ(c1.key_id, "k2");
  EXPECT_THAT(*store_->CasesSealedWith("k1"), ::testing::ElementsAre("c2"));
  EXPECT_THAT(*store_->CasesSealedWith("k2"), ::testing::ElementsAre("c1"));
  EXPECT_TRUE(store_->CasesSealedWith("k9")->empty());
}

TEST_P(StoreConformanceTest, ListExpiredCasesListsWithoutDeleting) {
  ReviewCase late = MakeCase("late", kT0);
  late.delete_after = kT0 + absl::Hours(2);
  ReviewCase early = MakeCase("early", kT0 + absl::Minutes(1));
  early.delete_after = kT0 + absl::Hours(1);
  ReviewCase fresh = MakeCase("fresh", kT0);
  fresh.delete_after = kT0 + absl::Hours(3);
  AddCase(*store_, late);
  AddCase(*store_, early);
  AddCase(*store_, fresh);
  AddCase(*store_, MakeCase("kept", kT0));
  std::optional<ReviewCase> k = *store_->ClaimCase(Claim("alice", kT0, "kept"));
  ASSERT_TRUE(k.has_value());
  ASSERT_THAT(store_->DecideCase("kept", k->lease_token, "approved", kT0, kT0 + absl::Hours(2)),
              IsOk());

  absl::StatusOr<std::vector<ReviewCase>> expired =
      store_->ListExpiredCases(kT0 + absl::Hours(2), 1000);

  ASSERT_THAT(expired, IsOk());
  // By delete_after, then id.
  EXPECT_THAT(Ids(*expired), ::testing::ElementsAre("early", "kept", "late"));
  for (const ReviewCase& c : *expired) {
    EXPECT_EQ(c.sealed, "");
    EXPECT_EQ(c.lease_token, "");
    EXPECT_EQ(c.relying_service, "svc");
    EXPECT_EQ(c.stage, c.verification_id == "kept" ? CaseStage::kDecided : CaseStage::kFirstReview);
  }
  EXPECT_THAT(Ids(*store_->ListExpiredCases(kT0 + absl::Hours(2), 2)),
              ::testing::ElementsAre("early", "kept"));
  EXPECT_THAT(store_->GetCase("early"), IsOk());  // listing deletes nothing
  EXPECT_TRUE(store_->ListExpiredCases(kT0, 10)->empty());
  EXPECT_THAT(store_->ListExpiredCases(kT0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListExpiredCases(kT0, 1001), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ExpireCaseDeletesAndReplacesTheResultTogether) {
  ReviewCase c = MakeCase("c1", kT0);
  c.delete_after = kT0 + absl::Hours(1);
  AddCase(*store_, c);

  EXPECT_THAT(store_->ExpireCase("c1", "expired", kT0 + absl::Hours(1)),
              ::vouch::testing::IsOkAndHolds(true));

  EXPECT_THAT(store_->GetCase("c1"), StatusIs(absl::StatusCode::kNotFound));
  VerificationRecord v = *store_->GetVerification("c1");
  EXPECT_EQ(v.state, VerificationState::kCompleted);
  EXPECT_EQ(v.result, "expired");
  EXPECT_EQ(v.update_time, kT0 + absl::Hours(1));
  EXPECT_TRUE(store_->ListExpiredCases(kT0 + absl::Hours(2), 10)->empty());
  EXPECT_THAT(store_->ExpireCase("c1", "again", kT0 + absl::Hours(2)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->GetVerification("c1")->result, "expired");
}

TEST_P(StoreConformanceTest, ExpireCaseOfADecidedCaseKeepsTheResult) {
  AddCase(*store_, MakeCase("kept", kT0));
  std::optional<ReviewCase> k = *store_->ClaimCase(Claim("alice", kT0, "kept"));
  ASSERT_TRUE(k.has_value());
  ASSERT_THAT(store_->DecideCase("kept", k->lease_token, "approved", kT0, kT0 + absl::Hours(2)),
              IsOk());

  EXPECT_THAT(store_->ExpireCase("kept", "expired", kT0 + absl::Hours(2)),
              ::vouch::testing::IsOkAndHolds(true));

  EXPECT_THAT(store_->GetCase("kept"), StatusIs(absl::StatusCode::kNotFound));
  VerificationRecord v = *store_->GetVerification("kept");
  EXPECT_EQ(v.result, "approved");
  EXPECT_EQ(v.update_time, kT0);
}

TEST_P(StoreConformanceTest, ExpireCaseNotYetExpiredChangesNothing) {
  ReviewCase c = MakeCase("c1", kT0);
  c.delete_after = kT0 + absl::Hours(1);
  AddCase(*store_, c);

  EXPECT_THAT(store_->ExpireCase("c1", "expired", kT0 + absl::Hours(1) - absl::Microseconds(1)),
              ::vouch::testing::IsOkAndHolds(false));

  absl::StatusOr<ReviewCase> still = store_->GetCase("c1");
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->sealed, "sealed-c1");
  EXPECT_EQ(still->stage, CaseStage::kFirstReview);
  VerificationRecord v = *store_->GetVerification("c1");
  EXPECT_EQ(v.result, "needs-review");
  EXPECT_EQ(v.update_time, kT0);
}

TEST_P(StoreConformanceTest, ExpireCaseOfAnUnknownCaseIsNotFound) {
  ASSERT_THAT(store_->CreateVerification(MakeNew("running")), IsOk());
  const VerificationRecord before = *store_->GetVerification("running");
  EXPECT_THAT(store_->ExpireCase("nope", "x", kT0), StatusIs(absl::StatusCode::kNotFound));
  // A verification without a case is not a case.
  EXPECT_THAT(store_->ExpireCase("running", "x", kT0 + absl::Hours(24 * 365)),
              StatusIs(absl::StatusCode::kNotFound));
  const VerificationRecord after = *store_->GetVerification("running");
  EXPECT_EQ(after.state, before.state);
  EXPECT_EQ(after.result, before.result);
}

TEST_P(StoreConformanceTest, ConcurrentExpiriesSucceedExactlyOnce) {
  ReviewCase c = MakeCase("c1", kT0);
  c.delete_after = kT0 + absl::Hours(1);
  AddCase(*store_, c);
  std::atomic<int> expired{0};
  std::atomic<int> not_found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      absl::StatusOr<bool> s = store_->ExpireCase("c1", absl::StrCat("r", t), kT0 + absl::Hours(1));
      if (s.ok() && *s) {
        ++expired;
      } else if (s.status().code() == absl::StatusCode::kNotFound) {
        ++not_found;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(expired.load(), 1);
  EXPECT_EQ(not_found.load(), 7);
  EXPECT_THAT(store_->GetCase("c1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetVerification("c1")->result, ::testing::StartsWith("r"));
}

// --- Audit log ---------------------------------------------------------------

namespace {

AuditEvent Event(const std::string& action, int i = 0) {
  AuditEvent e;
  e.time = kT0 + absl::Seconds(i);
  e.actor = "alice";
  e.action = action;
  e.verification_id = absl::StrCat("v", i);
  e.detail = absl::StrCat("{\"i\":", i, "}");
  e.seq = 99;             // ignored
  e.prev_hash = "bogus";  // ignored
  e.hash = "bogus";       // ignored
  return e;
}

// Checks seq 1..n without gaps, each prev_hash linking, each hash recomputable.
void ExpectIntactChain(const std::vector<AuditEvent>& events) {
  std::string prev(64, '0');
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].prev_hash, prev) << "seq " << events[i].seq;
    EXPECT_EQ(events[i].hash, AuditEventHash(events[i])) << "seq " << events[i].seq;
    prev = events[i].hash;
  }
}

}  // namespace

TEST_P(StoreConformanceTest, AuditAppendsAChain) {
  absl::StatusOr<AuditEvent> first = store_->AppendAudit(Event("case.claim", 1));
  absl::StatusOr<AuditEvent> second = store_->AppendAudit(Event("case.approve", 2));

  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, std::string(64, '0'));
  EXPECT_EQ(first->hash, AuditEventHash(*first));
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);
  absl::StatusOr<std::vector<AuditEvent>> all = store_->ListAudit(0, 100);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].action, "case.approve");
  EXPECT_EQ((*all)[1].actor, "alice");
  EXPECT_EQ((*all)[1].verification_id, "v2");
  EXPECT_EQ((*all)[1].detail, "{\"i\":2}");
  EXPECT_EQ((*all)[1].time, kT0 + absl::Seconds(2));
  ExpectIntactChain(*all);
}

TEST_P(StoreConformanceTest, AuditListPagesBySeq) {
  for (int i = 1; i <= 5; ++i) ASSERT_THAT(store_->AppendAudit(Event("a", i)), IsOk());

  std::vector<AuditEvent> page = *store_->ListAudit(2, 2);

  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 3);
  EXPECT_EQ(page[1].seq, 4);
  EXPECT_EQ(store_->ListAudit(5, 10)->size(), 0u);
  EXPECT_THAT(store_->ListAudit(0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListAudit(0, 10001), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListAudit(-1, 10), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, AuditRejectsInvalidEvents) {
  AuditEvent no_actor = Event("a");
  no_actor.actor.clear();
  AuditEvent no_action = Event("");
  AuditEvent huge = Event("a");
  huge.detail.assign(20000, 'x');
  EXPECT_THAT(store_->AppendAudit(no_actor), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AppendAudit(no_action), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AppendAudit(huge), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(store_->ListAudit(0, 10)->empty());
}

TEST_P(StoreConformanceTest, ConcurrentAuditAppendsKeepTheChain) {
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!store_->AppendAudit(Event(absl::StrCat("t", t), i)).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<std::vector<AuditEvent>> all = store_->ListAudit(0, 10000);
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kEach));
  ExpectIntactChain(*all);
}

// --- Status lists shared by replicas (#14) ---------------------------------

TEST_P(StoreConformanceTest, StatusEntriesAreUniqueAndListsRollOver) {
  constexpr int64_t kSize = 16;
  std::vector<std::vector<int64_t>> by_list(4);
  for (int i = 0; i < 3 * kSize + 2; ++i) {
    absl::StatusOr<StatusAllocation> a = store_->AllocateStatusEntry(kSize);
    ASSERT_THAT(a, IsOk());
    ASSERT_GE(a->list_number, 1);
    ASSERT_LE(a->list_number, 4);
    ASSERT_GE(a->index, 0);
    ASSERT_LT(a->index, kSize);
    by_list[a->list_number - 1].push_back(a->index);
  }
  for (int l = 0; l < 3; ++l) {
    std::vector<int64_t> indexes = by_list[l];
    ASSERT_EQ(indexes.size(), static_cast<size_t>(kSize)) << "list " << l + 1;
    // Drawn in an order that is not the identity (the permutation is keyed
    // per list; 16! orders make the identity a 1 in 2e13 event).
    EXPECT_FALSE(std::is_sorted(indexes.begin(), indexes.end())) << "list " << l + 1;
    std::sort(indexes.begin(), indexes.end());
    EXPECT_EQ(std::unique(indexes.begin(), indexes.end()), indexes.end()) << "list " << l + 1;
  }
  EXPECT_EQ(by_list[3].size(), 2u);
  absl::StatusOr<std::vector<StatusListInfo>> lists = store_->ListStatusLists();
  ASSERT_THAT(lists, IsOk());
  ASSERT_EQ(lists->size(), 4u);
  EXPECT_EQ((*lists)[0].list_number, 1);
  EXPECT_EQ((*lists)[0].size, kSize);
  EXPECT_EQ((*lists)[0].allocated, kSize);
  EXPECT_EQ((*lists)[3].allocated, 2);
  // A new size applies to lists opened from now on.
  EXPECT_THAT(store_->AllocateStatusEntry(kSize * 2), IsOk());
  EXPECT_THAT(store_->AllocateStatusEntry(7), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AllocateStatusEntry(0), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ConcurrentStatusAllocationsNeverCollide) {
  constexpr int64_t kSize = 64;
  constexpr int kThreads = 4;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  absl::Mutex mu;
  std::vector<std::pair<int64_t, int64_t>> all;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<StatusAllocation> a = store_->AllocateStatusEntry(kSize);
        if (!a.ok()) {
          ++failures;
          continue;
        }
        absl::MutexLock lock(&mu);
        all.emplace_back(a->list_number, a->index);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.back().first, 3);  // 160 entries over lists of 64.
}

TEST_P(StoreConformanceTest, LegacyStatusEntriesCloseListOne) {
  AttestationRecord legacy{"att-old", "v-old", "svc", kT0, "https://i.example/status/1", 99999, 0};
  ASSERT_THAT(store_->RecordAttestation(legacy), IsOk());
  absl::StatusOr<StatusAllocation> a = store_->AllocateStatusEntry(8);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->list_number, 2);
  absl::StatusOr<std::vector<StatusListInfo>> lists = store_->ListStatusLists();
  ASSERT_THAT(lists, IsOk());
  ASSERT_EQ(lists->size(), 2u);
  EXPECT_EQ((*lists)[0].size, kLegacyStatusListSize);
  EXPECT_EQ((*lists)[0].allocated, kLegacyStatusListSize);
}

TEST_P(StoreConformanceTest, AttestationByVerification) {
  EXPECT_THAT(store_->GetAttestationByVerification("v1"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(
      store_->RecordAttestation({"att-1", "v1", "svc", kT0, "https://i.example/status/2", 5, 0}),
      IsOk());
  ASSERT_THAT(store_->RecordAttestation({"att-2", "v2", "svc", kT0, "", -1, 0}), IsOk());
  absl::StatusOr<AttestationRecord> got = store_->GetAttestationByVerification("v1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->attestation_id, "att-1");
  EXPECT_EQ(got->status_list_index, 5);
  EXPECT_EQ(store_->GetAttestationByVerification("v2")->status_list_uri, "");
}

// --- end status lists --------------------------------------------------------

// --- Changes across replicas (#14) -------------------------------------------

namespace {

// Waits (at most `patience`) until `stream` has delivered every change in
// `expected`; returns what arrived.
std::vector<std::pair<StoreChange::Kind, std::string>> Collect(
    ChangeStream& stream, const std::vector<std::pair<StoreChange::Kind, std::string>>& expected,
    absl::Duration patience) {
  std::vector<std::pair<StoreChange::Kind, std::string>> seen;
  const absl::Time deadline = absl::Now() + patience;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::vector<StoreChange>> got = stream.Wait(absl::Milliseconds(200));
    EXPECT_THAT(got, IsOk());
    if (!got.ok()) break;
    for (const StoreChange& c : *got) seen.emplace_back(c.kind, c.id);
    if (std::all_of(expected.begin(), expected.end(), [&](const auto& e) {
          return std::find(seen.begin(), seen.end(), e) != seen.end();
        })) {
      break;
    }
  }
  return seen;
}

}  // namespace

TEST_P(StoreConformanceTest, ChangeStreamPushesCommittedChangesOfOtherInstances) {
  absl::StatusOr<std::unique_ptr<ChangeStream>> stream = store_->OpenChangeStream();
  if (!GetParam().pushes_changes) {
    EXPECT_THAT(stream, StatusIs(absl::StatusCode::kUnimplemented));
    return;
  }
  ASSERT_THAT(stream, IsOk());
  // A second instance on the same storage (another vouchd) makes the changes.
  std::unique_ptr<Store> other = Open();
  ASSERT_NE(other, nullptr);
  ASSERT_THAT(other->CreateVerification(MakeNew("job", "", "payload")), IsOk());
  ASSERT_THAT(other->CreateVerification(MakeNew("sync")), IsOk());
  ASSERT_THAT(
      other->RecordAttestation({"att-1", "sync", "svc", kT0, "https://i.example/status/1", 3, 0}),
      IsOk());
  // Nothing is pushed for a creation (no one watches what it has not seen).
  absl::StatusOr<std::vector<StoreChange>> quiet = (*stream)->Wait(absl::Milliseconds(300));
  ASSERT_THAT(quiet, IsOk());
  EXPECT_TRUE(quiet->empty());

  std::optional<ClaimedJob> job = *other->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_TRUE(job.has_value());
  ASSERT_THAT(other->CompleteJob(*job, VerificationState::kCompleted, "done", kT0, nullptr),
              IsOk());
  ASSERT_THAT(other->FinishVerification("sync", VerificationState::kCompleted, "r", kT0, nullptr),
              IsOk());
  ASSERT_THAT(other->SetAttestationStatus("att-1", 1), IsOk());
  using Kind = StoreChange::Kind;
  const std::vector<std::pair<Kind, std::string>> expected = {{Kind::kVerification, "job"},
                                                              {Kind::kVerification, "sync"},
                                                              {Kind::kAttestationStatus, "att-1"}};
  EXPECT_THAT(Collect(**stream, expected, absl::Seconds(10)), ::testing::IsSupersetOf(expected));

  // A write that changes nothing (the status is already 1) pushes nothing.
  ASSERT_THAT(other->SetAttestationStatus("att-1", 1), IsOk());
  absl::StatusOr<std::vector<StoreChange>> after = (*stream)->Wait(absl::Milliseconds(300));
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->empty());
}

// --- end changes -------------------------------------------------------------

// --- Abandoned synchronous verifications (#18) -------------------------------

TEST_P(StoreConformanceTest, DeadlineIsStoredToTheMicrosecond) {
  NewVerification v = MakeNew("v1");
  v.record.deadline = kT0 + absl::Minutes(5) + absl::Microseconds(7);
  ASSERT_THAT(store_->CreateVerification(v), IsOk());
  ASSERT_THAT(store_->CreateVerification(MakeNew("v2")), IsOk());

  EXPECT_EQ(store_->GetVerification("v1")->deadline, v.record.deadline);
  EXPECT_EQ(store_->GetVerification("v2")->deadline, absl::InfiniteFuture());
}

TEST_P(StoreConformanceTest, ExpiredSynchronousVerificationIsAbandonedAndItsKeyFreed) {
  NewVerification v = MakeNew("v1", "key-1");
  v.record.deadline = kT0 + absl::Minutes(5);
  ASSERT_THAT(store_->CreateVerification(v), IsOk());

  EXPECT_THAT(store_->AbandonExpiredVerifications(kT0 + absl::Minutes(5) - absl::Microseconds(1)),
              ::vouch::testing::IsOkAndHolds(0));
  EXPECT_THAT(store_->GetVerification("v1"), IsOk());
  EXPECT_THAT(store_->AbandonExpiredVerifications(kT0 + absl::Minutes(5)),
              ::vouch::testing::IsOkAndHolds(1));

  EXPECT_THAT(store_->GetVerification("v1"), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<CreateOutcome> retry = store_->CreateVerification(MakeNew("v2", "key-1"));
  ASSERT_THAT(retry, IsOk());
  EXPECT_FALSE(retry->existed);
}

TEST_P(StoreConformanceTest, SweepKeepsTerminalQueuedAndUndatedVerifications) {
  const absl::Time past = kT0 - absl::Hours(1);
  NewVerification finished = MakeNew("finished");
  finished.record.deadline = past;
  // Jobs: the first one is claimed (running), the second waits.
  NewVerification running = MakeNew("running", "", "payload");
  running.record.deadline = past;
  NewVerification waiting = MakeNew("waiting", "", "payload");
  waiting.record.deadline = past;
  for (const NewVerification& v : {finished, MakeNew("undated"), running, waiting}) {
    ASSERT_THAT(store_->CreateVerification(v), IsOk());
  }
  ASSERT_THAT(
      store_->FinishVerification("finished", VerificationState::kCompleted, "r", kT0, nullptr),
      IsOk());
  std::optional<ClaimedJob> job = *store_->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_TRUE(job.has_value());
  ASSERT_EQ(job->verification_id, "running");

  EXPECT_THAT(store_->AbandonExpiredVerifications(kT0 + absl::Hours(24)),
              ::vouch::testing::IsOkAndHolds(0));

  for (const char* id : {"finished", "undated", "running", "waiting"}) {
    EXPECT_THAT(store_->GetVerification(id), IsOk()) << id;
  }
  EXPECT_THAT(store_->PendingJobCount(), ::vouch::testing::IsOkAndHolds(2));
}

// --- end abandoned synchronous verifications --------------------------------

}  // namespace vouch::verifier::storage::testing
