#ifndef VOUCH_TESTS_TESTING_CLI_RUN_H_
#define VOUCH_TESTS_TESTING_CLI_RUN_H_

// Runs one of our command-line tools (or any shell command) from a test and
// captures what it printed, for tests of outputs and exit codes.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace vouch::testing {

struct CliRun {
  int exit_code = -1;  // -1 when the process did not exit normally.
  std::string out;
  std::string err;
};

// The whole file, or "" when it cannot be read.
inline std::string ReadFileOrEmpty(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `binary args` through the shell, with stdout and stderr captured in
// files under `scratch_dir` (created if missing; must be private to the
// calling test process, as ctest runs tests in parallel).
inline CliRun RunCli(const std::string& binary, const std::string& args,
                     const std::filesystem::path& scratch_dir) {
  std::filesystem::create_directories(scratch_dir);
  const std::filesystem::path out = scratch_dir / "stdout";
  const std::filesystem::path err = scratch_dir / "stderr";
  const std::string cmd = binary + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFileOrEmpty(out);
  run.err = ReadFileOrEmpty(err);
  return run;
}

// Where RunShell sends the command's stderr.
enum class StderrTo {
  kInherit,  // the test's own stderr (stays out of the returned text)
  kOutput,   // merged into the returned text (the command gets " 2>&1")
};

// Runs `command` through the shell (popen) and returns its exit code (-1 when
// it did not exit normally) and everything it wrote to stdout (and stderr
// with StderrTo::kOutput). For commands with redirections, pipes or
// environment prefixes; RunCli keeps stdout and stderr apart.
inline std::pair<int, std::string> RunShell(const std::string& command,
                                            StderrTo stderr_to = StderrTo::kInherit) {
  const std::string line = stderr_to == StderrTo::kOutput ? command + " 2>&1" : command;
  FILE* pipe = popen(line.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe != nullptr && (n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  return {status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_CLI_RUN_H_
