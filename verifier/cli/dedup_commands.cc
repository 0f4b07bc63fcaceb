#include "dedup_commands.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "command_helpers.h"
#include "dedup/duplicate_monitor.h"
#include "dedup/keyed_hash.h"
#include "storage/store.h"

namespace vouch::verifier::cli {
namespace {

struct DedupArgs {
  std::string data_dir;
  std::string database;
  std::string verification_id;
  std::string actor = "vouchctl";
};

// The Store vouchd uses: PostgreSQL at `database`, else D/vouch.db (which
// must exist: vouchctl never creates a database).
absl::StatusOr<std::unique_ptr<verifier::storage::Store>> OpenStore(const std::string& data_dir,
                                                                    const std::string& database) {
  if (!database.empty()) return verifier::storage::NewPostgresStore(database);
  if (data_dir.empty()) return absl::InvalidArgumentError("give --data-dir or --database");
  const std::string db = data_dir + "/vouch.db";
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    return absl::NotFoundError(absl::StrCat("no database at ", db));
  }
  return verifier::storage::NewSqliteStore(db);
}

}  // namespace

int RunDedupRotateKey(const std::string& data_dir, const std::string& database, std::ostream& out,
                      std::ostream& err) {
  if (data_dir.empty()) return Fail(err, absl::InvalidArgumentError("give --data-dir"));
  const std::string path = data_dir + "/keys/dedup_hmac.keys";
  absl::StatusOr<std::string> id = verifier::dedup::DedupKeyring::Rotate(path);
  if (!id.ok()) return Fail(err, id.status());
  out << "dedup key rotated: current " << *id
      << "; older keys kept for lookups. Copy keys/dedup_hmac.keys to every vouchd sharing the "
         "database and restart them; drop an old line once its entries have expired "
         "(duplicate_ttl).\n";
  // Audited where vouchd's database is at hand (ids only).
  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store = OpenStore(data_dir, database);
  if (store.ok()) {
    verifier::storage::AuditEvent e;
    e.time = absl::Now();
    e.actor = "vouchctl";
    e.action = "dedup.key_rotate";
    e.detail = absl::StrCat("{\"key_id\":\"", *id, "\"}");
    absl::StatusOr<verifier::storage::AuditEvent> stored = (*store)->AppendAudit(e);
    if (!stored.ok()) err << "warning: not audited: " << stored.status().message() << "\n";
  }
  return 0;
}

int RunDedupErase(const std::string& data_dir, const std::string& database,
                  const std::string& verification_id, const std::string& actor, std::ostream& out,
                  std::ostream& err) {
  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store = OpenStore(data_dir, database);
  if (!store.ok()) return Fail(err, store.status());
  SystemClock clock;
  verifier::dedup::DuplicateMonitor monitor(**store, clock);
  absl::StatusOr<int64_t> erased = monitor.Erase(verification_id, actor);
  if (!erased.ok()) return Fail(err, erased.status());
  out << "erased " << *erased << " duplicate-index entries of " << verification_id << "\n";
  return 0;
}

void AddDedupCommands(CLI::App& app, int& exit_code) {
  CLI::App* dedup =
      app.add_subcommand("dedup", "Operate the duplicate index: rotate its key, erase");
  dedup->require_subcommand(1);

  auto r = std::make_shared<DedupArgs>();
  CLI::App* rotate = dedup->add_subcommand(
      "rotate-key", "Put a new current HMAC key first in DATA_DIR/keys/dedup_hmac.keys");
  rotate->add_option("--data-dir", r->data_dir, "vouchd's data directory")->required();
  rotate->add_option("--database", r->database,
                     "PostgreSQL conninfo of vouchd's store, for the audit event");
  rotate->callback([r, &exit_code] {
    exit_code = RunDedupRotateKey(r->data_dir, r->database, std::cout, std::cerr);
  });

  auto e = std::make_shared<DedupArgs>();
  CLI::App* erase =
      dedup->add_subcommand("erase", "Delete one verification's duplicate-index entries");
  erase->add_option("--verification", e->verification_id, "the verification id")->required();
  auto* dir = erase->add_option("--data-dir", e->data_dir,
                                "vouchd's data directory (its SQLite store, vouch.db)");
  auto* db = erase->add_option("--database", e->database, "PostgreSQL conninfo of vouchd's store");
  dir->excludes(db);
  erase->add_option("--actor", e->actor, "who erases, for the audit log")->capture_default_str();
  erase->callback([e, &exit_code] {
    exit_code =
        RunDedupErase(e->data_dir, e->database, e->verification_id, e->actor, std::cout, std::cerr);
  });
}

}  // namespace vouch::verifier::cli
