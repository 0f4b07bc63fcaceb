// vouchctl: talks to vouchd (review queue, keys, audit, submit) and has local
// tools (passport decrypt/seal, ocr read, attest). Each command group lives in
// its own <group>_commands.cc and registers itself here.
//
// Exit codes: 0 success, 1 the command failed (last stderr line
// "error: ..."), 2 usage error.

#include <grpc/support/log.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "attest_commands.h"
#include "audit_commands.h"
#include "auth_commands.h"
#include "base/build_info.h"
#include "base/openmp_limit.h"
#include "command_suggestions.h"
#include "dedup_commands.h"
#include "erase_commands.h"
#include "face_compare_commands.h"
#include "health_commands.h"
#include "key_commands.h"
#include "ocr_check_commands.h"
#include "ocr_commands.h"
#include "passport_commands.h"
#include "queue_commands.h"
#include "submit_commands.h"
#include "version/dependency_versions.h"

int main(int argc, char** argv) {
  // `ocr read/check` run Tesseract: one OpenMP thread unless the user sets
  // another limit (re-executes in place when unset; see openmp_limit.h).
  vouch::EnsureOpenMpThreadLimit(argv, 1, /*replace_existing=*/false);
  // gRPC core's own log lines ("... failed to connect ...") would land on the
  // terminal beside vouchctl's error, which already says what failed; they
  // stay available with GRPC_VERBOSITY set.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
  CLI::App app{"vouchctl: operator and integrator tool for vouch"};
  app.require_subcommand(1);
  app.fallthrough(false);
  app.set_version_flag("--version", [] {
    return vouch::VersionText("vouchctl", vouch::verifier::version::DependencyVersions());
  });
  int exit_code = 0;

  // Command groups register here, one line each.
  vouch::verifier::cli::AddAttestCommands(app, exit_code);
  vouch::verifier::cli::AddKeyCommands(app, exit_code);
  vouch::verifier::cli::AddOcrCommands(app, exit_code);
  vouch::verifier::cli::AddPassportCommands(app, exit_code);
  vouch::verifier::cli::AddOcrCheckCommands(app, exit_code);     // After AddOcrCommands.
  vouch::verifier::cli::AddFaceCompareCommands(app, exit_code);  // After AddOcrCommands.
  vouch::verifier::cli::AddSubmitCommands(app, exit_code);
  vouch::verifier::cli::AddAuthCommands(app, exit_code);
  vouch::verifier::cli::AddAuditCommands(app, exit_code);
  vouch::verifier::cli::AddQueueCommands(app, exit_code);
  vouch::verifier::cli::AddHealthCommands(app, exit_code);
  vouch::verifier::cli::AddDedupCommands(app, exit_code);
  vouch::verifier::cli::AddEraseCommands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // A mistyped command reads better as "did you mean" than as CLI11's
      // "A subcommand is required".
      const std::vector<std::string> args(argv + 1, argv + argc);
      if (std::optional<std::string> typo =
              vouch::verifier::cli::UnknownCommandMessage(app, args)) {
        std::cerr << "error: " << *typo << "\n";
        return 2;
      }
    }
    const int rc = app.exit(e);  // Prints help or the usage error.
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
