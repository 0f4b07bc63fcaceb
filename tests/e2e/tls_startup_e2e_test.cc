// vouchd's TLS certificate checks at start, on a real vouchd: an
// expired or soon-expiring certificate is logged as a warning and its expiry
// exported as a metric; a key that is not the certificate's is refused with
// that reason (gRPC alone would only say it cannot listen).

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "testing/cli_run.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

constexpr int64_t kDay = 24 * 3600;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

std::unique_ptr<EVP_PKEY, PkeyFree> NewKey() {
  return std::unique_ptr<EVP_PKEY, PkeyFree>(EVP_EC_gen("P-256"));
}

bool WritePem(const std::string& path, EVP_PKEY* key) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return ok;
}

// A self-signed certificate for 127.0.0.1 by `key`, valid from `from` to
// `until` seconds relative to now.
bool WriteCert(const std::string& path, EVP_PKEY* key, int64_t from, int64_t until) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), until);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("vouchd-test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return false;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = PEM_write_X509(f, cert.get()) == 1;
  std::fclose(f);
  return ok;
}

class TlsStartupE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/tls_startup_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    key_ = NewKey();
    ASSERT_NE(key_, nullptr);
    ASSERT_TRUE(WritePem(dir_ + "/key.pem", key_.get()));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts vouchd with a certificate valid [from, until] from now and
  // returns its log and /metrics once serving.
  void StartWith(int64_t from, int64_t until, std::string* log, std::string* metrics) {
    ASSERT_TRUE(WriteCert(dir_ + "/cert.pem", key_.get(), from, until));
    VouchdProcess vouchd(dir_ + "/data");
    ASSERT_TRUE(vouchd.Start({"--tls-cert", dir_ + "/cert.pem", "--tls-key", dir_ + "/key.pem"}));
    const std::string& m = vouchd.metrics_address();
    httplib::Client client(m.substr(0, m.rfind(':')), std::stoi(m.substr(m.rfind(':') + 1)));
    httplib::Result res = client.Get("/metrics");
    ASSERT_TRUE(res) << "no /metrics";
    *metrics = res->body;
    EXPECT_EQ(vouchd.Stop(), 0);
    *log = vouchd.Log();
  }

  std::string dir_;
  std::unique_ptr<EVP_PKEY, PkeyFree> key_;
};

TEST_F(TlsStartupE2eTest, ExpiredCertificateWarnsAndExportsItsExpiry) {
  std::string log, metrics;
  StartWith(-10 * kDay, -1 * kDay, &log, &metrics);

  EXPECT_THAT(log, ::testing::HasSubstr("the TLS certificate has EXPIRED"));
  EXPECT_THAT(metrics, ::testing::HasSubstr("vouch_tls_cert_expiry_timestamp_seconds"));
}

TEST_F(TlsStartupE2eTest, CertificateExpiringWithinTwoWeeksWarns) {
  std::string log, metrics;
  StartWith(-kDay, 5 * kDay, &log, &metrics);

  EXPECT_THAT(log, ::testing::HasSubstr("the TLS certificate expires soon"));
  EXPECT_THAT(log, ::testing::HasSubstr("days_left=4"));
}

TEST_F(TlsStartupE2eTest, CertificateValidForMonthsDoesNotWarn) {
  std::string log, metrics;
  StartWith(-kDay, 90 * kDay, &log, &metrics);

  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr("TLS certificate expires")));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr("EXPIRED")));
  // The metric is the certificate's notAfter, in Unix seconds.
  const int64_t expected = static_cast<int64_t>(std::time(nullptr)) + 90 * kDay;
  const std::string sample = "\nvouch_tls_cert_expiry_timestamp_seconds ";
  const size_t at = metrics.find(sample);
  ASSERT_NE(at, std::string::npos) << metrics;
  const double value = std::stod(metrics.substr(at + sample.size()));
  EXPECT_NEAR(value, static_cast<double>(expected), 120.0);
}

TEST_F(TlsStartupE2eTest, KeyOfAnotherCertificateIsRefusedWithThatReason) {
  std::unique_ptr<EVP_PKEY, PkeyFree> other = NewKey();
  ASSERT_TRUE(WriteCert(dir_ + "/cert.pem", other.get(), -kDay, 90 * kDay));

  const CliRun run =
      RunCli(VOUCHD_PATH,
             absl::StrCat("--listen 127.0.0.1:0 --data-dir ", dir_, "/data --tls-cert ", dir_,
                          "/cert.pem --tls-key ", dir_, "/key.pem --metrics-listen ''"),
             dir_ + "/run");

  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, ::testing::HasSubstr("the TLS key does not match the certificate"));
}

}  // namespace
}  // namespace vouch::testing
