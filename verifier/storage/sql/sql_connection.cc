#include "sql/sql_connection.h"

#include "absl/strings/cord.h"

namespace vouch::verifier::storage::internal {
namespace {

constexpr absl::string_view kConflictPayload = "type.vouch.dev/storage.SqlConflict";

}  // namespace

absl::Status SqlConflictError(absl::string_view message) {
  absl::Status status = absl::UnavailableError(message);
  status.SetPayload(kConflictPayload, absl::Cord("1"));
  return status;
}

bool IsSqlConflict(const absl::Status& status) {
  return absl::IsUnavailable(status) && status.GetPayload(kConflictPayload).has_value();
}

SqlStatement& SqlStatement::Int(int64_t v) {
  params_.push_back(SqlValue{SqlValue::Type::kInt, v, {}});
  return *this;
}

SqlStatement& SqlStatement::Text(absl::string_view v) {
  params_.push_back(SqlValue{SqlValue::Type::kText, 0, std::string(v)});
  return *this;
}

SqlStatement& SqlStatement::Bytes(absl::string_view v) {
  params_.push_back(SqlValue{SqlValue::Type::kBytes, 0, std::string(v)});
  return *this;
}

SqlStatement& SqlStatement::TextOrNull(absl::string_view v) {
  if (!v.empty()) return Text(v);
  params_.push_back(SqlValue{});
  return *this;
}

int64_t SqlRows::Int(int row, int col) const {
  const SqlValue& v = rows_.at(row).at(col);
  return v.type == SqlValue::Type::kInt ? v.integer : 0;
}

std::string SqlRows::String(int row, int col) const {
  const SqlValue& v = rows_.at(row).at(col);
  return v.type == SqlValue::Type::kText || v.type == SqlValue::Type::kBytes ? v.bytes
                                                                             : std::string();
}

SqlConnectionLease::~SqlConnectionLease() {
  if (conn_ != nullptr) db_->Release(conn_);
}

absl::StatusOr<SqlTransaction> SqlTransaction::Begin(SqlConnection& conn,
                                                     const SqlDialect& dialect) {
  absl::StatusOr<SqlRows> begun = conn.Execute(SqlStatement(dialect.begin));
  if (!begun.ok()) return begun.status();
  return SqlTransaction(conn);
}

SqlTransaction::~SqlTransaction() {
  if (conn_ != nullptr) (void)conn_->Execute(SqlStatement("ROLLBACK"));
}

absl::Status SqlTransaction::Lock(absl::string_view name, const SqlDialect& dialect) {
  if (dialect.lock_named == nullptr) return absl::OkStatus();
  return conn_->Execute(SqlStatement(dialect.lock_named).Text(name)).status();
}

absl::Status SqlTransaction::Commit() {
  absl::Status committed = conn_->Execute(SqlStatement("COMMIT")).status();
  // A failed COMMIT may leave the transaction open (SQLite when busy): the
  // destructor rolls it back.
  if (committed.ok()) conn_ = nullptr;
  return committed;
}

}  // namespace vouch::verifier::storage::internal
