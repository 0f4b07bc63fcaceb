// The shared Store: PostgreSQL through libpq, for several vouchd instances
// on one database. What is PostgreSQL's here: the connection
// (binary parameters and results, `?` numbered as $n, SQLSTATE mapping),
// the pool, the dialect (rows claimed FOR UPDATE SKIP LOCKED; the audit
// chain, the status lists and the schema migrations serialised with
// transaction-level advisory locks keyed by the schema, so instances never
// fork the chain nor migrate twice) and LISTEN/NOTIFY for the change
// stream. The operations are written once in sql_store.cc, the schema in
// sql/sql_migrations.cc. Errors carry the SQLSTATE and never a bound value.

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "sql/sql_connection.h"
#include "sql_store.h"
#include "storage/store.h"

namespace vouch::verifier::storage {
namespace {

using internal::SqlConnection;
using internal::SqlConnectionLease;
using internal::SqlRows;
using internal::SqlStatement;
using internal::SqlValue;

constexpr internal::SqlDialect kPostgresDialect = {
    .schema = internal::SqlSchema::kPostgres,
    // READ COMMITTED: rows a transaction will write are locked as it reads
    // them (FOR UPDATE), queues are claimed with SKIP LOCKED, and the
    // chains that must not fork take an advisory lock.
    .begin = "BEGIN",
    .for_update = " FOR UPDATE",
    .skip_locked = " FOR UPDATE SKIP LOCKED",
    .job_order = "seq",
    .case_id_order = "verification_id COLLATE \"C\"",
    .reasons_column = "array_to_string(reasons, E'\\n')",
    .reasons_value = "string_to_array(?, E'\\n')",
    .has_reason = "? = ANY (reasons)",
    .lock_named = "SELECT pg_advisory_xact_lock(hashtext(? || current_schema()))",
};
constexpr int kPoolSize = 8;

// Type oids (pg_type.h is a server header).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

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
  // serialization_failure, deadlock_detected: the Store runs the
  // transaction again (sql_store.cc), then answers Unavailable.
  if (code == "40001" || code == "40P01") return internal::SqlConflictError(msg);
  if (code.empty() || absl::StartsWith(code, "08") || absl::StartsWith(code, "57P") ||
      code == "53300" || (conn != nullptr && PQstatus(conn) != CONNECTION_OK)) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// `sql` with its `?` placeholders numbered $1, $2, ... (outside quotes).
std::string NumberPlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (const char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      absl::StrAppend(&out, "$", ++n);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// An integer column in binary format (big-endian, sign-extended).
int64_t BinaryInt(const char* value, int length) {
  const auto* p = reinterpret_cast<const unsigned char*>(value);
  uint64_t v = 0;
  for (int i = 0; i < length; ++i) v = (v << 8) | p[i];
  if (length > 0 && length < 8 && (p[0] & 0x80)) v |= ~uint64_t{0} << (8 * length);
  return static_cast<int64_t>(v);
}

absl::StatusOr<SqlRows> ExecOn(PGconn* conn, const SqlStatement& statement) {
  const size_t n = statement.params().size();
  std::vector<std::string> ints;  // Big-endian int8 values.
  ints.reserve(n);
  std::vector<Oid> types(n);
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  std::vector<int> formats(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const SqlValue& v = statement.params()[i];
    switch (v.type) {
      case SqlValue::Type::kNull:
        types[i] = kTextOid;
        values[i] = nullptr;
        break;
      case SqlValue::Type::kInt: {
        std::string& be = ints.emplace_back(8, '\0');
        for (int b = 0; b < 8; ++b) {
          be[b] = static_cast<char>((static_cast<uint64_t>(v.integer) >> (56 - 8 * b)) & 0xff);
        }
        types[i] = kInt8Oid;
        values[i] = be.data();
        lengths[i] = 8;
        break;
      }
      case SqlValue::Type::kText:
      case SqlValue::Type::kBytes:
        types[i] = v.type == SqlValue::Type::kText ? kTextOid : kByteaOid;
        values[i] = v.bytes.data();
        lengths[i] = static_cast<int>(v.bytes.size());
        break;
    }
  }
  const std::string sql = NumberPlaceholders(statement.sql());
  ResultPtr r(PQexecParams(conn, sql.c_str(), static_cast<int>(n), types.data(), values.data(),
                           lengths.data(), formats.data(), /*resultFormat=*/1));
  if (r == nullptr) return PgError(conn, nullptr);
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, r.get());
  SqlRows rows;
  const int columns = PQnfields(r.get());
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    std::vector<SqlValue> out(columns);
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(r.get(), row, c)) continue;
      const char* value = PQgetvalue(r.get(), row, c);
      const int length = PQgetlength(r.get(), row, c);
      switch (PQftype(r.get(), c)) {
        case kBoolOid:
        case kInt2Oid:
        case kInt4Oid:
        case kInt8Oid:
          out[c].type = SqlValue::Type::kInt;
          out[c].integer = BinaryInt(value, length);
          break;
        default:
          out[c].type = SqlValue::Type::kBytes;
          out[c].bytes.assign(value, length);
      }
    }
    rows.AddRow(std::move(out));
  }
  const char* affected = PQcmdTuples(r.get());
  rows.set_affected(affected == nullptr || *affected == '\0' ? 0
                                                             : std::strtoll(affected, nullptr, 10));
  return rows;
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
  VOUCH_RETURN_IF_ERROR(ExecOn(conn.get(), SqlStatement("SET client_encoding = 'UTF8'")).status());
  return conn;
}

class PgConnection final : public SqlConnection {
 public:
  explicit PgConnection(ConnPtr conn) : conn_(std::move(conn)) {}

  absl::StatusOr<SqlRows> Execute(const SqlStatement& statement) override {
    return ExecOn(conn_.get(), statement);
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    const std::string script(sql);
    ResultPtr r(PQexec(conn_.get(), script.c_str()));
    if (r == nullptr || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return PgError(conn_.get(), r.get());
    }
    return absl::OkStatus();
  }

  // Whether it can go back to the pool: connected, and not left inside a
  // transaction.
  bool Reusable() const {
    return PQstatus(conn_.get()) == CONNECTION_OK &&
           PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
  }

 private:
  ConnPtr conn_;
};

// LISTEN on a connection of its own (outside the pool: it is held for
// good). Keeps the notifications of this connection's schema.
class PgChangeStream final : public ChangeStream {
 public:
  explicit PgChangeStream(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  absl::Status Listen() {
    conn_.reset();
    VOUCH_ASSIGN_OR_RETURN(ConnPtr conn, Connect(conninfo_));
    VOUCH_ASSIGN_OR_RETURN(SqlRows schema,
                           ExecOn(conn.get(), SqlStatement("SELECT current_schema()::text")));
    if (schema.size() != 1) return absl::InternalError("postgresql: no current schema");
    schema_ = schema.String(0, 0);
    VOUCH_RETURN_IF_ERROR(ExecOn(conn.get(), SqlStatement("LISTEN vouch_changes")).status());
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

// A fixed-size pool of connections, opened on demand; a connection that
// broke is dropped and a new one opened on the next Acquire.
class PgDatabase final : public internal::SqlDatabase {
 public:
  PgDatabase(std::string conninfo, int size) : conninfo_(std::move(conninfo)), size_(size) {}

  const internal::SqlDialect& dialect() const override { return kPostgresDialect; }

  absl::StatusOr<SqlConnectionLease> Acquire() override {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PgDatabase* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return !p->idle_.empty() || p->open_ < p->size_;
          },
          this));
      if (!idle_.empty()) {
        PgConnection* c = idle_.back().release();
        idle_.pop_back();
        return SqlConnectionLease(this, c);
      }
      ++open_;  // Reserve a slot, connect outside the lock.
    }
    absl::StatusOr<ConnPtr> conn = Connect(conninfo_);
    if (!conn.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      return conn.status();
    }
    return SqlConnectionLease(this, new PgConnection(*std::move(conn)));
  }

  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    auto stream = std::make_unique<PgChangeStream>(conninfo_);
    VOUCH_RETURN_IF_ERROR(stream->Listen());
    return stream;
  }

 private:
  void Release(SqlConnection* lent) override {
    std::unique_ptr<PgConnection> conn(static_cast<PgConnection*>(lent));
    absl::MutexLock lock(&mu_);
    // A broken connection, or one left inside a transaction, is dropped.
    if (!conn->Reusable()) {
      --open_;
      return;  // conn closes here
    }
    idle_.push_back(std::move(conn));
  }

  const std::string conninfo_;
  const int size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewPostgresStore(const std::string& conninfo) {
  auto db = std::make_unique<PgDatabase>(conninfo, kPoolSize);
  {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db->Acquire());
    VOUCH_RETURN_IF_ERROR(internal::MigrateSchema(*conn, kPostgresDialect));
  }
  return internal::NewSqlStore(std::move(db));
}

}  // namespace vouch::verifier::storage
