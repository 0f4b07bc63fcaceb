#include "base/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace vouch {

constexpr size_t kMaxPrivateFileBytes = 64 << 10;

absl::StatusOr<SecureBytes> ReadPrivateFile(const std::string& path, FileAccess access) {
  const int flags = O_RDONLY | O_CLOEXEC | (access == FileAccess::kOwnerOnly ? O_NOFOLLOW : 0);
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot read ", path));
  if (access == FileAccess::kOwnerOnly) {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot stat ", path));
    }
    if ((st.st_mode & 077) != 0) {
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is readable or writable by others; chmod 600 it"));
    }
  }
  SecureBytes out(kMaxPrivateFileBytes);
  size_t used = 0;
  while (used < out.size()) {
    const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot read ", path));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  if (used == out.size()) return absl::FailedPreconditionError(absl::StrCat(path, " is too large"));
  out.Truncate(used);
  return out;
}

absl::Status WritePrivateFile(const std::string& path, absl::string_view bytes) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace vouch
