#ifndef VOUCH_VERIFIER_CLI_COMMAND_HELPERS_H_
#define VOUCH_VERIFIER_CLI_COMMAND_HELPERS_H_

// What the command groups (<group>_commands.cc) share: how a command fails and
// how it reads a file named on its command line. One copy, so the groups
// compile in one unity batch.

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client_options.h"

namespace vouch::verifier::cli {

// Prints "error: <message>" (with "<what>: " before the message when `what`
// is not empty) to `err`; returns the exit code 1.
inline int Fail(std::ostream& err, const absl::Status& status, absl::string_view what = "") {
  err << "error: ";
  if (!what.empty()) err << what << ": ";
  err << status.message() << "\n";
  return 1;
}

// Fail on stderr.
inline int Fail(const absl::Status& status, absl::string_view what = "") {
  return Fail(std::cerr, status, what);
}

// Prints a failed RPC (PrintRpcError); returns the exit code 1.
inline int FailRpc(const grpc::Status& status) {
  PrintRpcError(status);
  return 1;
}

// The bytes of the regular file `path`, at most `max_bytes` of them.
// Errors: kNotFound when it cannot be opened (or is not a regular file);
// kResourceExhausted when it is larger than max_bytes.
inline absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string bytes;
  bytes.resize(max_bytes + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (bytes.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
  }
  return bytes;
}

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_COMMAND_HELPERS_H_
