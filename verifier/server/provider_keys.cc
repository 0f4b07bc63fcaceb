// TODO(service): use verifier/passport's key generation once #2 lands (its
// `vouchctl passport keygen` makes the same kind of key).

#include "server/provider_keys.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"

namespace vouch::verifier {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

absl::StatusOr<std::string> PublicPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError("cannot encode the public key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
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
  if (::stat(out.path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(out.path, " is readable by others; chmod 600 it"));
    }
    FILE* f = std::fopen(out.path.c_str(), "rb");
    if (f == nullptr) return absl::InternalError(absl::StrCat("cannot read ", out.path));
    PkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
      return absl::FailedPreconditionError(
          absl::StrCat(out.path, " is not a PEM RSA private key"));
    }
    auto pem = PublicPem(key.get());
    if (!pem.ok()) return pem.status();
    out.public_key_pem = *pem;
    return out;
  }
  PkeyPtr key(EVP_RSA_gen(2048));
  if (!key) return absl::InternalError("RSA key generation failed");
  // O_EXCL + 0600: never overwrite, never world-readable, not even briefly.
  const std::string tmp = out.path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  const bool written =
      PEM_write_PKCS8PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool flushed = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!written || !flushed || ::rename(tmp.c_str(), out.path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", out.path));
  }
  auto pem = PublicPem(key.get());
  if (!pem.ok()) return pem.status();
  out.public_key_pem = *pem;
  out.created = true;
  return out;
}

}  // namespace vouch::verifier
