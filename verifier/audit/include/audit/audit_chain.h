#ifndef VOUCH_VERIFIER_AUDIT_AUDIT_CHAIN_H_
#define VOUCH_VERIFIER_AUDIT_AUDIT_CHAIN_H_

// Checking and exporting the hash-chained audit log (the Store appends it;
// storage/store.h AuditEvent, AuditEventHash). A chain is intact when seq
// runs 1, 2, 3, ... without gaps, each prev_hash is the previous event's hash
// (64 zeros for seq 1), and each hash is AuditEventHash of the event. An
// edited row breaks its own hash; a row edited with a recomputed hash breaks
// the next event's prev_hash; a deleted row breaks seq. Truncation of the
// newest events is only visible against a head recorded elsewhere (the
// report's last_seq and last_hash; --expect-head in vouchctl).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/store.h"

namespace vouch::verifier::audit {

struct AuditChainReport {
  int64_t events = 0;
  int64_t last_seq = 0;   // 0 for an empty log
  std::string last_hash;  // "" for an empty log
  // The first broken link: its seq and what is wrong.
  std::optional<int64_t> broken_seq;
  std::string problem;

  bool ok() const { return !broken_seq.has_value(); }
};

// Feeds events in seq order; stops recording at the first break.
class AuditChainChecker {
 public:
  void Add(const storage::AuditEvent& event);
  const AuditChainReport& report() const { return report_; }

 private:
  AuditChainReport report_;
};

// Pages of events with seq > after_seq, at most `limit`, in seq order
// (Store::ListAudit, or the Admin RPC).
using AuditPageSource =
    std::function<absl::StatusOr<std::vector<storage::AuditEvent>>(int64_t after_seq, int limit)>;

// Reads the whole log from `source` and checks it. Errors: the source's.
absl::StatusOr<AuditChainReport> CheckAuditChain(const AuditPageSource& source, int page = 1000);

// Calls `sink` with every event in seq order. Errors: the source's.
absl::Status ForEachAuditEvent(const AuditPageSource& source,
                               const std::function<absl::Status(const storage::AuditEvent&)>& sink,
                               int page = 1000);

// One JSON Lines record (no newline): seq, time (RFC 3339, UTC, micros),
// time_unix_micros, actor, action, verification_id, detail (the stored
// string, verbatim), prev_hash, hash.
std::string AuditEventToJson(const storage::AuditEvent& event);
// The inverse, for checking an export. Errors: kInvalidArgument.
absl::StatusOr<storage::AuditEvent> AuditEventFromJson(absl::string_view line);

}  // namespace vouch::verifier::audit

#endif  // VOUCH_VERIFIER_AUDIT_AUDIT_CHAIN_H_
