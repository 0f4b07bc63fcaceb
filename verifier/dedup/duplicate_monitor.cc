#include "dedup/duplicate_monitor.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace vouch::verifier::dedup {
namespace {

constexpr char kVouchd[] = "vouchd";

class ObservedIndex final : public DuplicateIndex {
 public:
  ObservedIndex(DuplicateIndex& inner, DuplicateMonitor& monitor)
      : inner_(inner), monitor_(monitor) {}

  absl::StatusOr<DuplicateMatches> Find(const DuplicateSubject& subject, absl::Time now) override {
    absl::StatusOr<DuplicateMatches> found = inner_.Find(subject, now);
    if (found.ok() && !found->empty()) monitor_.RecordMatches(subject.verification_id, *found);
    return found;
  }

  std::vector<storage::DuplicateEntry> EntriesFor(const DuplicateSubject& subject,
                                                  absl::string_view verification_id, absl::Time now,
                                                  absl::Duration ttl) override {
    return inner_.EntriesFor(subject, verification_id, now, ttl);
  }

  bool SearchesFaces() const override { return inner_.SearchesFaces(); }

 private:
  DuplicateIndex& inner_;
  DuplicateMonitor& monitor_;
};

}  // namespace

std::unique_ptr<DuplicateIndex> DuplicateMonitor::Observe(DuplicateIndex& inner) {
  return std::make_unique<ObservedIndex>(inner, *this);
}

void DuplicateMonitor::RecordMatches(absl::string_view verification_id,
                                     const DuplicateMatches& matches) {
  nlohmann::json detail = nlohmann::json::object();
  std::vector<std::string> forged;
  const auto ids = [&forged](const std::vector<storage::DuplicateEntry>& entries) {
    std::vector<std::string> out;
    for (const storage::DuplicateEntry& e : entries) {
      out.push_back(e.verification_id);
      if (e.forged) forged.push_back(e.verification_id);
    }
    return out;
  };
  if (!matches.documents.empty()) detail["document"] = ids(matches.documents);
  if (!matches.persons.empty()) detail["person"] = ids(matches.persons);
  if (!matches.faces.empty()) {  // The face 1:N index: ids only, no similarity.
    std::vector<std::string> faces;
    for (const FaceDuplicate& f : matches.faces) {
      faces.push_back(f.verification_id);
      if (f.forged) forged.push_back(f.verification_id);
    }
    detail["face"] = faces;
  }
  if (!forged.empty()) detail["forged"] = forged;
  document_matches_ += matches.documents.size();
  person_matches_ += matches.persons.size();
  face_matches_ += matches.faces.size();
  forged_matches_ += forged.size();
  Audit(kVouchd, "duplicate.match", verification_id, detail.dump());
}

absl::StatusOr<int64_t> DuplicateMonitor::PurgeOnce() {
  absl::StatusOr<int64_t> purged = store_.PurgeExpiredDuplicates(clock_.Now());
  if (!purged.ok()) return purged.status();
  if (*purged > 0) {
    purged_ += static_cast<uint64_t>(*purged);
    Audit(kVouchd, "duplicate.purge", "", nlohmann::json{{"count", *purged}}.dump());
  }
  return *purged;
}

absl::StatusOr<int64_t> DuplicateMonitor::Erase(absl::string_view verification_id,
                                                absl::string_view actor) {
  if (verification_id.empty() || verification_id.size() > 64) {
    return absl::InvalidArgumentError("a verification id of 1..64 bytes is required");
  }
  if (actor.empty()) return absl::InvalidArgumentError("an actor is required");
  absl::StatusOr<int64_t> erased = store_.DeleteDuplicates(verification_id);
  if (!erased.ok()) return erased.status();
  Audit(actor, "duplicate.erase", verification_id, nlohmann::json{{"count", *erased}}.dump());
  return *erased;
}

std::string DuplicateMonitor::RenderMetrics() const {
  std::string out =
      "# HELP vouch_duplicate_matches_total Duplicate-index matches found since start.\n"
      "# TYPE vouch_duplicate_matches_total counter\n";
  absl::StrAppend(&out, "vouch_duplicate_matches_total{kind=\"document\"} ",
                  document_matches_.load(), "\n", "vouch_duplicate_matches_total{kind=\"person\"} ",
                  person_matches_.load(), "\n", "vouch_duplicate_matches_total{kind=\"forged\"} ",
                  forged_matches_.load(), "\n");
  absl::StrAppend(&out, "vouch_duplicate_matches_total{kind=\"face\"} ", face_matches_.load(),
                  "\n");
  absl::StrAppend(&out,
                  "# HELP vouch_duplicate_purged_total Duplicate-index entries deleted by "
                  "retention since start.\n"
                  "# TYPE vouch_duplicate_purged_total counter\n"
                  "vouch_duplicate_purged_total ",
                  purged_.load(), "\n");
  absl::StatusOr<int64_t> entries = store_.CountDuplicates(clock_.Now());
  if (entries.ok()) {
    absl::StrAppend(&out,
                    "# HELP vouch_duplicate_index_entries Duplicate-index entries not expired.\n"
                    "# TYPE vouch_duplicate_index_entries gauge\n"
                    "vouch_duplicate_index_entries ",
                    *entries, "\n");
  }
  absl::StatusOr<int64_t> faces = store_.CountFaces(clock_.Now());  // The face 1:N index.
  if (faces.ok()) {
    absl::StrAppend(&out,
                    "# HELP vouch_duplicate_face_entries Face entries of the Store not expired.\n"
                    "# TYPE vouch_duplicate_face_entries gauge\n"
                    "vouch_duplicate_face_entries ",
                    *faces, "\n");
  }
  return out;
}

void DuplicateMonitor::Audit(absl::string_view actor, absl::string_view action,
                             absl::string_view id, const std::string& detail) {
  storage::AuditEvent e;
  e.time = clock_.Now();
  e.actor = std::string(actor);
  e.action = std::string(action);
  e.verification_id = std::string(id);
  e.detail = detail;
  absl::StatusOr<storage::AuditEvent> stored = store_.AppendAudit(e);
  if (!stored.ok()) {
    spdlog::error("cannot append audit action={} id={} code={}", std::string(action),
                  std::string(id), absl::StatusCodeToString(stored.status().code()));
  }
}

DuplicatePurger::DuplicatePurger(DuplicateMonitor& monitor, absl::Duration interval)
    : task_(interval, [&monitor] {
        absl::StatusOr<int64_t> purged = monitor.PurgeOnce();
        if (!purged.ok()) {
          spdlog::error("duplicate index purge failed code={}",
                        absl::StatusCodeToString(purged.status().code()));
        } else if (*purged > 0) {
          spdlog::info("duplicate index entries purged count={}", *purged);
        }
      }) {}

DuplicatePurger::~DuplicatePurger() = default;

}  // namespace vouch::verifier::dedup
