#include "tls_reload.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "base/openssl_ptr.h"
#include "base/status_macros.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::server {
namespace {

namespace fs = std::filesystem;

// How often gRPC's watcher re-reads the staged pair.
constexpr unsigned int kWatcherRefreshSeconds = 1;
constexpr size_t kMaxPemBytes = 1 << 20;
constexpr char kCurrent[] = "current";

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  std::string text(kMaxPemBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.empty() || text.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " ", path, " is empty or over 1 MiB"));
  }
  return text;
}

absl::Status WriteFile0600(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) ||
      !out.flush()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path.string()));
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot chmod ", path.string()));
  }
  return absl::OkStatus();
}

using X509Ptr = OpenSslPtr<X509, X509_free>;

}  // namespace

absl::Status CheckKeyCertificatePair(const std::string& chain_pem, const std::string& key_pem) {
  BioPtr chain_bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (chain_bio == nullptr || key_bio == nullptr) return absl::InternalError("out of memory");
  X509Ptr leaf(PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr) {
    return absl::InvalidArgumentError("the TLS certificate file holds no PEM certificate");
  }
  while (X509Ptr next{PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)}) {
  }
  ERR_clear_error();  // The end of the chain leaves a "no start line" error.
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError("the TLS key file holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    return absl::InvalidArgumentError("the TLS key does not belong to the certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TlsCertificateStager>> TlsCertificateStager::Create(
    std::string cert_chain_path, std::string key_path, std::string stage_dir) {
  std::error_code ec;
  fs::create_directories(stage_dir, ec);
  if (ec || ::chmod(stage_dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot use ", stage_dir));
  }
  std::unique_ptr<TlsCertificateStager> stager(new TlsCertificateStager(
      std::move(cert_chain_path), std::move(key_path), std::move(stage_dir)));
  VOUCH_RETURN_IF_ERROR(stager->Refresh().status());
  return stager;
}

absl::StatusOr<bool> TlsCertificateStager::Refresh() {
  VOUCH_ASSIGN_OR_RETURN(std::string chain, ReadSmallFile(cert_chain_path_, "TLS certificate"));
  absl::StatusOr<std::string> key = ReadSmallFile(key_path_, "TLS key");
  if (!key.ok()) return key.status();
  absl::MutexLock lock(&mu_);
  if (chain == staged_chain_ && *key == staged_key_) {
    OPENSSL_cleanse(key->data(), key->size());
    return false;
  }
  absl::Status pair = CheckKeyCertificatePair(chain, *key);
  if (!pair.ok()) {
    OPENSSL_cleanse(key->data(), key->size());
    return pair;
  }
  // A new generation folder, then one rename of the `current` symlink, so the
  // watcher never sees a key from one pair with the certificate of another
  // (it reads both through the same symlink).
  const int generation = generation_ + 1;
  const fs::path dir = fs::path(stage_dir_) / absl::StrCat("gen-", generation);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directory(dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir.string()));
  VOUCH_RETURN_IF_ERROR(WriteFile0600(dir / "server.key", *key));
  VOUCH_RETURN_IF_ERROR(WriteFile0600(dir / "server.pem", chain));
  const fs::path link_tmp = fs::path(stage_dir_) / absl::StrCat(kCurrent, ".tmp");
  fs::remove(link_tmp, ec);
  fs::create_directory_symlink(dir.filename(), link_tmp, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot link ", link_tmp.string()));
  fs::rename(link_tmp, fs::path(stage_dir_) / kCurrent, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot switch to ", dir.string()));
  // The generation before the previous one is no longer read by anyone.
  fs::remove_all(fs::path(stage_dir_) / absl::StrCat("gen-", generation - 2), ec);
  OPENSSL_cleanse(staged_key_.data(), staged_key_.size());
  staged_chain_ = std::move(chain);
  staged_key_ = *std::move(key);
  generation_ = generation;
  return true;
}

std::shared_ptr<grpc::ServerCredentials> TlsCertificateStager::Credentials(
    bool request_client_certificate) const {
  const fs::path current = fs::path(stage_dir_) / kCurrent;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      (current / "server.key").string(), (current / "server.pem").string(), kWatcherRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(request_client_certificate
                                    ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY
                                    : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  return grpc::experimental::TlsServerCredentials(options);
}

void RefreshTlsAndLog(TlsCertificateStager& stager, const char* trigger) {
  absl::StatusOr<bool> changed = stager.Refresh();
  if (!changed.ok()) {
    spdlog::error("tls certificate not reloaded trigger={} reason={} (the previous one stays)",
                  trigger, std::string(changed.status().message()));
  } else if (*changed) {
    spdlog::info("tls certificate reloaded trigger={}", trigger);
  }
}

TlsReloadLoop::TlsReloadLoop(TlsCertificateStager& stager, absl::Duration every)
    : thread_([this, &stager, every] {
        while (!stop_.WaitForNotificationWithTimeout(every)) RefreshTlsAndLog(stager, "poll");
      }) {}

TlsReloadLoop::~TlsReloadLoop() {
  stop_.Notify();
  thread_.join();
}

}  // namespace vouch::verifier::server
