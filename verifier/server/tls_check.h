#ifndef VOUCH_VERIFIER_SERVER_TLS_CHECK_H_
#define VOUCH_VERIFIER_SERVER_TLS_CHECK_H_

// Start-up checks of vouchd's TLS certificate and key: a key that is
// not the certificate's is refused with that reason (gRPC itself only fails
// to listen), and a certificate that has expired or expires within
// kTlsExpiryWarning is logged as a warning at start and once a day.

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/periodic_task.h"

namespace vouch::verifier::server {

inline constexpr absl::Duration kTlsExpiryWarning = absl::Hours(14 * 24);

struct TlsCertificateInfo {
  std::string subject;  // RFC 2253 form of the leaf's subject
  absl::Time not_before;
  absl::Time not_after;
};

// Checks that `key_pem` is the private key of the first certificate in
// `cert_pem` and returns that certificate's validity. Errors
// (kInvalidArgument, saying which file is wrong): no PEM certificate, no
// PEM private key, a key that does not match the certificate.
absl::StatusOr<TlsCertificateInfo> CheckTlsKeyPair(absl::string_view cert_pem,
                                                   absl::string_view key_pem);

// Logs a warning when the certificate has expired or expires within
// kTlsExpiryWarning of `now`; returns whether it warned.
bool WarnIfTlsExpiring(const TlsCertificateInfo& info, absl::Time now);

// Calls WarnIfTlsExpiring now and every `interval` until destroyed.
class TlsExpiryWatch {
 public:
  TlsExpiryWatch(TlsCertificateInfo info, absl::Duration interval = absl::Hours(24));
  ~TlsExpiryWatch();
  TlsExpiryWatch(const TlsExpiryWatch&) = delete;
  TlsExpiryWatch& operator=(const TlsExpiryWatch&) = delete;

 private:
  const TlsCertificateInfo info_;
  PeriodicTask task_;
};

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_TLS_CHECK_H_
