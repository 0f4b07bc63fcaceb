#ifndef VOUCH_VERIFIER_SERVER_TLS_RELOAD_H_
#define VOUCH_VERIFIER_SERVER_TLS_RELOAD_H_

// TLS server credentials that follow certificate renewals without a restart.
//
// gRPC's FileWatcherCertificateProvider re-reads a key and certificate chain
// every second, but installs whatever it reads: a half-written or broken file
// would break every new handshake. So vouchd never lets it watch the
// operator's files: TlsCertificateStager checks a pair (the chain and key
// parse, the key belongs to the first certificate) and only then copies it
// into a private folder (DATA_DIR/tls, a generation folder per pair behind
// one symlink, swapped by rename) that the watcher reads. A bad pair is
// refused with the reason and the previous one stays in force; open
// connections keep their certificate.
//
// Refresh() runs on SIGHUP and every --tls-reload-seconds.

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace vouch::verifier::server {

// Thread-safe.
class TlsCertificateStager {
 public:
  // Checks and stages the pair at `cert_chain_path` / `key_path` into
  // `stage_dir` (created 0700). Errors: kNotFound for an unreadable file,
  // kInvalidArgument for a file that does not parse or a key that does not
  // match the certificate, kFailedPrecondition when the folder cannot be
  // written.
  static absl::StatusOr<std::unique_ptr<TlsCertificateStager>> Create(std::string cert_chain_path,
                                                                      std::string key_path,
                                                                      std::string stage_dir);

  // Credentials serving the staged pair (re-read within a second of a
  // Refresh that staged a new one). `request_client_certificate`: ask for,
  // not verify, a client certificate (the Authenticator verifies it).
  std::shared_ptr<grpc::ServerCredentials> Credentials(bool request_client_certificate) const;

  // Re-reads the operator's files. Returns true when a new, valid pair was
  // staged, false when they are unchanged. Errors as Create(); the staged
  // pair is then left as it was.
  absl::StatusOr<bool> Refresh();

 private:
  TlsCertificateStager(std::string cert_chain_path, std::string key_path, std::string stage_dir)
      : cert_chain_path_(std::move(cert_chain_path)),
        key_path_(std::move(key_path)),
        stage_dir_(std::move(stage_dir)) {}

  const std::string cert_chain_path_;
  const std::string key_path_;
  const std::string stage_dir_;
  absl::Mutex mu_;
  std::string staged_chain_ ABSL_GUARDED_BY(mu_);
  std::string staged_key_ ABSL_GUARDED_BY(mu_);
  int generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// Calls stager.Refresh() and logs the outcome ("tls certificate reloaded",
// or the refusal with its reason: the previous pair stays). `trigger` names
// the cause in the log ("sighup", "poll").
void RefreshTlsAndLog(TlsCertificateStager& stager, const char* trigger);

// Runs RefreshTlsAndLog every `every` on its own thread until destroyed.
// `stager` is not owned and must outlive it.
class TlsReloadLoop {
 public:
  TlsReloadLoop(TlsCertificateStager& stager, absl::Duration every);
  ~TlsReloadLoop();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

// Checks that `chain_pem` holds one or more certificates and `key_pem` the
// private key of the first. Errors: kInvalidArgument naming what is wrong
// (never echoing key material).
absl::Status CheckKeyCertificatePair(const std::string& chain_pem, const std::string& key_pem);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_TLS_RELOAD_H_
