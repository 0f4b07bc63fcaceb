#ifndef VOUCH_VERIFIER_STORAGE_STORE_CONFORMANCE_H_
#define VOUCH_VERIFIER_STORAGE_STORE_CONFORMANCE_H_

// The Store conformance suite. Every implementation instantiates it with a
// factory for fresh, empty stores:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(StoreFactory{&NewTempSqlite}));
//
// and for the restart tests, a factory that reopens the same storage
// (ReopenableStoreFactory). The PostgreSQL store (#7) reuses it as is.

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace vouch::verifier::storage::testing {

struct StoreFactory {
  std::string name;
  // Makes a fresh, empty store under `dir` (a private temporary folder).
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
  // Whether opening the same `dir` again sees the same data (durable).
  bool durable = false;
  // Whether OpenChangeStream pushes the changes of every instance on the
  // same storage (PostgreSQL); false: it must be kUnimplemented (#14).
  bool pushes_changes = false;
};

inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

// ---- Shared by every part of the suite (store_conformance.cc and the
// badge, dedup and wallet parts; review finding D8) ----

// The suite's fixed time.
inline const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// The badge outbox's claim lease in the badge and reversal cases.
inline constexpr absl::Duration kLease = absl::Minutes(1);

// A verifyUser call for verification `id` and Telegram user `user`.
inline BadgeRequest Verify(const std::string& id, int64_t user = 42) {
  return BadgeRequest{id, user, BadgeAction::kVerify, "Checked by vouch"};
}

// A synchronous verification (no job) of relying service "svc" and policy
// "default", kRunning, created and updated at kT0.
NewVerification Running(const std::string& id);

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<Store> Open() { return GetParam().open(dir_); }

  // Stores Running(id) as a completed NEEDS_REVIEW result with its case
  // (relying service "svc", reason "mrz.read", deleted after kT0 + 24 h) and
  // `duplicates`, in one FinishVerification at kT0, then claims the case for
  // "alice" at kT0. Returns the claimed case (its lease token); nullopt, with
  // a test failure, when a step fails.
  std::optional<ReviewCase> AddClaimedCase(const std::string& id,
                                           absl::Span<const DuplicateEntry> duplicates = {});

  std::string dir_;
  std::unique_ptr<Store> store_;
};

// The restart tests, for stores whose data outlives the process. Instantiate
// it only with factories whose `durable` is true.
class DurableStoreConformanceTest : public StoreConformanceTest {};

}  // namespace vouch::verifier::storage::testing

#endif  // VOUCH_VERIFIER_STORAGE_STORE_CONFORMANCE_H_
