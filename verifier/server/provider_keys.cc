#include "server/provider_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "passport/seal.h"

namespace vouch::verifier {
namespace {

absl::StatusOr<SecureBytes> ReadPrivate(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot read ", path));
  SecureBytes out(64 << 10);
  size_t used = 0;
  while (used < out.size()) {
    const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
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

absl::Status WritePrivate(const std::string& path, const SecureBytes& pem) {
  // O_EXCL + 0600 on a temporary name, then rename: never overwrite a key,
  // never world-readable, not even briefly.
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  size_t done = 0;
  while (done < pem.size()) {
    const ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == pem.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PassportKeyFile> EnsurePassportKey(const std::string& keys_dir) {
  std::error_code ec;
  std::filesystem::create_directories(keys_dir, ec);
  if (ec || ::chmod(keys_dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", keys_dir));
  }
  PassportKeyFile out;
  out.path = keys_dir + "/passport_rsa.pem";
  struct stat st;
  if (::stat(out.path.c_str(), &st) != 0) {
    absl::StatusOr<passport::ProviderKey> key = passport::GenerateProviderKey(2048);
    if (!key.ok()) return absl::InternalError("Passport key generation failed");
    absl::Status written = WritePrivate(out.path, key->private_key_pem);
    if (!written.ok()) return written;
    out.created = true;
  } else if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(out.path, " is readable by others; chmod 600 it"));
  }
  absl::StatusOr<SecureBytes> pem = ReadPrivate(out.path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<passport::PassportDecryptor> decryptor =
      passport::PassportDecryptor::FromPem(pem->view());
  if (!decryptor.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(out.path, " is not a usable RSA private key (PEM, 2048-4096 bits)"));
  }
  absl::StatusOr<std::string> public_pem = decryptor->PublicKeyPem();
  if (!public_pem.ok()) return public_pem.status();
  out.public_key_pem = *public_pem;
  out.decryptor = *std::move(decryptor);
  return out;
}

}  // namespace vouch::verifier
