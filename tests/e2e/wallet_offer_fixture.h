// A fixture for the end-to-end tests of OpenID4VCI issuance to wallets
// (docs/wallet.md: wallet_e2e_test, and the npm wallet's interop test
// in tests/interop/openid4vci): a real vouchd with TLS on gRPC and its
// HTTPS listener (a test CA, the issuer URL on the listener's port, the
// shared issuer_e2e_config.h with wallet offers and a 6-digit tx_code), and
// a genuine docgen sample, sealed for vouchd's Passport key, verified in
// the wallet_offer mode, up to the credential offer. The including test
// target defines VOUCHCTL_PATH and VOUCH_SAMPLE_PATH. Needs the face models
// (asserted: a missing face match could never give VERIFIED).

#ifndef VOUCH_TESTS_E2E_WALLET_OFFER_FIXTURE_H_
#define VOUCH_TESTS_E2E_WALLET_OFFER_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuer_e2e_config.h"
#include "testing/cli_run.h"
#include "testing/test_pki.h"
#include "tls_vouchd.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {

class WalletOfferE2eFixture : public ::testing::Test {
 protected:
  // Starts vouchd in <FreshTestDir(dir_name)> and verifies the sample with
  // `nonce` as Telegram user `telegram_user_id`; then offer() is the
  // credential offer (its URI and 6-digit tx_code asserted). Fatal failures
  // end the test: call it through ASSERT_NO_FATAL_FAILURE.
  void StartAndVerify(const std::string& dir_name, const std::string& nonce,
                      int64_t telegram_user_id) {
    ASSERT_TRUE(FaceModelsPresent());
    dir_ = FreshTestDir(dir_name);
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
    pki_ = std::make_unique<TestPki>(dir_ + "/pki");
    ASSERT_TRUE(MakeServerPki(*pki_));
    issuer_ = StartTlsHttpsVouchd(
        *vouchd_, *pki_, dir_ + "/vouchd.toml",
        [](const std::string& issuer) {
          return IssuerE2eConfig(issuer, R"toml(age_thresholds = [18]
wallet_offer_lifetime = "5m"
wallet_offer_tx_code_length = 6
)toml");
        },
        "/vouch");
    ASSERT_FALSE(issuer_.empty()) << vouchd_->Log();
    stub_ = v1::Verification::NewStub(TlsChannel(*vouchd_, *pki_));

    // A genuine sample, sealed for vouchd's Passport key, verified in the
    // wallet_offer mode.
    const std::string sample = dir_ + "/sample", sealed = dir_ + "/sealed";
    auto [mk_rc, mk_out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce ", nonce, " --face ", VOUCH_SOURCE_DIR,
        "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
    ASSERT_EQ(mk_rc, 0) << mk_out;
    auto [pub_rc, pub_out] =
        RunShell(absl::StrCat("openssl pkey -in ", vouchd_->data_dir(),
                              "/keys/passport_rsa.pem -pubout -out ", dir_, "/pub.pem 2>&1"));
    ASSERT_EQ(pub_rc, 0) << pub_out;
    auto [seal_rc, seal_out] = RunShell(
        absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir_, "/pub.pem --in ", sample,
                     "/PLAIN.json --files-dir ", sample, " --out-dir ", sealed, " 2>&1"));
    ASSERT_EQ(seal_rc, 0) << seal_out;
    v1::VerifyRequest request;
    for (const auto& entry : std::filesystem::directory_iterator(sealed)) {
      const std::string name = entry.path().filename().string();
      if (name == "passport_data.json") {
        request.set_passport_data_json(ReadFileOrEmpty(entry.path()));
      } else {
        v1::EncryptedFile* f = request.add_files();
        f->set_file_id(name);
        f->set_content(ReadFileOrEmpty(entry.path()));
      }
    }
    request.set_nonce(nonce);
    request.set_telegram_user_id(telegram_user_id);
    request.mutable_attestation()->mutable_wallet_offer();
    {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
      const grpc::Status status = stub_->Verify(&context, request, &result_);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    ASSERT_EQ(result_.decision(), v1::DECISION_VERIFIED) << result_.DebugString();
    ASSERT_THAT(offer().uri(),
                ::testing::StartsWith("openid-credential-offer://?credential_offer="));
    ASSERT_EQ(offer().tx_code().size(), 6u);
  }

  // Stops vouchd (a clean exit expected), then removes the test folder.
  void TearDown() override {
    if (vouchd_ != nullptr) {
      EXPECT_EQ(vouchd_->Stop(), 0);
      if (std::getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The offer of the verification (its URI and tx_code).
  const v1::CredentialOffer& offer() const { return result_.attestation().credential_offer(); }

  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;
  std::unique_ptr<TestPki> pki_;
  std::string issuer_;  // https://127.0.0.1:<HTTPS port>/vouch
  std::unique_ptr<v1::Verification::Stub> stub_;
  v1::VerificationResult result_;  // VERIFIED, with the offer.
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_WALLET_OFFER_FIXTURE_H_
