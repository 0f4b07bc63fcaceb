#include "provider_keys.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/private_file.h"
#include "base/status_macros.h"
#include "passport/seal.h"
#include "pipeline/passport_adapter.h"
#include "rpc/errors.h"

namespace vouch::verifier::server {
namespace {

constexpr char kCurrentFile[] = "passport_rsa.pem";
constexpr char kPreviousFile[] = "passport_rsa.previous.pem";
constexpr char kNextFile[] = "passport_rsa.next.pem";
constexpr char kLockFile[] = "passport.lock";
constexpr int kRotatedKeyBits = 2048;

// Hex SHA-256 of the DER SubjectPublicKeyInfo in an SPKI PEM ("" on error).
std::string PublicKeyId(const std::string& spki_pem) {
  BIO* bio = BIO_new_mem_buf(spki_pem.data(), static_cast<int>(spki_pem.size()));
  if (bio == nullptr) return "";
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return "";
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  EVP_PKEY_free(key);
  if (len <= 0) return "";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// The (device, inode, mtime) of a file, to notice a rotation by another
// process; all zero when absent.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp StampOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino,
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// An exclusive flock on <dir>/passport.lock while alive.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  const int fd_;
};

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
  // A rotation cut off between its two renames left the new key as .next:
  // it is the current key (the previous one is already in place).
  const std::string next = keys_dir + "/passport_rsa.next.pem";
  if (::stat(out.path.c_str(), &st) != 0 && ::stat(next.c_str(), &st) == 0) {
    if (::rename(next.c_str(), out.path.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("cannot rename ", next));
    }
  }
  if (::stat(out.path.c_str(), &st) != 0) {
    absl::StatusOr<passport::ProviderKey> key = passport::GenerateProviderKey(2048);
    if (!key.ok()) return absl::InternalError("Passport key generation failed");
    absl::Status written = WritePrivateFile(out.path, key->private_key_pem.view());
    if (!written.ok()) return written;
    out.created = true;
  } else if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(out.path, " is readable by others; chmod 600 it"));
  }
  absl::StatusOr<SecureBytes> pem = ReadPrivateFile(out.path);
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

// --- Passport key rotation while running ------------------------------------

struct PassportKeyRing::Keys {
  // Current first. Each opens with one key.
  std::vector<std::shared_ptr<pipeline::PassportOpener>> openers;
  std::string public_key_pem;
  std::string key_id;
  FileStamp current_stamp;
  FileStamp previous_stamp;
};

namespace {

// Tries the ring's keys in order: the next one only when a key could not
// open the submission (PASSPORT_UNREADABLE: a wrong key fails RSA-OAEP).
class RingOpener final : public pipeline::PassportOpener {
 public:
  explicit RingOpener(
      std::function<std::vector<std::shared_ptr<pipeline::PassportOpener>>()> openers)
      : openers_(std::move(openers)) {}

  absl::StatusOr<pipeline::OpenedSubmission> Open(
      const pipeline::SealedSubmission& submission) override {
    absl::Status first_error = absl::InternalError("no Passport key");
    bool first = true;
    for (const std::shared_ptr<pipeline::PassportOpener>& opener : openers_()) {
      absl::StatusOr<pipeline::OpenedSubmission> opened = opener->Open(submission);
      if (opened.ok()) return opened;
      if (first) first_error = opened.status();
      first = false;
      const std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(opened.status());
      if (!info.has_value() || info->reason() != rpc::reasons::kPassportUnreadable) {
        return opened.status();
      }
    }
    return first_error;
  }

 private:
  const std::function<std::vector<std::shared_ptr<pipeline::PassportOpener>>()> openers_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const PassportKeyRing::Keys>> PassportKeyRing::LoadFiles() const {
  auto keys = std::make_shared<Keys>();
  const std::string previous_path = keys_dir_ + "/" + kPreviousFile;
  keys->current_stamp = StampOf(keys_dir_ + "/" + kCurrentFile);
  keys->previous_stamp = StampOf(previous_path);
  VOUCH_ASSIGN_OR_RETURN(PassportKeyFile current, EnsurePassportKey(keys_dir_));
  keys->public_key_pem = current.public_key_pem;
  keys->key_id = PublicKeyId(current.public_key_pem);
  keys->openers.push_back(pipeline::NewPassportModuleOpener(*std::move(current.decryptor)));
  struct stat st;
  if (::stat(previous_path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(previous_path, " is readable by others; chmod 600 it"));
    }
    VOUCH_ASSIGN_OR_RETURN(SecureBytes pem, ReadPrivateFile(previous_path));
    absl::StatusOr<passport::PassportDecryptor> previous =
        passport::PassportDecryptor::FromPem(pem.view());
    if (!previous.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(previous_path, " is not a usable RSA private key"));
    }
    keys->openers.push_back(pipeline::NewPassportModuleOpener(*std::move(previous)));
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<PassportKeyRing>> PassportKeyRing::Load(
    const std::string& keys_dir) {
  std::unique_ptr<PassportKeyRing> ring(new PassportKeyRing(keys_dir));
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<const Keys> keys, ring->LoadFiles());
  absl::MutexLock lock(&ring->mu_);
  ring->keys_ = std::move(keys);
  return ring;
}

absl::StatusOr<PassportKeyRing::Rotated> PassportKeyRing::Rotate() {
  FileLock file_lock(keys_dir_ + "/" + kLockFile);
  if (!file_lock.ok()) return absl::InternalError(absl::StrCat("cannot lock ", keys_dir_));
  // Another process may have rotated since this one loaded.
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<const Keys> before, LoadFiles());
  absl::StatusOr<passport::ProviderKey> key = passport::GenerateProviderKey(kRotatedKeyBits);
  if (!key.ok()) return absl::InternalError("Passport key generation failed");
  const std::string next = keys_dir_ + "/" + kNextFile;
  VOUCH_RETURN_IF_ERROR(WritePrivateFile(next, key->private_key_pem.view()));
  const std::string current = keys_dir_ + "/" + kCurrentFile;
  if (::rename(current.c_str(), (keys_dir_ + "/" + kPreviousFile).c_str()) != 0 ||
      ::rename(next.c_str(), current.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot replace ", current));
  }
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<const Keys> after, LoadFiles());
  Rotated out{after->public_key_pem, after->key_id, before->key_id};
  absl::MutexLock lock(&mu_);
  keys_ = std::move(after);
  return out;
}

absl::StatusOr<bool> PassportKeyRing::Reload() {
  {
    absl::MutexLock lock(&mu_);
    if (keys_->current_stamp == StampOf(keys_dir_ + "/" + kCurrentFile) &&
        keys_->previous_stamp == StampOf(keys_dir_ + "/" + kPreviousFile)) {
      return false;
    }
  }
  FileLock file_lock(keys_dir_ + "/" + kLockFile);  // Not halfway through a rotation.
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<const Keys> keys, LoadFiles());
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
  return true;
}

std::unique_ptr<pipeline::PassportOpener> PassportKeyRing::NewOpener() {
  return std::make_unique<RingOpener>([this] {
    absl::MutexLock lock(&mu_);
    return keys_->openers;
  });
}

std::string PassportKeyRing::public_key_pem() const {
  absl::MutexLock lock(&mu_);
  return keys_->public_key_pem;
}

std::string PassportKeyRing::key_id() const {
  absl::MutexLock lock(&mu_);
  return keys_->key_id;
}

}  // namespace vouch::verifier::server
