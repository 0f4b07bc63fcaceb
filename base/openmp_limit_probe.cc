// Test helper for base_openmp_limit_test.sh: prints its pid before
// EnsureOpenMpThreadLimit (stderr) and after it, with OMP_THREAD_LIMIT
// (stdout). Arguments: LIMIT [replace].
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/openmp_limit.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::fprintf(stderr, "before pid=%d\n", static_cast<int>(getpid()));
  const bool replace = argc > 2 && std::strcmp(argv[2], "replace") == 0;
  if (!vouch::EnsureOpenMpThreadLimit(argv, std::atoi(argv[1]), replace)) return 1;
  const char* v = std::getenv("OMP_THREAD_LIMIT");
  std::printf("pid=%d OMP_THREAD_LIMIT=%s\n", static_cast<int>(getpid()), v ? v : "(unset)");
  return 0;
}
