#include "tls_check.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "spdlog/spdlog.h"

namespace vouch::verifier::server {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemBio(absl::string_view pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

absl::StatusOr<absl::Time> AsnTime(const ASN1_TIME* t) {
  struct tm tm;
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError("the TLS certificate has an unreadable validity time");
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::string Subject(X509* cert) {
  std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

absl::StatusOr<TlsCertificateInfo> CheckTlsKeyPair(absl::string_view cert_pem,
                                                   absl::string_view key_pem) {
  std::unique_ptr<BIO, BioFree> cert_bio = MemBio(cert_pem);
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("--tls-cert holds no PEM certificate");
  }
  std::unique_ptr<BIO, BioFree> key_bio = MemBio(key_pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls-key holds no PEM private key (or one protected by a passphrase)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the TLS key does not match the certificate: --tls-key is not the private key of the "
        "first certificate in --tls-cert");
  }
  TlsCertificateInfo info;
  info.subject = Subject(cert.get());
  absl::StatusOr<absl::Time> not_before = AsnTime(X509_get0_notBefore(cert.get()));
  if (!not_before.ok()) return not_before.status();
  absl::StatusOr<absl::Time> not_after = AsnTime(X509_get0_notAfter(cert.get()));
  if (!not_after.ok()) return not_after.status();
  info.not_before = *not_before;
  info.not_after = *not_after;
  return info;
}

bool WarnIfTlsExpiring(const TlsCertificateInfo& info, absl::Time now) {
  const std::string when =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", info.not_after, absl::UTCTimeZone());
  if (info.not_after <= now) {
    spdlog::warn("the TLS certificate has EXPIRED: subject={} not_after={}; clients refuse it",
                 info.subject, when);
    return true;
  }
  if (info.not_after - now <= kTlsExpiryWarning) {
    spdlog::warn("the TLS certificate expires soon: subject={} not_after={} days_left={}",
                 info.subject, when, absl::ToInt64Hours(info.not_after - now) / 24);
    return true;
  }
  return false;
}

TlsExpiryWatch::TlsExpiryWatch(TlsCertificateInfo info, absl::Duration interval)
    : info_(std::move(info)), task_(interval, [this] { WarnIfTlsExpiring(info_, absl::Now()); }) {
  WarnIfTlsExpiring(info_, absl::Now());
}

TlsExpiryWatch::~TlsExpiryWatch() = default;

}  // namespace vouch::verifier::server
