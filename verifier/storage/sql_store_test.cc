// The Store over a scripted SqlDatabase: what the SQL layer decides by
// itself, whatever the dialect (a transaction the database aborts for a
// conflict is run again, a bounded number of times).

#include "sql_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sql/sql_connection.h"
#include "storage/store.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::internal {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

constexpr SqlDialect kScriptDialect = {
    .schema = SqlSchema::kPostgres,
    .begin = "BEGIN",
    .for_update = " FOR UPDATE",
    .skip_locked = " FOR UPDATE SKIP LOCKED",
    .job_order = "seq",
    .case_id_order = "verification_id",
    .reasons_column = "reasons",
    .reasons_value = "?",
    .has_reason = "? = ANY (reasons)",
    .lock_named = nullptr,
};

// Answers the statements of AbandonVerification: the locked read of the
// verification fails with `read_error` (a conflict) the first `conflicts`
// times, then finds it RUNNING; the DELETE deletes it.
class ScriptedConnection final : public SqlConnection {
 public:
  int conflicts = 0;
  absl::Status read_error = SqlConflictError("postgresql: SQLSTATE 40P01");
  int reads = 0;
  std::vector<std::string> log;

  absl::StatusOr<SqlRows> Execute(const SqlStatement& statement) override {
    log.push_back(statement.sql().substr(0, statement.sql().find(' ')));
    SqlRows rows;
    if (absl::StrContains(statement.sql(), "FROM verifications WHERE id = ? FOR UPDATE")) {
      if (++reads <= conflicts) return read_error;
      std::vector<SqlValue> row(10);
      row[5].type = SqlValue::Type::kInt;
      row[5].integer = static_cast<int64_t>(VerificationState::kRunning);
      rows.AddRow(std::move(row));
    } else if (absl::StartsWith(statement.sql(), "DELETE")) {
      rows.set_affected(1);
    }
    return rows;
  }
  absl::Status ExecuteScript(absl::string_view) override { return absl::OkStatus(); }
};

class ScriptedDatabase final : public SqlDatabase {
 public:
  explicit ScriptedDatabase(ScriptedConnection& conn) : conn_(conn) {}
  const SqlDialect& dialect() const override { return kScriptDialect; }
  absl::StatusOr<SqlConnectionLease> Acquire() override {
    ++acquired;
    return SqlConnectionLease(this, &conn_);
  }
  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    return absl::UnimplementedError("scripted");
  }
  int acquired = 0;

 private:
  void Release(SqlConnection*) override {}
  ScriptedConnection& conn_;
};

TEST(SqlStoreTest, ConflictAbortedTransactionIsRunAgain) {
  ScriptedConnection conn;
  conn.conflicts = 2;
  auto db = std::make_unique<ScriptedDatabase>(conn);
  ScriptedDatabase& database = *db;
  std::unique_ptr<Store> store = NewSqlStore(std::move(db));

  EXPECT_THAT(store->AbandonVerification("v1"), IsOk());

  EXPECT_EQ(conn.reads, 3);
  EXPECT_EQ(database.acquired, 3);
  // Each aborted attempt was rolled back; the third committed.
  EXPECT_EQ(conn.log,
            (std::vector<std::string>{"BEGIN", "SELECT", "ROLLBACK", "BEGIN", "SELECT", "ROLLBACK",
                                      "BEGIN", "SELECT", "DELETE", "COMMIT"}));
}

TEST(SqlStoreTest, ConflictsAreRetriedAtMostThreeTimesInAll) {
  ScriptedConnection conn;
  conn.conflicts = 100;
  std::unique_ptr<Store> store = NewSqlStore(std::make_unique<ScriptedDatabase>(conn));

  const absl::Status abandoned = store->AbandonVerification("v1");

  EXPECT_THAT(abandoned, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsSqlConflict(abandoned));
  EXPECT_EQ(conn.reads, 3);
}

TEST(SqlStoreTest, OtherErrorsAreNotRetried) {
  ScriptedConnection conn;
  conn.conflicts = 100;
  conn.read_error = absl::UnavailableError("postgresql: SQLSTATE 08006");
  std::unique_ptr<Store> store = NewSqlStore(std::make_unique<ScriptedDatabase>(conn));

  const absl::Status abandoned = store->AbandonVerification("v1");

  EXPECT_THAT(abandoned, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(IsSqlConflict(abandoned));
  EXPECT_EQ(conn.reads, 1);
}

}  // namespace
}  // namespace vouch::verifier::storage::internal
