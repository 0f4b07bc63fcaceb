// The embedded Store: one SQLite database in WAL mode. One connection behind
// a mutex: vouchd is the only process using the file (the PostgreSQL store of
// #7 is for several instances), and SQLite serialises writers anyway.

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "storage/store.h"
#include "storage/store_internal.h"

namespace vouch::verifier {
namespace {

// Migration i (0-based) takes the schema from version i to version i + 1.
// Version 1 is the schema of the first release (its statements are IF NOT
// EXISTS, so a database created by that release, which has version 1, skips
// it); never edit a migration once released, append one.
constexpr const char* kMigrations[] = {
    R"sql(
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
)sql",
    // 2: review cases and the audit log (#7).
    R"sql(
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
)sql",
    // 3: the health probe's one-row heartbeat (#20).
    R"sql(
CREATE TABLE liveness (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  time_us INTEGER NOT NULL);
)sql",
    // 4: status lists shared by replicas (#14).
    R"sql(
CREATE TABLE status_lists (
  list_number INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  next_position INTEGER NOT NULL,
  permutation_key BLOB NOT NULL);
CREATE INDEX attestations_verification ON attestations (verification_id);
)sql",
    // --- end status lists ---
};
constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

using internal::FromMicros;
using internal::Micros;

// The Store error for a SQLite result code (store.h): a full disk is
// kResourceExhausted; busy, locked, I/O and open failures are transient.
absl::Status StatusFor(int rc, std::string msg) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(msg);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A prepared statement with positional binds. Errors carry SQLite's message,
// which never contains bound values.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    sqlite3_stmt* s = nullptr;
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    stmt_.reset(s);
  }
  Stmt& Bind(absl::string_view text) {
    if (ok())
      rc_ = sqlite3_bind_text(stmt_.get(), ++n_, text.data(), static_cast<int>(text.size()),
                              SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(absl::string_view bytes) {
    if (ok())
      rc_ = sqlite3_bind_blob(stmt_.get(), ++n_, bytes.data(), static_cast<int>(bytes.size()),
                              SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindNullIfEmpty(absl::string_view text) {
    if (!text.empty()) return Bind(text);
    if (ok()) rc_ = sqlite3_bind_null(stmt_.get(), ++n_);
    return *this;
  }
  Stmt& Bind(int64_t v) {
    if (ok()) rc_ = sqlite3_bind_int64(stmt_.get(), ++n_, v);
    return *this;
  }
  // Steps once. Returns true for a row, false when done.
  absl::StatusOr<bool> Step() {
    if (!ok()) return Error();
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    rc_ = rc;
    return Error();
  }
  absl::Status Run() {
    absl::StatusOr<bool> r = Step();
    return r.ok() ? absl::OkStatus() : r.status();
  }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_.get(), col);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      sqlite3_column_bytes(stmt_.get(), col));
  }
  std::string Blob(int col) const {
    const void* b = sqlite3_column_blob(stmt_.get(), col);
    return b == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(b), sqlite3_column_bytes(stmt_.get(), col));
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  int rc() const { return rc_; }

 private:
  bool ok() const { return rc_ == SQLITE_OK; }
  absl::Status Error() const {
    return StatusFor(rc_, absl::StrCat("sqlite: ", sqlite3_errstr(rc_), ": ", sqlite3_errmsg(db_)));
  }

  sqlite3* db_;
  StmtPtr stmt_;
  int rc_ = SQLITE_OK;
  int n_ = 0;
};

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return StatusFor(rc, absl::StrCat("sqlite: ", msg));
  }
  return absl::OkStatus();
}

// BEGIN IMMEDIATE ... COMMIT, rolled back unless Commit() succeeds.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { status_ = Exec(db_, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (status_.ok() && !committed_) (void)Exec(db_, "ROLLBACK");
  }
  const absl::Status& status() const { return status_; }
  absl::Status Commit() {
    VOUCH_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  absl::Status status_;
  bool committed_ = false;
};

constexpr const char* kSelectVerification =
    "SELECT id, relying_service, COALESCE(idempotency_key, ''), request_digest,"
    " policy, state, result, create_us, update_us FROM verifications ";

VerificationRecord ReadVerification(const Stmt& s) {
  VerificationRecord r;
  r.id = s.Text(0);
  r.relying_service = s.Text(1);
  r.idempotency_key = s.Text(2);
  r.request_digest = s.Blob(3);
  r.policy = s.Text(4);
  r.state = static_cast<VerificationState>(s.Int(5));
  r.result = s.Blob(6);
  r.create_time = FromMicros(s.Int(7));
  r.update_time = FromMicros(s.Int(8));
  return r;
}

constexpr const char* kCaseColumns =
    "verification_id, relying_service, policy, reasons, key_id, stage, claimed_by,"
    " lease_token, lease_expiry_us, first_decision, first_operator, create_us,"
    " delete_after_us";
const std::string kSelectCase = std::string("SELECT ") + kCaseColumns + ", sealed FROM cases";
const std::string kSelectCaseNoEnvelope =
    std::string("SELECT ") + kCaseColumns + ", x'' FROM cases";
// The CaseFilter fields; bound by BindFilter in this order.
constexpr const char* kCaseFilter =
    " WHERE ((? = 0 AND stage IN (1, 2)) OR stage = ?)"
    " AND (? = '' OR policy = ?)"
    " AND (? = '' OR relying_service = ?)"
    " AND (? = '' OR instr(char(10) || reasons || char(10), char(10) || ? || char(10)) > 0)"
    " AND create_us < ? AND create_us > ?";
constexpr const char* kDropClaim =
    "claimed_by = '', lease_token = '', lease_expiry_us = -9223372036854775808";

void BindFilter(Stmt& s, const CaseFilter& f) {
  const int64_t stage = f.stage.has_value() ? static_cast<int64_t>(*f.stage) : 0;
  s.Bind(stage)
      .Bind(stage)
      .Bind(f.policy)
      .Bind(f.policy)
      .Bind(f.relying_service)
      .Bind(f.relying_service)
      .Bind(f.reason)
      .Bind(f.reason)
      .Bind(Micros(f.created_before))
      .Bind(Micros(f.created_after));
}

ReviewCase ReadCase(const Stmt& s) {
  ReviewCase c;
  c.verification_id = s.Text(0);
  c.relying_service = s.Text(1);
  c.policy = s.Text(2);
  c.reasons = internal::SplitReasons(s.Text(3));
  c.key_id = s.Text(4);
  c.stage = static_cast<CaseStage>(s.Int(5));
  c.claimed_by = s.Text(6);
  c.lease_token = s.Text(7);
  c.lease_expiry = FromMicros(s.Int(8));
  c.first_decision = s.Blob(9);
  c.first_operator = s.Text(10);
  c.create_time = FromMicros(s.Int(11));
  c.delete_after = FromMicros(s.Int(12));
  c.sealed = s.Blob(13);
  return c;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  absl::StatusOr<CreateOutcome> CreateVerification(const NewVerification& v) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateNew(v));
    const VerificationRecord& r = v.record;
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    if (!r.idempotency_key.empty()) {
      Stmt s(db_.get(), (std::string(kSelectVerification) +
                         "WHERE relying_service = ? AND idempotency_key = ?")
                            .c_str());
      s.Bind(r.relying_service).Bind(r.idempotency_key);
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) return CreateOutcome{ReadVerification(s), true};
    }
    Stmt insert(db_.get(),
                "INSERT INTO verifications (id, relying_service, idempotency_key,"
                " request_digest, policy, state, result, create_us, update_us)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(r.id)
        .Bind(r.relying_service)
        .BindNullIfEmpty(r.idempotency_key)
        .BindBlob(r.request_digest)
        .Bind(r.policy)
        .Bind(static_cast<int64_t>(r.state))
        .BindBlob(r.result)
        .Bind(Micros(r.create_time))
        .Bind(Micros(r.update_time));
    VOUCH_RETURN_IF_ERROR(insert.Run());
    if (v.job_payload.has_value()) {
      Stmt job(db_.get(), "INSERT INTO jobs (verification_id, payload) VALUES (?, ?)");
      job.Bind(r.id).BindBlob(*v.job_payload);
      VOUCH_RETURN_IF_ERROR(job.Run());
    }
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return CreateOutcome{r, false};
  }

  absl::StatusOr<VerificationRecord> GetVerification(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    return GetLocked(id);
  }

  absl::Status FinishVerification(absl::string_view id, VerificationState state,
                                  absl::string_view result, absl::Time now,
                                  const ReviewCase* review_case,
                                  const AttestationRecord* attestation) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) {
      VOUCH_RETURN_IF_ERROR(internal::ValidateCase(*review_case, id, state));
    }
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(VerificationRecord r, GetLocked(id));
    if (IsTerminal(r.state) || HasJobLocked(id)) {
      return absl::FailedPreconditionError("verification is terminal or has a job");
    }
    VOUCH_RETURN_IF_ERROR(SetResultLocked(id, state, result, now));
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(InsertCaseLocked(*review_case));
    if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(InsertAttestationLocked(*attestation));
    return tx.Commit();
  }

  absl::Status AbandonVerification(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(VerificationRecord r, GetLocked(id));
    if (IsTerminal(r.state)) {
      return absl::FailedPreconditionError("verification is terminal");
    }
    Stmt del(db_.get(), "DELETE FROM verifications WHERE id = ?");
    del.Bind(id);
    VOUCH_RETURN_IF_ERROR(del.Run());
    return tx.Commit();
  }

  absl::StatusOr<std::optional<ClaimedJob>> ClaimJob(absl::Time now,
                                                     absl::Duration lease) override {
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Stmt s(db_.get(),
           "SELECT verification_id, payload, attempts FROM jobs"
           " WHERE lease_expiry_us <= ? ORDER BY rowid LIMIT 1");
    s.Bind(Micros(now));
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<ClaimedJob>();
    ClaimedJob job{s.Text(0), s.Blob(1), internal::NewLeaseToken(), now + lease,
                   static_cast<int>(s.Int(2)) + 1};
    Stmt upd(db_.get(),
             "UPDATE jobs SET lease_token = ?, lease_expiry_us = ?,"
             " attempts = attempts + 1 WHERE verification_id = ?");
    upd.Bind(job.lease_token).Bind(Micros(job.lease_expiry)).Bind(job.verification_id);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    Stmt state(db_.get(), "UPDATE verifications SET state = ?, update_us = ? WHERE id = ?");
    state.Bind(static_cast<int64_t>(VerificationState::kRunning))
        .Bind(Micros(now))
        .Bind(job.verification_id);
    VOUCH_RETURN_IF_ERROR(state.Run());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return std::optional<ClaimedJob>(std::move(job));
  }

  absl::Status CompleteJob(const ClaimedJob& job, VerificationState state, absl::string_view result,
                           absl::Time now, const ReviewCase* review_case,
                           const AttestationRecord* attestation) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) {
      VOUCH_RETURN_IF_ERROR(internal::ValidateCase(*review_case, job.verification_id, state));
    }
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Stmt del(db_.get(), "DELETE FROM jobs WHERE verification_id = ? AND lease_token = ?");
    del.Bind(job.verification_id).Bind(job.lease_token);
    VOUCH_RETURN_IF_ERROR(del.Run());
    if (sqlite3_changes(db_.get()) != 1) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    VOUCH_RETURN_IF_ERROR(SetResultLocked(job.verification_id, state, result, now));
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(InsertCaseLocked(*review_case));
    if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(InsertAttestationLocked(*attestation));
    return tx.Commit();
  }

  absl::StatusOr<absl::Time> RenewJobLease(const ClaimedJob& job, absl::Time now,
                                           absl::Duration lease) override {
    absl::MutexLock lock(&mu_);
    Stmt upd(db_.get(),
             "UPDATE jobs SET lease_expiry_us = ? WHERE verification_id = ? AND lease_token = ?");
    upd.Bind(Micros(now + lease)).Bind(job.verification_id).Bind(job.lease_token);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    if (sqlite3_changes(db_.get()) != 1) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    return now + lease;
  }

  absl::Status Probe(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(), "INSERT OR REPLACE INTO liveness (id, time_us) VALUES (1, ?)");
    s.Bind(Micros(now));
    return s.Run();
  }

  absl::Status ReleaseAllLeases() override {
    absl::MutexLock lock(&mu_);
    return Exec(db_.get(),
                "BEGIN IMMEDIATE;"
                " UPDATE jobs SET lease_token = NULL, lease_expiry_us = 0;"
                " DELETE FROM verifications WHERE state IN (1, 2)"
                "   AND id NOT IN (SELECT verification_id FROM jobs);"
                " COMMIT;");
  }

  absl::StatusOr<int64_t> PendingJobCount() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(), "SELECT COUNT(*) FROM jobs");
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  }

  absl::Status RecordAttestation(const AttestationRecord& a) override {
    absl::MutexLock lock(&mu_);
    return InsertAttestationLocked(a);
  }

  absl::Status InsertAttestationLocked(const AttestationRecord& a)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Stmt s(db_.get(),
           "INSERT INTO attestations (attestation_id, verification_id,"
           " relying_service, expire_us, status_list_uri, status_list_index, status)"
           " VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.Bind(a.attestation_id)
        .Bind(a.verification_id)
        .Bind(a.relying_service)
        .Bind(Micros(a.expire_time))
        .BindNullIfEmpty(a.status_list_uri)
        .Bind(a.status_list_index)
        .Bind(static_cast<int64_t>(a.status));
    return s.Run();
  }

  absl::StatusOr<AttestationRecord> GetAttestation(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           "SELECT attestation_id, verification_id, relying_service, expire_us,"
           " COALESCE(status_list_uri, ''), status_list_index, status"
           " FROM attestations WHERE attestation_id = ?");
    s.Bind(id);
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("unknown attestation");
    return AttestationRecord{s.Text(0),
                             s.Text(1),
                             s.Text(2),
                             FromMicros(s.Int(3)),
                             s.Text(4),
                             s.Int(5),
                             static_cast<int>(s.Int(6))};
  }

  absl::StatusOr<bool> SetAttestationStatus(absl::string_view id, int status) override {
    if (status < 0 || status > 3) return absl::InvalidArgumentError("status must be 0..3");
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Stmt s(db_.get(),
           "SELECT status_list_uri IS NULL, status FROM attestations"
           " WHERE attestation_id = ?");
    s.Bind(id);
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("unknown attestation");
    if (s.Int(0) != 0) {
      return absl::FailedPreconditionError("attestation has no status list entry");
    }
    const bool changed = s.Int(1) != status;
    Stmt upd(db_.get(), "UPDATE attestations SET status = ? WHERE attestation_id = ?");
    upd.Bind(static_cast<int64_t>(status)).Bind(id);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return changed;
  }

  absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(absl::string_view uri) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           "SELECT attestation_id, verification_id, relying_service, expire_us,"
           " status_list_uri, status_list_index, status FROM attestations"
           " WHERE status_list_uri = ? ORDER BY status_list_index");
    s.Bind(uri);
    std::vector<AttestationRecord> out;
    while (true) {
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(AttestationRecord{s.Text(0), s.Text(1), s.Text(2), FromMicros(s.Int(3)),
                                      s.Text(4), s.Int(5), static_cast<int>(s.Int(6))});
    }
    return out;
  }

  // --- Status lists shared by replicas (#14) -------------------------------

  absl::StatusOr<StatusAllocation> AllocateStatusEntry(int64_t list_size) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateStatusListSize(list_size));
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Stmt open(db_.get(),
              "SELECT list_number, size, next_position, permutation_key FROM status_lists"
              " ORDER BY list_number DESC LIMIT 1");
    VOUCH_ASSIGN_OR_RETURN(bool row, open.Step());
    int64_t number = row ? open.Int(0) : 0, size = row ? open.Int(1) : 0;
    int64_t position = row ? open.Int(2) : 0;
    std::string key = row ? open.Blob(3) : "";
    if (!row || position >= size) {
      if (!row) {
        Stmt legacy(db_.get(),
                    "SELECT EXISTS (SELECT 1 FROM attestations WHERE status_list_uri IS NOT NULL)");
        VOUCH_ASSIGN_OR_RETURN(bool any, legacy.Step());
        if (any && legacy.Int(0) != 0) {
          number = 1;
          Stmt closed(db_.get(), "INSERT INTO status_lists VALUES (1, ?, ?, x'')");
          closed.Bind(kLegacyStatusListSize).Bind(kLegacyStatusListSize);
          VOUCH_RETURN_IF_ERROR(closed.Run());
        }
      }
      number += 1;
      size = list_size;
      position = 0;
      key = internal::NewStatusListKey();
      Stmt opened(db_.get(), "INSERT INTO status_lists VALUES (?, ?, 0, ?)");
      opened.Bind(number).Bind(size).BindBlob(key);
      VOUCH_RETURN_IF_ERROR(opened.Run());
    }
    Stmt next(db_.get(), "UPDATE status_lists SET next_position = ? WHERE list_number = ?");
    next.Bind(position + 1).Bind(number);
    VOUCH_RETURN_IF_ERROR(next.Run());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return StatusAllocation{number, internal::PermutedStatusIndex(key, size, position)};
  }

  // SQLite has no notifications between processes: callers poll.
  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    return absl::UnimplementedError("SQLite pushes no changes between processes (poll)");
  }

  absl::StatusOr<std::vector<StatusListInfo>> ListStatusLists() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           "SELECT list_number, size, next_position FROM status_lists ORDER BY list_number");
    std::vector<StatusListInfo> out;
    while (true) {
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(StatusListInfo{s.Int(0), s.Int(1), s.Int(2)});
    }
    return out;
  }

  absl::StatusOr<AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           "SELECT attestation_id, verification_id, relying_service, expire_us,"
           " COALESCE(status_list_uri, ''), status_list_index, status"
           " FROM attestations WHERE verification_id = ? ORDER BY expire_us DESC LIMIT 1");
    s.Bind(verification_id);
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("no attestation for this verification");
    return AttestationRecord{s.Text(0),
                             s.Text(1),
                             s.Text(2),
                             FromMicros(s.Int(3)),
                             s.Text(4),
                             s.Int(5),
                             static_cast<int>(s.Int(6))};
  }

  // --- end status lists ----------------------------------------------------

  absl::StatusOr<std::vector<ReviewCase>> ListCases(const CaseFilter& filter,
                                                    absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateFilter(filter));
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           (kSelectCaseNoEnvelope + kCaseFilter + " ORDER BY create_us, verification_id LIMIT ?")
               .c_str());
    BindFilter(s, filter);
    s.Bind(static_cast<int64_t>(filter.limit));
    std::vector<ReviewCase> out;
    while (true) {
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(internal::ForListing(ReadCase(s), now));
    }
    return out;
  }

  absl::StatusOr<ReviewCase> GetCase(absl::string_view case_id) override {
    absl::MutexLock lock(&mu_);
    return GetCaseLocked(case_id);
  }

  absl::StatusOr<std::optional<ReviewCase>> ClaimCase(const ClaimCaseRequest& r) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateClaim(r));
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    std::string id = r.case_id;
    if (!id.empty()) {
      VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseLocked(id));
      VOUCH_RETURN_IF_ERROR(internal::CheckClaimable(c, r, /*by_id=*/true));
    } else {
      Stmt s(db_.get(), (std::string("SELECT verification_id FROM cases") + kCaseFilter +
                         " AND (claimed_by = '' OR lease_expiry_us <= ?)"
                         " AND (stage = 1 OR (stage = 2 AND ? = 1 AND first_operator <> ?))"
                         " ORDER BY create_us, verification_id LIMIT 1")
                            .c_str());
      BindFilter(s, r.filter);
      s.Bind(Micros(r.now)).Bind(static_cast<int64_t>(r.senior ? 1 : 0)).Bind(r.operator_id);
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return std::optional<ReviewCase>();
      id = s.Text(0);
    }
    Stmt upd(db_.get(),
             "UPDATE cases SET claimed_by = ?, lease_token = ?, lease_expiry_us = ?"
             " WHERE verification_id = ?");
    upd.Bind(r.operator_id).Bind(internal::NewLeaseToken()).Bind(Micros(r.now + r.lease)).Bind(id);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    VOUCH_ASSIGN_OR_RETURN(ReviewCase claimed, GetCaseLocked(id));
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return std::optional<ReviewCase>(std::move(claimed));
  }

  absl::Status ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                           absl::Time now) override {
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseLocked(case_id));
    VOUCH_RETURN_IF_ERROR(internal::CheckLease(c, lease_token, now));
    Stmt upd(
        db_.get(),
        (std::string("UPDATE cases SET ") + kDropClaim + " WHERE verification_id = ?").c_str());
    upd.Bind(case_id);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    return tx.Commit();
  }

  absl::Status EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                            absl::string_view first_decision, absl::string_view first_operator,
                            absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateEscalation(first_decision, first_operator));
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseLocked(case_id));
    VOUCH_RETURN_IF_ERROR(internal::CheckLease(c, lease_token, now));
    if (c.stage != CaseStage::kFirstReview) {
      return absl::FailedPreconditionError("case is not in first review");
    }
    Stmt upd(db_.get(), (std::string("UPDATE cases SET stage = 2, first_decision = ?,"
                                     " first_operator = ?, ") +
                         kDropClaim + " WHERE verification_id = ?")
                            .c_str());
    upd.BindBlob(first_decision).Bind(first_operator).Bind(case_id);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    return tx.Commit();
  }

  absl::Status DecideCase(absl::string_view case_id, absl::string_view lease_token,
                          absl::string_view result, absl::Time now, absl::Time keep_until,
                          const AttestationRecord* attestation) override {
    absl::MutexLock lock(&mu_);
    bool deleted = false;
    {
      Transaction tx(db_.get());
      VOUCH_RETURN_IF_ERROR(tx.status());
      VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseLocked(case_id));
      VOUCH_RETURN_IF_ERROR(internal::CheckLease(c, lease_token, now));
      Stmt v(db_.get(),
             "UPDATE verifications SET result = ?, update_us = ? WHERE id = ? AND state = ?");
      v.BindBlob(result)
          .Bind(Micros(now))
          .Bind(case_id)
          .Bind(static_cast<int64_t>(VerificationState::kCompleted));
      VOUCH_RETURN_IF_ERROR(v.Run());
      if (sqlite3_changes(db_.get()) != 1) {
        return absl::FailedPreconditionError("the case's verification is not completed");
      }
      if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(InsertAttestationLocked(*attestation));
      if (keep_until > now) {
        Stmt keep(db_.get(), (std::string("UPDATE cases SET stage = 3, delete_after_us = ?, ") +
                              kDropClaim + " WHERE verification_id = ?")
                                 .c_str());
        keep.Bind(Micros(keep_until)).Bind(case_id);
        VOUCH_RETURN_IF_ERROR(keep.Run());
      } else {
        Stmt del(db_.get(), "DELETE FROM cases WHERE verification_id = ?");
        del.Bind(case_id);
        VOUCH_RETURN_IF_ERROR(del.Run());
        deleted = true;
      }
      VOUCH_RETURN_IF_ERROR(tx.Commit());
    }
    if (deleted) TruncateWalLocked();
    return absl::OkStatus();
  }

  absl::Status RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                         absl::string_view sealed, absl::string_view key_id) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateRekey(sealed, key_id));
    absl::MutexLock lock(&mu_);
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Stmt s(db_.get(), "SELECT key_id FROM cases WHERE verification_id = ?");
    s.Bind(case_id);
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("unknown case");
    if (s.Text(0) != expected_key_id) {
      return absl::FailedPreconditionError("case is sealed under another key");
    }
    Stmt upd(db_.get(), "UPDATE cases SET sealed = ?, key_id = ? WHERE verification_id = ?");
    upd.BindBlob(sealed).Bind(key_id).Bind(case_id);
    VOUCH_RETURN_IF_ERROR(upd.Run());
    return tx.Commit();
  }

  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           "SELECT verification_id FROM cases WHERE key_id = ? ORDER BY verification_id");
    s.Bind(key_id);
    std::vector<std::string> out;
    while (true) {
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(s.Text(0));
    }
    return out;
  }

  absl::StatusOr<std::vector<ReviewCase>> ListExpiredCases(absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateExpiredLimit(limit));
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(), (kSelectCaseNoEnvelope +
                       " WHERE delete_after_us <= ? ORDER BY delete_after_us, verification_id"
                       " LIMIT ?")
                          .c_str());
    s.Bind(Micros(now)).Bind(static_cast<int64_t>(limit));
    std::vector<ReviewCase> out;
    while (true) {
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(internal::ForListing(ReadCase(s), now));
    }
    return out;
  }

  absl::StatusOr<bool> ExpireCase(absl::string_view case_id, absl::string_view expired_result,
                                  absl::Time now) override {
    absl::MutexLock lock(&mu_);
    {
      Transaction tx(db_.get());
      VOUCH_RETURN_IF_ERROR(tx.status());
      CaseStage stage;
      absl::Time delete_after;
      {
        Stmt s(db_.get(), "SELECT stage, delete_after_us FROM cases WHERE verification_id = ?");
        s.Bind(case_id);
        VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return absl::NotFoundError("unknown case");
        stage = static_cast<CaseStage>(s.Int(0));
        delete_after = FromMicros(s.Int(1));
      }
      if (delete_after > now) return false;
      if (stage != CaseStage::kDecided) {
        Stmt v(db_.get(),
               "UPDATE verifications SET result = ?, update_us = ? WHERE id = ? AND state = ?");
        v.BindBlob(expired_result)
            .Bind(Micros(now))
            .Bind(case_id)
            .Bind(static_cast<int64_t>(VerificationState::kCompleted));
        VOUCH_RETURN_IF_ERROR(v.Run());
        if (sqlite3_changes(db_.get()) != 1) {
          return absl::FailedPreconditionError("the case's verification is not completed");
        }
      }
      Stmt del(db_.get(), "DELETE FROM cases WHERE verification_id = ?");
      del.Bind(case_id);
      VOUCH_RETURN_IF_ERROR(del.Run());
      VOUCH_RETURN_IF_ERROR(tx.Commit());
    }
    TruncateWalLocked();
    return true;
  }

  absl::StatusOr<AuditEvent> AppendAudit(const AuditEvent& event) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateAudit(event));
    absl::MutexLock lock(&mu_);
    // BEGIN IMMEDIATE takes SQLite's write lock: appends are serialised even
    // across processes sharing the file.
    Transaction tx(db_.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    AuditEvent stored = event;
    stored.time = FromMicros(Micros(event.time));
    Stmt last(db_.get(), "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    VOUCH_ASSIGN_OR_RETURN(bool row, last.Step());
    stored.seq = row ? last.Int(0) + 1 : 1;
    stored.prev_hash = row ? last.Text(1) : internal::ZeroHash();
    stored.hash = AuditEventHash(stored);
    Stmt ins(db_.get(),
             "INSERT INTO audit (seq, time_us, actor, action, verification_id, detail,"
             " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    ins.Bind(stored.seq)
        .Bind(Micros(stored.time))
        .Bind(stored.actor)
        .Bind(stored.action)
        .Bind(stored.verification_id)
        .Bind(stored.detail)
        .Bind(stored.prev_hash)
        .Bind(stored.hash);
    VOUCH_RETURN_IF_ERROR(ins.Run());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return stored;
  }

  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateAuditQuery(after_seq, limit));
    absl::MutexLock lock(&mu_);
    Stmt s(db_.get(),
           "SELECT seq, time_us, actor, action, verification_id, detail, prev_hash, hash"
           " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?");
    s.Bind(after_seq).Bind(static_cast<int64_t>(limit));
    std::vector<AuditEvent> out;
    while (true) {
      VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(AuditEvent{s.Int(0), FromMicros(s.Int(1)), s.Text(2), s.Text(3), s.Text(4),
                               s.Text(5), s.Text(6), s.Text(7)});
    }
    return out;
  }

 private:
  absl::StatusOr<ReviewCase> GetCaseLocked(absl::string_view case_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Stmt s(db_.get(), (kSelectCase + " WHERE verification_id = ?").c_str());
    s.Bind(case_id);
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("unknown case");
    return ReadCase(s);
  }

  // Inserts the case of a verification completed in the current transaction.
  absl::Status InsertCaseLocked(const ReviewCase& given) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const ReviewCase c = internal::NewCase(given);
    Stmt s(db_.get(),
           "INSERT INTO cases (verification_id, relying_service, policy, reasons, sealed,"
           " key_id, stage, lease_expiry_us, create_us, delete_after_us)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(c.verification_id)
        .Bind(c.relying_service)
        .Bind(c.policy)
        .Bind(internal::JoinReasons(c.reasons))
        .BindBlob(c.sealed)
        .Bind(c.key_id)
        .Bind(static_cast<int64_t>(c.stage))
        .Bind(Micros(c.lease_expiry))
        .Bind(Micros(c.create_time))
        .Bind(Micros(c.delete_after));
    return s.Run();
  }

  // Deleted case pages are zeroed in the database file (secure_delete); the
  // WAL may still hold their earlier images until a checkpoint, so copy the
  // WAL back and truncate it. Best effort: a reader may keep it busy; then
  // the next checkpoint does it.
  void TruncateWalLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }

  absl::StatusOr<VerificationRecord> GetLocked(absl::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Stmt s(db_.get(), (std::string(kSelectVerification) + "WHERE id = ?").c_str());
    s.Bind(id);
    VOUCH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("unknown verification");
    return ReadVerification(s);
  }

  bool HasJobLocked(absl::string_view id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Stmt s(db_.get(), "SELECT 1 FROM jobs WHERE verification_id = ?");
    s.Bind(id);
    absl::StatusOr<bool> row = s.Step();
    return !row.ok() || *row;
  }

  absl::Status SetResultLocked(absl::string_view id, VerificationState state,
                               absl::string_view result, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Stmt s(db_.get(), "UPDATE verifications SET state = ?, result = ?, update_us = ? WHERE id = ?");
    s.Bind(static_cast<int64_t>(state)).BindBlob(result).Bind(Micros(now)).Bind(id);
    return s.Run();
  }

  absl::Mutex mu_;
  DbPtr db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewSqliteStore(const std::string& path) {
  // Create the file 0600 before SQLite does (it would use the umask).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open database ", path));
  ::close(fd);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot open database ", path, ": ", sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  // WAL for concurrent readers; synchronous=FULL so an acknowledged Submit
  // survives power loss; secure_delete so deleted payloads are overwritten.
  VOUCH_RETURN_IF_ERROR(Exec(db.get(),
                             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                             " PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"));
  VOUCH_RETURN_IF_ERROR(
      Exec(db.get(), "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  {
    Transaction tx(db.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Stmt version(db.get(), "SELECT version FROM schema_version LIMIT 1");
    VOUCH_ASSIGN_OR_RETURN(bool row, version.Step());
    const int64_t current = row ? version.Int(0) : 0;
    if (current < 0 || current > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", current, ", this build knows up to ", kSchemaVersion));
    }
    for (int64_t i = current; i < kSchemaVersion; ++i) {
      VOUCH_RETURN_IF_ERROR(Exec(db.get(), kMigrations[i]));
    }
    if (current != kSchemaVersion) {
      VOUCH_RETURN_IF_ERROR(Exec(db.get(), "DELETE FROM schema_version"));
      Stmt set(db.get(), "INSERT INTO schema_version (version) VALUES (?)");
      set.Bind(static_cast<int64_t>(kSchemaVersion));
      VOUCH_RETURN_IF_ERROR(set.Run());
    }
    VOUCH_RETURN_IF_ERROR(tx.Commit());
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(db)));
}

}  // namespace vouch::verifier
