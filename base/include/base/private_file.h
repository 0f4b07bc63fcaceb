#ifndef VOUCH_BASE_PRIVATE_FILE_H_
#define VOUCH_BASE_PRIVATE_FILE_H_

// Key files: read with a size bound, written 0600 without ever existing with
// wider permissions or half written.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"

namespace vouch {

enum class FileAccess {
  kAny,        // Read whatever the file's mode.
  kOwnerOnly,  // Refuse a file group or others may read or write, and a symlink.
};

// Reads a file of at most 64 KiB into wiped memory. Errors (naming the path,
// never the content): kInternal when it cannot be opened, stat'ed or read;
// kFailedPrecondition when it is 64 KiB or larger, or when `access` is
// kOwnerOnly and its mode has group or other bits ("chmod 600 it").
absl::StatusOr<SecureBytes> ReadPrivateFile(const std::string& path,
                                            FileAccess access = FileAccess::kAny);

// Writes `bytes` to `path`: O_EXCL and mode 0600 on `path` + ".tmp", fsync,
// then rename over `path`. On failure nothing is left at the temporary name.
// Errors: kInternal naming the path.
absl::Status WritePrivateFile(const std::string& path, absl::string_view bytes);

}  // namespace vouch

#endif  // VOUCH_BASE_PRIVATE_FILE_H_
