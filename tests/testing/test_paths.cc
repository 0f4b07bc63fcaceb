#include "testing/test_paths.h"

namespace vouch::testing {

const char* BuildSourceDir() { return VOUCH_TEST_PATHS_SOURCE_DIR; }
const char* BuildSharedDir() { return VOUCH_TEST_PATHS_SHARED_DIR; }
const char* BuildBinaryDir() { return VOUCH_TEST_PATHS_BINARY_DIR; }

}  // namespace vouch::testing
