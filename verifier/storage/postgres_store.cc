// The shared Store: PostgreSQL through libpq, for several vouchd instances on
// one database. Every statement is parameterised (PQexecParams, binary
// parameters and results); rows are claimed with FOR UPDATE SKIP LOCKED; the
// audit chain and the schema migrations are serialised with transaction-level
// advisory locks keyed by the schema, so instances never fork the chain nor
// migrate twice. Errors carry the SQLSTATE and never a bound value.

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "storage/store.h"
#include "storage/store_internal.h"

namespace vouch::verifier {
namespace {

using internal::FromMicros;
using internal::Micros;

// Migration i (0-based) takes the schema from version i to version i + 1.
// Never edit a released migration; append one.
constexpr const char* kMigrations[] = {
    R"sql(
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
)sql",
    // 2: the health probe's one-row heartbeat (#20).
    R"sql(
CREATE TABLE liveness (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  time_us BIGINT NOT NULL);
)sql",
    // 3: status lists shared by replicas (#14).
    R"sql(
CREATE TABLE status_lists (
  list_number BIGINT PRIMARY KEY,
  size BIGINT NOT NULL,
  next_position BIGINT NOT NULL,
  permutation_key BYTEA NOT NULL);
CREATE INDEX attestations_verification ON attestations (verification_id);
)sql",
    // --- end status lists ---
    // 4: changes pushed to every replica (#14): a verification whose state or
    // result changes, an attestation whose status changes. NOTIFY is sent
    // when the writing transaction commits; the payload is
    // "<schema> v|a <id>" (the channel is shared by the database's schemas).
    R"sql(
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
)sql",
};
constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);
constexpr int kPoolSize = 8;

// Type oids (pg_type.h is a server header).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Binary query parameters. Add() returns the placeholder ("$3").
class Params {
 public:
  std::string Text(absl::string_view v) { return Add(v, kTextOid); }
  std::string Bytes(absl::string_view v) { return Add(v, kByteaOid); }
  std::string Int(int64_t v) {
    char be[8];
    for (int i = 0; i < 8; ++i)
      be[i] = static_cast<char>((static_cast<uint64_t>(v) >> (56 - 8 * i)) & 0xff);
    return Add(absl::string_view(be, 8), kInt8Oid);
  }
  int size() const { return static_cast<int>(values_.size()); }
  const std::vector<std::string>& values() const { return values_; }
  const std::vector<Oid>& types() const { return types_; }

 private:
  std::string Add(absl::string_view v, Oid type) {
    values_.emplace_back(v);
    types_.push_back(type);
    return absl::StrCat("$", values_.size());
  }
  std::vector<std::string> values_;
  std::vector<Oid> types_;
};

// A result in binary format.
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  int64_t affected() const {
    const char* n = PQcmdTuples(r_.get());
    return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
  }
  std::string Str(int row, int col) const {
    if (PQgetisnull(r_.get(), row, col)) return std::string();
    return std::string(PQgetvalue(r_.get(), row, col), PQgetlength(r_.get(), row, col));
  }
  int64_t Int(int row, int col) const {
    if (PQgetisnull(r_.get(), row, col)) return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col));
    const int n = PQgetlength(r_.get(), row, col);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    // Sign-extend int2/int4.
    if (n > 0 && n < 8 && (p[0] & 0x80)) v |= ~uint64_t{0} << (8 * n);
    return static_cast<int64_t>(v);
  }

 private:
  ResultPtr r_;
};

// Maps a failed result to a Status: the SQLSTATE, the constraint name, and
// the server's primary message except for data exceptions (class 22), whose
// messages may quote input bytes.
absl::Status PgError(PGconn* conn, const PGresult* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state ? state : "";
  const char* constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string msg = absl::StrCat("postgresql: SQLSTATE ", code.empty() ? "none" : code);
  if (constraint != nullptr) absl::StrAppend(&msg, ", constraint ", constraint);
  if (primary != nullptr && !absl::StartsWith(code, "22")) absl::StrAppend(&msg, ": ", primary);
  if (code.empty() && conn != nullptr) {
    absl::StrAppend(&msg, ": ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
  }
  if (code == "23505") return absl::AlreadyExistsError(msg);
  if (code == "53100") return absl::ResourceExhaustedError(msg);  // disk_full
  if (absl::StartsWith(code, "22")) return absl::InvalidArgumentError(msg);
  if (code.empty() || absl::StartsWith(code, "08") || absl::StartsWith(code, "57P") ||
      code == "40001" || code == "40P01" || code == "53300" ||
      (conn != nullptr && PQstatus(conn) != CONNECTION_OK)) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

absl::StatusOr<Rows> Exec(PGconn* conn, const std::string& sql, const Params& params = Params()) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const std::string& v : params.values()) {
    values.push_back(v.data());
    lengths.push_back(static_cast<int>(v.size()));
    formats.push_back(1);
  }
  ResultPtr r(PQexecParams(conn, sql.c_str(), params.size(), params.types().data(), values.data(),
                           lengths.data(), formats.data(), /*resultFormat=*/1));
  if (r == nullptr) return PgError(conn, nullptr);
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, r.get());
  return Rows(std::move(r));
}

// Runs parameterless statements, several at once (the migrations).
absl::Status ExecScript(PGconn* conn, const char* sql) {
  ResultPtr r(PQexec(conn, sql));
  if (r == nullptr || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return PgError(conn, r.get());
  }
  return absl::OkStatus();
}

// Whether a failed connection got as far as the server's password check:
// it asked for a password and none was given, or one was given and the login
// still failed (wrong password; also a role or database the server refuses
// after authentication). Either is a configuration error, not an outage.
bool ServerRejectedLogin(PGconn* conn) {
  return PQconnectionNeedsPassword(conn) != 0 || PQconnectionUsedPassword(conn) != 0;
}

absl::StatusOr<ConnPtr> Connect(const std::string& conninfo) {
  // Our defaults first; what conninfo says overrides them.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "vouchd", conninfo.c_str(), nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn == nullptr) return absl::UnavailableError("postgresql: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK && ServerRejectedLogin(conn.get())) {
    // The server answered: waiting will not help. libpq's message names the
    // user and the reason, never the password.
    return absl::UnauthenticatedError(
        absl::StrCat("postgresql: login refused for user \"", PQuser(conn.get()), "\" at ",
                     PQhost(conn.get()), ":", PQport(conn.get()), " (wrong or missing password?): ",
                     absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn.get()))));
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgresql: cannot connect: ",
                     absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn.get()))));
  }
  VOUCH_RETURN_IF_ERROR(Exec(conn.get(), "SET client_encoding = 'UTF8'").status());
  return conn;
}

// A fixed-size pool of connections, opened on demand; a connection that
// broke is dropped and a new one opened on the next Acquire.
class Pool {
 public:
  class Handle {
   public:
    Handle(Pool* pool, ConnPtr conn) : pool_(pool), conn_(std::move(conn)) {}
    Handle(Handle&& other) = default;
    ~Handle() {
      if (conn_ != nullptr) pool_->Return(std::move(conn_));
    }
    PGconn* get() const { return conn_.get(); }

   private:
    Pool* pool_;
    ConnPtr conn_;
  };

  Pool(std::string conninfo, int size) : conninfo_(std::move(conninfo)), size_(size) {}

  absl::StatusOr<Handle> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Pool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return !p->idle_.empty() || p->open_ < p->size_;
          },
          this));
      if (!idle_.empty()) {
        ConnPtr c = std::move(idle_.back());
        idle_.pop_back();
        return Handle(this, std::move(c));
      }
      ++open_;  // reserve a slot, connect outside the lock
    }
    absl::StatusOr<ConnPtr> conn = Connect(conninfo_);
    if (!conn.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      return conn.status();
    }
    return Handle(this, *std::move(conn));
  }

 private:
  void Return(ConnPtr conn) {
    absl::MutexLock lock(&mu_);
    // A broken connection, or one left inside a transaction, is dropped.
    if (PQstatus(conn.get()) != CONNECTION_OK || PQtransactionStatus(conn.get()) != PQTRANS_IDLE) {
      --open_;
      return;  // conn closes here
    }
    idle_.push_back(std::move(conn));
  }

  const std::string conninfo_;
  const int size_;
  absl::Mutex mu_;
  std::vector<ConnPtr> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

// BEGIN ... COMMIT, rolled back unless Commit() succeeds.
class Transaction {
 public:
  explicit Transaction(PGconn* conn) : conn_(conn) { status_ = Exec(conn_, "BEGIN").status(); }
  ~Transaction() {
    if (status_.ok() && !done_) (void)Exec(conn_, "ROLLBACK");
  }
  const absl::Status& status() const { return status_; }
  absl::Status Commit() {
    done_ = true;
    return Exec(conn_, "COMMIT").status();
  }

 private:
  PGconn* conn_;
  absl::Status status_;
  bool done_ = false;
};

// LISTEN on a connection of its own (outside the pool: it is held for
// good). Keeps the notifications of this connection's schema.
class PgChangeStream final : public ChangeStream {
 public:
  explicit PgChangeStream(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  absl::Status Listen() {
    conn_.reset();
    VOUCH_ASSIGN_OR_RETURN(ConnPtr conn, Connect(conninfo_));
    VOUCH_ASSIGN_OR_RETURN(Rows schema, Exec(conn.get(), "SELECT current_schema()::text"));
    if (schema.size() != 1) return absl::InternalError("postgresql: no current schema");
    schema_ = schema.Str(0, 0);
    VOUCH_RETURN_IF_ERROR(Exec(conn.get(), "LISTEN vouch_changes").status());
    conn_ = std::move(conn);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<StoreChange>> Wait(absl::Duration timeout) override {
    if (conn_ == nullptr) VOUCH_RETURN_IF_ERROR(Listen());
    std::vector<StoreChange> out;
    Drain(out);
    if (!out.empty()) return out;
    pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
    const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(timeout));
    const int ready = ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(ms, INT32_MAX)));
    if (ready < 0 && errno != EINTR) return Lost("poll failed");
    if (ready > 0 && PQconsumeInput(conn_.get()) == 0) return Lost("connection lost");
    if (PQstatus(conn_.get()) != CONNECTION_OK) return Lost("connection lost");
    Drain(out);
    return out;
  }

 private:
  absl::Status Lost(absl::string_view what) {
    conn_.reset();
    return absl::UnavailableError(absl::StrCat("postgresql change stream: ", what));
  }

  void Drain(std::vector<StoreChange>& out) {
    while (PGnotify* n = PQnotifies(conn_.get())) {
      // "<schema> <kind> <id>"; the schema may hold spaces, the id does not.
      const absl::string_view payload(n->extra);
      const size_t id_at = payload.rfind(' ');
      if (id_at != absl::string_view::npos && id_at >= 2 && payload[id_at - 2] == ' ' &&
          payload.substr(0, id_at - 2) == schema_) {
        const char kind = payload[id_at - 1];
        if (kind == 'v' || kind == 'a') {
          out.push_back(StoreChange{kind == 'v' ? StoreChange::Kind::kVerification
                                                : StoreChange::Kind::kAttestationStatus,
                                    std::string(payload.substr(id_at + 1))});
        }
      }
      PQfreemem(n);
    }
  }

  const std::string conninfo_;
  ConnPtr conn_;
  std::string schema_;
};

constexpr const char* kVerificationColumns =
    "id, relying_service, COALESCE(idempotency_key, ''), request_digest, policy, state, result,"
    " create_us, update_us";

VerificationRecord ReadVerification(const Rows& r, int row) {
  VerificationRecord v;
  v.id = r.Str(row, 0);
  v.relying_service = r.Str(row, 1);
  v.idempotency_key = r.Str(row, 2);
  v.request_digest = r.Str(row, 3);
  v.policy = r.Str(row, 4);
  v.state = static_cast<VerificationState>(r.Int(row, 5));
  v.result = r.Str(row, 6);
  v.create_time = FromMicros(r.Int(row, 7));
  v.update_time = FromMicros(r.Int(row, 8));
  return v;
}

constexpr const char* kAttestationColumns =
    "attestation_id, verification_id, relying_service, expire_us, COALESCE(status_list_uri, ''),"
    " COALESCE(status_list_index, -1), status";

AttestationRecord ReadAttestation(const Rows& r, int row) {
  return AttestationRecord{r.Str(row, 0),
                           r.Str(row, 1),
                           r.Str(row, 2),
                           FromMicros(r.Int(row, 3)),
                           r.Str(row, 4),
                           r.Int(row, 5),
                           static_cast<int>(r.Int(row, 6))};
}

constexpr const char* kCaseColumns =
    "verification_id, relying_service, policy, array_to_string(reasons, E'\\n'), key_id, stage,"
    " claimed_by, lease_token, lease_expiry_us, first_decision, first_operator, create_us,"
    " delete_after_us";
const std::string kCaseWithEnvelope = absl::StrCat(kCaseColumns, ", sealed");
const std::string kCaseNoEnvelope = absl::StrCat(kCaseColumns, ", ''::bytea");

ReviewCase ReadCase(const Rows& r, int row) {
  ReviewCase c;
  c.verification_id = r.Str(row, 0);
  c.relying_service = r.Str(row, 1);
  c.policy = r.Str(row, 2);
  c.reasons = internal::SplitReasons(r.Str(row, 3));
  c.key_id = r.Str(row, 4);
  c.stage = static_cast<CaseStage>(r.Int(row, 5));
  c.claimed_by = r.Str(row, 6);
  c.lease_token = r.Str(row, 7);
  c.lease_expiry = FromMicros(r.Int(row, 8));
  c.first_decision = r.Str(row, 9);
  c.first_operator = r.Str(row, 10);
  c.create_time = FromMicros(r.Int(row, 11));
  c.delete_after = FromMicros(r.Int(row, 12));
  c.sealed = r.Str(row, 13);
  return c;
}

// The CaseFilter fields as a WHERE clause (not the limit).
std::string FilterSql(Params& p, const CaseFilter& f) {
  const std::string stage = p.Int(f.stage.has_value() ? static_cast<int64_t>(*f.stage) : 0);
  const std::string policy = p.Text(f.policy);
  const std::string service = p.Text(f.relying_service);
  const std::string reason = p.Text(f.reason);
  return absl::StrCat(
      " WHERE ((", stage, " = 0 AND stage IN (1, 2)) OR stage = ", stage, ")", " AND (", policy,
      " = '' OR policy = ", policy, ")", " AND (", service, " = '' OR relying_service = ", service,
      ")", " AND (", reason, " = '' OR ", reason, " = ANY (reasons))", " AND create_us < ",
      p.Int(Micros(f.created_before)), " AND create_us > ", p.Int(Micros(f.created_after)));
}

constexpr const char* kDropClaim =
    "claimed_by = '', lease_token = '', lease_expiry_us = -9223372036854775808";

class PostgresStore final : public Store {
 public:
  PostgresStore(std::unique_ptr<Pool> pool, std::string conninfo)
      : pool_(std::move(pool)), conninfo_(std::move(conninfo)) {}

  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    auto stream = std::make_unique<PgChangeStream>(conninfo_);
    VOUCH_RETURN_IF_ERROR(stream->Listen());
    return stream;
  }

  absl::StatusOr<CreateOutcome> CreateVerification(const NewVerification& v) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateNew(v));
    const VerificationRecord& r = v.record;
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    // A concurrent insert with the same idempotency key makes the INSERT fail
    // on verifications_idempotency; the second round then finds it.
    for (int attempt = 0;; ++attempt) {
      Transaction tx(conn.get());
      VOUCH_RETURN_IF_ERROR(tx.status());
      if (!r.idempotency_key.empty()) {
        Params p;
        const std::string sql =
            absl::StrCat("SELECT ", kVerificationColumns,
                         " FROM verifications WHERE relying_service = ", p.Text(r.relying_service),
                         " AND idempotency_key = ", p.Text(r.idempotency_key));
        VOUCH_ASSIGN_OR_RETURN(Rows rows, Exec(conn.get(), sql, p));
        if (rows.size() > 0) return CreateOutcome{ReadVerification(rows, 0), true};
      }
      Params p;
      const std::string sql = absl::StrCat(
          "INSERT INTO verifications (id, relying_service, idempotency_key, request_digest,"
          " policy, state, result, create_us, update_us) VALUES (",
          p.Text(r.id), ", ", p.Text(r.relying_service), ", NULLIF(", p.Text(r.idempotency_key),
          ", ''), ", p.Bytes(r.request_digest), ", ", p.Text(r.policy), ", ",
          p.Int(static_cast<int64_t>(r.state)), ", ", p.Bytes(r.result), ", ",
          p.Int(Micros(r.create_time)), ", ", p.Int(Micros(r.update_time)), ")");
      absl::StatusOr<Rows> inserted = Exec(conn.get(), sql, p);
      if (!inserted.ok()) {
        if (attempt == 0 && absl::IsAlreadyExists(inserted.status()) &&
            absl::StrContains(inserted.status().message(), "verifications_idempotency")) {
          continue;
        }
        return inserted.status();
      }
      if (v.job_payload.has_value()) {
        Params jp;
        const std::string job = absl::StrCat("INSERT INTO jobs (verification_id, payload) VALUES (",
                                             jp.Text(r.id), ", ", jp.Bytes(*v.job_payload), ")");
        VOUCH_RETURN_IF_ERROR(Exec(conn.get(), job, jp).status());
      }
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return CreateOutcome{r, false};
    }
  }

  absl::StatusOr<VerificationRecord> GetVerification(absl::string_view id) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    return GetVerificationOn(conn.get(), id, /*for_update=*/false);
  }

  absl::Status FinishVerification(absl::string_view id, VerificationState state,
                                  absl::string_view result, absl::Time now,
                                  const ReviewCase* review_case,
                                  const AttestationRecord* attestation) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) {
      VOUCH_RETURN_IF_ERROR(internal::ValidateCase(*review_case, id, state));
    }
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(VerificationRecord r, GetVerificationOn(conn.get(), id, true));
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows job, Exec(conn.get(),
                       absl::StrCat("SELECT 1 FROM jobs WHERE verification_id = ", p.Text(id)), p));
    if (IsTerminal(r.state) || job.size() > 0) {
      return absl::FailedPreconditionError("verification is terminal or has a job");
    }
    VOUCH_RETURN_IF_ERROR(SetResultOn(conn.get(), id, state, result, now));
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(InsertCaseOn(conn.get(), *review_case));
    if (attestation != nullptr) {
      VOUCH_RETURN_IF_ERROR(InsertAttestationOn(conn.get(), *attestation));
    }
    return tx.Commit();
  }

  absl::Status AbandonVerification(absl::string_view id) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(VerificationRecord r, GetVerificationOn(conn.get(), id, true));
    if (IsTerminal(r.state)) return absl::FailedPreconditionError("verification is terminal");
    Params p;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(), absl::StrCat("DELETE FROM verifications WHERE id = ", p.Text(id)), p)
            .status());
    return tx.Commit();
  }

  absl::StatusOr<std::optional<ClaimedJob>> ClaimJob(absl::Time now,
                                                     absl::Duration lease) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows,
        Exec(conn.get(),
             absl::StrCat("SELECT verification_id, payload, attempts FROM jobs"
                          " WHERE lease_expiry_us <= ",
                          p.Int(Micros(now)), " ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED"),
             p));
    if (rows.size() == 0) return std::optional<ClaimedJob>();
    ClaimedJob job{rows.Str(0, 0), rows.Str(0, 1), internal::NewLeaseToken(), now + lease,
                   static_cast<int>(rows.Int(0, 2)) + 1};
    Params u;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             absl::StrCat(
                 "UPDATE jobs SET lease_token = ", u.Text(job.lease_token),
                 ", lease_expiry_us = ", u.Int(Micros(job.lease_expiry)),
                 ", attempts = attempts + 1 WHERE verification_id = ", u.Text(job.verification_id)),
             u)
            .status());
    Params s;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             absl::StrCat("UPDATE verifications SET state = ",
                          s.Int(static_cast<int64_t>(VerificationState::kRunning)),
                          ", update_us = ", s.Int(Micros(now)),
                          " WHERE id = ", s.Text(job.verification_id)),
             s)
            .status());
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
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows deleted,
        Exec(conn.get(),
             absl::StrCat("DELETE FROM jobs WHERE verification_id = ", p.Text(job.verification_id),
                          " AND lease_token = ", p.Text(job.lease_token)),
             p));
    if (deleted.affected() != 1) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    VOUCH_RETURN_IF_ERROR(SetResultOn(conn.get(), job.verification_id, state, result, now));
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(InsertCaseOn(conn.get(), *review_case));
    if (attestation != nullptr) {
      VOUCH_RETURN_IF_ERROR(InsertAttestationOn(conn.get(), *attestation));
    }
    return tx.Commit();
  }

  absl::StatusOr<absl::Time> RenewJobLease(const ClaimedJob& job, absl::Time now,
                                           absl::Duration lease) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows updated,
        Exec(conn.get(),
             absl::StrCat("UPDATE jobs SET lease_expiry_us = ", p.Int(Micros(now + lease)),
                          " WHERE verification_id = ", p.Text(job.verification_id),
                          " AND lease_token = ", p.Text(job.lease_token)),
             p));
    if (updated.affected() != 1) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    return now + lease;
  }

  absl::Status Probe(absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    return Exec(conn.get(),
                absl::StrCat("INSERT INTO liveness (id, time_us) VALUES (1, ", p.Int(Micros(now)),
                             ") ON CONFLICT (id) DO UPDATE SET time_us = EXCLUDED.time_us"),
                p)
        .status();
  }

  absl::Status ReleaseAllLeases() override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(), "UPDATE jobs SET lease_token = NULL, lease_expiry_us = 0").status());
    VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                               "DELETE FROM verifications WHERE state IN (1, 2)"
                               " AND id NOT IN (SELECT verification_id FROM jobs)")
                              .status());
    return tx.Commit();
  }

  absl::StatusOr<int64_t> PendingJobCount() override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(Rows rows, Exec(conn.get(), "SELECT COUNT(*) FROM jobs"));
    return rows.Int(0, 0);
  }

  absl::Status RecordAttestation(const AttestationRecord& a) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    return InsertAttestationOn(conn.get(), a);
  }

  static absl::Status InsertAttestationOn(PGconn* conn, const AttestationRecord& a) {
    Params p;
    const std::string sql = absl::StrCat(
        "INSERT INTO attestations (attestation_id, verification_id, relying_service, expire_us,"
        " status_list_uri, status_list_index, status) VALUES (",
        p.Text(a.attestation_id), ", ", p.Text(a.verification_id), ", ", p.Text(a.relying_service),
        ", ", p.Int(Micros(a.expire_time)), ", NULLIF(", p.Text(a.status_list_uri), ", ''), ",
        p.Int(a.status_list_index), ", ", p.Int(a.status), ")");
    return Exec(conn, sql, p).status();
  }

  absl::StatusOr<AttestationRecord> GetAttestation(absl::string_view id) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows, Exec(conn.get(),
                        absl::StrCat("SELECT ", kAttestationColumns,
                                     " FROM attestations WHERE attestation_id = ", p.Text(id)),
                        p));
    if (rows.size() == 0) return absl::NotFoundError("unknown attestation");
    return ReadAttestation(rows, 0);
  }

  absl::StatusOr<bool> SetAttestationStatus(absl::string_view id, int status) override {
    if (status < 0 || status > 3) return absl::InvalidArgumentError("status must be 0..3");
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows,
        Exec(conn.get(),
             absl::StrCat(
                 "SELECT (CASE WHEN status_list_uri IS NULL THEN 1 ELSE 0 END)::int8, status::int8"
                 " FROM attestations WHERE attestation_id = ",
                 p.Text(id), " FOR UPDATE"),
             p));
    if (rows.size() == 0) return absl::NotFoundError("unknown attestation");
    if (rows.Int(0, 0) != 0) {
      return absl::FailedPreconditionError("attestation has no status list entry");
    }
    const bool changed = rows.Int(0, 1) != status;
    Params u;
    VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                               absl::StrCat("UPDATE attestations SET status = ", u.Int(status),
                                            " WHERE attestation_id = ", u.Text(id)),
                               u)
                              .status());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return changed;
  }

  absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(absl::string_view uri) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows, Exec(conn.get(),
                        absl::StrCat("SELECT ", kAttestationColumns,
                                     " FROM attestations WHERE status_list_uri = ", p.Text(uri),
                                     " ORDER BY status_list_index"),
                        p));
    std::vector<AttestationRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(ReadAttestation(rows, i));
    return out;
  }

  // --- Status lists shared by replicas (#14) -------------------------------

  // Serialised cluster-wide by a transaction-level advisory lock, so two
  // instances never take the same position nor open the same list.
  absl::StatusOr<StatusAllocation> AllocateStatusEntry(int64_t list_size) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateStatusListSize(list_size));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             "SELECT pg_advisory_xact_lock(hashtext('vouch.status.' || current_schema()))")
            .status());
    VOUCH_ASSIGN_OR_RETURN(
        Rows open, Exec(conn.get(),
                        "SELECT list_number, size, next_position, permutation_key FROM status_lists"
                        " ORDER BY list_number DESC LIMIT 1"));
    const bool row = open.size() > 0;
    int64_t number = row ? open.Int(0, 0) : 0, size = row ? open.Int(0, 1) : 0;
    int64_t position = row ? open.Int(0, 2) : 0;
    std::string key = row ? open.Str(0, 3) : "";
    if (!row || position >= size) {
      if (!row) {
        VOUCH_ASSIGN_OR_RETURN(Rows legacy, Exec(conn.get(),
                                                 "SELECT 1::int8 FROM attestations"
                                                 " WHERE status_list_uri IS NOT NULL LIMIT 1"));
        if (legacy.size() > 0) {
          number = 1;
          Params c;
          VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                                     absl::StrCat("INSERT INTO status_lists VALUES (1, ",
                                                  c.Int(kLegacyStatusListSize), ", ",
                                                  c.Int(kLegacyStatusListSize), ", ''::bytea)"),
                                     c)
                                    .status());
        }
      }
      number += 1;
      size = list_size;
      position = 0;
      key = internal::NewStatusListKey();
      Params o;
      VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                                 absl::StrCat("INSERT INTO status_lists VALUES (", o.Int(number),
                                              ", ", o.Int(size), ", 0, ", o.Bytes(key), ")"),
                                 o)
                                .status());
    }
    Params u;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             absl::StrCat("UPDATE status_lists SET next_position = ", u.Int(position + 1),
                          " WHERE list_number = ", u.Int(number)),
             u)
            .status());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return StatusAllocation{number, internal::PermutedStatusIndex(key, size, position)};
  }

  absl::StatusOr<std::vector<StatusListInfo>> ListStatusLists() override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(Rows rows,
                           Exec(conn.get(),
                                "SELECT list_number, size, next_position FROM status_lists"
                                " ORDER BY list_number"));
    std::vector<StatusListInfo> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(StatusListInfo{rows.Int(i, 0), rows.Int(i, 1), rows.Int(i, 2)});
    }
    return out;
  }

  absl::StatusOr<AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows, Exec(conn.get(),
                        absl::StrCat("SELECT ", kAttestationColumns,
                                     " FROM attestations WHERE verification_id = ",
                                     p.Text(verification_id), " ORDER BY expire_us DESC LIMIT 1"),
                        p));
    if (rows.size() == 0) return absl::NotFoundError("no attestation for this verification");
    return ReadAttestation(rows, 0);
  }

  // --- end status lists ----------------------------------------------------

  absl::StatusOr<std::vector<ReviewCase>> ListCases(const CaseFilter& filter,
                                                    absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateFilter(filter));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    const std::string where = FilterSql(p, filter);
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows, Exec(conn.get(),
                        absl::StrCat("SELECT ", kCaseNoEnvelope, " FROM cases", where,
                                     " ORDER BY create_us, verification_id COLLATE \"C\" LIMIT ",
                                     p.Int(filter.limit)),
                        p));
    std::vector<ReviewCase> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(internal::ForListing(ReadCase(rows, i), now));
    }
    return out;
  }

  absl::StatusOr<ReviewCase> GetCase(absl::string_view case_id) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    return GetCaseOn(conn.get(), case_id, /*for_update=*/false);
  }

  absl::StatusOr<std::optional<ReviewCase>> ClaimCase(const ClaimCaseRequest& r) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateClaim(r));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    std::string id = r.case_id;
    if (!id.empty()) {
      VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn.get(), id, /*for_update=*/true));
      VOUCH_RETURN_IF_ERROR(internal::CheckClaimable(c, r, /*by_id=*/true));
    } else {
      Params p;
      const std::string where = FilterSql(p, r.filter);
      const std::string op = p.Text(r.operator_id);
      VOUCH_ASSIGN_OR_RETURN(
          Rows rows,
          Exec(conn.get(),
               absl::StrCat("SELECT verification_id FROM cases", where,
                            " AND (claimed_by = '' OR lease_expiry_us <= ", p.Int(Micros(r.now)),
                            ") AND (stage = 1 OR (stage = 2 AND ", p.Int(r.senior ? 1 : 0),
                            " = 1 AND first_operator <> ", op, "))",
                            " ORDER BY create_us, verification_id COLLATE \"C\" LIMIT 1 FOR UPDATE "
                            "SKIP LOCKED"),
               p));
      if (rows.size() == 0) return std::optional<ReviewCase>();
      id = rows.Str(0, 0);
    }
    Params u;
    VOUCH_ASSIGN_OR_RETURN(
        Rows claimed, Exec(conn.get(),
                           absl::StrCat("UPDATE cases SET claimed_by = ", u.Text(r.operator_id),
                                        ", lease_token = ", u.Text(internal::NewLeaseToken()),
                                        ", lease_expiry_us = ", u.Int(Micros(r.now + r.lease)),
                                        " WHERE verification_id = ", u.Text(id), " RETURNING ",
                                        kCaseWithEnvelope),
                           u));
    if (claimed.size() != 1) return absl::InternalError("claimed case vanished");
    ReviewCase c = ReadCase(claimed, 0);
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return std::optional<ReviewCase>(std::move(c));
  }

  absl::Status ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                           absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn.get(), case_id, true));
    VOUCH_RETURN_IF_ERROR(internal::CheckLease(c, lease_token, now));
    Params p;
    VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                               absl::StrCat("UPDATE cases SET ", kDropClaim,
                                            " WHERE verification_id = ", p.Text(case_id)),
                               p)
                              .status());
    return tx.Commit();
  }

  absl::Status EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                            absl::string_view first_decision, absl::string_view first_operator,
                            absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateEscalation(first_decision, first_operator));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn.get(), case_id, true));
    VOUCH_RETURN_IF_ERROR(internal::CheckLease(c, lease_token, now));
    if (c.stage != CaseStage::kFirstReview) {
      return absl::FailedPreconditionError("case is not in first review");
    }
    Params p;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             absl::StrCat("UPDATE cases SET stage = 2, first_decision = ", p.Bytes(first_decision),
                          ", first_operator = ", p.Text(first_operator), ", ", kDropClaim,
                          " WHERE verification_id = ", p.Text(case_id)),
             p)
            .status());
    return tx.Commit();
  }

  absl::Status DecideCase(absl::string_view case_id, absl::string_view lease_token,
                          absl::string_view result, absl::Time now, absl::Time keep_until,
                          const AttestationRecord* attestation) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn.get(), case_id, true));
    VOUCH_RETURN_IF_ERROR(internal::CheckLease(c, lease_token, now));
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows updated, Exec(conn.get(),
                           absl::StrCat("UPDATE verifications SET result = ", p.Bytes(result),
                                        ", update_us = ", p.Int(Micros(now)),
                                        " WHERE id = ", p.Text(case_id), " AND state = ",
                                        p.Int(static_cast<int64_t>(VerificationState::kCompleted))),
                           p));
    if (updated.affected() != 1) {
      return absl::FailedPreconditionError("the case's verification is not completed");
    }
    if (attestation != nullptr) {
      VOUCH_RETURN_IF_ERROR(InsertAttestationOn(conn.get(), *attestation));
    }
    Params q;
    if (keep_until > now) {
      VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                                 absl::StrCat("UPDATE cases SET stage = 3, delete_after_us = ",
                                              q.Int(Micros(keep_until)), ", ", kDropClaim,
                                              " WHERE verification_id = ", q.Text(case_id)),
                                 q)
                                .status());
    } else {
      VOUCH_RETURN_IF_ERROR(
          Exec(conn.get(),
               absl::StrCat("DELETE FROM cases WHERE verification_id = ", q.Text(case_id)), q)
              .status());
    }
    return tx.Commit();
  }

  absl::Status RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                         absl::string_view sealed, absl::string_view key_id) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateRekey(sealed, key_id));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(Rows rows,
                           Exec(conn.get(),
                                absl::StrCat("SELECT key_id FROM cases WHERE verification_id = ",
                                             p.Text(case_id), " FOR UPDATE"),
                                p));
    if (rows.size() == 0) return absl::NotFoundError("unknown case");
    if (rows.Str(0, 0) != expected_key_id) {
      return absl::FailedPreconditionError("case is sealed under another key");
    }
    Params u;
    VOUCH_RETURN_IF_ERROR(Exec(conn.get(),
                               absl::StrCat("UPDATE cases SET sealed = ", u.Bytes(sealed),
                                            ", key_id = ", u.Text(key_id),
                                            " WHERE verification_id = ", u.Text(case_id)),
                               u)
                              .status());
    return tx.Commit();
  }

  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows, Exec(conn.get(),
                        absl::StrCat("SELECT verification_id FROM cases WHERE key_id = ",
                                     p.Text(key_id), " ORDER BY verification_id COLLATE \"C\""),
                        p));
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(rows.Str(i, 0));
    return out;
  }

  absl::StatusOr<std::vector<ReviewCase>> ListExpiredCases(absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateExpiredLimit(limit));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows,
        Exec(conn.get(),
             absl::StrCat("SELECT ", kCaseNoEnvelope,
                          " FROM cases WHERE delete_after_us <= ", p.Int(Micros(now)),
                          " ORDER BY delete_after_us, verification_id COLLATE \"C\" LIMIT ",
                          p.Int(limit)),
             p));
    std::vector<ReviewCase> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(internal::ForListing(ReadCase(rows, i), now));
    }
    return out;
  }

  absl::StatusOr<bool> ExpireCase(absl::string_view case_id, absl::string_view expired_result,
                                  absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    // The case row locked first, as DecideCase does: a concurrent expiry or
    // decision waits, then finds the row gone.
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows,
        Exec(conn.get(),
             absl::StrCat("SELECT stage, delete_after_us FROM cases WHERE verification_id = ",
                          p.Text(case_id), " FOR UPDATE"),
             p));
    if (rows.size() == 0) return absl::NotFoundError("unknown case");
    const auto stage = static_cast<CaseStage>(rows.Int(0, 0));
    if (FromMicros(rows.Int(0, 1)) > now) return false;
    if (stage != CaseStage::kDecided) {
      Params u;
      VOUCH_ASSIGN_OR_RETURN(
          Rows updated,
          Exec(conn.get(),
               absl::StrCat(
                   "UPDATE verifications SET result = ", u.Bytes(expired_result),
                   ", update_us = ", u.Int(Micros(now)), " WHERE id = ", u.Text(case_id),
                   " AND state = ", u.Int(static_cast<int64_t>(VerificationState::kCompleted))),
               u));
      if (updated.affected() != 1) {
        return absl::FailedPreconditionError("the case's verification is not completed");
      }
    }
    Params d;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             absl::StrCat("DELETE FROM cases WHERE verification_id = ", d.Text(case_id)), d)
            .status());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return true;
  }

  absl::StatusOr<AuditEvent> AppendAudit(const AuditEvent& event) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateAudit(event));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Transaction tx(conn.get());
    VOUCH_RETURN_IF_ERROR(tx.status());
    // One appender at a time per schema, across every vouchd: the lock is
    // held until COMMIT, and the next appender's SELECT sees this row.
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             "SELECT pg_advisory_xact_lock(hashtext('vouch.audit.' || current_schema()))")
            .status());
    VOUCH_ASSIGN_OR_RETURN(
        Rows last, Exec(conn.get(), "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
    AuditEvent stored = event;
    stored.time = FromMicros(Micros(event.time));
    stored.seq = last.size() > 0 ? last.Int(0, 0) + 1 : 1;
    stored.prev_hash = last.size() > 0 ? last.Str(0, 1) : internal::ZeroHash();
    stored.hash = AuditEventHash(stored);
    Params p;
    VOUCH_RETURN_IF_ERROR(
        Exec(conn.get(),
             absl::StrCat("INSERT INTO audit (seq, time_us, actor, action, verification_id,"
                          " detail, prev_hash, hash) VALUES (",
                          p.Int(stored.seq), ", ", p.Int(Micros(stored.time)), ", ",
                          p.Text(stored.actor), ", ", p.Text(stored.action), ", ",
                          p.Text(stored.verification_id), ", ", p.Text(stored.detail), ", ",
                          p.Text(stored.prev_hash), ", ", p.Text(stored.hash), ")"),
             p)
            .status());
    VOUCH_RETURN_IF_ERROR(tx.Commit());
    return stored;
  }

  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) override {
    VOUCH_RETURN_IF_ERROR(internal::ValidateAuditQuery(after_seq, limit));
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool_->Acquire());
    Params p;
    VOUCH_ASSIGN_OR_RETURN(
        Rows rows, Exec(conn.get(),
                        absl::StrCat("SELECT seq, time_us, actor, action, verification_id, detail,"
                                     " prev_hash, hash FROM audit WHERE seq > ",
                                     p.Int(after_seq), " ORDER BY seq LIMIT ", p.Int(limit)),
                        p));
    std::vector<AuditEvent> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(AuditEvent{rows.Int(i, 0), FromMicros(rows.Int(i, 1)), rows.Str(i, 2),
                               rows.Str(i, 3), rows.Str(i, 4), rows.Str(i, 5), rows.Str(i, 6),
                               rows.Str(i, 7)});
    }
    return out;
  }

 private:
  static absl::StatusOr<VerificationRecord> GetVerificationOn(PGconn* conn, absl::string_view id,
                                                              bool for_update) {
    Params p;
    VOUCH_ASSIGN_OR_RETURN(Rows rows,
                           Exec(conn,
                                absl::StrCat("SELECT ", kVerificationColumns,
                                             " FROM verifications WHERE id = ", p.Text(id),
                                             for_update ? " FOR UPDATE" : ""),
                                p));
    if (rows.size() == 0) return absl::NotFoundError("unknown verification");
    return ReadVerification(rows, 0);
  }

  static absl::StatusOr<ReviewCase> GetCaseOn(PGconn* conn, absl::string_view id, bool for_update) {
    Params p;
    VOUCH_ASSIGN_OR_RETURN(Rows rows,
                           Exec(conn,
                                absl::StrCat("SELECT ", kCaseWithEnvelope,
                                             " FROM cases WHERE verification_id = ", p.Text(id),
                                             for_update ? " FOR UPDATE" : ""),
                                p));
    if (rows.size() == 0) return absl::NotFoundError("unknown case");
    return ReadCase(rows, 0);
  }

  static absl::Status SetResultOn(PGconn* conn, absl::string_view id, VerificationState state,
                                  absl::string_view result, absl::Time now) {
    Params p;
    return Exec(conn,
                absl::StrCat("UPDATE verifications SET state = ",
                             p.Int(static_cast<int64_t>(state)), ", result = ", p.Bytes(result),
                             ", update_us = ", p.Int(Micros(now)), " WHERE id = ", p.Text(id)),
                p)
        .status();
  }

  static absl::Status InsertCaseOn(PGconn* conn, const ReviewCase& given) {
    const ReviewCase c = internal::NewCase(given);
    Params p;
    return Exec(conn,
                absl::StrCat("INSERT INTO cases (verification_id, relying_service, policy, reasons,"
                             " sealed, key_id, stage, lease_expiry_us, create_us, delete_after_us)"
                             " VALUES (",
                             p.Text(c.verification_id), ", ", p.Text(c.relying_service), ", ",
                             p.Text(c.policy), ", string_to_array(",
                             p.Text(internal::JoinReasons(c.reasons)), ", E'\\n'), ",
                             p.Bytes(c.sealed), ", ", p.Text(c.key_id), ", ",
                             p.Int(static_cast<int64_t>(c.stage)), ", ",
                             p.Int(Micros(c.lease_expiry)), ", ", p.Int(Micros(c.create_time)),
                             ", ", p.Int(Micros(c.delete_after)), ")"),
                p)
        .status();
  }

  std::unique_ptr<Pool> pool_;
  const std::string conninfo_;
};

// Applies the migrations this build knows, once, even when several vouchd
// start at the same moment: the advisory lock serialises them, and each
// finds the version the previous one left.
absl::Status Migrate(PGconn* conn) {
  Transaction tx(conn);
  VOUCH_RETURN_IF_ERROR(tx.status());
  VOUCH_RETURN_IF_ERROR(
      Exec(conn, "SELECT pg_advisory_xact_lock(hashtext('vouch.migrate.' || current_schema()))")
          .status());
  VOUCH_RETURN_IF_ERROR(
      Exec(conn, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").status());
  VOUCH_ASSIGN_OR_RETURN(Rows rows, Exec(conn, "SELECT version FROM schema_version LIMIT 1"));
  const int64_t current = rows.size() > 0 ? rows.Int(0, 0) : 0;
  if (current < 0 || current > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", current,
                                                      ", this build knows up to ", kSchemaVersion));
  }
  if (current == kSchemaVersion) return tx.Commit();
  for (int64_t i = current; i < kSchemaVersion; ++i) {
    VOUCH_RETURN_IF_ERROR(ExecScript(conn, kMigrations[i]));
  }
  VOUCH_RETURN_IF_ERROR(Exec(conn, "DELETE FROM schema_version").status());
  Params p;
  VOUCH_RETURN_IF_ERROR(Exec(conn,
                             absl::StrCat("INSERT INTO schema_version (version) VALUES (",
                                          p.Int(kSchemaVersion), ")"),
                             p)
                            .status());
  return tx.Commit();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewPostgresStore(const std::string& conninfo) {
  auto pool = std::make_unique<Pool>(conninfo, kPoolSize);
  {
    VOUCH_ASSIGN_OR_RETURN(Pool::Handle conn, pool->Acquire());
    VOUCH_RETURN_IF_ERROR(Migrate(conn.get()));
  }
  return std::unique_ptr<Store>(new PostgresStore(std::move(pool), conninfo));
}

}  // namespace vouch::verifier
