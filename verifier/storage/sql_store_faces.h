#ifndef VOUCH_VERIFIER_STORAGE_SQL_STORE_FACES_H_
#define VOUCH_VERIFIER_STORAGE_SQL_STORE_FACES_H_

// The face 1:N index's rows (#17, docs/dedup.md; table face_index, migration
// 9): the statements SqlStore runs for the kFace entries of the duplicate
// index, inside the transaction of the operation that calls them.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sql/sql_connection.h"
#include "storage/store.h"

namespace vouch::verifier::storage::internal {

// The bounds of a kFace entry (storage/store.h, DuplicateEntry).
absl::Status ValidateFaceEntry(const DuplicateEntry& e);

// Inserts or replaces the entry of e.verification_id (a tombstone too).
absl::Status InsertFaceOn(SqlConnection& conn, const DuplicateEntry& e);

// A reviewer's verdict on the verification's face entry (DecideCase).
absl::Status MoveFacesOn(SqlConnection& conn, absl::string_view verification_id,
                         DuplicateVerdict verdict);

// Turns the verification's entry into a tombstone; returns 1 when there
// was a live one.
absl::StatusOr<int64_t> EraseFacesOn(SqlConnection& conn, absl::string_view verification_id);

// Deletes the entries expired at `now` (counted) and the tombstones older
// than a day or past their expiry (not counted).
absl::StatusOr<int64_t> PurgeFacesOn(SqlConnection& conn, absl::Time now);

absl::StatusOr<std::vector<FaceIndexChange>> ListFaceChangesOn(SqlConnection& conn,
                                                               absl::Time after,
                                                               absl::string_view after_id,
                                                               int limit);

absl::StatusOr<int64_t> CountFacesOn(SqlConnection& conn, absl::Time now);

// FacesSealedWithOn's statement (key id, after id, limit), whose plan the
// tests check uses face_index_sealed_key (migration 11).
const std::string& FacesSealedWithSql();

// Store::FacesSealedWith and Store::RekeyFace (#17: storage key rotation).
absl::StatusOr<std::vector<DuplicateEntry>> FacesSealedWithOn(SqlConnection& conn,
                                                              absl::string_view key_id,
                                                              absl::string_view after_id,
                                                              int limit);
absl::StatusOr<bool> RekeyFaceOn(SqlConnection& conn, absl::string_view verification_id,
                                 absl::string_view expected_key_id, absl::string_view sealed,
                                 absl::string_view key_id);

}  // namespace vouch::verifier::storage::internal

#endif  // VOUCH_VERIFIER_STORAGE_SQL_STORE_FACES_H_
