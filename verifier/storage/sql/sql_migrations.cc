// The schema of both SQL stores, written once. Each migration's text names
// what the dialects spell differently by a placeholder, and each dialect's
// names (kSqliteNames, kPostgresNames) replace them; nothing else differs.
// The resulting text of every released migration is the text each dialect
// ran before the migrations were shared, byte for byte (pinned by
// SqlMigrationsTest.ReleasedMigrationsAreFrozen): databases exist at every
// released version, and a fresh database must equal an upgraded one.

#include "sql/sql_migrations.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace vouch::verifier::storage::internal {
namespace {

// What the dialects spell differently, one placeholder each.
struct SchemaNames {
  const char* int64;        // {int64}: a 64-bit integer.
  const char* bytes;        // {bytes}: a byte string.
  const char* empty_bytes;  // {empty_bytes}: the empty byte string, as a literal.
  const char* text_list;    // {text_list}: a list of texts (SQLite: one '\n'-joined TEXT).
  // {job_order_column}: the column ordering the job queue by insertion,
  // first in `jobs` (SQLite: none, the implicit rowid; SqlDialect::job_order).
  const char* job_order_column;
  // {v1_if_not_exists}: in version 1 only. SQLite's version 1 is the
  // schema of its first release, whose statements were IF NOT EXISTS.
  const char* v1_if_not_exists;
};

constexpr SchemaNames kSqliteNames = {
    .int64 = "INTEGER",
    .bytes = "BLOB",
    .empty_bytes = "x''",
    .text_list = "TEXT",
    .job_order_column = "",
    .v1_if_not_exists = "IF NOT EXISTS ",
};

constexpr SchemaNames kPostgresNames = {
    .int64 = "BIGINT",
    .bytes = "BYTEA",
    .empty_bytes = "''",
    .text_list = "TEXT[]",
    .job_order_column = "\n  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,",
    .v1_if_not_exists = "",
};

// ---- The statements of versions 1 to 4 (see kHistory) ----

// Verifications, their jobs and attestations.
constexpr const char kVerificationsJobsAttestations[] = R"sql(
CREATE TABLE {v1_if_not_exists}verifications (
  id TEXT PRIMARY KEY,
  relying_service TEXT NOT NULL,
  idempotency_key TEXT,
  request_digest {bytes} NOT NULL,
  policy TEXT NOT NULL,
  state INTEGER NOT NULL,
  result {bytes} NOT NULL,
  create_us {int64} NOT NULL,
  update_us {int64} NOT NULL);
CREATE UNIQUE INDEX {v1_if_not_exists}verifications_idempotency
  ON verifications (relying_service, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE TABLE {v1_if_not_exists}jobs ({job_order_column}
  verification_id TEXT NOT NULL UNIQUE
    REFERENCES verifications (id) ON DELETE CASCADE,
  payload {bytes} NOT NULL,
  lease_token TEXT,
  lease_expiry_us {int64} NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE {v1_if_not_exists}attestations (
  attestation_id TEXT PRIMARY KEY,
  verification_id TEXT NOT NULL,
  relying_service TEXT NOT NULL,
  expire_us {int64} NOT NULL,
  status_list_uri TEXT,
  status_list_index {int64},
  status INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX {v1_if_not_exists}attestations_status_entry
  ON attestations (status_list_uri, status_list_index)
  WHERE status_list_uri IS NOT NULL;
)sql";

// Review cases and the audit log (#7).
constexpr const char kCasesAudit[] = R"sql(
CREATE TABLE cases (
  verification_id TEXT PRIMARY KEY
    REFERENCES verifications (id) ON DELETE CASCADE,
  relying_service TEXT NOT NULL,
  policy TEXT NOT NULL,
  reasons {text_list} NOT NULL,
  sealed {bytes} NOT NULL,
  key_id TEXT NOT NULL,
  stage INTEGER NOT NULL,
  claimed_by TEXT NOT NULL DEFAULT '',
  lease_token TEXT NOT NULL DEFAULT '',
  lease_expiry_us {int64} NOT NULL,
  first_decision {bytes} NOT NULL DEFAULT {empty_bytes},
  first_operator TEXT NOT NULL DEFAULT '',
  create_us {int64} NOT NULL,
  delete_after_us {int64} NOT NULL);
CREATE INDEX cases_queue ON cases (stage, create_us, verification_id);
CREATE INDEX cases_key ON cases (key_id);
CREATE INDEX cases_retention ON cases (delete_after_us);
CREATE TABLE audit (
  seq {int64} PRIMARY KEY,
  time_us {int64} NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  verification_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
)sql";

// The health probe's one-row heartbeat (#20).
constexpr const char kLiveness[] = R"sql(
CREATE TABLE liveness (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  time_us {int64} NOT NULL);
)sql";

// Status lists shared by replicas (#14).
constexpr const char kStatusLists[] = R"sql(
CREATE TABLE status_lists (
  list_number {int64} PRIMARY KEY,
  size {int64} NOT NULL,
  next_position {int64} NOT NULL,
  permutation_key {bytes} NOT NULL);
CREATE INDEX attestations_verification ON attestations (verification_id);
)sql";

// PostgreSQL only: changes pushed to every replica (#14): a verification
// whose state or result changes, an attestation whose status changes.
// NOTIFY is sent when the writing transaction commits; the payload is
// "<schema> v|a <id>" (the channel is shared by the database's schemas).
constexpr const char kChangeNotifications[] = R"sql(
CREATE FUNCTION vouch_notify_verification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('vouch_changes', TG_TABLE_SCHEMA || ' v ' || NEW.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER verifications_changed AFTER UPDATE ON verifications FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.result IS DISTINCT FROM NEW.result)
  EXECUTE FUNCTION vouch_notify_verification();
CREATE FUNCTION vouch_notify_attestation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('vouch_changes', TG_TABLE_SCHEMA || ' a ' || NEW.attestation_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER attestations_status_changed AFTER UPDATE ON attestations FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION vouch_notify_attestation();
)sql";

// Versions 1 to 4, released before the dialects shared their migrations:
// the same statements, grouped into versions differently (PostgreSQL's
// first release already had the cases and the audit log; only PostgreSQL
// pushes changes). Frozen: never append here.
struct HistoricMigration {
  // Each dialect's parts, joined; nullptr where there is no second.
  const char* sqlite[2];
  const char* postgres[2];
};
constexpr HistoricMigration kHistory[] = {
    {{kVerificationsJobsAttestations, nullptr}, {kVerificationsJobsAttestations, kCasesAudit}},
    {{kCasesAudit, nullptr}, {kLiveness, nullptr}},
    {{kLiveness, nullptr}, {kStatusLists, nullptr}},
    {{kStatusLists, nullptr}, {kChangeNotifications, nullptr}},
};

// ---- Versions 5 on: one text for both dialects. Append new ones here. ----
constexpr const char* const kMigrations[] = {
    // 5: the owner's deadline of a synchronous verification (#18); rows
    // written before have none.
    R"sql(
ALTER TABLE verifications ADD COLUMN deadline_us {int64} NOT NULL
  DEFAULT 9223372036854775807;
CREATE INDEX verifications_deadline ON verifications (deadline_us);
)sql",
    // 6: the Telegram badge outbox (#16): the Bot API calls owed, one per
    // (verification, action).
    R"sql(
CREATE TABLE badge_outbox (
  verification_id TEXT NOT NULL,
  action INTEGER NOT NULL,
  user_id {int64} NOT NULL,
  custom_description TEXT NOT NULL,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_us {int64} NOT NULL,
  lease_token TEXT NOT NULL,
  lease_expiry_us {int64} NOT NULL,
  error TEXT NOT NULL,
  create_us {int64} NOT NULL,
  update_us {int64} NOT NULL,
  PRIMARY KEY (verification_id, action));
CREATE INDEX badge_outbox_due ON badge_outbox (state, next_attempt_us);
)sql",
    // 7: the duplicate index (#17, docs/dedup.md): keyed hashes only.
    R"sql(
CREATE TABLE duplicate_index (
  scope TEXT NOT NULL,
  kind INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  hash TEXT NOT NULL,
  verification_id TEXT NOT NULL,
  user_hash TEXT NOT NULL,
  held INTEGER NOT NULL,
  forged INTEGER NOT NULL,
  create_us {int64} NOT NULL,
  expire_us {int64} NOT NULL,
  PRIMARY KEY (scope, kind, key_id, hash, verification_id));
CREATE INDEX duplicate_index_verification ON duplicate_index (verification_id);
CREATE INDEX duplicate_index_expiry ON duplicate_index (expire_us);
)sql",
    // ---- 8: wallet credential offers (#19) ----
    // OpenID4VCI pre-authorized codes and access tokens, kept as hashes;
    // the claims to issue sealed under the storage key.
    R"sql(
CREATE TABLE wallet_offers (
  code_hash TEXT PRIMARY KEY,
  verification_id TEXT NOT NULL,
  tx_code_hash TEXT NOT NULL,
  sealed {bytes} NOT NULL,
  key_id TEXT NOT NULL,
  create_us {int64} NOT NULL,
  expire_us {int64} NOT NULL,
  tx_failures INTEGER NOT NULL,
  state INTEGER NOT NULL,
  token_hash TEXT UNIQUE,
  token_expire_us {int64} NOT NULL);
CREATE INDEX wallet_offers_verification ON wallet_offers (verification_id);
CREATE INDEX wallet_offers_expiry ON wallet_offers (expire_us);
)sql",
    // ---- end wallet credential offers ----
    // ---- 9: the face 1:N index (#17, docs/dedup.md) ----
    // One face embedding per verification, sealed under the storage key
    // (never in the clear), with the keyed hashes that tell another user and
    // another document. change_us orders the changes replicas poll; an
    // erased entry stays a day as a tombstone (erased = 1, no embedding, no
    // hash) so that every replica drops it.
    R"sql(
CREATE TABLE face_index (
  verification_id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  key_id TEXT NOT NULL,
  document_hash TEXT NOT NULL,
  user_hash TEXT NOT NULL,
  sealed {bytes} NOT NULL,
  sealed_key_id TEXT NOT NULL,
  held INTEGER NOT NULL,
  forged INTEGER NOT NULL,
  erased INTEGER NOT NULL,
  create_us {int64} NOT NULL,
  expire_us {int64} NOT NULL,
  change_us {int64} NOT NULL);
CREATE INDEX face_index_change ON face_index (change_us, verification_id);
CREATE INDEX face_index_expiry ON face_index (expire_us);
)sql",
    // ---- end face 1:N index ----
    // ---- 10: the attestation pickup window (#17, erase) ----
    // One reminder per verification whose stored result holds its
    // credential sealed until delete_after_us: the purge drops the sealed
    // credential then.
    R"sql(
CREATE TABLE attestation_pickups (
  verification_id TEXT PRIMARY KEY,
  delete_after_us {int64} NOT NULL);
CREATE INDEX attestation_pickups_due ON attestation_pickups (delete_after_us, verification_id);
)sql",
    // ---- end attestation pickup window ----
    // ---- 11: indexes of two periodic queries (#17, erase) ----
    // The retention purge's delete of the revoked attestation rows an
    // erasure kept, once expired (kPurgeKeptAttestationsSql), and the face
    // re-sealing's pages of entries sealed under an old storage key
    // (FacesSealedWithSql): neither scans its table any more.
    R"sql(
CREATE INDEX attestations_expiry ON attestations (expire_us);
CREATE INDEX face_index_sealed_key ON face_index (sealed_key_id, verification_id);
)sql",
    // ---- end indexes of periodic queries ----
    // ---- 12: traces of erased badge claims (#17, erase) ----
    // An erased verification whose verifyUser was claimed: the SHA-256 (hex)
    // of its id, kept until keep_until_us (a day), so that the late record
    // of a claim queues the badge removal again. No user id.
    R"sql(
CREATE TABLE badge_erased_claims (
  verification_hash TEXT PRIMARY KEY,
  keep_until_us {int64} NOT NULL);
CREATE INDEX badge_erased_claims_expiry ON badge_erased_claims (keep_until_us);
)sql",
    // ---- end traces of erased badge claims ----
};

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version (version {int64} NOT NULL)";

std::string Substitute(absl::string_view text, const SchemaNames& names) {
  return absl::StrReplaceAll(text, {{"{int64}", names.int64},
                                    {"{bytes}", names.bytes},
                                    {"{empty_bytes}", names.empty_bytes},
                                    {"{text_list}", names.text_list},
                                    {"{job_order_column}", names.job_order_column},
                                    {"{v1_if_not_exists}", names.v1_if_not_exists}});
}

std::vector<std::string> Build(SqlSchema schema) {
  const SchemaNames& names = schema == SqlSchema::kSqlite ? kSqliteNames : kPostgresNames;
  std::vector<std::string> out;
  for (const HistoricMigration& m : kHistory) {
    // Parts joined without the blank line each one starts with.
    std::string text;
    for (const char* part : schema == SqlSchema::kSqlite ? m.sqlite : m.postgres) {
      if (part != nullptr) {
        absl::StrAppend(&text, text.empty() ? part : absl::StripPrefix(part, "\n"));
      }
    }
    out.push_back(Substitute(text, names));
  }
  for (const char* m : kMigrations) out.push_back(Substitute(m, names));
  return out;
}

}  // namespace

absl::Span<const std::string> Migrations(SqlSchema schema) {
  static const auto* const kSqlite = new std::vector<std::string>(Build(SqlSchema::kSqlite));
  static const auto* const kPostgres = new std::vector<std::string>(Build(SqlSchema::kPostgres));
  return schema == SqlSchema::kSqlite ? *kSqlite : *kPostgres;
}

const std::string& CreateSchemaVersion(SqlSchema schema) {
  static const auto* const kSqlite =
      new std::string(Substitute(kCreateSchemaVersion, kSqliteNames));
  static const auto* const kPostgres =
      new std::string(Substitute(kCreateSchemaVersion, kPostgresNames));
  return schema == SqlSchema::kSqlite ? *kSqlite : *kPostgres;
}

}  // namespace vouch::verifier::storage::internal
