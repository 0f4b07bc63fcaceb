#ifndef VOUCH_VERIFIER_VERSION_DEPENDENCY_VERSIONS_H_
#define VOUCH_VERIFIER_VERSION_DEPENDENCY_VERSIONS_H_

// The versions of the main libraries vouchd, vouchctl and the benchmarks
// link, for `--version` and the start-up log: what the running process
// loaded where the library says (OpenSSL, gRPC, OpenCV, Tesseract, SQLite,
// libpq), else the headers it was compiled against (protobuf, abseil).

#include <vector>

#include "base/build_info.h"

namespace vouch::verifier::version {

// OpenSSL, gRPC, protobuf, abseil, OpenCV, Tesseract, SQLite, libpq, in
// that order.
std::vector<ComponentVersion> DependencyVersions();

}  // namespace vouch::verifier::version

#endif  // VOUCH_VERIFIER_VERSION_DEPENDENCY_VERSIONS_H_
