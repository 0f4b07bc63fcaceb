#ifndef VOUCH_BASE_BUILD_INFO_H_
#define VOUCH_BASE_BUILD_INFO_H_

// What this binary is: vouch's version, the git commit it was built from and
// the build type, for `--version`, the start-up log and the build_info
// metric. Standard library only, so the relying services' vouch-verify can
// use it without abseil.

#include <string>
#include <utility>
#include <vector>

namespace vouch {

struct BuildInfo {
  std::string version;     // The CMake project version, e.g. "0.1.0".
  std::string git_commit;  // 12 hex digits, "-dirty" when the tree had
                           // uncommitted changes; "unknown" outside git.
  std::string build_type;  // CMAKE_BUILD_TYPE, e.g. "RelWithDebInfo".
  std::string compiler;    // e.g. "GNU 12.2.0".
};

// Fixed at build time (base/build_info.cc and the generated
// build_info_git.h).
const BuildInfo& GetBuildInfo();

// A library this binary uses and its version (at run time where the library
// reports one, else the headers it was compiled against).
struct ComponentVersion {
  std::string name;
  std::string version;
};

// The `--version` text: "PROGRAM VERSION (commit C, BUILD_TYPE, COMPILER)"
// and one "  NAME VERSION" line per dependency (no final newline: CLI11's
// version flag adds it).
std::string VersionText(const std::string& program, const std::vector<ComponentVersion>& deps);

}  // namespace vouch

#endif  // VOUCH_BASE_BUILD_INFO_H_
