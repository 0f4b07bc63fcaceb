#include "sql_store.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "base/hex_digest.h"
#include "base/status_macros.h"
#include "sql/sql_migrations.h"
#include "sql_store_faces.h"  // #17
#include "store_internal.h"

namespace vouch::verifier::storage::internal {

const char kPurgeKeptAttestationsSql[] =
    "DELETE FROM attestations WHERE expire_us <= ? AND NOT EXISTS"
    " (SELECT 1 FROM verifications v WHERE v.id = attestations.verification_id)";

std::string PurgeErasedClaimTracesSql(absl::string_view skip_locked) {
  return absl::StrCat(
      "DELETE FROM badge_erased_claims WHERE verification_hash IN"
      " (SELECT verification_hash FROM badge_erased_claims WHERE keep_until_us <= ?"
      " ORDER BY keep_until_us LIMIT ",
      kErasedClaimTracesPerPass, skip_locked, ")");
}

namespace {

constexpr const char* kVerificationColumns =
    "id, relying_service, COALESCE(idempotency_key, ''), request_digest, policy, state, result,"
    " create_us, update_us, deadline_us";

VerificationRecord ReadVerification(const SqlRows& r, int row) {
  VerificationRecord v;
  v.id = r.String(row, 0);
  v.relying_service = r.String(row, 1);
  v.idempotency_key = r.String(row, 2);
  v.request_digest = r.String(row, 3);
  v.policy = r.String(row, 4);
  v.state = static_cast<VerificationState>(r.Int(row, 5));
  v.result = r.String(row, 6);
  v.create_time = FromMicros(r.Int(row, 7));
  v.update_time = FromMicros(r.Int(row, 8));
  v.deadline = FromMicros(r.Int(row, 9));
  return v;
}

constexpr const char* kAttestationColumns =
    "attestation_id, verification_id, relying_service, expire_us, COALESCE(status_list_uri, ''),"
    " COALESCE(status_list_index, -1), status";

AttestationRecord ReadAttestation(const SqlRows& r, int row) {
  return AttestationRecord{r.String(row, 0),
                           r.String(row, 1),
                           r.String(row, 2),
                           FromMicros(r.Int(row, 3)),
                           r.String(row, 4),
                           r.Int(row, 5),
                           static_cast<int>(r.Int(row, 6))};
}

constexpr const char* kBadgeColumns =
    "verification_id, action, user_id, custom_description, state, attempts, next_attempt_us,"
    " lease_token, lease_expiry_us, error, create_us, update_us";

BadgeItem ReadBadge(const SqlRows& r, int row) {
  BadgeItem b;
  b.request.verification_id = r.String(row, 0);
  b.request.action = static_cast<BadgeAction>(r.Int(row, 1));
  b.request.user_id = r.Int(row, 2);
  b.request.custom_description = r.String(row, 3);
  b.state = static_cast<BadgeState>(r.Int(row, 4));
  b.attempts = static_cast<int>(r.Int(row, 5));
  b.next_attempt = FromMicros(r.Int(row, 6));
  b.request.not_before = b.next_attempt;
  b.lease_token = r.String(row, 7);
  b.lease_expiry = FromMicros(r.Int(row, 8));
  b.error = r.String(row, 9);
  b.create_time = FromMicros(r.Int(row, 10));
  b.update_time = FromMicros(r.Int(row, 11));
  return b;
}

// The case columns ReadCase reads, the envelope (column 13) only when asked.
std::string CaseColumns(const SqlDialect& d, bool with_envelope) {
  return absl::StrCat("verification_id, relying_service, policy, ", d.reasons_column,
                      ", key_id, stage, claimed_by, lease_token, lease_expiry_us,"
                      " first_decision, first_operator, create_us, delete_after_us",
                      with_envelope ? ", sealed" : "");
}

ReviewCase ReadCase(const SqlRows& r, int row, bool with_envelope) {
  ReviewCase c;
  c.verification_id = r.String(row, 0);
  c.relying_service = r.String(row, 1);
  c.policy = r.String(row, 2);
  c.reasons = SplitReasons(r.String(row, 3));
  c.key_id = r.String(row, 4);
  c.stage = static_cast<CaseStage>(r.Int(row, 5));
  c.claimed_by = r.String(row, 6);
  c.lease_token = r.String(row, 7);
  c.lease_expiry = FromMicros(r.Int(row, 8));
  c.first_decision = r.String(row, 9);
  c.first_operator = r.String(row, 10);
  c.create_time = FromMicros(r.Int(row, 11));
  c.delete_after = FromMicros(r.Int(row, 12));
  if (with_envelope) c.sealed = r.String(row, 13);
  return c;
}

// The CaseFilter's fields (not its limit) as a WHERE clause; BindFilter
// binds its parameters in order.
std::string FilterSql(const SqlDialect& d) {
  return absl::StrCat(
      " WHERE ((? = 0 AND stage IN (1, 2)) OR stage = ?) AND (? = '' OR policy = ?)"
      " AND (? = '' OR relying_service = ?) AND (? = '' OR ",
      d.has_reason, ") AND create_us < ? AND create_us > ?");
}

SqlStatement& BindFilter(SqlStatement& s, const CaseFilter& f) {
  const int64_t stage = f.stage.has_value() ? static_cast<int64_t>(*f.stage) : 0;
  return s.Int(stage)
      .Int(stage)
      .Text(f.policy)
      .Text(f.policy)
      .Text(f.relying_service)
      .Text(f.relying_service)
      .Text(f.reason)
      .Text(f.reason)
      .Int(Micros(f.created_before))
      .Int(Micros(f.created_after));
}

constexpr const char* kDropClaim =
    "claimed_by = '', lease_token = '', lease_expiry_us = -9223372036854775808";

// The error of a removal dropped because its verifyUser failed (#16).
constexpr const char* kNothingToRemove = "not made: verifyUser failed, no badge to remove";

// #17: how long an erasure keeps the trace of an erased verification whose
// verifyUser was claimed (the SHA-256 of its id, no user id): far past the
// claim's lease (1 min), so that the late record of a claim whose call
// landed after the erasure's removal queues the removal again.
constexpr absl::Duration kErasedClaimTrace = absl::Hours(24);

// Lock names (PostgreSQL advisory locks, per schema; see SqlTransaction).
constexpr const char* kAuditLock = "vouch.audit.";
constexpr const char* kStatusLock = "vouch.status.";
constexpr const char* kMigrateLock = "vouch.migrate.";

// Runs of one transaction the database aborts for a conflict (see
// SqlStore::Transact) before its error is the caller's.
constexpr int kConflictAttempts = 3;

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<SqlDatabase> db)
      : db_(std::move(db)), dialect_(db_->dialect()) {}

  absl::StatusOr<CreateOutcome> CreateVerification(const NewVerification& v) override {
    VOUCH_RETURN_IF_ERROR(ValidateNew(v));
    const VerificationRecord& r = v.record;
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<CreateOutcome> {
      for (int attempt = 0;; ++attempt) {
        VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
        if (!r.idempotency_key.empty()) {
          VOUCH_ASSIGN_OR_RETURN(
              SqlRows rows,
              conn.Execute(SqlStatement(absl::StrCat("SELECT ", kVerificationColumns,
                                                     " FROM verifications WHERE relying_service = ?"
                                                     " AND idempotency_key = ?"))
                               .Text(r.relying_service)
                               .Text(r.idempotency_key)));
          if (!rows.empty()) return CreateOutcome{ReadVerification(rows, 0), true};
        }
        absl::StatusOr<SqlRows> inserted = conn.Execute(
            SqlStatement("INSERT INTO verifications (id, relying_service, idempotency_key,"
                         " request_digest, policy, state, result, create_us, update_us,"
                         " deadline_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .Text(r.id)
                .Text(r.relying_service)
                .TextOrNull(r.idempotency_key)
                .Bytes(r.request_digest)
                .Text(r.policy)
                .Int(static_cast<int64_t>(r.state))
                .Bytes(r.result)
                .Int(Micros(r.create_time))
                .Int(Micros(r.update_time))
                .Int(Micros(r.deadline)));
        if (!inserted.ok()) {
          // A concurrent insert of the same key (PostgreSQL; SQLite's
          // transaction excludes it) committed between the SELECT and the
          // INSERT: the second round finds it. A duplicate id fails again.
          if (attempt == 0 && !r.idempotency_key.empty() &&
              absl::IsAlreadyExists(inserted.status())) {
            continue;
          }
          return inserted.status();
        }
        if (v.job_payload.has_value()) {
          VOUCH_RETURN_IF_ERROR(
              conn.Execute(SqlStatement("INSERT INTO jobs (verification_id, payload) VALUES (?, ?)")
                               .Text(r.id)
                               .Bytes(*v.job_payload))
                  .status());
        }
        VOUCH_RETURN_IF_ERROR(tx.Commit());
        return CreateOutcome{r, false};
      }
    });
  }

  absl::StatusOr<VerificationRecord> GetVerification(absl::string_view id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return GetVerificationOn(*conn, id, /*for_update=*/false);
  }

  absl::Status FinishVerification(absl::string_view id, VerificationState state,
                                  absl::string_view result, absl::Time now,
                                  const ReviewCase* review_case,
                                  const AttestationRecord* attestation,
                                  absl::Span<const BadgeRequest> badges,
                                  absl::Span<const DuplicateEntry> duplicates) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(ValidateCase(*review_case, id, state));
    VOUCH_RETURN_IF_ERROR(ValidateBadges(badges));
    VOUCH_RETURN_IF_ERROR(ValidateDuplicates(duplicates, id));  // #17
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(VerificationRecord r, GetVerificationOn(conn, id, true));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows job,
          conn.Execute(SqlStatement("SELECT 1 FROM jobs WHERE verification_id = ?").Text(id)));
      if (IsTerminal(r.state) || !job.empty()) {
        return absl::FailedPreconditionError("verification is terminal or has a job");
      }
      VOUCH_RETURN_IF_ERROR(SetResultOn(conn, id, state, result, now));
      if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(InsertCaseOn(conn, *review_case));
      if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(InsertAttestationOn(conn, *attestation));
      VOUCH_RETURN_IF_ERROR(InsertBadgesOn(conn, badges, now));
      VOUCH_RETURN_IF_ERROR(InsertDuplicatesOn(conn, duplicates));  // #17
      return tx.Commit();
    });
  }

  absl::Status AbandonVerification(absl::string_view id) override {
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(VerificationRecord r, GetVerificationOn(conn, id, true));
      if (IsTerminal(r.state)) return absl::FailedPreconditionError("verification is terminal");
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("DELETE FROM verifications WHERE id = ?").Text(id)).status());
      return tx.Commit();
    });
  }

  absl::StatusOr<std::optional<ClaimedJob>> ClaimJob(absl::Time now,
                                                     absl::Duration lease) override {
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<std::optional<ClaimedJob>> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(
              SqlStatement(absl::StrCat("SELECT verification_id, payload, attempts"
                                        " FROM jobs WHERE lease_expiry_us <= ?"
                                        " ORDER BY ",
                                        dialect_.job_order, " LIMIT 1", dialect_.skip_locked))
                  .Int(Micros(now))));
      if (rows.empty()) return std::optional<ClaimedJob>();
      ClaimedJob job{rows.String(0, 0), rows.String(0, 1), NewLeaseToken(), now + lease,
                     static_cast<int>(rows.Int(0, 2)) + 1};
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE jobs SET lease_token = ?,"
                                    " lease_expiry_us = ?, attempts = attempts + 1"
                                    " WHERE verification_id = ?")
                           .Text(job.lease_token)
                           .Int(Micros(job.lease_expiry))
                           .Text(job.verification_id))
              .status());
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(
                  SqlStatement("UPDATE verifications SET state = ?, update_us = ? WHERE id = ?")
                      .Int(static_cast<int64_t>(VerificationState::kRunning))
                      .Int(Micros(now))
                      .Text(job.verification_id))
              .status());
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return std::optional<ClaimedJob>(std::move(job));
    });
  }

  absl::Status CompleteJob(const ClaimedJob& job, VerificationState state, absl::string_view result,
                           absl::Time now, const ReviewCase* review_case,
                           const AttestationRecord* attestation,
                           absl::Span<const BadgeRequest> badges,
                           absl::Span<const DuplicateEntry> duplicates) override {
    if (!IsTerminal(state)) return absl::InvalidArgumentError("state must be terminal");
    if (review_case != nullptr) {
      VOUCH_RETURN_IF_ERROR(ValidateCase(*review_case, job.verification_id, state));
    }
    VOUCH_RETURN_IF_ERROR(ValidateBadges(badges));
    VOUCH_RETURN_IF_ERROR(ValidateDuplicates(duplicates, job.verification_id));  // #17
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows deleted,
          conn.Execute(
              SqlStatement("DELETE FROM jobs WHERE verification_id = ? AND lease_token = ?")
                  .Text(job.verification_id)
                  .Text(job.lease_token)));
      if (deleted.affected() != 1) {
        return absl::FailedPreconditionError("job lease lost or job already complete");
      }
      VOUCH_RETURN_IF_ERROR(SetResultOn(conn, job.verification_id, state, result, now));
      if (review_case != nullptr) VOUCH_RETURN_IF_ERROR(InsertCaseOn(conn, *review_case));
      if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(InsertAttestationOn(conn, *attestation));
      VOUCH_RETURN_IF_ERROR(InsertBadgesOn(conn, badges, now));
      VOUCH_RETURN_IF_ERROR(InsertDuplicatesOn(conn, duplicates));  // #17
      return tx.Commit();
    });
  }

  absl::StatusOr<absl::Time> RenewJobLease(const ClaimedJob& job, absl::Time now,
                                           absl::Duration lease) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows updated,
        conn->Execute(SqlStatement("UPDATE jobs SET lease_expiry_us = ?"
                                   " WHERE verification_id = ? AND lease_token = ?")
                          .Int(Micros(now + lease))
                          .Text(job.verification_id)
                          .Text(job.lease_token)));
    if (updated.affected() != 1) {
      return absl::FailedPreconditionError("job lease lost or job already complete");
    }
    return now + lease;
  }

  absl::Status Probe(absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return conn
        ->Execute(SqlStatement("INSERT INTO liveness (id, time_us) VALUES (1, ?)"
                               " ON CONFLICT (id) DO UPDATE SET time_us = excluded.time_us")
                      .Int(Micros(now)))
        .status();
  }

  absl::Status ReleaseAllLeases() override {
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE jobs SET lease_token = NULL, lease_expiry_us = 0"))
              .status());
      // The badge calls a crash cut off (#16): due again at once.
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE badge_outbox SET lease_expiry_us = ? WHERE state = 1")
                           .Int(Micros(absl::InfinitePast())))
              .status());
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("DELETE FROM verifications WHERE state IN (1, 2)"
                                    " AND id NOT IN (SELECT verification_id FROM jobs)"))
              .status());
      return tx.Commit();
    });
  }

  absl::StatusOr<int64_t> AbandonExpiredVerifications(absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    // One statement: a row finished or given a job meanwhile is not
    // deleted (PostgreSQL re-checks the WHERE on a row updated
    // concurrently).
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows deleted,
        conn->Execute(SqlStatement("DELETE FROM verifications WHERE deadline_us <= ?"
                                   " AND deadline_us < ? AND state IN (1, 2)"
                                   " AND id NOT IN (SELECT verification_id FROM jobs)")
                          .Int(Micros(now))
                          .Int(Micros(absl::InfiniteFuture()))));  // "Never" is never.
    return deleted.affected();
  }

  absl::StatusOr<int64_t> PendingJobCount() override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(SqlRows rows, conn->Execute(SqlStatement("SELECT COUNT(*) FROM jobs")));
    return rows.Int(0, 0);
  }

  absl::Status RecordAttestation(const AttestationRecord& a) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return InsertAttestationOn(*conn, a);
  }

  absl::StatusOr<AttestationRecord> GetAttestation(absl::string_view id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(SqlRows rows,
                           conn->Execute(SqlStatement(absl::StrCat("SELECT ", kAttestationColumns,
                                                                   " FROM attestations"
                                                                   " WHERE attestation_id = ?"))
                                             .Text(id)));
    if (rows.empty()) return absl::NotFoundError("unknown attestation");
    return ReadAttestation(rows, 0);
  }

  absl::StatusOr<bool> SetAttestationStatus(absl::string_view id, int status) override {
    if (status < 0 || status > 3) return absl::InvalidArgumentError("status must be 0..3");
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<bool> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(SqlStatement(absl::StrCat("SELECT CASE WHEN status_list_uri IS NULL"
                                                 " THEN 1 ELSE 0 END, status FROM attestations"
                                                 " WHERE attestation_id = ?",
                                                 dialect_.for_update))
                           .Text(id)));
      if (rows.empty()) return absl::NotFoundError("unknown attestation");
      if (rows.Int(0, 0) != 0) {
        return absl::FailedPreconditionError("attestation has no status list entry");
      }
      const bool changed = rows.Int(0, 1) != status;
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE attestations SET status = ? WHERE attestation_id = ?")
                           .Int(status)
                           .Text(id))
              .status());
      if (changed && status == 1) VOUCH_RETURN_IF_ERROR(QueueRemovalOnRevokeOn(conn, id));
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return changed;
    });
  }

  absl::StatusOr<std::vector<AttestationRecord>> ListStatusEntries(absl::string_view uri) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement(absl::StrCat("SELECT ", kAttestationColumns,
                                                " FROM attestations WHERE status_list_uri = ?"
                                                " ORDER BY status_list_index"))
                          .Text(uri)));
    std::vector<AttestationRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(ReadAttestation(rows, i));
    return out;
  }

  absl::StatusOr<StatusAllocation> AllocateStatusEntry(int64_t list_size) override {
    VOUCH_RETURN_IF_ERROR(ValidateStatusListSize(list_size));
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<StatusAllocation> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      // One allocator at a time across every process: no position is taken
      // twice, no list opened twice.
      VOUCH_RETURN_IF_ERROR(tx.Lock(kStatusLock, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows open,
          conn.Execute(SqlStatement("SELECT list_number, size, next_position, permutation_key"
                                    " FROM status_lists ORDER BY list_number DESC LIMIT 1")));
      const bool row = !open.empty();
      int64_t number = row ? open.Int(0, 0) : 0, size = row ? open.Int(0, 1) : 0;
      int64_t position = row ? open.Int(0, 2) : 0;
      std::string key = row ? open.String(0, 3) : "";
      if (!row || position >= size) {
        if (!row) {
          VOUCH_ASSIGN_OR_RETURN(SqlRows legacy,
                                 conn.Execute(SqlStatement("SELECT 1 FROM attestations"
                                                           " WHERE status_list_uri IS NOT NULL"
                                                           " LIMIT 1")));
          if (!legacy.empty()) {
            number = 1;
            VOUCH_RETURN_IF_ERROR(
                conn.Execute(SqlStatement("INSERT INTO status_lists VALUES (1, ?, ?, ?)")
                                 .Int(kLegacyStatusListSize)
                                 .Int(kLegacyStatusListSize)
                                 .Bytes(""))
                    .status());
          }
        }
        number += 1;
        size = list_size;
        position = 0;
        key = NewStatusListKey();
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("INSERT INTO status_lists VALUES (?, ?, 0, ?)")
                             .Int(number)
                             .Int(size)
                             .Bytes(key))
                .status());
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(
                  SqlStatement("UPDATE status_lists SET next_position = ? WHERE list_number = ?")
                      .Int(position + 1)
                      .Int(number))
              .status());
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return StatusAllocation{number, PermutedStatusIndex(key, size, position)};
    });
  }

  absl::StatusOr<std::vector<StatusListInfo>> ListStatusLists() override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(SqlRows rows,
                           conn->Execute(SqlStatement("SELECT list_number, size, next_position"
                                                      " FROM status_lists ORDER BY list_number")));
    std::vector<StatusListInfo> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(StatusListInfo{rows.Int(i, 0), rows.Int(i, 1), rows.Int(i, 2)});
    }
    return out;
  }

  absl::StatusOr<AttestationRecord> GetAttestationByVerification(
      absl::string_view verification_id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement(absl::StrCat("SELECT ", kAttestationColumns,
                                                " FROM attestations WHERE verification_id = ?"
                                                " ORDER BY expire_us DESC LIMIT 1"))
                          .Text(verification_id)));
    if (rows.empty()) return absl::NotFoundError("no attestation for this verification");
    return ReadAttestation(rows, 0);
  }

  absl::StatusOr<std::unique_ptr<ChangeStream>> OpenChangeStream() override {
    return db_->OpenChangeStream();
  }

  // --- Telegram badge outbox (#16) -----------------------------------------

  absl::StatusOr<bool> EnqueueBadge(const BadgeRequest& request, absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(ValidateBadgeRequest(request));
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<bool> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(bool inserted, InsertBadgeOn(conn, request, now));
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return inserted;
    });
  }

  absl::StatusOr<std::vector<BadgeItem>> ClaimBadges(absl::Time now, int max,
                                                     absl::Duration lease) override {
    VOUCH_RETURN_IF_ERROR(ValidateBadgeClaim(max, lease));
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<std::vector<BadgeItem>> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      // #17: the erased claims' traces go once their day is over. Here
      // rather than in the retention purge (PurgeVerifications, which also
      // deletes expired leftovers of erasures): that runs only for policies
      // with a result_retention, so without one a trace would outlive its
      // day (docs/erasure.md). The cost per pass stays small: the delete
      // finds its rows by migration 12's index on keep_until_us (nothing to
      // find in most passes; PeriodicQueriesUseTheirIndexes), takes at most
      // kErasedClaimTracesPerPass of them (a mass erasure's traces go over
      // a few passes), and skips those another instance's pass is deleting
      // (PostgreSQL), so instances never wait on each other here either. A
      // trace not yet deleted changes nothing: RequeueErasedRemovalOn reads
      // only the live ones.
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(
                  SqlStatement(PurgeErasedClaimTracesSql(dialect_.skip_locked)).Int(Micros(now)))
              .status());
      // A removal waits for its verification's verifyUser (pending) to end.
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(
              SqlStatement(
                  absl::StrCat("SELECT ", kBadgeColumns,
                               " FROM badge_outbox b WHERE state = 1 AND next_attempt_us <= ?"
                               " AND lease_expiry_us <= ? AND (action = 1 OR NOT EXISTS"
                               " (SELECT 1 FROM badge_outbox v WHERE v.verification_id ="
                               " b.verification_id AND v.action = 1 AND v.state = 1))"
                               " ORDER BY next_attempt_us, create_us LIMIT ?",
                               dialect_.skip_locked))
                  .Int(Micros(now))
                  .Int(Micros(now))
                  .Int(max)));
      std::vector<BadgeItem> out;
      for (int i = 0; i < rows.size(); ++i) {
        BadgeItem b = ReadBadge(rows, i);
        b.lease_token = NewLeaseToken();
        b.lease_expiry = now + lease;
        b.attempts += 1;
        b.update_time = FromMicros(Micros(now));
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("UPDATE badge_outbox SET lease_token = ?,"
                                      " lease_expiry_us = ?, attempts = ?, update_us = ?"
                                      " WHERE verification_id = ? AND action = ?")
                             .Text(b.lease_token)
                             .Int(Micros(b.lease_expiry))
                             .Int(b.attempts)
                             .Int(Micros(now))
                             .Text(b.request.verification_id)
                             .Int(static_cast<int64_t>(b.request.action)))
                .status());
        out.push_back(std::move(b));
      }
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return out;
    });
  }

  absl::Status RecordBadgeAttempt(const BadgeItem& claimed, BadgeState outcome, absl::Time retry_at,
                                  absl::string_view error, absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(ValidateBadgeAttempt(claimed, outcome, error));
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(SqlStatement(absl::StrCat("SELECT state, lease_token FROM badge_outbox"
                                                 " WHERE verification_id = ? AND action = ?",
                                                 dialect_.for_update))
                           .Text(claimed.request.verification_id)
                           .Int(static_cast<int64_t>(claimed.request.action))));
      if (rows.empty()) {
        VOUCH_ASSIGN_OR_RETURN(bool erased, RequeueErasedRemovalOn(conn, claimed, outcome, now));
        if (!erased) return absl::NotFoundError("unknown badge item");
        VOUCH_RETURN_IF_ERROR(tx.Commit());
        return absl::NotFoundError("badge item erased");
      }
      const bool pending = rows.Int(0, 0) == static_cast<int64_t>(BadgeState::kPending);
      if (!pending || rows.String(0, 1) != claimed.lease_token) {
        // A late verifyUser (its lease ran out mid-call, another dispatcher
        // made it since) may have set the badge after the verification's
        // removal was made: the removal goes again (#17). Its outcome is
        // still refused.
        if (claimed.request.action == BadgeAction::kVerify && outcome != BadgeState::kFailed) {
          VOUCH_ASSIGN_OR_RETURN(
              SqlRows requeued,
              conn.Execute(SqlStatement("UPDATE badge_outbox SET state = 1, next_attempt_us = ?,"
                                        " lease_token = '', lease_expiry_us = ?, error = '',"
                                        " update_us = ? WHERE verification_id = ? AND action = 2"
                                        " AND state <> 1")
                               .Int(Micros(absl::InfinitePast()))
                               .Int(Micros(absl::InfinitePast()))
                               .Int(Micros(now))
                               .Text(claimed.request.verification_id)));
          if (requeued.affected() > 0) VOUCH_RETURN_IF_ERROR(tx.Commit());
        }
        return absl::FailedPreconditionError(pending ? "badge item lease lost"
                                                     : "badge item is no longer pending");
      }
      const absl::Time next = outcome == BadgeState::kPending ? retry_at : now;
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement(absl::StrCat("UPDATE badge_outbox SET state = ?,"
                                                 " next_attempt_us = ?, error = ?, update_us = ?,"
                                                 " lease_token = '', lease_expiry_us = ?"
                                                 " WHERE verification_id = ? AND action = ?"))
                           .Int(static_cast<int64_t>(outcome))
                           .Int(Micros(next))
                           .Text(error)
                           .Int(Micros(now))
                           .Int(Micros(absl::InfinitePast()))
                           .Text(claimed.request.verification_id)
                           .Int(static_cast<int64_t>(claimed.request.action)))
              .status());
      if (outcome != BadgeState::kPending &&
          absl::StartsWith(claimed.request.verification_id, "erased:")) {
        // #17: the removal an erasure left: nothing is kept once it is made.
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("DELETE FROM badge_outbox WHERE verification_id = ?")
                             .Text(claimed.request.verification_id))
                .status());
      }
      if (claimed.request.action == BadgeAction::kVerify && outcome == BadgeState::kFailed) {
        // No badge was set: a removal queued for it (at the end of the
        // validity) has nothing to remove.
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("UPDATE badge_outbox SET state = 3, error = ?,"
                                      " update_us = ? WHERE verification_id = ? AND action = 2"
                                      " AND state = 1")
                             .Text(kNothingToRemove)
                             .Int(Micros(now))
                             .Text(claimed.request.verification_id))
                .status());
      }
      return tx.Commit();
    });
  }

  absl::StatusOr<std::vector<BadgeItem>> FindBadges(absl::string_view verification_id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement(absl::StrCat("SELECT ", kBadgeColumns,
                                                " FROM badge_outbox WHERE verification_id = ?"
                                                " ORDER BY action"))
                          .Text(verification_id)));
    std::vector<BadgeItem> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(ReadBadge(rows, i));
    return out;
  }

  absl::StatusOr<BadgeCounts> CountBadges() override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement("SELECT state, COUNT(*) FROM badge_outbox GROUP BY state")));
    BadgeCounts counts;
    for (int i = 0; i < rows.size(); ++i) {
      switch (static_cast<BadgeState>(rows.Int(i, 0))) {
        case BadgeState::kPending:
          counts.pending = rows.Int(i, 1);
          break;
        case BadgeState::kDone:
          counts.done = rows.Int(i, 1);
          break;
        case BadgeState::kFailed:
          counts.failed = rows.Int(i, 1);
          break;
      }
    }
    return counts;
  }

  // --- end badge outbox ----------------------------------------------------

  absl::StatusOr<std::vector<ReviewCase>> ListCases(const CaseFilter& filter,
                                                    absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(ValidateFilter(filter));
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    SqlStatement s(absl::StrCat("SELECT ", CaseColumns(dialect_, false), " FROM cases",
                                FilterSql(dialect_), " ORDER BY create_us, ",
                                dialect_.case_id_order, " LIMIT ?"));
    BindFilter(s, filter).Int(filter.limit);
    VOUCH_ASSIGN_OR_RETURN(SqlRows rows, conn->Execute(s));
    std::vector<ReviewCase> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(ForListing(ReadCase(rows, i, false), now));
    return out;
  }

  absl::StatusOr<ReviewCase> GetCase(absl::string_view case_id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return GetCaseOn(*conn, case_id, /*for_update=*/false);
  }

  absl::StatusOr<std::optional<ReviewCase>> ClaimCase(const ClaimCaseRequest& r) override {
    VOUCH_RETURN_IF_ERROR(ValidateClaim(r));
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<std::optional<ReviewCase>> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      std::string id = r.case_id;
      if (!id.empty()) {
        VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn, id, /*for_update=*/true));
        VOUCH_RETURN_IF_ERROR(CheckClaimable(c, r, /*by_id=*/true));
      } else {
        // The oldest case this operator may take under no live claim; two
        // concurrent claimers skip each other's rows (PostgreSQL).
        SqlStatement s(
            absl::StrCat("SELECT verification_id FROM cases", FilterSql(dialect_),
                         " AND (claimed_by = '' OR lease_expiry_us <= ?)"
                         " AND (stage = 1 OR (stage = 2 AND ? = 1 AND first_operator <> ?))"
                         " ORDER BY create_us, ",
                         dialect_.case_id_order, " LIMIT 1", dialect_.skip_locked));
        BindFilter(s, r.filter).Int(Micros(r.now)).Int(r.senior ? 1 : 0).Text(r.operator_id);
        VOUCH_ASSIGN_OR_RETURN(SqlRows rows, conn.Execute(s));
        if (rows.empty()) return std::optional<ReviewCase>();
        id = rows.String(0, 0);
      }
      VOUCH_RETURN_IF_ERROR(conn.Execute(SqlStatement("UPDATE cases SET claimed_by = ?,"
                                                      " lease_token = ?, lease_expiry_us = ?"
                                                      " WHERE verification_id = ?")
                                             .Text(r.operator_id)
                                             .Text(NewLeaseToken())
                                             .Int(Micros(r.now + r.lease))
                                             .Text(id))
                                .status());
      VOUCH_ASSIGN_OR_RETURN(ReviewCase claimed, GetCaseOn(conn, id, /*for_update=*/false));
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return std::optional<ReviewCase>(std::move(claimed));
    });
  }

  absl::Status ReleaseCase(absl::string_view case_id, absl::string_view lease_token,
                           absl::Time now) override {
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn, case_id, true));
      VOUCH_RETURN_IF_ERROR(CheckLease(c, lease_token, now));
      VOUCH_RETURN_IF_ERROR(conn.Execute(SqlStatement(absl::StrCat("UPDATE cases SET ", kDropClaim,
                                                                   " WHERE verification_id = ?"))
                                             .Text(case_id))
                                .status());
      return tx.Commit();
    });
  }

  absl::Status EscalateCase(absl::string_view case_id, absl::string_view lease_token,
                            absl::string_view first_decision, absl::string_view first_operator,
                            absl::Time now) override {
    VOUCH_RETURN_IF_ERROR(ValidateEscalation(first_decision, first_operator));
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn, case_id, true));
      VOUCH_RETURN_IF_ERROR(CheckLease(c, lease_token, now));
      if (c.stage != CaseStage::kFirstReview) {
        return absl::FailedPreconditionError("case is not in first review");
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement(absl::StrCat("UPDATE cases SET stage = 2, first_decision = ?,"
                                                 " first_operator = ?, ",
                                                 kDropClaim, " WHERE verification_id = ?"))
                           .Bytes(first_decision)
                           .Text(first_operator)
                           .Text(case_id))
              .status());
      return tx.Commit();
    });
  }

  absl::Status DecideCase(absl::string_view case_id, absl::string_view lease_token,
                          absl::string_view result, absl::Time now, absl::Time keep_until,
                          const AttestationRecord* attestation,
                          absl::Span<const BadgeRequest> badges,
                          DuplicateVerdict duplicates) override {
    VOUCH_RETURN_IF_ERROR(ValidateBadges(badges));
    return Transact([&](SqlConnection& conn) -> absl::Status {
      {
        VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
        VOUCH_ASSIGN_OR_RETURN(ReviewCase c, GetCaseOn(conn, case_id, true));
        VOUCH_RETURN_IF_ERROR(CheckLease(c, lease_token, now));
        VOUCH_RETURN_IF_ERROR(ReplaceCompletedResultOn(conn, case_id, result, now));
        VOUCH_RETURN_IF_ERROR(MoveDuplicatesOn(conn, case_id, duplicates));  // #17
        VOUCH_RETURN_IF_ERROR(MoveFacesOn(conn, case_id, duplicates));       // #17 faces
        if (attestation != nullptr) VOUCH_RETURN_IF_ERROR(InsertAttestationOn(conn, *attestation));
        VOUCH_RETURN_IF_ERROR(InsertBadgesOn(conn, badges, now));
        if (keep_until > now) {
          VOUCH_RETURN_IF_ERROR(
              conn.Execute(SqlStatement(absl::StrCat("UPDATE cases SET stage = 3,"
                                                     " delete_after_us = ?, ",
                                                     kDropClaim, " WHERE verification_id = ?"))
                               .Int(Micros(keep_until))
                               .Text(case_id))
                  .status());
          return tx.Commit();
        }
        VOUCH_RETURN_IF_ERROR(DeleteCaseOn(conn, case_id));
        VOUCH_RETURN_IF_ERROR(tx.Commit());
      }
      conn.ScrubDeleted();
      return absl::OkStatus();
    });
  }

  absl::Status RekeyCase(absl::string_view case_id, absl::string_view expected_key_id,
                         absl::string_view sealed, absl::string_view key_id) override {
    VOUCH_RETURN_IF_ERROR(ValidateRekey(sealed, key_id));
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(
              SqlStatement(absl::StrCat("SELECT key_id FROM cases WHERE verification_id = ?",
                                        dialect_.for_update))
                  .Text(case_id)));
      if (rows.empty()) return absl::NotFoundError("unknown case");
      if (rows.String(0, 0) != expected_key_id) {
        return absl::FailedPreconditionError("case is sealed under another key");
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(
                  SqlStatement("UPDATE cases SET sealed = ?, key_id = ? WHERE verification_id = ?")
                      .Bytes(sealed)
                      .Text(key_id)
                      .Text(case_id))
              .status());
      return tx.Commit();
    });
  }

  absl::StatusOr<std::vector<std::string>> CasesSealedWith(absl::string_view key_id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement(absl::StrCat("SELECT verification_id FROM cases WHERE key_id = ?"
                                                " ORDER BY ",
                                                dialect_.case_id_order))
                          .Text(key_id)));
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(rows.String(i, 0));
    return out;
  }

  absl::StatusOr<std::vector<ReviewCase>> ListExpiredCases(absl::Time now, int limit) override {
    VOUCH_RETURN_IF_ERROR(ValidateExpiredLimit(limit));
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement(absl::StrCat("SELECT ", CaseColumns(dialect_, false),
                                                " FROM cases WHERE delete_after_us <= ?"
                                                " ORDER BY delete_after_us, ",
                                                dialect_.case_id_order, " LIMIT ?"))
                          .Int(Micros(now))
                          .Int(limit)));
    std::vector<ReviewCase> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(ForListing(ReadCase(rows, i, false), now));
    return out;
  }

  absl::StatusOr<bool> ExpireCase(absl::string_view case_id, absl::string_view expired_result,
                                  absl::Time now) override {
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<bool> {
      {
        VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
        // The case row locked first, as DecideCase does: a concurrent expiry
        // or decision waits, then finds the row gone.
        VOUCH_ASSIGN_OR_RETURN(
            SqlRows rows,
            conn.Execute(SqlStatement(absl::StrCat("SELECT stage, delete_after_us FROM cases"
                                                   " WHERE verification_id = ?",
                                                   dialect_.for_update))
                             .Text(case_id)));
        if (rows.empty()) return absl::NotFoundError("unknown case");
        if (FromMicros(rows.Int(0, 1)) > now) return false;
        if (static_cast<CaseStage>(rows.Int(0, 0)) != CaseStage::kDecided) {
          VOUCH_RETURN_IF_ERROR(ReplaceCompletedResultOn(conn, case_id, expired_result, now));
        }
        VOUCH_RETURN_IF_ERROR(DeleteCaseOn(conn, case_id));
        VOUCH_RETURN_IF_ERROR(tx.Commit());
      }
      conn.ScrubDeleted();
      return true;
    });
  }

  absl::StatusOr<AuditEvent> AppendAudit(const AuditEvent& event) override {
    VOUCH_RETURN_IF_ERROR(ValidateAudit(event));
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<AuditEvent> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      // One appender at a time across every process: the next one's SELECT
      // sees this row, so the chain never forks.
      VOUCH_RETURN_IF_ERROR(tx.Lock(kAuditLock, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows last,
          conn.Execute(SqlStatement("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")));
      AuditEvent stored = event;
      stored.time = FromMicros(Micros(event.time));
      stored.seq = last.empty() ? 1 : last.Int(0, 0) + 1;
      stored.prev_hash = last.empty() ? ZeroHash() : last.String(0, 1);
      stored.hash = AuditEventHash(stored);
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("INSERT INTO audit (seq, time_us, actor, action,"
                                    " verification_id, detail, prev_hash, hash)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                           .Int(stored.seq)
                           .Int(Micros(stored.time))
                           .Text(stored.actor)
                           .Text(stored.action)
                           .Text(stored.verification_id)
                           .Text(stored.detail)
                           .Text(stored.prev_hash)
                           .Text(stored.hash))
              .status());
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return stored;
    });
  }

  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) override {
    VOUCH_RETURN_IF_ERROR(ValidateAuditQuery(after_seq, limit));
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement("SELECT seq, time_us, actor, action, verification_id, detail,"
                                   " prev_hash, hash FROM audit WHERE seq > ?"
                                   " ORDER BY seq LIMIT ?")
                          .Int(after_seq)
                          .Int(limit)));
    std::vector<AuditEvent> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(AuditEvent{rows.Int(i, 0), FromMicros(rows.Int(i, 1)), rows.String(i, 2),
                               rows.String(i, 3), rows.String(i, 4), rows.String(i, 5),
                               rows.String(i, 6), rows.String(i, 7)});
    }
    return out;
  }

  // ---- duplicate index (#17, docs/dedup.md) --------------------------------

  absl::Status RecordDuplicates(absl::Span<const DuplicateEntry> entries) override {
    VOUCH_RETURN_IF_ERROR(ValidateDuplicates(entries, ""));
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_RETURN_IF_ERROR(InsertDuplicatesOn(conn, entries));
      return tx.Commit();
    });
  }

  absl::StatusOr<std::vector<DuplicateEntry>> FindDuplicates(
      absl::string_view scope, DuplicateKind kind, absl::Span<const DuplicateProbe> probes,
      absl::Time now, int limit) override {
    if (limit < 1 || limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
    if (probes.size() > kMaxDuplicateProbes) {
      return absl::InvalidArgumentError("at most 64 duplicate probes");
    }
    std::vector<DuplicateEntry> out;
    if (probes.empty()) return out;
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    // One (key id, hash, user hash) triple per probe; the primary key's
    // prefix (scope, kind, key_id, hash) finds each.
    std::string where;
    for (size_t i = 0; i < probes.size(); ++i) {
      absl::StrAppend(&where, i == 0 ? "" : " OR ",
                      "(key_id = ? AND hash = ?"
                      " AND ((user_hash <> ? AND held = 0) OR forged <> 0))");
    }
    SqlStatement s(absl::StrCat("SELECT ", kDuplicateColumns,
                                " FROM duplicate_index WHERE scope = ? AND kind = ?"
                                " AND expire_us > ? AND (",
                                where, ") ORDER BY create_us, verification_id LIMIT ?"));
    s.Text(scope).Int(static_cast<int64_t>(kind)).Int(Micros(now));
    for (const DuplicateProbe& p : probes) s.Text(p.key_id).Text(p.hash).Text(p.user_hash);
    s.Int(limit);
    VOUCH_ASSIGN_OR_RETURN(SqlRows rows, conn->Execute(s));
    for (int i = 0; i < rows.size(); ++i) out.push_back(ReadDuplicate(rows, i));
    return out;
  }

  absl::StatusOr<int64_t> MarkDuplicatesForged(absl::string_view verification_id) override {
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<int64_t> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(
              SqlStatement("UPDATE duplicate_index SET forged = 1 WHERE verification_id = ?")
                  .Text(verification_id)));
      // #17: the face entry too (not counted).
      VOUCH_RETURN_IF_ERROR(MoveFacesOn(conn, verification_id, DuplicateVerdict::kForged));
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return rows.affected();
    });
  }

  absl::StatusOr<int64_t> ConfirmDuplicates(absl::string_view verification_id) override {
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<int64_t> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(SqlRows rows,
                             conn.Execute(SqlStatement("UPDATE duplicate_index SET held = 0"
                                                       " WHERE verification_id = ? AND held <> 0")
                                              .Text(verification_id)));
      // #17: the face entry too (not counted).
      VOUCH_RETURN_IF_ERROR(MoveFacesOn(conn, verification_id, DuplicateVerdict::kConfirm));
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return rows.affected();
    });
  }

  absl::StatusOr<int64_t> DeleteDuplicates(absl::string_view verification_id) override {
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<int64_t> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(SqlStatement("DELETE FROM duplicate_index WHERE verification_id = ?")
                           .Text(verification_id)));
      VOUCH_ASSIGN_OR_RETURN(int64_t faces, EraseFacesOn(conn, verification_id));  // #17
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return rows.affected() + faces;
    });
  }

  absl::StatusOr<int64_t> PurgeExpiredDuplicates(absl::Time now) override {
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<int64_t> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows rows,
          conn.Execute(
              SqlStatement("DELETE FROM duplicate_index WHERE expire_us <= ?").Int(Micros(now))));
      VOUCH_ASSIGN_OR_RETURN(int64_t faces, PurgeFacesOn(conn, now));  // #17
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return rows.affected() + faces;
    });
  }

  absl::StatusOr<int64_t> CountDuplicates(absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement("SELECT COUNT(*) FROM duplicate_index WHERE expire_us > ?")
                          .Int(Micros(now))));
    return rows.Int(0, 0);
  }

  // ---- end duplicate index (#17) -------------------------------------------

  // ---- Wallet credential offers (OpenID4VCI, #19) ------------------------

  absl::Status CreateWalletOffer(const WalletOfferRecord& o) override {
    if (o.code_hash.empty() || o.verification_id.empty() || o.sealed.empty()) {
      return absl::InvalidArgumentError(
          "a wallet offer needs a code hash, a verification and claims");
    }
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      const int64_t stale = Micros(o.create_time - absl::Hours(24));
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("DELETE FROM wallet_offers WHERE expire_us < ?"
                                    " AND token_expire_us < ?")
                           .Int(stale)
                           .Int(stale))
              .status());
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("INSERT INTO wallet_offers (code_hash, verification_id,"
                                    " tx_code_hash, sealed, key_id, create_us, expire_us,"
                                    " tx_failures, state, token_hash, token_expire_us)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1, NULL, ?)")
                           .Text(o.code_hash)
                           .Text(o.verification_id)
                           .Text(o.tx_code_hash)
                           .Bytes(o.sealed)
                           .Text(o.key_id)
                           .Int(Micros(o.create_time))
                           .Int(Micros(o.expire_time))
                           .Int(Micros(absl::InfinitePast())))
              .status());
      return tx.Commit();
    });
  }

  absl::StatusOr<WalletRedeemOutcome> RedeemWalletOffer(
      absl::string_view code_hash, absl::string_view tx_code_hash, absl::string_view token_hash,
      absl::Time token_expire_time, int max_tx_failures, absl::Time now) override {
    if (code_hash.empty() || token_hash.empty() || max_tx_failures < 1) {
      return absl::InvalidArgumentError("bad wallet offer redemption");
    }
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<WalletRedeemOutcome> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      WalletRedeemOutcome out;
      VOUCH_ASSIGN_OR_RETURN(std::optional<WalletOfferRecord> found,
                             FindWalletOfferOn(conn, "code_hash", code_hash));
      if (!found.has_value()) return out;  // kUnknown
      WalletOfferRecord& o = *found;
      if (o.state == WalletOfferState::kLocked) {
        out.result = WalletRedemption::kLocked;
      } else if (o.state != WalletOfferState::kOffered) {
        out.result = WalletRedemption::kAlreadyUsed;
      } else if (now >= o.expire_time) {
        out.result = WalletRedemption::kExpired;
      } else if (o.tx_code_hash != tx_code_hash) {
        o.tx_code_failures += 1;
        const bool lock = o.tx_code_failures >= max_tx_failures;
        if (lock) o.state = WalletOfferState::kLocked;
        out.result = lock ? WalletRedemption::kLocked : WalletRedemption::kWrongTxCode;
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("UPDATE wallet_offers SET tx_failures = ?, state = ?"
                                      " WHERE code_hash = ?")
                             .Int(o.tx_code_failures)
                             .Int(static_cast<int64_t>(o.state))
                             .Text(code_hash))
                .status());
      } else {
        o.state = WalletOfferState::kRedeemed;
        o.token_hash = std::string(token_hash);
        o.token_expire_time = FromMicros(Micros(token_expire_time));
        out.result = WalletRedemption::kRedeemed;
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("UPDATE wallet_offers SET state = 2, token_hash = ?,"
                                      " token_expire_us = ? WHERE code_hash = ? AND state = 1")
                             .Text(token_hash)
                             .Int(Micros(token_expire_time))
                             .Text(code_hash))
                .status());
      }
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      out.offer = std::move(o);
      return out;
    });
  }

  absl::StatusOr<WalletOfferRecord> ClaimWalletOffer(absl::string_view token_hash,
                                                     absl::Time now) override {
    if (token_hash.empty()) return absl::NotFoundError("unknown access token");
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<WalletOfferRecord> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(std::optional<WalletOfferRecord> found,
                             FindWalletOfferOn(conn, "token_hash", token_hash));
      if (!found.has_value() || found->state != WalletOfferState::kRedeemed ||
          now >= found->token_expire_time) {
        return absl::NotFoundError("unknown, expired or used access token");
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE wallet_offers SET state = 3, sealed = ?"
                                    " WHERE code_hash = ? AND state = 2")
                           .Bytes("")
                           .Text(found->code_hash))
              .status());
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return *std::move(found);
    });
  }

  // ---- end wallet credential offers ---------------------------------------
  // ---- reviewer's reversal (#16) --------------------------------------------

  absl::StatusOr<ReversalOutcome> ReverseVerification(absl::string_view id,
                                                      absl::string_view expected_result,
                                                      absl::string_view result,
                                                      absl::Time now) override {
    if (result.empty()) return absl::InvalidArgumentError("empty result");
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<ReversalOutcome> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(VerificationRecord v,
                             GetVerificationOn(conn, id, /*for_update=*/true));
      if (v.state != VerificationState::kCompleted) {
        return absl::FailedPreconditionError("verification not completed");
      }
      if (v.result != expected_result) {
        return absl::FailedPreconditionError("verification result changed meanwhile");
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE verifications SET result = ?, update_us = ?"
                                    " WHERE id = ?")
                           .Bytes(result)
                           .Int(Micros(now))
                           .Text(id))
              .status());
      ReversalOutcome outcome;
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows revoked,
          conn.Execute(SqlStatement(absl::StrCat("SELECT attestation_id FROM attestations"
                                                 " WHERE verification_id = ?"
                                                 " AND status_list_uri IS NOT NULL AND status <> 1"
                                                 " ORDER BY attestation_id",
                                                 dialect_.for_update))
                           .Text(id)));
      for (int i = 0; i < revoked.size(); ++i) {
        outcome.revoked_attestations.push_back(revoked.String(i, 0));
        VOUCH_RETURN_IF_ERROR(
            conn.Execute(SqlStatement("UPDATE attestations SET status = 1 WHERE attestation_id = ?")
                             .Text(outcome.revoked_attestations.back()))
                .status());
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE wallet_offers SET state = ? WHERE verification_id = ?"
                                    " AND state IN (?, ?)")
                           .Int(static_cast<int64_t>(WalletOfferState::kLocked))
                           .Text(id)
                           .Int(static_cast<int64_t>(WalletOfferState::kOffered))
                           .Int(static_cast<int64_t>(WalletOfferState::kRedeemed)))
              .status());
      VOUCH_ASSIGN_OR_RETURN(outcome.removal_queued, QueueRemovalOfVerificationOn(conn, id, now));
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return outcome;
    });
  }

  // ---- end reviewer's reversal ----------------------------------------------
  // ---- attestation pickup window (#17) ---------------------------------------

  absl::Status SchedulePickupExpiry(absl::string_view id, absl::Time delete_after) override {
    if (id.empty() || id.size() > 64) {
      return absl::InvalidArgumentError("a verification id has 1 to 64 bytes");
    }
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("DELETE FROM attestation_pickups WHERE verification_id = ?")
                           .Text(id))
              .status());
      VOUCH_RETURN_IF_ERROR(conn.Execute(SqlStatement("INSERT INTO attestation_pickups"
                                                      " (verification_id, delete_after_us)"
                                                      " VALUES (?, ?)")
                                             .Text(id)
                                             .Int(Micros(delete_after)))
                                .status());
      return tx.Commit();
    });
  }

  absl::StatusOr<std::vector<std::string>> ListExpiredPickups(absl::Time now, int limit) override {
    if (limit < 1 || limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement("SELECT verification_id FROM attestation_pickups"
                                   " WHERE delete_after_us <= ?"
                                   " ORDER BY delete_after_us, verification_id LIMIT ?")
                          .Int(Micros(now))
                          .Int(limit)));
    std::vector<std::string> ids;
    for (int i = 0; i < rows.size(); ++i) ids.push_back(rows.String(i, 0));
    return ids;
  }

  absl::Status ClosePickup(absl::string_view id, absl::string_view expected_result,
                           absl::string_view result) override {
    return Transact([&](SqlConnection& conn) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      if (!result.empty()) {
        absl::StatusOr<VerificationRecord> v = GetVerificationOn(conn, id, /*for_update=*/true);
        if (v.ok()) {
          if (v->result != expected_result) {
            return absl::FailedPreconditionError("verification result changed meanwhile");
          }
          VOUCH_RETURN_IF_ERROR(
              conn.Execute(SqlStatement("UPDATE verifications SET result = ? WHERE id = ?")
                               .Bytes(result)
                               .Text(id))
                  .status());
        } else if (!absl::IsNotFound(v.status())) {
          return v.status();
        }
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("DELETE FROM attestation_pickups WHERE verification_id = ?")
                           .Text(id))
              .status());
      return tx.Commit();
    });
  }

  // ---- end attestation pickup window -----------------------------------------
  // ---- retention (#17) ----------------------------------------------------------

  absl::StatusOr<std::vector<std::string>> PurgeVerifications(absl::string_view policy,
                                                              absl::Time updated_before,
                                                              absl::Time now, int limit) override {
    if (limit < 1 || limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<std::vector<std::string>> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows due,
          conn.Execute(
              SqlStatement("SELECT v.id FROM verifications v"
                           " WHERE v.policy = ? AND v.state IN (?, ?) AND v.update_us < ?"
                           " AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.verification_id = v.id)"
                           " AND NOT EXISTS (SELECT 1 FROM badge_outbox b"
                           "   WHERE b.verification_id = v.id AND b.state = ?)"
                           " AND NOT EXISTS (SELECT 1 FROM attestations a"
                           "   WHERE a.verification_id = v.id AND a.expire_us > ?)"
                           " ORDER BY v.update_us, v.id LIMIT ?")
                  .Text(policy)
                  .Int(static_cast<int64_t>(VerificationState::kCompleted))
                  .Int(static_cast<int64_t>(VerificationState::kFailed))
                  .Int(Micros(updated_before))
                  .Int(static_cast<int64_t>(BadgeState::kPending))
                  .Int(Micros(now))
                  .Int(limit)));
      std::vector<std::string> deleted;
      for (int i = 0; i < due.size(); ++i) {
        const std::string id = due.String(i, 0);
        for (const char* sql : {"DELETE FROM jobs WHERE verification_id = ?",
                                "DELETE FROM attestations WHERE verification_id = ?",
                                "DELETE FROM wallet_offers WHERE verification_id = ?",
                                "DELETE FROM attestation_pickups WHERE verification_id = ?",
                                "DELETE FROM badge_outbox WHERE verification_id = ?"}) {
          VOUCH_RETURN_IF_ERROR(conn.Execute(SqlStatement(sql).Text(id)).status());
        }
        VOUCH_ASSIGN_OR_RETURN(
            SqlRows gone,
            conn.Execute(SqlStatement("DELETE FROM verifications WHERE id = ?").Text(id)));
        if (gone.affected() > 0) deleted.push_back(id);
      }
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      return deleted;
    });
  }

  absl::StatusOr<int64_t> PurgeKeptAttestations(absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(SqlRows rows,
                           conn->Execute(SqlStatement(kPurgeKeptAttestationsSql).Int(Micros(now))));
    return rows.affected();
  }

  absl::StatusOr<int64_t> ReleaseIdempotencyKeys(absl::string_view policy,
                                                 absl::Time created_before) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn->Execute(SqlStatement("UPDATE verifications SET idempotency_key = NULL"
                                   " WHERE policy = ? AND state IN (?, ?) AND create_us < ?"
                                   " AND idempotency_key IS NOT NULL")
                          .Text(policy)
                          .Int(static_cast<int64_t>(VerificationState::kCompleted))
                          .Int(static_cast<int64_t>(VerificationState::kFailed))
                          .Int(Micros(created_before))));
    return rows.affected();
  }

  // ---- end retention -------------------------------------------------------------
  // ---- erasure (#17, docs/erasure.md) ------------------------------------------

  absl::StatusOr<ErasureOutcome> EraseVerifications(const ErasureRequest& request) override {
    VOUCH_RETURN_IF_ERROR(ValidateErasure(request));
    return Transact([&](SqlConnection& conn) -> absl::StatusOr<ErasureOutcome> {
      VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect_));
      ErasureOutcome out;
      std::set<std::string> ids(request.verification_ids.begin(), request.verification_ids.end());
      if (request.telegram_user_id > 0) {
        VOUCH_ASSIGN_OR_RETURN(std::set<std::string> of_user, UserVerificationsOn(conn, request));
        ids.insert(of_user.begin(), of_user.end());
      }
      const std::set<std::string> requested(request.verification_ids.begin(),
                                            request.verification_ids.end());
      for (const std::string& id : ids) {
        VOUCH_ASSIGN_OR_RETURN(bool erased, EraseOneOn(conn, id, request.now, out));
        if (erased) {
          out.erased_ids.push_back(id);
        } else if (requested.count(id) > 0) {
          out.unmatched_ids.push_back(id);
        }
      }
      std::sort(out.revoked.begin(), out.revoked.end(),
                [](const AttestationRecord& a, const AttestationRecord& b) {
                  return a.attestation_id < b.attestation_id;
                });
      VOUCH_RETURN_IF_ERROR(tx.Commit());
      conn.ScrubDeleted();
      return out;
    });
  }

  // ---- end erasure ---------------------------------------------------------------

  // ---- face 1:N index (#17; sql_store_faces.cc) ---------------------------

  absl::StatusOr<std::vector<FaceIndexChange>> ListFaceChanges(absl::Time after,
                                                               absl::string_view after_id,
                                                               int limit) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return ListFaceChangesOn(*conn, after, after_id, limit);
  }

  absl::StatusOr<int64_t> CountFaces(absl::Time now) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return CountFacesOn(*conn, now);
  }

  absl::StatusOr<std::vector<DuplicateEntry>> FacesSealedWith(absl::string_view key_id,
                                                              absl::string_view after_id,
                                                              int limit) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return FacesSealedWithOn(*conn, key_id, after_id, limit);
  }

  absl::StatusOr<bool> RekeyFace(absl::string_view verification_id,
                                 absl::string_view expected_key_id, absl::string_view sealed,
                                 absl::string_view key_id) override {
    VOUCH_ASSIGN_OR_RETURN(SqlConnectionLease conn, db_->Acquire());
    return RekeyFaceOn(*conn, verification_id, expected_key_id, sealed, key_id);
  }

  // ---- end face 1:N index (#17) ---------------------------------------------

 private:
  // ---- duplicate index (#17) -----------------------------------------------

  static constexpr size_t kMaxDuplicateProbes = 64;
  static constexpr const char* kDuplicateColumns =
      "scope, kind, key_id, hash, verification_id, user_hash, held, forged, create_us, expire_us";

  static DuplicateEntry ReadDuplicate(const SqlRows& r, int row) {
    DuplicateEntry e;
    e.scope = r.String(row, 0);
    e.kind = static_cast<DuplicateKind>(r.Int(row, 1));
    e.key_id = r.String(row, 2);
    e.hash = r.String(row, 3);
    e.verification_id = r.String(row, 4);
    e.user_hash = r.String(row, 5);
    e.held = r.Int(row, 6) != 0;
    e.forged = r.Int(row, 7) != 0;
    e.create_time = FromMicros(r.Int(row, 8));
    e.expire_time = FromMicros(r.Int(row, 9));
    return e;
  }

  // Every entry within bounds and, when `verification_id` is not empty, of
  // that verification.
  static absl::Status ValidateDuplicates(absl::Span<const DuplicateEntry> entries,
                                         absl::string_view verification_id) {
    const auto within = [](absl::string_view s, size_t max) {
      return !s.empty() && s.size() <= max;
    };
    for (const DuplicateEntry& e : entries) {
      if (e.kind == DuplicateKind::kFace) {  // #17: the face 1:N index
        VOUCH_RETURN_IF_ERROR(ValidateFaceEntry(e));
      } else if (!within(e.scope, kMaxIdBytes) || !within(e.key_id, 64) || !within(e.hash, 128) ||
                 !within(e.verification_id, 64) || !within(e.user_hash, 128) ||
                 (e.kind != DuplicateKind::kDocument && e.kind != DuplicateKind::kPerson)) {
        return absl::InvalidArgumentError("duplicate entry out of bounds");
      }
      if (!verification_id.empty() && e.verification_id != verification_id) {
        return absl::InvalidArgumentError("duplicate entry of another verification");
      }
    }
    return absl::OkStatus();
  }

  // A review decision's verdict on a verification's entries (DecideCase).
  static absl::Status MoveDuplicatesOn(SqlConnection& conn, absl::string_view verification_id,
                                       DuplicateVerdict verdict) {
    const char* sql = nullptr;
    switch (verdict) {
      case DuplicateVerdict::kNone:
        return absl::OkStatus();
      case DuplicateVerdict::kConfirm:
        sql = "UPDATE duplicate_index SET held = 0 WHERE verification_id = ? AND held <> 0";
        break;
      case DuplicateVerdict::kForged:
        sql = "UPDATE duplicate_index SET forged = 1 WHERE verification_id = ?";
        break;
      case DuplicateVerdict::kDelete:
        sql = "DELETE FROM duplicate_index WHERE verification_id = ?";
        break;
    }
    if (sql == nullptr) return absl::InvalidArgumentError("unknown duplicate verdict");
    return conn.Execute(SqlStatement(sql).Text(verification_id)).status();
  }

  static absl::Status InsertDuplicatesOn(SqlConnection& conn,
                                         absl::Span<const DuplicateEntry> entries) {
    for (const DuplicateEntry& e : entries) {
      if (e.kind == DuplicateKind::kFace) {  // #17: the face 1:N index
        VOUCH_RETURN_IF_ERROR(InsertFaceOn(conn, e));
        continue;
      }
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement(
                           absl::StrCat("INSERT INTO duplicate_index (", kDuplicateColumns,
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                        " ON CONFLICT (scope, kind, key_id, hash, verification_id)"
                                        " DO UPDATE SET user_hash = excluded.user_hash,"
                                        " held = excluded.held, forged = excluded.forged,"
                                        " create_us = excluded.create_us,"
                                        " expire_us = excluded.expire_us"))
                           .Text(e.scope)
                           .Int(static_cast<int64_t>(e.kind))
                           .Text(e.key_id)
                           .Text(e.hash)
                           .Text(e.verification_id)
                           .Text(e.user_hash)
                           .Int(e.held ? 1 : 0)
                           .Int(e.forged ? 1 : 0)
                           .Int(Micros(e.create_time))
                           .Int(Micros(e.expire_time)))
              .status());
    }
    return absl::OkStatus();
  }

  // ---- end duplicate index (#17) -------------------------------------------

  // ---- Wallet credential offers (#19) ------------------------------------

  // The offer whose `column` (code_hash or token_hash) is `value`, locked
  // for the transaction.
  absl::StatusOr<std::optional<WalletOfferRecord>> FindWalletOfferOn(SqlConnection& conn,
                                                                     absl::string_view column,
                                                                     absl::string_view value) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn.Execute(SqlStatement(absl::StrCat("SELECT code_hash, verification_id, tx_code_hash,"
                                               " sealed, key_id, create_us, expire_us,"
                                               " tx_failures, state, token_hash, token_expire_us"
                                               " FROM wallet_offers WHERE ",
                                               column, " = ?", dialect_.for_update))
                         .Text(value)));
    if (rows.empty()) return std::nullopt;
    WalletOfferRecord o;
    o.code_hash = rows.String(0, 0);
    o.verification_id = rows.String(0, 1);
    o.tx_code_hash = rows.String(0, 2);
    o.sealed = rows.String(0, 3);
    o.key_id = rows.String(0, 4);
    o.create_time = FromMicros(rows.Int(0, 5));
    o.expire_time = FromMicros(rows.Int(0, 6));
    o.tx_code_failures = static_cast<int>(rows.Int(0, 7));
    o.state = static_cast<WalletOfferState>(rows.Int(0, 8));
    o.token_hash = rows.String(0, 9);
    o.token_expire_time = FromMicros(rows.Int(0, 10));
    return o;
  }

  // ---- end wallet credential offers ---------------------------------------

  // --- Telegram badge outbox (#16) -----------------------------------------

  static absl::Status ValidateBadges(absl::Span<const BadgeRequest> badges) {
    for (const BadgeRequest& b : badges) VOUCH_RETURN_IF_ERROR(ValidateBadgeRequest(b));
    return absl::OkStatus();
  }

  // Inserts the item unless (verification_id, action) has one; returns
  // whether it did.
  static absl::StatusOr<bool> InsertBadgeOn(SqlConnection& conn, const BadgeRequest& r,
                                            absl::Time now) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows inserted,
        conn.Execute(SqlStatement("INSERT INTO badge_outbox (verification_id, action, user_id,"
                                  " custom_description, state, attempts, next_attempt_us,"
                                  " lease_token, lease_expiry_us, error, create_us, update_us)"
                                  " VALUES (?, ?, ?, ?, 1, 0, ?, '', ?, '', ?, ?)"
                                  " ON CONFLICT (verification_id, action) DO NOTHING")
                         .Text(r.verification_id)
                         .Int(static_cast<int64_t>(r.action))
                         .Int(r.user_id)
                         .Text(r.custom_description)
                         .Int(Micros(std::max(now, r.not_before)))
                         .Int(Micros(absl::InfinitePast()))
                         .Int(Micros(now))
                         .Int(Micros(now))));
    return inserted.affected() == 1;
  }

  static absl::Status InsertBadgesOn(SqlConnection& conn, absl::Span<const BadgeRequest> badges,
                                     absl::Time now) {
    for (const BadgeRequest& b : badges)
      VOUCH_RETURN_IF_ERROR(InsertBadgeOn(conn, b, now).status());
    return absl::OkStatus();
  }

  // A revoked attestation's verification loses its badge: a removal for
  // the user of its verifyUser item (unless that failed), due at once
  // whatever the dispatcher's clock (one queued for the end of the validity
  // is brought forward; one already made or failed is left).
  static absl::Status QueueRemovalOnRevokeOn(SqlConnection& conn,
                                             absl::string_view attestation_id) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows verify,
        conn.Execute(SqlStatement("SELECT b.verification_id, b.user_id FROM badge_outbox b"
                                  " JOIN attestations a ON a.verification_id = b.verification_id"
                                  " WHERE a.attestation_id = ? AND b.action = 1 AND b.state <> 3")
                         .Text(attestation_id)));
    if (verify.empty()) return absl::OkStatus();
    const BadgeRequest removal{verify.String(0, 0), verify.Int(0, 1), BadgeAction::kRemove, "",
                               absl::InfinitePast()};
    VOUCH_RETURN_IF_ERROR(InsertBadgeOn(conn, removal, absl::Now()).status());
    return conn
        .Execute(SqlStatement("UPDATE badge_outbox SET next_attempt_us = ?"
                              " WHERE verification_id = ? AND action = 2 AND state = 1")
                     .Int(Micros(absl::InfinitePast()))
                     .Text(removal.verification_id))
        .status();
  }

  // The reversal's removal (#16): as QueueRemovalOnRevokeOn, by the
  // verification. Returns whether a removal is now pending.
  static absl::StatusOr<bool> QueueRemovalOfVerificationOn(SqlConnection& conn,
                                                           absl::string_view verification_id,
                                                           absl::Time now) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows verify,
        conn.Execute(SqlStatement("SELECT user_id FROM badge_outbox WHERE verification_id = ?"
                                  " AND action = 1 AND state <> 3")
                         .Text(verification_id)));
    if (verify.empty()) return false;
    const BadgeRequest removal{std::string(verification_id), verify.Int(0, 0), BadgeAction::kRemove,
                               "", absl::InfinitePast()};
    VOUCH_RETURN_IF_ERROR(InsertBadgeOn(conn, removal, now).status());
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows pending,
        conn.Execute(SqlStatement("UPDATE badge_outbox SET next_attempt_us = ?"
                                  " WHERE verification_id = ? AND action = 2 AND state = 1")
                         .Int(Micros(absl::InfinitePast()))
                         .Text(verification_id)));
    return pending.affected() == 1;
  }

  // #17: the record of a verifyUser whose verification was erased while
  // it was claimed (its call may have landed at Telegram after the removal
  // the erasure left, setting the badge again). When the erasure's trace of
  // the verification is kept and the call may have set the badge (an
  // outcome other than kFailed), a removal for the claim's user is queued
  // under an id of its own, due at once, unless one of the erasures'
  // removals for that user is still waiting, not under a live lease (it is
  // made after now anyway). Returns whether the trace was found.
  static absl::StatusOr<bool> RequeueErasedRemovalOn(SqlConnection& conn, const BadgeItem& claimed,
                                                     BadgeState outcome, absl::Time now) {
    if (claimed.request.action != BadgeAction::kVerify) return false;
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows trace,
        conn.Execute(SqlStatement("SELECT 1 FROM badge_erased_claims"
                                  " WHERE verification_hash = ? AND keep_until_us > ?")
                         .Text(Sha256Hex(claimed.request.verification_id))
                         .Int(Micros(now))));
    if (trace.empty()) return false;
    if (outcome == BadgeState::kFailed) return true;  // Refused: no badge was set.
    const BadgeRequest removal{absl::StrCat("erased:", NewLeaseToken()), claimed.request.user_id,
                               BadgeAction::kRemove, "", absl::InfinitePast()};
    VOUCH_RETURN_IF_ERROR(ValidateBadgeRequest(removal));
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows waiting,
        conn.Execute(SqlStatement("SELECT 1 FROM badge_outbox WHERE user_id = ? AND action = 2"
                                  " AND state = 1 AND lease_expiry_us <= ?"
                                  " AND verification_id LIKE 'erased:%'")
                         .Int(removal.user_id)
                         .Int(Micros(now))));
    if (waiting.empty()) VOUCH_RETURN_IF_ERROR(InsertBadgeOn(conn, removal, now).status());
    return true;
  }

  // --- end badge outbox ----------------------------------------------------

  // Runs `op`, one transaction on a lent connection, and runs it again (at
  // most kConflictAttempts times in all) when the database aborted it for a
  // conflict with a concurrent transaction (IsSqlConflict: PostgreSQL's
  // deadlocks and serialization failures; nothing was written).
  template <typename Op>
  auto Transact(Op op) -> decltype(op(std::declval<SqlConnection&>())) {
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<SqlConnectionLease> conn = db_->Acquire();
      if (!conn.ok()) return conn.status();
      auto result = op(**conn);
      if (attempt >= kConflictAttempts || !IsSqlConflict(StatusOf(result))) return result;
    }
  }
  static const absl::Status& StatusOf(const absl::Status& s) { return s; }
  template <typename T>
  static const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
    return s.status();
  }

  absl::StatusOr<VerificationRecord> GetVerificationOn(SqlConnection& conn, absl::string_view id,
                                                       bool for_update) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows, conn.Execute(SqlStatement(absl::StrCat("SELECT ", kVerificationColumns,
                                                             " FROM verifications WHERE id = ?",
                                                             for_update ? dialect_.for_update : ""))
                                       .Text(id)));
    if (rows.empty()) return absl::NotFoundError("unknown verification");
    return ReadVerification(rows, 0);
  }

  absl::StatusOr<ReviewCase> GetCaseOn(SqlConnection& conn, absl::string_view id, bool for_update) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn.Execute(SqlStatement(absl::StrCat("SELECT ", CaseColumns(dialect_, true),
                                               " FROM cases WHERE verification_id = ?",
                                               for_update ? dialect_.for_update : ""))
                         .Text(id)));
    if (rows.empty()) return absl::NotFoundError("unknown case");
    return ReadCase(rows, 0, true);
  }

  static absl::Status SetResultOn(SqlConnection& conn, absl::string_view id,
                                  VerificationState state, absl::string_view result,
                                  absl::Time now) {
    return conn
        .Execute(SqlStatement("UPDATE verifications SET state = ?, result = ?, update_us = ?"
                              " WHERE id = ?")
                     .Int(static_cast<int64_t>(state))
                     .Bytes(result)
                     .Int(Micros(now))
                     .Text(id))
        .status();
  }

  // A decided or expired case's verification gets its final result; it
  // must be kCompleted.
  static absl::Status ReplaceCompletedResultOn(SqlConnection& conn, absl::string_view id,
                                               absl::string_view result, absl::Time now) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows updated,
        conn.Execute(SqlStatement("UPDATE verifications SET result = ?,"
                                  " update_us = ? WHERE id = ? AND state = ?")
                         .Bytes(result)
                         .Int(Micros(now))
                         .Text(id)
                         .Int(static_cast<int64_t>(VerificationState::kCompleted))));
    if (updated.affected() != 1) {
      return absl::FailedPreconditionError("the case's verification is not completed");
    }
    return absl::OkStatus();
  }

  // ---- erasure (#17) ------------------------------------------------------------

  static absl::Status ValidateErasure(const ErasureRequest& r) {
    if (r.verification_ids.empty() && r.telegram_user_id <= 0) {
      return absl::InvalidArgumentError("an erasure needs verification ids or a Telegram user");
    }
    if (r.verification_ids.size() > 1000) {
      return absl::InvalidArgumentError("at most 1000 verification ids per erasure");
    }
    for (const std::string& id : r.verification_ids) {
      if (id.empty() || id.size() > 64) {
        return absl::InvalidArgumentError("a verification id has 1 to 64 bytes");
      }
    }
    if (r.telegram_user_id < 0) return absl::InvalidArgumentError("negative Telegram user id");
    if (r.telegram_user_id > 0 && (r.relying_service.empty() || r.relying_service.size() > 256)) {
      return absl::InvalidArgumentError("erasing a Telegram user's data needs a relying service");
    }
    if (r.user_hashes.size() > 256) return absl::InvalidArgumentError("at most 256 user hashes");
    for (const std::string& h : r.user_hashes) {
      if (h.empty() || h.size() > 128) return absl::InvalidArgumentError("bad user hash");
    }
    return absl::OkStatus();
  }

  // The verifications of the request's Telegram user: found by their index
  // entries' user hash or their badge calls' user id, kept when they are of
  // the relying service or gone already (what is left of them is the
  // user's).
  static absl::StatusOr<std::set<std::string>> UserVerificationsOn(SqlConnection& conn,
                                                                   const ErasureRequest& r) {
    std::set<std::string> found;
    const auto collect = [&](SqlStatement statement) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlRows rows, conn.Execute(std::move(statement)));
      for (int i = 0; i < rows.size(); ++i) found.insert(rows.String(i, 0));
      return absl::OkStatus();
    };
    for (const std::string& h : r.user_hashes) {
      VOUCH_RETURN_IF_ERROR(collect(
          SqlStatement("SELECT verification_id FROM duplicate_index WHERE user_hash = ?").Text(h)));
      VOUCH_RETURN_IF_ERROR(collect(
          SqlStatement("SELECT verification_id FROM face_index WHERE user_hash = ? AND erased = 0")
              .Text(h)));
    }
    VOUCH_RETURN_IF_ERROR(
        collect(SqlStatement("SELECT verification_id FROM badge_outbox WHERE user_id = ?"
                             " AND verification_id NOT LIKE 'erased:%'")
                    .Int(r.telegram_user_id)));
    std::set<std::string> kept;
    for (const std::string& id : found) {
      VOUCH_ASSIGN_OR_RETURN(
          SqlRows service,
          conn.Execute(
              SqlStatement("SELECT relying_service FROM verifications WHERE id = ?").Text(id)));
      if (service.empty() || service.String(0, 0) == r.relying_service) kept.insert(id);
    }
    return kept;
  }

  // Erases what is kept about verification `id` into `out`; true when there
  // was anything.
  absl::StatusOr<bool> EraseOneOn(SqlConnection& conn, const std::string& id, absl::Time now,
                                  ErasureOutcome& out) {
    int64_t changed = 0;
    const auto run = [&](const char* sql, int64_t* count) -> absl::Status {
      VOUCH_ASSIGN_OR_RETURN(SqlRows rows, conn.Execute(SqlStatement(sql).Text(id)));
      *count += rows.affected();
      changed += rows.affected();
      return absl::OkStatus();
    };
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows keys, conn.Execute(SqlStatement("SELECT COUNT(*) FROM verifications"
                                                " WHERE id = ? AND idempotency_key IS NOT NULL")
                                       .Text(id)));
    const int64_t idempotency_keys = keys.Int(0, 0);
    VOUCH_RETURN_IF_ERROR(run("DELETE FROM cases WHERE verification_id = ?", &out.review_cases));
    VOUCH_RETURN_IF_ERROR(run("DELETE FROM jobs WHERE verification_id = ?", &out.jobs));
    VOUCH_RETURN_IF_ERROR(
        run("DELETE FROM attestation_pickups WHERE verification_id = ?", &out.pickups));
    VOUCH_RETURN_IF_ERROR(
        run("DELETE FROM wallet_offers WHERE verification_id = ?", &out.wallet_offers));
    VOUCH_RETURN_IF_ERROR(
        run("DELETE FROM duplicate_index WHERE verification_id = ?", &out.duplicate_entries));
    VOUCH_ASSIGN_OR_RETURN(int64_t faces, EraseFacesOn(conn, id));
    out.face_entries += faces;
    changed += faces;
    const int64_t badge_calls = out.badge_calls;
    VOUCH_ASSIGN_OR_RETURN(bool removal, EraseBadgesOn(conn, id, now, out));
    out.badge_removal_queued |= removal;
    changed += out.badge_calls - badge_calls;
    // Attestations: revoked and kept when on a status list (relying
    // services see the revocation), deleted otherwise.
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows listed,
        conn.Execute(SqlStatement(absl::StrCat("SELECT ", kAttestationColumns,
                                               " FROM attestations WHERE verification_id = ?"
                                               " AND status_list_uri IS NOT NULL AND status <> 1"))
                         .Text(id)));
    for (int i = 0; i < listed.size(); ++i) {
      AttestationRecord a = ReadAttestation(listed, i);
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("UPDATE attestations SET status = 1 WHERE attestation_id = ?")
                           .Text(a.attestation_id))
              .status());
      a.status = 1;
      out.revoked.push_back(std::move(a));
      ++changed;
    }
    VOUCH_RETURN_IF_ERROR(
        run("DELETE FROM attestations WHERE verification_id = ? AND status_list_uri IS NULL",
            &out.attestations_deleted));
    int64_t verifications = 0;
    VOUCH_RETURN_IF_ERROR(run("DELETE FROM verifications WHERE id = ?", &verifications));
    out.verifications += verifications;
    if (verifications > 0) out.idempotency_keys += idempotency_keys;
    return changed > 0;
  }

  // Deletes the badge calls of verification `id` (counted in out.badge_calls);
  // when a verifyUser was made (or may have been: attempted, still pending)
  // and no removal was made, leaves a removeUserVerification for the user,
  // due at once (or when the verifyUser's live lease ends), under a
  // verification id of its own ("erased:<random>"), deleted once no longer
  // pending (RecordBadgeAttempt). When the verifyUser was ever claimed, keeps
  // a trace of the erased claim for kErasedClaimTrace: the SHA-256 of `id`
  // (RequeueErasedRemovalOn). Returns whether it left a removal. The rows
  // are read locked: a concurrent record (PostgreSQL) is seen once it ends.
  absl::StatusOr<bool> EraseBadgesOn(SqlConnection& conn, const std::string& id, absl::Time now,
                                     ErasureOutcome& out) {
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows rows,
        conn.Execute(SqlStatement(absl::StrCat("SELECT action, user_id, state, attempts,"
                                               " lease_expiry_us FROM badge_outbox"
                                               " WHERE verification_id = ?",
                                               dialect_.for_update))
                         .Text(id)));
    std::optional<BadgeRequest> removal;
    bool removed = false;
    bool claimed = false;
    for (int i = 0; i < rows.size(); ++i) {
      const auto action = static_cast<BadgeAction>(rows.Int(i, 0));
      const auto state = static_cast<BadgeState>(rows.Int(i, 2));
      if (action == BadgeAction::kRemove && state == BadgeState::kDone) removed = true;
      if (action != BadgeAction::kVerify) continue;
      claimed = rows.Int(i, 3) > 0;
      const bool made =
          state == BadgeState::kDone || (state == BadgeState::kPending && rows.Int(i, 3) > 0);
      if (!made) continue;
      const absl::Time lease_end = FromMicros(rows.Int(i, 4));
      removal = BadgeRequest{absl::StrCat("erased:", NewLeaseToken()), rows.Int(i, 1),
                             BadgeAction::kRemove, "",
                             lease_end > now ? lease_end : absl::InfinitePast()};
    }
    VOUCH_ASSIGN_OR_RETURN(
        SqlRows deleted,
        conn.Execute(SqlStatement("DELETE FROM badge_outbox WHERE verification_id = ?").Text(id)));
    out.badge_calls += deleted.affected();
    if (claimed) {
      VOUCH_RETURN_IF_ERROR(
          conn.Execute(SqlStatement("INSERT INTO badge_erased_claims (verification_hash,"
                                    " keep_until_us) VALUES (?, ?)"
                                    " ON CONFLICT (verification_hash)"
                                    " DO UPDATE SET keep_until_us = excluded.keep_until_us")
                           .Text(Sha256Hex(id))
                           .Int(Micros(now + kErasedClaimTrace)))
              .status());
    }
    if (!removal.has_value() || removed) return false;
    VOUCH_RETURN_IF_ERROR(InsertBadgeOn(conn, *removal, now).status());
    return true;
  }

  // ---- end erasure ----------------------------------------------------------------

  static absl::Status DeleteCaseOn(SqlConnection& conn, absl::string_view id) {
    return conn.Execute(SqlStatement("DELETE FROM cases WHERE verification_id = ?").Text(id))
        .status();
  }

  static absl::Status InsertAttestationOn(SqlConnection& conn, const AttestationRecord& a) {
    return conn
        .Execute(SqlStatement("INSERT INTO attestations (attestation_id, verification_id,"
                              " relying_service, expire_us, status_list_uri, status_list_index,"
                              " status) VALUES (?, ?, ?, ?, ?, ?, ?)")
                     .Text(a.attestation_id)
                     .Text(a.verification_id)
                     .Text(a.relying_service)
                     .Int(Micros(a.expire_time))
                     .TextOrNull(a.status_list_uri)
                     .Int(a.status_list_index)
                     .Int(a.status))
        .status();
  }

  // Inserts the case of a verification completed in the current transaction.
  absl::Status InsertCaseOn(SqlConnection& conn, const ReviewCase& given) {
    const ReviewCase c = NewCase(given);
    return conn
        .Execute(SqlStatement(absl::StrCat("INSERT INTO cases (verification_id, relying_service,"
                                           " policy, reasons, sealed, key_id, stage,"
                                           " lease_expiry_us, create_us, delete_after_us)"
                                           " VALUES (?, ?, ?, ",
                                           dialect_.reasons_value, ", ?, ?, ?, ?, ?, ?)"))
                     .Text(c.verification_id)
                     .Text(c.relying_service)
                     .Text(c.policy)
                     .Text(JoinReasons(c.reasons))
                     .Bytes(c.sealed)
                     .Text(c.key_id)
                     .Int(static_cast<int64_t>(c.stage))
                     .Int(Micros(c.lease_expiry))
                     .Int(Micros(c.create_time))
                     .Int(Micros(c.delete_after)))
        .status();
  }

  const std::unique_ptr<SqlDatabase> db_;
  const SqlDialect& dialect_;
};

}  // namespace

absl::Status MigrateSchema(SqlConnection& conn, const SqlDialect& dialect) {
  const absl::Span<const std::string> migrations = Migrations(dialect.schema);
  const int64_t newest = static_cast<int64_t>(migrations.size());
  VOUCH_ASSIGN_OR_RETURN(SqlTransaction tx, SqlTransaction::Begin(conn, dialect));
  // Several processes starting at once: each finds the version the one
  // before it left.
  VOUCH_RETURN_IF_ERROR(tx.Lock(kMigrateLock, dialect));
  VOUCH_RETURN_IF_ERROR(conn.ExecuteScript(CreateSchemaVersion(dialect.schema)));
  VOUCH_ASSIGN_OR_RETURN(SqlRows rows,
                         conn.Execute(SqlStatement("SELECT version FROM schema_version LIMIT 1")));
  const int64_t current = rows.empty() ? 0 : rows.Int(0, 0);
  if (current < 0 || current > newest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", current, ", this build knows up to ", newest));
  }
  if (current == newest) return tx.Commit();
  for (int64_t i = current; i < newest; ++i) {
    VOUCH_RETURN_IF_ERROR(conn.ExecuteScript(migrations[i]));
  }
  VOUCH_RETURN_IF_ERROR(conn.Execute(SqlStatement("DELETE FROM schema_version")).status());
  VOUCH_RETURN_IF_ERROR(
      conn.Execute(SqlStatement("INSERT INTO schema_version (version) VALUES (?)").Int(newest))
          .status());
  return tx.Commit();
}

std::unique_ptr<Store> NewSqlStore(std::unique_ptr<SqlDatabase> db) {
  return std::make_unique<SqlStore>(std::move(db));
}

}  // namespace vouch::verifier::storage::internal
