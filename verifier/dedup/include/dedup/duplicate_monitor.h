#ifndef VOUCH_VERIFIER_DEDUP_DUPLICATE_MONITOR_H_
#define VOUCH_VERIFIER_DEDUP_DUPLICATE_MONITOR_H_

// Operating the duplicate index (docs/dedup.md): what vouchd counts and
// audits about it (ids only, never a document value), its retention (entries
// past duplicate_ttl deleted on a schedule) and the erasure of one
// verification's entries.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/periodic_task.h"
#include "dedup/duplicate_index.h"
#include "storage/store.h"

namespace vouch::verifier::dedup {

// Thread-safe. `store` and `clock` are not owned and must outlive it.
class DuplicateMonitor {
 public:
  DuplicateMonitor(storage::Store& store, Clock& clock) : store_(store), clock_(clock) {}

  // An index that forwards to `inner` (not owned; must outlive the result)
  // and, for every lookup that found something, counts the matches by kind
  // and appends the audit event "duplicate.match" (actor "vouchd", the
  // submission's verification id, detail {"document": [ids], "person":
  // [ids]} with "forged": [ids] when any match was marked forged): the other
  // verification ids only. An audit failure is logged (ids only) and does
  // not fail the lookup.
  std::unique_ptr<DuplicateIndex> Observe(DuplicateIndex& inner);

  // One retention pass: deletes the entries expired at the clock's now and,
  // when it deleted any, appends "duplicate.purge" {"count": N}. Returns N.
  absl::StatusOr<int64_t> PurgeOnce();

  // Erasure: deletes every entry of `verification_id` and appends
  // "duplicate.erase" {"count": N} by `actor`. Returns N. Errors:
  // kInvalidArgument for an empty id or actor; the Store's.
  absl::StatusOr<int64_t> Erase(absl::string_view verification_id, absl::string_view actor);

  // Prometheus text (format 0.0.4):
  //   vouch_duplicate_matches_total{kind="document"|"person"|"forged"|"face"}
  //                                  matches found since start
  //   vouch_duplicate_purged_total   entries deleted by retention since start
  //   vouch_duplicate_index_entries  entries not expired (left out when the
  //                                  Store cannot be read)
  //   vouch_duplicate_face_entries   face entries not expired (the same)
  std::string RenderMetrics() const;

  uint64_t document_matches() const { return document_matches_.load(); }
  uint64_t person_matches() const { return person_matches_.load(); }
  uint64_t forged_matches() const { return forged_matches_.load(); }
  uint64_t face_matches() const { return face_matches_.load(); }
  uint64_t purged() const { return purged_.load(); }

  // Used by Observe's index.
  void RecordMatches(absl::string_view verification_id, const DuplicateMatches& matches);

 private:
  void Audit(absl::string_view actor, absl::string_view action, absl::string_view id,
             const std::string& detail);

  storage::Store& store_;
  Clock& clock_;
  std::atomic<uint64_t> document_matches_{0};
  std::atomic<uint64_t> person_matches_{0};
  std::atomic<uint64_t> forged_matches_{0};
  std::atomic<uint64_t> face_matches_{0};
  std::atomic<uint64_t> purged_{0};
};

// Runs monitor.PurgeOnce() every `interval` on its own thread until
// destroyed (failures logged with their code only).
class DuplicatePurger {
 public:
  DuplicatePurger(DuplicateMonitor& monitor, absl::Duration interval);
  ~DuplicatePurger();
  DuplicatePurger(const DuplicatePurger&) = delete;
  DuplicatePurger& operator=(const DuplicatePurger&) = delete;

 private:
  PeriodicTask task_;
};

}  // namespace vouch::verifier::dedup

#endif  // VOUCH_VERIFIER_DEDUP_DUPLICATE_MONITOR_H_
