#ifndef VOUCH_VERIFIER_STORAGE_SQL_SQL_CONNECTION_H_
#define VOUCH_VERIFIER_STORAGE_SQL_SQL_CONNECTION_H_

// The small SQL layer the Store is written once on (sql_store.h): a
// statement with typed parameters, its rows, a connection that runs it, and
// a database that lends connections. SQLite (sqlite_store.cc) and
// PostgreSQL (postgres_store.cc) implement it; what differs between their
// SQL is in their SqlDialect (sql_dialect.h), and their schema, written
// once, in sql_migrations.cc. Private to storage.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sql/sql_dialect.h"
#include "storage/store.h"

namespace vouch::verifier::storage::internal {

// One parameter or result value.
struct SqlValue {
  enum class Type { kNull, kInt, kText, kBytes };
  Type type = Type::kNull;
  int64_t integer = 0;
  std::string bytes;  // kText or kBytes.
};

// A statement and its parameters, bound in the order of its `?`
// placeholders (a PostgreSQL connection numbers them $1, $2, ...). Values
// are copied, so a statement may be built from temporaries.
class SqlStatement {
 public:
  explicit SqlStatement(std::string sql) : sql_(std::move(sql)) {}

  SqlStatement& Int(int64_t v);
  SqlStatement& Text(absl::string_view v);
  SqlStatement& Bytes(absl::string_view v);
  // SQL NULL for "" (optional text columns: idempotency keys, status-list
  // URIs).
  SqlStatement& TextOrNull(absl::string_view v);

  const std::string& sql() const { return sql_; }
  const std::vector<SqlValue>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<SqlValue> params_;
};

// What a statement returned: its rows, read in full, and how many rows it
// changed (for an INSERT, UPDATE or DELETE).
class SqlRows {
 public:
  int size() const { return static_cast<int>(rows_.size()); }
  bool empty() const { return rows_.empty(); }
  int64_t affected() const { return affected_; }
  // An integer column; NULL reads 0.
  int64_t Int(int row, int col) const;
  // A text or bytes column; NULL reads "".
  std::string String(int row, int col) const;

  // For connections.
  void AddRow(std::vector<SqlValue> row) { rows_.push_back(std::move(row)); }
  void set_affected(int64_t n) { affected_ = n; }

 private:
  std::vector<std::vector<SqlValue>> rows_;
  int64_t affected_ = 0;
};

// One database session. Errors follow store.h: kUnavailable (unreachable,
// busy, serialisation failure), kResourceExhausted (disk full),
// kAlreadyExists (a unique constraint), kInvalidArgument (PostgreSQL data
// exceptions), kUnauthenticated (login refused), kInternal. Messages never
// carry a bound value. Thread-compatible: one operation at a time, which
// SqlDatabase's lending ensures.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual absl::StatusOr<SqlRows> Execute(const SqlStatement& statement) = 0;
  // Runs parameterless statements separated by ';' (schema migrations).
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;
  // After a committed transaction that deleted review cases: makes their
  // bytes unreadable on disk where the engine keeps copies (SQLite: copies
  // the WAL back and truncates it). Best effort.
  virtual void ScrubDeleted() {}
};

// The error of a transaction the database aborted for a conflict with a
// concurrent one (PostgreSQL: serialization failure 40001, deadlock 40P01):
// kUnavailable, marked so that IsSqlConflict knows it. Nothing was written,
// so running the transaction again is safe.
absl::Status SqlConflictError(absl::string_view message);
bool IsSqlConflict(const absl::Status& status);

class SqlDatabase;

// A connection lent by a SqlDatabase for one Store operation, given back
// when destroyed. Move-only.
class SqlConnectionLease {
 public:
  SqlConnectionLease(SqlDatabase* db, SqlConnection* conn) : db_(db), conn_(conn) {}
  SqlConnectionLease(SqlConnectionLease&& other) noexcept
      : db_(other.db_), conn_(std::exchange(other.conn_, nullptr)) {}
  SqlConnectionLease& operator=(SqlConnectionLease&&) = delete;
  ~SqlConnectionLease();

  SqlConnection& operator*() const { return *conn_; }
  SqlConnection* operator->() const { return conn_; }

 private:
  SqlDatabase* db_;
  SqlConnection* conn_;
};

// A database of one dialect, and where its connections come from: SQLite's
// one connection behind a mutex, PostgreSQL's pool. Thread-safe.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  virtual const SqlDialect& dialect() const = 0;
  // Waits for a free connection. Errors as SqlConnection's (a pool that
  // opens a connection may fail to).
  virtual absl::StatusOr<SqlConnectionLease> Acquire() = 0;
  // Store::OpenChangeStream.
  virtual absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() = 0;

 protected:
  friend class SqlConnectionLease;
  // Takes back a lent connection (dropping it if it broke).
  virtual void Release(SqlConnection* conn) = 0;
};

// BEGIN ... COMMIT on a lent connection, rolled back when destroyed unless
// Commit() succeeded. BEGIN is the dialect's (SQLite takes the write lock
// at once; PostgreSQL reads committed data and locks rows FOR UPDATE).
class SqlTransaction {
 public:
  static absl::StatusOr<SqlTransaction> Begin(SqlConnection& conn, const SqlDialect& dialect);
  SqlTransaction(SqlTransaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  SqlTransaction& operator=(SqlTransaction&&) = delete;
  ~SqlTransaction();

  // Serialises this transaction with every other one that takes the lock
  // `name` (a process-wide and, on PostgreSQL, cluster-wide advisory lock
  // per schema, held until the end of the transaction). A no-op where the
  // transaction already excludes all other writers (SQLite).
  absl::Status Lock(absl::string_view name, const SqlDialect& dialect);
  absl::Status Commit();

 private:
  explicit SqlTransaction(SqlConnection& conn) : conn_(&conn) {}
  SqlConnection* conn_;  // Null once committed (or moved from).
};

}  // namespace vouch::verifier::storage::internal

#endif  // VOUCH_VERIFIER_STORAGE_SQL_SQL_CONNECTION_H_
