#ifndef VOUCH_TESTS_TESTING_TEST_PATHS_H_
#define VOUCH_TESTS_TESTING_TEST_PATHS_H_

// Where a test finds the source tree, the build tree and ../shared. The paths are compiled into
// one small library (test_paths.cc) instead of into every test as string literals, so that a
// test's object file does not depend on where the tree is checked out, and ccache (base_dir)
// shares it between checkouts. vouch_cc_test force-includes this header and defines
// VOUCH_SOURCE_DIR, VOUCH_SHARED_DIR and VOUCH_BINARY_DIR as calls of these functions; a test
// uses them as before, as a `const char*` (`std::string(VOUCH_SOURCE_DIR) + "/models"`).
namespace vouch::testing {

const char* BuildSourceDir();  // the source tree (CMAKE_SOURCE_DIR)
const char* BuildSharedDir();  // ../shared as configured (VOUCH_SHARED_DIR)
const char* BuildBinaryDir();  // the build tree (CMAKE_BINARY_DIR)

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_TEST_PATHS_H_
