#ifndef VOUCH_TESTS_PG_PG_TEST_ENV_H_
#define VOUCH_TESTS_PG_PG_TEST_ENV_H_

// The throwaway PostgreSQL cluster of the tests (tests/pg/pg_cluster.sh,
// started by the ctest fixture `vouch_pg`). Tests that need it fail, never
// skip, when it is not running.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch::testing {

// The cluster's postgresql:// URI: $VOUCH_TEST_PG_URI when set, else the
// contents of <build dir>/pg/conninfo. kFailedPrecondition, saying how to
// start the cluster, when neither exists.
absl::StatusOr<std::string> TestClusterUri();

// `uri` with search_path set to `schema` (libpq `options`).
std::string UriWithSchema(absl::string_view uri, absl::string_view schema);

// Drops `schema` (a lower-case identifier) if it exists, creates it empty,
// and returns the URI of the cluster with that search_path.
absl::StatusOr<std::string> FreshSchemaUri(absl::string_view schema);

// Runs parameterless SQL on `uri` (test setup only).
absl::Status ExecSql(absl::string_view uri, absl::string_view sql);

// Runs a query returning one value, as text ("" for none).
absl::StatusOr<std::string> QueryValue(absl::string_view uri, absl::string_view sql);

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_PG_PG_TEST_ENV_H_
