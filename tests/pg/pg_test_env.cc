#include "pg/pg_test_env.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace vouch::testing {
namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || s.size() > 60) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<PGconn, ConnCloser>> Connect(absl::string_view uri) {
  std::unique_ptr<PGconn, ConnCloser> conn(PQconnectdb(std::string(uri).c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to the test cluster: ",
                                               conn ? PQerrorMessage(conn.get()) : "no memory"));
  }
  return conn;
}

}  // namespace

absl::StatusOr<std::string> TestClusterUri() {
  if (const char* env = std::getenv("VOUCH_TEST_PG_URI"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  const std::string path = std::string(VOUCH_BINARY_DIR) + "/pg/conninfo";
  std::ifstream in(path);
  std::string uri;
  if (!in || !std::getline(in, uri) || uri.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no PostgreSQL test cluster: ", path,
        " is missing. Run the test through ctest (fixture vouch_pg starts one), or `bash "
        "tests/pg/pg_cluster.sh start ",
        VOUCH_BINARY_DIR, "/pg` first, or set VOUCH_TEST_PG_URI"));
  }
  return uri;
}

std::string UriWithSchema(absl::string_view uri, absl::string_view schema) {
  return absl::StrCat(uri, absl::StrContains(uri, "?") ? "&" : "?", "options=-csearch_path%3D",
                      schema);
}

absl::Status ExecSql(absl::string_view uri, absl::string_view sql) {
  auto conn = Connect(uri);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<PGresult, ResultClearer> r(PQexec(conn->get(), std::string(sql).c_str()));
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return absl::InternalError(absl::StrCat("test SQL failed: ", PQerrorMessage(conn->get())));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> QueryValue(absl::string_view uri, absl::string_view sql) {
  auto conn = Connect(uri);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<PGresult, ResultClearer> r(PQexec(conn->get(), std::string(sql).c_str()));
  if (r == nullptr || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return absl::InternalError(absl::StrCat("test query failed: ", PQerrorMessage(conn->get())));
  }
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::string();
  return std::string(PQgetvalue(r.get(), 0, 0));
}

absl::StatusOr<std::string> FreshSchemaUri(absl::string_view schema) {
  if (!IsIdentifier(schema)) return absl::InvalidArgumentError("schema must be [a-z0-9_]{1,60}");
  absl::StatusOr<std::string> uri = TestClusterUri();
  if (!uri.ok()) return uri.status();
  if (absl::Status s = ExecSql(
          *uri, absl::StrCat("DROP SCHEMA IF EXISTS ", schema, " CASCADE; CREATE SCHEMA ", schema));
      !s.ok()) {
    return s;
  }
  return UriWithSchema(*uri, schema);
}

}  // namespace vouch::testing
