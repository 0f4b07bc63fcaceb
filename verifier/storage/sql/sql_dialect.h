#ifndef VOUCH_VERIFIER_STORAGE_SQL_SQL_DIALECT_H_
#define VOUCH_VERIFIER_STORAGE_SQL_SQL_DIALECT_H_

// What differs between the SQL of SQLite and PostgreSQL: the names the
// schema's migrations substitute (written once, in sql_migrations.cc) and
// the few fragments the Store's statements splice in. Everything else is
// written once, with `?` placeholders, in sql_store.cc.

#include "sql/sql_migrations.h"

namespace vouch::verifier::storage::internal {

struct SqlDialect {
  // The schema's migrations and schema_version table, in this dialect.
  SqlSchema schema;
  // Starts a read-write transaction.
  const char* begin;
  // Appended to a SELECT that reads rows the transaction will write
  // (PostgreSQL: " FOR UPDATE"; SQLite already holds the write lock).
  const char* for_update;
  // Appended to a SELECT that picks one row of a queue for this
  // transaction, skipping rows other transactions hold (PostgreSQL:
  // " FOR UPDATE SKIP LOCKED").
  const char* skip_locked;
  // The column that orders the job queue by insertion.
  const char* job_order;
  // Review cases in id order, bytewise.
  const char* case_id_order;
  // Review-case reasons: the column read as one '\n'-joined text, the value
  // stored from one '\n'-joined text parameter, and the test that the list
  // holds the one text parameter.
  const char* reasons_column;
  const char* reasons_value;
  const char* has_reason;
  // A statement taking the transaction-level lock named by its one text
  // parameter; nullptr where a transaction excludes all other writers.
  const char* lock_named;
};

}  // namespace vouch::verifier::storage::internal

#endif  // VOUCH_VERIFIER_STORAGE_SQL_SQL_DIALECT_H_
