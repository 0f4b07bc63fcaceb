#include "audit/audit_chain.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace vouch::verifier::audit {
namespace {

const std::string& ZeroHash() {
  static const std::string* zeros = new std::string(64, '0');
  return *zeros;
}

constexpr size_t kMaxLine = 1 << 20;

}  // namespace

void AuditChainChecker::Add(const storage::AuditEvent& e) {
  AuditChainReport& r = report_;
  if (!r.ok()) return;
  const int64_t expected = r.last_seq + 1;
  const std::string& expected_prev = r.last_seq == 0 ? ZeroHash() : r.last_hash;
  if (e.seq != expected) {
    r.broken_seq = expected;
    r.problem = absl::StrCat("seq ", expected, " is missing (next event has seq ", e.seq, ")");
    return;
  }
  if (e.prev_hash != expected_prev) {
    r.broken_seq = e.seq;
    r.problem =
        absl::StrCat("prev_hash of seq ", e.seq, " does not match the hash of ",
                     r.last_seq == 0 ? "the chain start" : absl::StrCat("seq ", r.last_seq));
    return;
  }
  if (storage::AuditEventHash(e) != e.hash) {
    r.broken_seq = e.seq;
    r.problem = absl::StrCat("hash of seq ", e.seq, " does not match its contents (edited)");
    return;
  }
  ++r.events;
  r.last_seq = e.seq;
  r.last_hash = e.hash;
}

absl::Status ForEachAuditEvent(const AuditPageSource& source,
                               const std::function<absl::Status(const storage::AuditEvent&)>& sink,
                               int page) {
  int64_t after = 0;
  while (true) {
    absl::StatusOr<std::vector<storage::AuditEvent>> events = source(after, page);
    if (!events.ok()) return events.status();
    for (const storage::AuditEvent& e : *events) {
      if (e.seq <= after) {
        return absl::DataLossError(absl::StrCat("audit source returned seq ", e.seq, " after seq ",
                                                after, " (out of order)"));
      }
      if (absl::Status s = sink(e); !s.ok()) return s;
      after = e.seq;
    }
    if (static_cast<int>(events->size()) < page) return absl::OkStatus();
  }
}

absl::StatusOr<AuditChainReport> CheckAuditChain(const AuditPageSource& source, int page) {
  AuditChainChecker checker;
  absl::Status s = ForEachAuditEvent(
      source,
      [&checker](const storage::AuditEvent& e) {
        checker.Add(e);
        return absl::OkStatus();
      },
      page);
  if (absl::IsDataLoss(s)) {
    // Out-of-order seq from the source is itself a broken chain.
    AuditChainReport report = checker.report();
    if (report.ok()) {
      report.broken_seq = report.last_seq + 1;
      report.problem = std::string(s.message());
    }
    return report;
  }
  if (!s.ok()) return s;
  return checker.report();
}

std::string AuditEventToJson(const storage::AuditEvent& e) {
  nlohmann::json j = {
      {"seq", e.seq},
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", e.time, absl::UTCTimeZone())},
      {"time_unix_micros", absl::ToUnixMicros(e.time)},
      {"actor", e.actor},
      {"action", e.action},
      {"verification_id", e.verification_id},
      {"detail", e.detail},
      {"prev_hash", e.prev_hash},
      {"hash", e.hash},
  };
  // Invalid UTF-8 (never written by vouchd) is replaced, not thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<storage::AuditEvent> AuditEventFromJson(absl::string_view line) {
  if (line.size() > kMaxLine) return absl::InvalidArgumentError("audit line over 1 MiB");
  // nlohmann-json takes a raw NUL for the end of its input: "{...}\0junk"
  // would parse as "{...}" and an appended tail would pass `audit verify`.
  // A raw NUL is never valid JSON (RFC 8259 §7).
  if (line.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("audit line is not a JSON object (raw NUL)");
  }
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("audit line is not a JSON object");
  }
  storage::AuditEvent e;
  const auto str = [&j](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto seq = j.find("seq");
  auto micros = j.find("time_unix_micros");
  if (seq == j.end() || !seq->is_number_integer() || micros == j.end() ||
      !micros->is_number_integer() || !str("actor", e.actor) || !str("action", e.action) ||
      !str("verification_id", e.verification_id) || !str("detail", e.detail) ||
      !str("prev_hash", e.prev_hash) || !str("hash", e.hash)) {
    return absl::InvalidArgumentError("audit line lacks a field or has a wrong type");
  }
  e.seq = seq->get<int64_t>();
  e.time = absl::FromUnixMicros(micros->get<int64_t>());
  return e;
}

}  // namespace vouch::verifier::audit
