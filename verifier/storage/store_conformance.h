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
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "storage/store.h"

namespace vouch::verifier::testing {

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

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<Store> Open() { return GetParam().open(dir_); }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

// The restart tests, for stores whose data outlives the process. Instantiate
// it only with factories whose `durable` is true.
class DurableStoreConformanceTest : public StoreConformanceTest {};

}  // namespace vouch::verifier::testing

#endif  // VOUCH_VERIFIER_STORAGE_STORE_CONFORMANCE_H_
