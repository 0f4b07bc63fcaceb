// The Store conformance suite against PostgreSQL (the throwaway cluster of
// tests/pg, ctest fixture vouch_pg), and what only a shared database has:
// two Store instances (two connection pools, as two vouchd processes would
// have) on one database, concurrent migrations, and error hygiene.

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "pg/pg_test_env.h"
#include "sql/sql_migrations.h"
#include "sql_store.h"
#include "sql_store_faces.h"
#include "storage/store.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::vouch::testing::FreshSchemaUri;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

// One schema per test directory: a fresh one the first time a directory is
// opened (marked by a file in it), the same one when it is reopened (the
// durable tests).
std::unique_ptr<Store> OpenPostgres(const std::string& dir) {
  const std::string schema =
      absl::StrCat("t", getpid(), "_", std::hash<std::string>{}(dir) % 1000000007);
  const std::string marker = dir + "/pg_schema";
  absl::StatusOr<std::string> uri;
  if (std::filesystem::exists(marker)) {
    absl::StatusOr<std::string> base = ::vouch::testing::TestClusterUri();
    uri = base.ok() ? absl::StatusOr<std::string>(::vouch::testing::UriWithSchema(*base, schema))
                    : base.status();
  } else {
    uri = FreshSchemaUri(schema);
    if (uri.ok()) std::ofstream(marker) << schema;
  }
  if (!uri.ok()) {
    ADD_FAILURE() << uri.status();
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<Store>> store = NewPostgresStore(*uri);
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return *std::move(store);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformanceTest,
    ::testing::Values(StoreFactory{"Postgres", &OpenPostgres, true, /*pushes_changes=*/true}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(Stores, DurableStoreConformanceTest,
                         ::testing::Values(StoreFactory{"Postgres", &OpenPostgres, true}),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

class TwoInstancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    absl::StatusOr<std::string> uri = FreshSchemaUri(
        absl::StrCat("two", getpid(), "_", std::hash<std::string>{}(info->name()) % 1000000007));
    ASSERT_THAT(uri, IsOk());
    uri_ = *uri;
    absl::StatusOr<std::unique_ptr<Store>> a = NewPostgresStore(uri_);
    absl::StatusOr<std::unique_ptr<Store>> b = NewPostgresStore(uri_);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    a_ = *std::move(a);
    b_ = *std::move(b);
  }

  std::string uri_;
  std::unique_ptr<Store> a_;
  std::unique_ptr<Store> b_;
};

NewVerification Job(const std::string& id) {
  NewVerification v;
  v.record.id = id;
  v.record.relying_service = "svc";
  v.record.request_digest = "d";
  v.record.policy = "default";
  v.record.state = VerificationState::kPending;
  v.record.create_time = kT0;
  v.record.update_time = kT0;
  v.job_payload = "payload-" + id;
  return v;
}

TEST_F(TwoInstancesTest, JobsCompleteExactlyOnceAcrossInstances) {
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i) {
    Store& creator = i % 2 == 0 ? *a_ : *b_;
    ASSERT_THAT(creator.CreateVerification(Job(absl::StrCat("j", i))), IsOk());
  }
  absl::Mutex mu;
  std::vector<std::string> done;
  std::atomic<int> refused{0};
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    Store* store = t % 2 == 0 ? a_.get() : b_.get();
    threads.emplace_back([&, store] {
      go.WaitForNotification();
      while (true) {
        absl::StatusOr<std::optional<ClaimedJob>> job = store->ClaimJob(kT0, absl::Hours(1));
        if (!job.ok() || !job->has_value()) return;
        absl::Status s = store->CompleteJob(**job, VerificationState::kCompleted,
                                            "r-" + (*job)->verification_id, kT0, nullptr);
        if (s.ok()) {
          absl::MutexLock lock(&mu);
          done.push_back((*job)->verification_id);
        } else {
          ++refused;
        }
      }
    });
  }
  go.Notify();
  for (std::thread& t : threads) t.join();

  std::sort(done.begin(), done.end());
  EXPECT_EQ(done.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::adjacent_find(done.begin(), done.end()), done.end());
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(*a_->PendingJobCount(), 0);
  EXPECT_EQ(b_->GetVerification("j7")->result, "r-j7");
}

TEST_F(TwoInstancesTest, TwoOperatorsClaimingAtOnceNeverGetTheSameCase) {
  constexpr int kCases = 20;
  for (int i = 0; i < kCases; ++i) {
    const std::string id = absl::StrCat("c", i);
    NewVerification v = Job(id);
    v.job_payload.reset();
    v.record.state = VerificationState::kRunning;
    ASSERT_THAT(a_->CreateVerification(v), IsOk());
    ReviewCase c;
    c.verification_id = id;
    c.relying_service = "svc";
    c.policy = "default";
    c.reasons = {"mrz.read"};
    c.sealed = "sealed";
    c.key_id = "k1";
    c.create_time = kT0 + absl::Seconds(i);
    c.delete_after = kT0 + absl::Hours(1);
    ASSERT_THAT(a_->FinishVerification(id, VerificationState::kCompleted, "r", kT0, &c), IsOk());
  }
  absl::Mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int round = 0; round < kCases / 2; ++round) {
    // Two operators on two instances, released at the same moment.
    absl::Notification go;
    for (int op = 0; op < 2; ++op) {
      Store* store = op == 0 ? a_.get() : b_.get();
      threads.emplace_back([&, store, op] {
        go.WaitForNotification();
        ClaimCaseRequest r;
        r.operator_id = absl::StrCat("op", op);
        r.now = kT0;
        absl::StatusOr<std::optional<ReviewCase>> c = store->ClaimCase(r);
        if (c.ok() && c->has_value()) {
          absl::MutexLock lock(&mu);
          claimed.push_back((*c)->verification_id);
        }
      });
    }
    go.Notify();
    for (std::thread& t : threads) t.join();
    threads.clear();
  }

  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kCases));
  EXPECT_EQ(std::adjacent_find(claimed.begin(), claimed.end()), claimed.end());
  ClaimCaseRequest late;
  late.operator_id = "op9";
  late.now = kT0;
  EXPECT_FALSE(b_->ClaimCase(late)->has_value());
}

TEST_F(TwoInstancesTest, AuditChainHasNoForksAcrossInstances) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    Store* store = t % 2 == 0 ? a_.get() : b_.get();
    threads.emplace_back([&, store, t] {
      for (int i = 0; i < 20; ++i) {
        AuditEvent e;
        e.time = kT0 + absl::Seconds(i);
        e.actor = absl::StrCat("op", t);
        e.action = "case.claim";
        if (!store->AppendAudit(e).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  std::vector<AuditEvent> all = *a_->ListAudit(0, 1000);
  ASSERT_EQ(all.size(), 80u);
  std::string prev(64, '0');
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash, prev);
    EXPECT_EQ(all[i].hash, AuditEventHash(all[i]));
    prev = all[i].hash;
  }
}

// --- Status lists shared by replicas (#14) ---------------------------------

// 10,000 status entries reserved at once through two instances (four
// threads each) with a list size of 1024: no entry twice, every list full
// before the next opens.
TEST_F(TwoInstancesTest, StatusEntriesAreUniqueAcrossInstancesWithRollover) {
  constexpr int64_t kListSize = 1024;
  constexpr int kThreads = 8;
  constexpr int kEach = 1250;
  absl::Mutex mu;
  std::vector<std::pair<int64_t, int64_t>> all;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store* store = t % 2 == 0 ? a_.get() : b_.get();
    threads.emplace_back([&, store] {
      std::vector<std::pair<int64_t, int64_t>> mine;
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<StatusAllocation> entry = store->AllocateStatusEntry(kListSize);
        if (!entry.ok()) {
          ++failures;
          continue;
        }
        mine.emplace_back(entry->list_number, entry->index);
      }
      absl::MutexLock lock(&mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "an entry was given twice";
  absl::StatusOr<std::vector<StatusListInfo>> lists = b_->ListStatusLists();
  ASSERT_THAT(lists, IsOk());
  ASSERT_EQ(lists->size(), 10u);  // 9 full lists of 1024 and 784 entries in the 10th.
  for (size_t i = 0; i + 1 < lists->size(); ++i) EXPECT_EQ((*lists)[i].allocated, kListSize);
  EXPECT_EQ(lists->back().allocated, 10000 - 9 * kListSize);
}

// --- end status lists --------------------------------------------------------

TEST(PostgresStoreTest, ConcurrentStartsMigrateOnce) {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("mig", getpid()));
  ASSERT_THAT(uri, IsOk());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  absl::Notification go;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      go.WaitForNotification();
      if (NewPostgresStore(*uri).ok()) ++ok;
    });
  }
  go.Notify();
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(*::vouch::testing::QueryValue(
                *uri, "SELECT count(*) || ':' || max(version) FROM schema_version"),
            absl::StrCat("1:", internal::Migrations(internal::SqlSchema::kPostgres).size()));
  // One row, the latest (2: liveness, 3: status lists, 4: triggers, 5: deadlines, 6: badge
  // outbox, 7: duplicate index #17, 8: wallet offers #19, 9: face index #17, 10: attestation
  // pickups #17, 11: indexes of the purge and the face re-sealing #17, 12: traces of erased
  // badge claims #17).
}

// The schema of version 4 exactly as the store before the SQL layer (#18)
// wrote it (its migrations 1 to 4, frozen here), with rows: such a schema
// opens, migrates to the deadline column, and keeps its data and triggers.
constexpr const char* kVersion4Schema = R"sql(
CREATE TABLE verifications (
  id TEXT PRIMARY KEY,
  relying_service TEXT NOT NULL,
  idempotency_key TEXT,
  request_digest BYTEA NOT NULL,
  policy TEXT NOT NULL,
  state INTEGER NOT NULL,
  result BYTEA NOT NULL,
  create_us BIGINT NOT NULL,
  update_us BIGINT NOT NULL);
CREATE UNIQUE INDEX verifications_idempotency
  ON verifications (relying_service, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  verification_id TEXT NOT NULL UNIQUE
    REFERENCES verifications (id) ON DELETE CASCADE,
  payload BYTEA NOT NULL,
  lease_token TEXT,
  lease_expiry_us BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE attestations (
  attestation_id TEXT PRIMARY KEY,
  verification_id TEXT NOT NULL,
  relying_service TEXT NOT NULL,
  expire_us BIGINT NOT NULL,
  status_list_uri TEXT,
  status_list_index BIGINT,
  status INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX attestations_status_entry
  ON attestations (status_list_uri, status_list_index)
  WHERE status_list_uri IS NOT NULL;
CREATE TABLE cases (
  verification_id TEXT PRIMARY KEY
    REFERENCES verifications (id) ON DELETE CASCADE,
  relying_service TEXT NOT NULL,
  policy TEXT NOT NULL,
  reasons TEXT[] NOT NULL,
  sealed BYTEA NOT NULL,
  key_id TEXT NOT NULL,
  stage INTEGER NOT NULL,
  claimed_by TEXT NOT NULL DEFAULT '',
  lease_token TEXT NOT NULL DEFAULT '',
  lease_expiry_us BIGINT NOT NULL,
  first_decision BYTEA NOT NULL DEFAULT '',
  first_operator TEXT NOT NULL DEFAULT '',
  create_us BIGINT NOT NULL,
  delete_after_us BIGINT NOT NULL);
CREATE INDEX cases_queue ON cases (stage, create_us, verification_id);
CREATE INDEX cases_key ON cases (key_id);
CREATE INDEX cases_retention ON cases (delete_after_us);
CREATE TABLE audit (
  seq BIGINT PRIMARY KEY,
  time_us BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  verification_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE liveness (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  time_us BIGINT NOT NULL);
CREATE TABLE status_lists (
  list_number BIGINT PRIMARY KEY,
  size BIGINT NOT NULL,
  next_position BIGINT NOT NULL,
  permutation_key BYTEA NOT NULL);
CREATE INDEX attestations_verification ON attestations (verification_id);
CREATE FUNCTION vouch_notify_verification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('vouch_changes', TG_TABLE_SCHEMA || ' v ' || NEW.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER verifications_changed AFTER UPDATE ON verifications FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.result IS DISTINCT FROM NEW.result)
  EXECUTE FUNCTION vouch_notify_verification();
CREATE FUNCTION vouch_notify_attestation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('vouch_changes', TG_TABLE_SCHEMA || ' a ' || NEW.attestation_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER attestations_status_changed AFTER UPDATE ON attestations FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION vouch_notify_attestation();
CREATE TABLE schema_version (version BIGINT NOT NULL);
INSERT INTO schema_version (version) VALUES (4);
INSERT INTO verifications VALUES ('done', 'svc', 'key', '\x00', 'default', 3, 'r', 1, 2);
INSERT INTO verifications VALUES ('stuck', 'svc', 'key-2', '\x01', 'default', 2, '', 1, 1);
INSERT INTO verifications VALUES ('case', 'svc', NULL, '\x02', 'default', 3, 'r', 1, 2);
INSERT INTO cases (verification_id, relying_service, policy, reasons, sealed, key_id, stage,
  lease_expiry_us, create_us, delete_after_us)
  VALUES ('case', 'svc', 'default', ARRAY['mrz.read', 'face.match'], 'SEAL', 'k', 1,
  -9223372036854775808, 1, 9223372036854775807);
INSERT INTO attestations VALUES ('att-1', 'done', 'svc', 1, 'https://i.example/s/1', 3, 0);
)sql";

TEST(PostgresStoreTest, OpensAVersion4SchemaOfTheStoreBeforeTheSqlLayer) {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("v4_", getpid()));
  ASSERT_THAT(uri, IsOk());
  ASSERT_THAT(::vouch::testing::ExecSql(*uri, kVersion4Schema), IsOk());

  absl::StatusOr<std::unique_ptr<Store>> store = NewPostgresStore(*uri);

  ASSERT_THAT(store, IsOk());
  absl::StatusOr<VerificationRecord> done = (*store)->GetVerification("done");
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->result, "r");
  EXPECT_EQ(done->deadline, absl::InfiniteFuture());
  absl::StatusOr<ReviewCase> c = (*store)->GetCase("case");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->sealed, "SEAL");
  EXPECT_EQ(c->reasons, (std::vector<std::string>{"mrz.read", "face.match"}));
  CaseFilter by_reason;
  by_reason.reason = "face.match";
  EXPECT_EQ((*store)->ListCases(by_reason, absl::Now())->size(), 1u);
  EXPECT_EQ((*store)->ListStatusEntries("https://i.example/s/1")->size(), 1u);
  EXPECT_THAT((*store)->AbandonExpiredVerifications(absl::InfiniteFuture()),
              ::vouch::testing::IsOkAndHolds(0));
  // The triggers of migration 4 still push changes.
  absl::StatusOr<std::unique_ptr<ChangeStream>> stream = (*store)->OpenChangeStream();
  ASSERT_THAT(stream, IsOk());
  ASSERT_THAT((*store)->SetAttestationStatus("att-1", 1), ::vouch::testing::IsOkAndHolds(true));
  std::vector<StoreChange> changes;
  for (int i = 0; i < 50 && changes.empty(); ++i) {
    absl::StatusOr<std::vector<StoreChange>> got = (*stream)->Wait(absl::Milliseconds(200));
    ASSERT_THAT(got, IsOk());
    changes = *got;
  }
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].id, "att-1");
}

TEST(PostgresStoreTest, NewerSchemaIsFailedPrecondition) {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("newer", getpid()));
  ASSERT_THAT(uri, IsOk());
  ASSERT_THAT(NewPostgresStore(*uri), IsOk());
  ASSERT_THAT(::vouch::testing::ExecSql(*uri, "UPDATE schema_version SET version = 99"), IsOk());

  EXPECT_THAT(NewPostgresStore(*uri), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailable) {
  EXPECT_THAT(NewPostgresStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(PostgresStoreTest, WrongPasswordIsUnauthenticatedNamingUserAndHostNotPassword) {
  absl::StatusOr<std::string> uri = ::vouch::testing::TestClusterUri();
  ASSERT_THAT(uri, IsOk());
  const size_t at = uri->find('@');
  const size_t colon = uri->rfind(':', at);
  ASSERT_NE(at, std::string::npos) << "the test cluster URI has user:password@";
  const std::string kWrong = "not-the-password-4711";
  const std::string wrong = absl::StrCat(uri->substr(0, colon + 1), kWrong, uri->substr(at));

  absl::StatusOr<std::unique_ptr<Store>> store = NewPostgresStore(wrong);

  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnauthenticated));
  const std::string message(store.status().message());
  EXPECT_THAT(message, ::testing::HasSubstr("user \"vouch\" at 127.0.0.1:"));
  EXPECT_THAT(message, ::testing::HasSubstr("password authentication failed"));
  EXPECT_THAT(message, ::testing::Not(::testing::HasSubstr(kWrong)));
}

TEST(PostgresStoreTest, ErrorsCarryNoValues) {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("errs", getpid()));
  ASSERT_THAT(uri, IsOk());
  absl::StatusOr<std::unique_ptr<Store>> store = NewPostgresStore(*uri);
  ASSERT_THAT(store, IsOk());
  NewVerification v = Job("Mustermann-Erika-L01X00T47");
  ASSERT_THAT((*store)->CreateVerification(v), IsOk());
  NewVerification bad_utf8 = Job("id2");
  bad_utf8.record.relying_service = "Erika\xff\xfeMustermann";

  absl::StatusOr<CreateOutcome> dup = (*store)->CreateVerification(v);
  absl::StatusOr<CreateOutcome> bad = (*store)->CreateVerification(bad_utf8);

  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(dup.status().message()), ::testing::Not(::testing::HasSubstr("Erika")));
  EXPECT_THAT(std::string(dup.status().message()),
              ::testing::Not(::testing::HasSubstr("Mustermann")));
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(bad.status().message()), ::testing::Not(::testing::HasSubstr("Erika")));
  EXPECT_THAT(std::string(bad.status().message()), ::testing::Not(::testing::HasSubstr("0xff")));
}

// `sql` with its `?` parameters replaced, in order, by `literals`.
std::string WithLiterals(const std::string& sql, const std::vector<std::string>& literals) {
  std::string out;
  size_t next = 0;
  for (const char c : sql) {
    if (c == '?' && next < literals.size()) {
      out += literals[next++];
    } else {
      out += c;
    }
  }
  return out;
}

// Migration 11 (#17): the retention purge's delete of the kept revoked
// attestation rows and the face re-sealing's pages use an index; so does
// the badge claim pass's delete of the expired erased-claim traces
// (migration 12's index). Sequential
// scans are disabled for the EXPLAIN, so that the planner shows whether an
// index can serve the query at all (on the empty tables it would scan).
TEST(PostgresStoreTest, PeriodicQueriesUseTheirIndexes) {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("plans", getpid()));
  ASSERT_THAT(uri, IsOk());
  ASSERT_THAT(NewPostgresStore(*uri), IsOk());
  const auto plan = [&](const std::string& sql) {
    absl::StatusOr<std::string> json = ::vouch::testing::QueryValue(
        *uri, absl::StrCat("SET enable_seqscan = off; EXPLAIN (FORMAT JSON) ", sql));
    EXPECT_THAT(json, IsOk());
    return json.ok() ? *json : std::string();
  };

  const std::string purge =
      plan(WithLiterals(internal::kPurgeKeptAttestationsSql, {"1800000000000000"}));
  const std::string faces =
      plan(WithLiterals(internal::FacesSealedWithSql(), {"'sk-1'", "''", "100"}));
  const std::string traces = plan(WithLiterals(
      internal::PurgeErasedClaimTracesSql(" FOR UPDATE SKIP LOCKED"), {"1800000000000000"}));

  EXPECT_THAT(purge, ::testing::HasSubstr("\"Index Name\": \"attestations_expiry\""));
  EXPECT_THAT(purge, ::testing::Not(::testing::HasSubstr("\"Seq Scan\"")));
  EXPECT_THAT(faces, ::testing::HasSubstr("\"Index Name\": \"face_index_sealed_key\""));
  EXPECT_THAT(faces, ::testing::Not(::testing::HasSubstr("\"Seq Scan\"")));
  EXPECT_THAT(faces, ::testing::Not(::testing::HasSubstr("\"Sort\"")));
  EXPECT_THAT(traces, ::testing::HasSubstr("\"Index Name\": \"badge_erased_claims_expiry\""));
  EXPECT_THAT(traces, ::testing::Not(::testing::HasSubstr("\"Seq Scan\"")));
  EXPECT_THAT(traces, ::testing::Not(::testing::HasSubstr("\"Sort\"")));
}

}  // namespace
}  // namespace vouch::verifier::storage::testing
