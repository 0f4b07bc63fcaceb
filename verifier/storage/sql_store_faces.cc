#include "sql_store_faces.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "store_internal.h"

namespace vouch::verifier::storage::internal {
namespace {

constexpr size_t kMaxSealedFaceBytes = 16 << 10;
// How long a tombstone stays for the replicas that poll.
constexpr absl::Duration kTombstoneLife = absl::Hours(24);

constexpr const char* kFaceColumns =
    "verification_id, scope, key_id, document_hash, user_hash, sealed, sealed_key_id, held,"
    " forged, erased, create_us, expire_us, change_us";

// The Store's clock for change_us: the real one, whatever the callers'
// clocks say, so that the polls' cursors compare like with like.
int64_t ChangeMicros() { return Micros(absl::Now()); }

FaceIndexChange ReadFace(const SqlRows& r, int row) {
  FaceIndexChange c;
  DuplicateEntry& e = c.entry;
  e.kind = DuplicateKind::kFace;
  e.verification_id = r.String(row, 0);
  e.scope = r.String(row, 1);
  e.key_id = r.String(row, 2);
  e.hash = r.String(row, 3);
  e.user_hash = r.String(row, 4);
  e.sealed = r.String(row, 5);
  e.sealed_key_id = r.String(row, 6);
  e.held = r.Int(row, 7) != 0;
  e.forged = r.Int(row, 8) != 0;
  c.erased = r.Int(row, 9) != 0;
  e.create_time = FromMicros(r.Int(row, 10));
  e.expire_time = FromMicros(r.Int(row, 11));
  c.change_time = FromMicros(r.Int(row, 12));
  return c;
}

}  // namespace

absl::Status ValidateFaceEntry(const DuplicateEntry& e) {
  const auto within = [](absl::string_view s, size_t max) { return !s.empty() && s.size() <= max; };
  if (e.kind != DuplicateKind::kFace || !within(e.scope, kMaxIdBytes) || !within(e.key_id, 64) ||
      e.hash.size() > 128 || !within(e.verification_id, 64) || !within(e.user_hash, 128) ||
      !within(e.sealed, kMaxSealedFaceBytes) || !within(e.sealed_key_id, 64)) {
    return absl::InvalidArgumentError("face entry out of bounds");
  }
  return absl::OkStatus();
}

absl::Status InsertFaceOn(SqlConnection& conn, const DuplicateEntry& e) {
  return conn
      .Execute(SqlStatement(absl::StrCat("INSERT INTO face_index (", kFaceColumns,
                                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
                                         " ON CONFLICT (verification_id) DO UPDATE SET"
                                         " scope = excluded.scope, key_id = excluded.key_id,"
                                         " document_hash = excluded.document_hash,"
                                         " user_hash = excluded.user_hash,"
                                         " sealed = excluded.sealed,"
                                         " sealed_key_id = excluded.sealed_key_id,"
                                         " held = excluded.held, forged = excluded.forged,"
                                         " erased = 0, create_us = excluded.create_us,"
                                         " expire_us = excluded.expire_us,"
                                         " change_us = excluded.change_us"))
                   .Text(e.verification_id)
                   .Text(e.scope)
                   .Text(e.key_id)
                   .Text(e.hash)
                   .Text(e.user_hash)
                   .Bytes(e.sealed)
                   .Text(e.sealed_key_id)
                   .Int(e.held ? 1 : 0)
                   .Int(e.forged ? 1 : 0)
                   .Int(Micros(e.create_time))
                   .Int(Micros(e.expire_time))
                   .Int(ChangeMicros()))
      .status();
}

absl::Status MoveFacesOn(SqlConnection& conn, absl::string_view verification_id,
                         DuplicateVerdict verdict) {
  switch (verdict) {
    case DuplicateVerdict::kNone:
      return absl::OkStatus();
    case DuplicateVerdict::kConfirm:
      return conn
          .Execute(SqlStatement("UPDATE face_index SET held = 0, change_us = ?"
                                " WHERE verification_id = ? AND held <> 0 AND erased = 0")
                       .Int(ChangeMicros())
                       .Text(verification_id))
          .status();
    case DuplicateVerdict::kForged:
      return conn
          .Execute(SqlStatement("UPDATE face_index SET forged = 1, change_us = ?"
                                " WHERE verification_id = ? AND erased = 0")
                       .Int(ChangeMicros())
                       .Text(verification_id))
          .status();
    case DuplicateVerdict::kDelete:
      return EraseFacesOn(conn, verification_id).status();
  }
  return absl::InvalidArgumentError("unknown duplicate verdict");
}

absl::StatusOr<int64_t> EraseFacesOn(SqlConnection& conn, absl::string_view verification_id) {
  VOUCH_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Execute(SqlStatement("UPDATE face_index SET erased = 1, sealed = ?, sealed_key_id = '',"
                                " key_id = '', document_hash = '', user_hash = '', held = 0,"
                                " forged = 0, change_us = ?"
                                " WHERE verification_id = ? AND erased = 0")
                       .Bytes("")
                       .Int(ChangeMicros())
                       .Text(verification_id)));
  return rows.affected();
}

absl::StatusOr<int64_t> PurgeFacesOn(SqlConnection& conn, absl::Time now) {
  VOUCH_ASSIGN_OR_RETURN(
      SqlRows expired,
      conn.Execute(SqlStatement("DELETE FROM face_index WHERE erased = 0 AND expire_us <= ?")
                       .Int(Micros(now))));
  VOUCH_RETURN_IF_ERROR(conn.Execute(SqlStatement("DELETE FROM face_index WHERE erased <> 0"
                                                  " AND (expire_us <= ? OR change_us <= ?)")
                                         .Int(Micros(now))
                                         .Int(Micros(absl::Now() - kTombstoneLife)))
                            .status());
  return expired.affected();
}

absl::StatusOr<std::vector<FaceIndexChange>> ListFaceChangesOn(SqlConnection& conn,
                                                               absl::Time after,
                                                               absl::string_view after_id,
                                                               int limit) {
  if (limit < 1 || limit > 10000) return absl::InvalidArgumentError("limit must be 1..10000");
  const int64_t after_us = Micros(after);
  // "change_us >= ?" first: the index (change_us, verification_id) answers it.
  VOUCH_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Execute(SqlStatement(absl::StrCat("SELECT ", kFaceColumns,
                                             " FROM face_index WHERE change_us >= ?"
                                             " AND (change_us > ? OR verification_id > ?)"
                                             " ORDER BY change_us, verification_id LIMIT ?"))
                       .Int(after_us)
                       .Int(after_us)
                       .Text(after_id)
                       .Int(limit)));
  std::vector<FaceIndexChange> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) out.push_back(ReadFace(rows, i));
  return out;
}

absl::StatusOr<int64_t> CountFacesOn(SqlConnection& conn, absl::Time now) {
  VOUCH_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Execute(
          SqlStatement("SELECT COUNT(*) FROM face_index WHERE erased = 0 AND expire_us > ?")
              .Int(Micros(now))));
  return rows.Int(0, 0);
}

// ---- re-sealing under a new storage key (#17) ----

const std::string& FacesSealedWithSql() {
  static const auto* const kSql = new std::string(
      absl::StrCat("SELECT ", kFaceColumns,
                   " FROM face_index WHERE erased = 0 AND sealed_key_id = ? AND verification_id > ?"
                   " ORDER BY verification_id LIMIT ?"));
  return *kSql;
}

absl::StatusOr<std::vector<DuplicateEntry>> FacesSealedWithOn(SqlConnection& conn,
                                                              absl::string_view key_id,
                                                              absl::string_view after_id,
                                                              int limit) {
  if (limit < 1 || limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
  VOUCH_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Execute(SqlStatement(FacesSealedWithSql()).Text(key_id).Text(after_id).Int(limit)));
  std::vector<DuplicateEntry> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) out.push_back(ReadFace(rows, i).entry);
  return out;
}

absl::StatusOr<bool> RekeyFaceOn(SqlConnection& conn, absl::string_view verification_id,
                                 absl::string_view expected_key_id, absl::string_view sealed,
                                 absl::string_view key_id) {
  if (sealed.empty() || sealed.size() > kMaxSealedFaceBytes || key_id.empty() ||
      key_id.size() > 64) {
    return absl::InvalidArgumentError("face envelope or key id out of bounds");
  }
  VOUCH_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Execute(SqlStatement("UPDATE face_index SET sealed = ?, sealed_key_id = ?"
                                " WHERE verification_id = ? AND erased = 0 AND sealed_key_id = ?")
                       .Bytes(sealed)
                       .Text(key_id)
                       .Text(verification_id)
                       .Text(expected_key_id)));
  return rows.affected() > 0;
}

}  // namespace vouch::verifier::storage::internal
