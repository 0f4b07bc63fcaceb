#ifndef VOUCH_VERIFIER_STORAGE_SQL_SQL_MIGRATIONS_H_
#define VOUCH_VERIFIER_STORAGE_SQL_SQL_MIGRATIONS_H_

// The schema, written once for both dialects (sql_migrations.cc): each
// migration's text names its types by placeholders ({int64}, {bytes}, ...)
// that each dialect's names replace.

#include <string>

#include "absl/types/span.h"

namespace vouch::verifier::storage::internal {

// The dialect a schema is built for.
enum class SqlSchema { kSqlite, kPostgres };

// Migration i (0-based) takes the schema from version i to version i + 1.
// Never edit a released migration; append one.
absl::Span<const std::string> Migrations(SqlSchema schema);

// Creates the one-row schema_version table if absent.
const std::string& CreateSchemaVersion(SqlSchema schema);

}  // namespace vouch::verifier::storage::internal

#endif  // VOUCH_VERIFIER_STORAGE_SQL_SQL_MIGRATIONS_H_
