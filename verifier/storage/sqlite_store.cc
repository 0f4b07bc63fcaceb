// The embedded Store: one SQLite database in WAL mode, and the in-memory
// Store (the same SQL on an in-memory SQLite database). One connection
// behind a mutex: vouchd is the only process using the file (the PostgreSQL
// store is for several instances), and SQLite serialises writers anyway.
// What is SQLite's here: the connection (typed binds, error codes) and the
// dialect; the operations are written once in sql_store.cc, the schema in
// sql/sql_migrations.cc.

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
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

constexpr internal::SqlDialect kSqliteDialect = {
    .schema = internal::SqlSchema::kSqlite,
    // The write lock at once: no two transactions interleave, even across
    // processes sharing the file, so no row locks, queue skipping or
    // advisory locks are needed.
    .begin = "BEGIN IMMEDIATE",
    .for_update = "",
    .skip_locked = "",
    .job_order = "rowid",
    .case_id_order = "verification_id",
    .reasons_column = "reasons",
    .reasons_value = "?",
    .has_reason = "instr(char(10) || reasons || char(10), char(10) || ? || char(10)) > 0",
    .lock_named = nullptr,
};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// The Store error for a SQLite result code (store.h): a full disk is
// kResourceExhausted; busy, locked, I/O and open failures are transient.
absl::Status StatusFor(int rc, absl::string_view msg) {
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

// Errors carry SQLite's message, which never contains bound values.
class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(DbPtr db) : db_(std::move(db)) {}

  absl::StatusOr<SqlRows> Execute(const SqlStatement& statement) override {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), statement.sql().c_str(),
                                static_cast<int>(statement.sql().size()), &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return Error(rc);
    int i = 0;
    // The statement's values outlive the step: SQLITE_STATIC, no copy.
    for (const SqlValue& v : statement.params()) {
      ++i;
      switch (v.type) {
        case SqlValue::Type::kNull:
          rc = sqlite3_bind_null(stmt.get(), i);
          break;
        case SqlValue::Type::kInt:
          rc = sqlite3_bind_int64(stmt.get(), i, v.integer);
          break;
        case SqlValue::Type::kText:
          rc = sqlite3_bind_text(stmt.get(), i, v.bytes.data(), static_cast<int>(v.bytes.size()),
                                 SQLITE_STATIC);
          break;
        case SqlValue::Type::kBytes:
          // A zero-length blob, not NULL, also for "".
          rc = sqlite3_bind_blob(stmt.get(), i, v.bytes.empty() ? "" : v.bytes.data(),
                                 static_cast<int>(v.bytes.size()), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) return Error(rc);
    }
    SqlRows rows;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      const int columns = sqlite3_column_count(stmt.get());
      std::vector<SqlValue> row(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt.get(), c)) {
          case SQLITE_INTEGER:
            row[c].type = SqlValue::Type::kInt;
            row[c].integer = sqlite3_column_int64(stmt.get(), c);
            break;
          case SQLITE_NULL:
            break;
          default: {
            const void* b = sqlite3_column_blob(stmt.get(), c);
            row[c].type = SqlValue::Type::kBytes;
            if (b != nullptr) {
              row[c].bytes.assign(static_cast<const char*>(b), sqlite3_column_bytes(stmt.get(), c));
            }
          }
        }
      }
      rows.AddRow(std::move(row));
    }
    if (rc != SQLITE_DONE) return Error(rc);
    rows.set_affected(sqlite3_changes(db_.get()));
    return rows;
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    const std::string script(sql);
    char* err = nullptr;
    if (const int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, &err);
        rc != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return StatusFor(rc, absl::StrCat("sqlite: ", msg));
    }
    return absl::OkStatus();
  }

  // Deleted case pages are zeroed in the database file (secure_delete); the
  // WAL may still hold their earlier images until a checkpoint, so copy the
  // WAL back and truncate it. Best effort: a reader may keep it busy; then
  // the next checkpoint does it.
  void ScrubDeleted() override {
    sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }

 private:
  absl::Status Error(int rc) const {
    return StatusFor(rc,
                     absl::StrCat("sqlite: ", sqlite3_errstr(rc), ": ", sqlite3_errmsg(db_.get())));
  }

  DbPtr db_;
};

// One connection, lent to one operation at a time.
class SqliteDatabase final : public internal::SqlDatabase {
 public:
  explicit SqliteDatabase(DbPtr db) : conn_(std::move(db)) {}

  const internal::SqlDialect& dialect() const override { return kSqliteDialect; }

  absl::StatusOr<SqlConnectionLease> Acquire() override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    mu_.Lock();  // Unlocked by Release, when the lease ends.
    return SqlConnectionLease(this, &conn_);
  }

  // SQLite has no notifications between processes: callers poll.
  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    return absl::UnimplementedError("SQLite pushes no changes between processes (poll)");
  }

 private:
  void Release(SqlConnection*) override ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.Unlock(); }

  absl::Mutex mu_;
  SqliteConnection conn_;
};

// Opens `path` (":memory:" for a database of this process only), sets it
// up and migrates its schema.
absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot open database ", path, ": ", sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  auto database = std::make_unique<SqliteDatabase>(std::move(db));
  {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, database->Acquire());
    // WAL for concurrent readers; synchronous=FULL so an acknowledged
    // Submit survives power loss; secure_delete so deleted payloads are
    // overwritten.
    VOUCH_RETURN_IF_ERROR(
        conn->ExecuteScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                            " PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"));
    VOUCH_RETURN_IF_ERROR(internal::MigrateSchema(*conn, kSqliteDialect));
  }
  return internal::NewSqlStore(std::move(database));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewSqliteStore(const std::string& path) {
  // Create the file 0600 before SQLite does (it would use the umask).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open database ", path));
  ::close(fd);
  return OpenSqlite(path);
}

std::unique_ptr<Store> NewMemoryStore() {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqlite(":memory:");
  // Only out of memory fails here, and that aborts anyway.
  if (!store.ok()) std::abort();
  return *std::move(store);
}

}  // namespace vouch::verifier::storage
