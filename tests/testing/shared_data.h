#ifndef VOUCH_TESTS_TESTING_SHARED_DATA_H_
#define VOUCH_TESTS_TESTING_SHARED_DATA_H_

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

// Locates ../shared (read-only test vectors and corpus). The folder is present
// in the project's workplace and CI, and absent in a user's clone: tests that
// need it call VOUCH_REQUIRE_SHARED_DIR(), which skips with a clear message.
namespace vouch::testing {

inline std::filesystem::path SharedDir() {
  if (const char* env = std::getenv("VOUCH_SHARED_DIR"); env && *env) {
    return env;
  }
#ifdef VOUCH_SHARED_DIR
  return VOUCH_SHARED_DIR;
#else
  return "../shared";
#endif
}

inline bool SharedDirPresent() { return std::filesystem::is_directory(SharedDir() / "vectors"); }

}  // namespace vouch::testing

#define VOUCH_REQUIRE_SHARED_DIR()                                                      \
  do {                                                                                  \
    if (!::vouch::testing::SharedDirPresent()) {                                        \
      GTEST_SKIP() << "shared test data not found at " << ::vouch::testing::SharedDir() \
                   << " (set VOUCH_SHARED_DIR to the shared/ folder)";                  \
    }                                                                                   \
  } while (false)

#endif  // VOUCH_TESTS_TESTING_SHARED_DATA_H_
