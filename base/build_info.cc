#include "base/build_info.h"

#include "build_info_git.h"  // Generated at build time: VOUCH_GIT_COMMIT.

namespace vouch {

const BuildInfo& GetBuildInfo() {
  static const BuildInfo* const info =
      new BuildInfo{VOUCH_VERSION, VOUCH_GIT_COMMIT, VOUCH_BUILD_TYPE, VOUCH_COMPILER};
  return *info;
}

std::string VersionText(const std::string& program, const std::vector<ComponentVersion>& deps) {
  const BuildInfo& b = GetBuildInfo();
  std::string text = program + " " + b.version + " (commit " + b.git_commit + ", " + b.build_type +
                     ", " + b.compiler + ")";
  for (const ComponentVersion& d : deps) text += "\n  " + d.name + " " + d.version;
  return text;
}

}  // namespace vouch
