#include "base/openmp_limit.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace vouch {

bool EnsureOpenMpThreadLimit(char** argv, int limit, bool replace_existing) {
  const std::string wanted = std::to_string(limit);
  const char* current = std::getenv("OMP_THREAD_LIMIT");
  if (current != nullptr && (!replace_existing || wanted == current)) return true;
  if (setenv("OMP_THREAD_LIMIT", wanted.c_str(), 1) != 0) return false;
  execv("/proc/self/exe", argv);
  std::fprintf(stderr, "warning: cannot re-execute with OMP_THREAD_LIMIT=%s (%s)\n", wanted.c_str(),
               std::strerror(errno));
  return false;
}

}  // namespace vouch
