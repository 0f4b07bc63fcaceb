// Runs the Store conformance suite against the in-memory and SQLite stores.

#include "storage/store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/hex_digest.h"
#include "gmock/gmock.h"
#include "sql_store.h"
#include "sql_store_faces.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

std::unique_ptr<Store> OpenMemory(const std::string&) { return NewMemoryStore(); }

std::unique_ptr<Store> OpenSqlite(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(dir + "/vouch.db");
  return store.ok() ? *std::move(store) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"Memory", &OpenMemory, false},
                                           StoreFactory{"Sqlite", &OpenSqlite, true}),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

INSTANTIATE_TEST_SUITE_P(Stores, DurableStoreConformanceTest,
                         ::testing::Values(StoreFactory{"Sqlite", &OpenSqlite, true}),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

TEST(SqliteStoreTest, DatabaseFileIsPrivate) {
  const std::string dir = ::testing::TempDir() + "/sqlite_private_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/vouch.db";
  std::filesystem::remove(path);

  ASSERT_THAT(NewSqliteStore(path), ::vouch::testing::IsOk());

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::filesystem::remove_all(dir);
}

// The schema of the first release (version 1), as that release created it.
constexpr const char* kVersion1Schema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE verifications (
  id TEXT PRIMARY KEY, relying_service TEXT NOT NULL, idempotency_key TEXT,
  request_digest BLOB NOT NULL, policy TEXT NOT NULL, state INTEGER NOT NULL,
  result BLOB NOT NULL, create_us INTEGER NOT NULL, update_us INTEGER NOT NULL);
CREATE UNIQUE INDEX verifications_idempotency ON verifications (relying_service, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE TABLE jobs (
  verification_id TEXT NOT NULL UNIQUE REFERENCES verifications (id) ON DELETE CASCADE,
  payload BLOB NOT NULL, lease_token TEXT, lease_expiry_us INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE attestations (
  attestation_id TEXT PRIMARY KEY, verification_id TEXT NOT NULL, relying_service TEXT NOT NULL,
  expire_us INTEGER NOT NULL, status_list_uri TEXT, status_list_index INTEGER,
  status INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX attestations_status_entry ON attestations (status_list_uri, status_list_index)
  WHERE status_list_uri IS NOT NULL;
INSERT INTO verifications VALUES ('old', 'svc', 'key', x'00', 'default', 3, x'72', 1, 2);
INSERT INTO verifications VALUES ('queued', 'svc', NULL, x'01', 'default', 1, x'', 1, 1);
INSERT INTO jobs (verification_id, payload) VALUES ('queued', x'7061796c6f6164');
)sql";

void ExecSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(SqliteStoreTest, MigratesAVersion1Database) {
  const std::string dir = FreshDir("sqlite_v1_");
  const std::string path = dir + "/vouch.db";
  ExecSql(path, kVersion1Schema);

  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(path);

  ASSERT_THAT(store, ::vouch::testing::IsOk());
  absl::StatusOr<VerificationRecord> old = (*store)->GetVerification("old");
  ASSERT_THAT(old, ::vouch::testing::IsOk());
  EXPECT_EQ(old->result, "r");
  absl::StatusOr<std::optional<ClaimedJob>> job = (*store)->ClaimJob(absl::Now(), absl::Minutes(1));
  ASSERT_THAT(job, ::vouch::testing::IsOk());
  ASSERT_TRUE(job->has_value());
  EXPECT_EQ((*job)->payload, "payload");
  ReviewCase c;
  c.verification_id = "queued";
  c.sealed = "s";
  c.key_id = "k";
  EXPECT_THAT((*store)->CompleteJob(**job, VerificationState::kCompleted, "r", absl::Now(), &c),
              ::vouch::testing::IsOk());
  EXPECT_THAT((*store)->GetCase("queued"), ::vouch::testing::IsOk());
  AuditEvent e;
  e.actor = "vouchd";
  e.action = "test";
  EXPECT_THAT((*store)->AppendAudit(e), ::vouch::testing::IsOk());
  store->reset();
  // Reopening the migrated file applies nothing and keeps the data.
  absl::StatusOr<std::unique_ptr<Store>> again = NewSqliteStore(path);
  ASSERT_THAT(again, ::vouch::testing::IsOk());
  EXPECT_THAT((*again)->GetCase("queued"), ::vouch::testing::IsOk());
  EXPECT_EQ((*again)->ListAudit(0, 10)->size(), 1u);
  std::filesystem::remove_all(dir);
}

// The schema of version 4 exactly as the stores before the SQL layer (#18)
// wrote it (their migrations 1 to 4, frozen here), with rows: such a file
// opens, migrates to the deadline column, and keeps its data.
constexpr const char* kVersion4Schema = R"sql(
CREATE TABLE IF NOT EXISTS verifications (
  id TEXT PRIMARY KEY,
  relying_service TEXT NOT NULL,
  idempotency_key TEXT,
  request_digest BLOB NOT NULL,
  policy TEXT NOT NULL,
  state INTEGER NOT NULL,
  result BLOB NOT NULL,
  create_us INTEGER NOT NULL,
  update_us INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS verifications_idempotency
  ON verifications (relying_service, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS jobs (
  verification_id TEXT NOT NULL UNIQUE
    REFERENCES verifications (id) ON DELETE CASCADE,
  payload BLOB NOT NULL,
  lease_token TEXT,
  lease_expiry_us INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS attestations (
  attestation_id TEXT PRIMARY KEY,
  verification_id TEXT NOT NULL,
  relying_service TEXT NOT NULL,
  expire_us INTEGER NOT NULL,
  status_list_uri TEXT,
  status_list_index INTEGER,
  status INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS attestations_status_entry
  ON attestations (status_list_uri, status_list_index)
  WHERE status_list_uri IS NOT NULL;
CREATE TABLE cases (
  verification_id TEXT PRIMARY KEY
    REFERENCES verifications (id) ON DELETE CASCADE,
  relying_service TEXT NOT NULL,
  policy TEXT NOT NULL,
  reasons TEXT NOT NULL,
  sealed BLOB NOT NULL,
  key_id TEXT NOT NULL,
  stage INTEGER NOT NULL,
  claimed_by TEXT NOT NULL DEFAULT '',
  lease_token TEXT NOT NULL DEFAULT '',
  lease_expiry_us INTEGER NOT NULL,
  first_decision BLOB NOT NULL DEFAULT x'',
  first_operator TEXT NOT NULL DEFAULT '',
  create_us INTEGER NOT NULL,
  delete_after_us INTEGER NOT NULL);
CREATE INDEX cases_queue ON cases (stage, create_us, verification_id);
CREATE INDEX cases_key ON cases (key_id);
CREATE INDEX cases_retention ON cases (delete_after_us);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  verification_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE liveness (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  time_us INTEGER NOT NULL);
CREATE TABLE status_lists (
  list_number INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  next_position INTEGER NOT NULL,
  permutation_key BLOB NOT NULL);
CREATE INDEX attestations_verification ON attestations (verification_id);
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (4);
INSERT INTO verifications VALUES ('done', 'svc', 'key', x'00', 'default', 3, x'72', 1, 2);
INSERT INTO verifications VALUES ('stuck', 'svc', 'key-2', x'01', 'default', 2, x'', 1, 1);
INSERT INTO verifications VALUES ('case', 'svc', NULL, x'02', 'default', 3, x'72', 1, 2);
INSERT INTO cases (verification_id, relying_service, policy, reasons, sealed, key_id, stage,
  lease_expiry_us, create_us, delete_after_us)
  VALUES ('case', 'svc', 'default', 'mrz.read' || char(10) || 'face.match', x'5345414c', 'k', 1,
  -9223372036854775808, 1, 9223372036854775807);
INSERT INTO audit VALUES (1, 1, 'vouchd', 'test', '', '{}',
  '0000000000000000000000000000000000000000000000000000000000000000', 'h1');
INSERT INTO status_lists VALUES (1, 8, 1, x'00');
)sql";

TEST(SqliteStoreTest, OpensAVersion4DatabaseOfTheStoresBeforeTheSqlLayer) {
  const std::string dir = FreshDir("sqlite_v4_");
  const std::string path = dir + "/vouch.db";
  ExecSql(path, kVersion4Schema);

  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(path);

  ASSERT_THAT(store, ::vouch::testing::IsOk());
  absl::StatusOr<VerificationRecord> done = (*store)->GetVerification("done");
  ASSERT_THAT(done, ::vouch::testing::IsOk());
  EXPECT_EQ(done->result, "r");
  EXPECT_EQ(done->deadline, absl::InfiniteFuture());
  absl::StatusOr<ReviewCase> c = (*store)->GetCase("case");
  ASSERT_THAT(c, ::vouch::testing::IsOk());
  EXPECT_EQ(c->sealed, "SEAL");
  EXPECT_EQ(c->reasons, (std::vector<std::string>{"mrz.read", "face.match"}));
  CaseFilter by_reason;
  by_reason.reason = "face.match";
  EXPECT_EQ((*store)->ListCases(by_reason, absl::Now())->size(), 1u);
  EXPECT_EQ((*store)->ListStatusLists()->size(), 1u);
  EXPECT_EQ((*store)->ListAudit(0, 10)->at(0).hash, "h1");
  // A row from before deadlines has none: the sweep never takes it.
  EXPECT_THAT((*store)->AbandonExpiredVerifications(absl::InfiniteFuture()),
              ::vouch::testing::IsOkAndHolds(0));
  EXPECT_THAT((*store)->GetVerification("stuck"), ::vouch::testing::IsOk());
  std::filesystem::remove_all(dir);
}

TEST(SqliteStoreTest, NewerSchemaIsFailedPrecondition) {
  const std::string dir = FreshDir("sqlite_v99_");
  const std::string path = dir + "/vouch.db";
  ExecSql(path,
          "CREATE TABLE schema_version (version INTEGER NOT NULL);"
          " INSERT INTO schema_version VALUES (99);");

  EXPECT_THAT(NewSqliteStore(path),
              ::vouch::testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  std::filesystem::remove_all(dir);
}

// Whether `needle` occurs in any file under `dir`.
bool AnyFileContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(SqliteStoreTest, DecidedAndPurgedCasesLeaveNoBytesOnDisk) {
  const std::string dir = FreshDir("sqlite_wipe_");
  const std::string decided_marker = "DECIDED-ENVELOPE-3f1c9a";
  const std::string purged_marker = "PURGED-ENVELOPE-77b0e2";
  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(dir + "/vouch.db");
  ASSERT_THAT(store, ::vouch::testing::IsOk());
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  for (const auto& [id, marker] :
       {std::pair<std::string, std::string>{"d", decided_marker}, {"p", purged_marker}}) {
    NewVerification v;
    v.record.id = id;
    v.record.relying_service = "svc";
    v.record.policy = "default";
    v.record.state = VerificationState::kRunning;
    ASSERT_THAT((*store)->CreateVerification(v), ::vouch::testing::IsOk());
    ReviewCase c;
    c.verification_id = id;
    c.sealed = std::string(4000, 'x') + marker + std::string(4000, 'y');
    c.key_id = "k";
    c.create_time = t0;
    c.delete_after = t0 + absl::Hours(1);
    ASSERT_THAT((*store)->FinishVerification(id, VerificationState::kCompleted, "r", t0, &c),
                ::vouch::testing::IsOk());
  }
  ASSERT_TRUE(AnyFileContains(dir, decided_marker));  // the probe can see it
  ClaimCaseRequest claim;
  claim.case_id = "d";
  claim.operator_id = "alice";
  claim.now = t0;
  absl::StatusOr<std::optional<ReviewCase>> claimed = (*store)->ClaimCase(claim);
  ASSERT_THAT(claimed, ::vouch::testing::IsOk());
  ASSERT_TRUE(claimed->has_value());

  ASSERT_THAT((*store)->DecideCase("d", (*claimed)->lease_token, "ok", t0, t0),
              ::vouch::testing::IsOk());
  ASSERT_THAT((*store)->ExpireCase("p", "expired", t0 + absl::Hours(2)),
              ::vouch::testing::IsOkAndHolds(true));

  EXPECT_FALSE(AnyFileContains(dir, decided_marker));
  EXPECT_FALSE(AnyFileContains(dir, purged_marker));
  store->reset();
  EXPECT_FALSE(AnyFileContains(dir, decided_marker));
  EXPECT_FALSE(AnyFileContains(dir, purged_marker));
  std::filesystem::remove_all(dir);
}

TEST(SqliteStoreTest, UnopenablePathIsUnavailable) {
  EXPECT_THAT(NewSqliteStore("/nonexistent-dir/x/vouch.db"),
              ::vouch::testing::StatusIs(absl::StatusCode::kUnavailable));
}

// The rows of `sql` on the SQLite database at `path`, one line per row:
// its columns joined by '|', or only column `only` when it is >= 0.
std::string SqliteRows(const std::string& path, const std::string& sql, int only = -1) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db);
  while (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (only >= 0 && i != only) continue;
      if (only < 0 && i > 0) out += "|";
      out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
    }
    out += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// The details of EXPLAIN QUERY PLAN `sql` on the SQLite database at
// `path`, one line per plan row.
std::string SqliteQueryPlan(const std::string& path, const std::string& sql) {
  return SqliteRows(path, "EXPLAIN QUERY PLAN " + sql, 3);
}

// Migration 11 (#17): the retention purge's delete of the kept revoked
// attestation rows and the face re-sealing's pages search an index
// instead of scanning their table; migration 12's index serves the badge
// claim pass's delete of the expired erased-claim traces.
TEST(SqliteStoreTest, PeriodicQueriesUseTheirIndexes) {
  const std::string dir = FreshDir("sqlite_plans_");
  const std::string path = dir + "/vouch.db";
  ASSERT_THAT(NewSqliteStore(path), ::vouch::testing::IsOk());

  const std::string purge = SqliteQueryPlan(path, internal::kPurgeKeptAttestationsSql);
  const std::string faces = SqliteQueryPlan(path, internal::FacesSealedWithSql());
  const std::string traces = SqliteQueryPlan(path, internal::PurgeErasedClaimTracesSql(""));

  EXPECT_THAT(purge, ::testing::HasSubstr("SEARCH attestations USING INDEX attestations_expiry"));
  EXPECT_THAT(purge, ::testing::Not(::testing::HasSubstr("SCAN attestations")));
  EXPECT_THAT(faces, ::testing::HasSubstr("SEARCH face_index USING INDEX face_index_sealed_key"
                                          " (sealed_key_id=? AND verification_id>?)"));
  EXPECT_THAT(faces, ::testing::Not(::testing::HasSubstr("SCAN face_index")));
  EXPECT_THAT(faces, ::testing::Not(::testing::HasSubstr("TEMP B-TREE")));  // No sort.
  EXPECT_THAT(traces, ::testing::HasSubstr("SEARCH badge_erased_claims USING INDEX"
                                           " badge_erased_claims_expiry (keep_until_us<?)"));
  EXPECT_THAT(traces, ::testing::Not(::testing::HasSubstr("SCAN badge_erased_claims")));
  EXPECT_THAT(traces, ::testing::Not(::testing::HasSubstr("TEMP B-TREE")));  // No sort.
  std::filesystem::remove_all(dir);
}

// #17 (docs/erasure.md): all an erasure keeps of a claimed verifyUser is
// the SHA-256 of the verification id and the end of its day (no user id),
// and the claim pass drops it then.
TEST(SqliteStoreTest, AnErasedClaimLeavesOnlyAHashOfItsIdForADay) {
  const std::string dir = FreshDir("sqlite_trace_");
  const std::string path = dir + "/vouch.db";
  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(path);
  ASSERT_THAT(store, ::vouch::testing::IsOk());
  ASSERT_THAT((*store)->EnqueueBadge(Verify("v1", 4242), kT0), ::vouch::testing::IsOk());
  ASSERT_EQ((*store)->ClaimBadges(kT0, 10, kLease)->size(), 1u);
  ErasureRequest erase;
  erase.verification_ids = {"v1"};
  erase.now = kT0 + absl::Minutes(2);
  ASSERT_THAT((*store)->EraseVerifications(erase), ::vouch::testing::IsOk());

  const absl::Time day_after = erase.now + absl::Hours(24);
  EXPECT_EQ(SqliteRows(path, "SELECT * FROM badge_erased_claims"),
            absl::StrCat(Sha256Hex("v1"), "|", absl::ToUnixMicros(day_after), "\n"));
  ASSERT_THAT((*store)->ClaimBadges(day_after - absl::Seconds(1), 10, kLease),
              ::vouch::testing::IsOk());
  EXPECT_NE(SqliteRows(path, "SELECT * FROM badge_erased_claims"), "");
  ASSERT_THAT((*store)->ClaimBadges(day_after, 10, kLease), ::vouch::testing::IsOk());
  EXPECT_EQ(SqliteRows(path, "SELECT * FROM badge_erased_claims"), "");
  store->reset();
  std::filesystem::remove_all(dir);
}

// A claim pass deletes at most kErasedClaimTracesPerPass expired traces
// (a mass erasure's go over a few passes) and none that is not expired.
TEST(SqliteStoreTest, AClaimPassDeletesAtMostAHundredExpiredTraces) {
  const std::string dir = FreshDir("sqlite_traces_");
  const std::string path = dir + "/vouch.db";
  absl::StatusOr<std::unique_ptr<Store>> store = NewSqliteStore(path);
  ASSERT_THAT(store, ::vouch::testing::IsOk());
  const int64_t now_us = absl::ToUnixMicros(kT0);
  // Trace h0 is kept until after kT0; h1 ... h101 (kErasedClaimTracesPerPass
  // + 1 of them) were kept until kT0 or before.
  SqliteRows(path, absl::StrCat("INSERT INTO badge_erased_claims WITH RECURSIVE n(i) AS"
                                " (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ",
                                internal::kErasedClaimTracesPerPass + 1, ") SELECT 'h' || i, ",
                                now_us + 1, " - i FROM n"));
  ASSERT_EQ(SqliteRows(path, "SELECT COUNT(*) FROM badge_erased_claims"),
            absl::StrCat(internal::kErasedClaimTracesPerPass + 2, "\n"));

  ASSERT_THAT((*store)->ClaimBadges(kT0, 10, kLease), ::vouch::testing::IsOk());
  EXPECT_EQ(SqliteRows(path, "SELECT COUNT(*) FROM badge_erased_claims"), "2\n");
  ASSERT_THAT((*store)->ClaimBadges(kT0, 10, kLease), ::vouch::testing::IsOk());
  EXPECT_EQ(SqliteRows(path, "SELECT verification_hash FROM badge_erased_claims"), "h0\n");
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::verifier::storage::testing
