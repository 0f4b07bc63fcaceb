#ifndef VOUCH_VERIFIER_STORAGE_SQL_STORE_H_
#define VOUCH_VERIFIER_STORAGE_SQL_STORE_H_

// The Store, written once over the SQL layer (sql/sql_connection.h): every
// operation is one transaction of dialect-neutral SQL, with the domain rules
// of store_internal.h. SQLite, its in-memory form and PostgreSQL differ only
// in their SqlDatabase. Private to storage.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sql/sql_connection.h"
#include "storage/store.h"

namespace vouch::verifier::storage::internal {

// Brings the schema of `conn`'s database to the newest version of
// `dialect`, once, even when several processes start at once (under the
// dialect's lock). Errors: kFailedPrecondition for a schema newer than this
// build; the connection's errors.
absl::Status MigrateSchema(SqlConnection& conn, const SqlDialect& dialect);

// Statements of periodic operations whose plans the tests check use an
// index (migration 11, #17), with `?` parameters:
// the retention purge's delete of the expired attestation rows whose
// verification is gone (the revoked rows an erasure kept); one `?`, now.
extern const char kPurgeKeptAttestationsSql[];
// The badge claim pass's delete of the erased claims' traces whose day is
// over (#17; their index is migration 12's), at most kErasedClaimTracesPerPass
// of them, skipping rows another pass holds; `skip_locked` is the dialect's
// (SqlDialect::skip_locked); one `?`, now.
std::string PurgeErasedClaimTracesSql(absl::string_view skip_locked);
inline constexpr int kErasedClaimTracesPerPass = 100;

// A Store on `db`, whose schema MigrateSchema brought up to date.
std::unique_ptr<Store> NewSqlStore(std::unique_ptr<SqlDatabase> db);

}  // namespace vouch::verifier::storage::internal

#endif  // VOUCH_VERIFIER_STORAGE_SQL_STORE_H_
