// The pipeline with the real attest signer behind AttestationIssuer; every
// credential is checked with attest's offline verifier (what vouch-verify
// and relying services run).

#include "pipeline/attest_adapter.h"

#include <filesystem>

#include "attest/verify.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/fakes.h"
#include "pipeline/verification_pipeline.h"
#include "testing/status_matchers.h"

namespace vouch::verifier {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

// RFC 7517 Appendix A.1 example P-256 public key.
constexpr char kHolderJwk[] =
    R"({"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",)"
    R"("y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"})";

class AttestAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/attest_adapter_" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    keys_ = *attest::KeySet::LoadOrCreate(dir_ + "/keys", attest::SigningAlg::kES256);
    secret_ = *LoadOrCreatePairwiseSecret(dir_ + "/pairwise.secret");
    issuer_ = NewIssuer();
    policy_ = **Config::Default().FindPolicy("default");
    request_.set_passport_data_json("{}");
    request_.set_nonce("nonce-1");
    request_.set_telegram_user_id(42);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<AttestationIssuer> NewIssuer() {
    AttestIssuerOptions options;
    options.issuer_url = "https://vouch.test";
    options.pairwise_secret = secret_.Clone();
    auto issuer = NewAttestIssuer(std::move(options), *keys_, *store_, clock_);
    EXPECT_THAT(issuer, IsOk());
    return issuer.ok() ? *std::move(issuer) : nullptr;
  }

  v1::VerificationResult Verify() {
    VerificationPipeline pipeline(opener_, issuer_.get(), *store_, clock_);
    PipelineInput input{&request_, &policy_, "ver_1", "svc.example"};
    absl::StatusOr<v1::VerificationResult> r = pipeline.Run(input, reader_, nullptr);
    EXPECT_THAT(r, IsOk());
    if (r.ok() && r->has_attestation()) {
      // What the engine stores with the result (the pipeline records nothing).
      const v1::Attestation& a = r->attestation();
      EXPECT_THAT(store_->RecordAttestation(AttestationRecord{
                      a.attestation_id(), "ver_1", "svc.example",
                      absl::FromUnixSeconds(a.expire_time().seconds()), a.status_list_uri(),
                      a.status_list_uri().empty() ? -1 : a.status_list_index(), 0}),
                  IsOk());
    }
    return r.ok() ? *r : v1::VerificationResult();
  }

  attest::Result<attest::VerifiedCredential> Check(const std::string& token,
                                                   attest::VerifyOptions options) {
    auto jwks = attest::Jwks::Parse(*issuer_->Jwks());
    EXPECT_TRUE(jwks.ok());
    return attest::VerifySdJwtVc(token, *jwks, options);
  }

  std::string dir_;
  std::unique_ptr<attest::KeySet> keys_;
  SecureBytes secret_;
  std::unique_ptr<Store> store_ = NewMemoryStore();
  SystemClock clock_;
  std::unique_ptr<AttestationIssuer> issuer_;
  Policy policy_;
  v1::VerifyRequest request_;
  testing::FakePassportOpener opener_;
  testing::FakeDocumentReader reader_;
};

TEST_F(AttestAdapterTest, DirectModeCredentialVerifiesOfflineForItsAudience) {
  v1::VerificationResult r = Verify();

  ASSERT_EQ(r.decision(), v1::DECISION_VERIFIED);
  attest::VerifyOptions options;
  options.audience = "svc.example";
  auto verified = Check(r.attestation().sd_jwt(), options);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->claims["iss"], "https://vouch.test");
  EXPECT_EQ(verified->claims["aud"], "svc.example");
  EXPECT_EQ(verified->claims["age_equal_or_over"]["18"], true);
  EXPECT_EQ(verified->claims["document_verified"], true);
  EXPECT_FALSE(verified->claims.contains("given_name"));  // Not in the default policy.
  EXPECT_EQ(verified->kid, r.attestation().kid());
  // Another audience is refused.
  attest::VerifyOptions other;
  other.audience = "other.example";
  EXPECT_FALSE(Check(r.attestation().sd_jwt(), other).ok());
}

TEST_F(AttestAdapterTest, PairwiseSubjectDiffersPerService) {
  v1::VerificationResult a = Verify();
  request_.mutable_attestation()->mutable_direct()->set_audience("bank.example");
  v1::VerificationResult b = Verify();

  attest::VerifyOptions oa, ob;
  oa.audience = "svc.example";
  ob.audience = "bank.example";
  auto va = Check(a.attestation().sd_jwt(), oa);
  auto vb = Check(b.attestation().sd_jwt(), ob);
  ASSERT_TRUE(va.ok());
  ASSERT_TRUE(vb.ok());
  EXPECT_NE(va->claims["sub"], vb->claims["sub"]);
}

TEST_F(AttestAdapterTest, WalletCredentialIsRevokedThroughTheStatusListAfterRestart) {
  request_.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(kHolderJwk);
  v1::VerificationResult r = Verify();
  ASSERT_EQ(r.decision(), v1::DECISION_VERIFIED);
  ASSERT_GE(r.attestation().status_list_index(), 0);
  EXPECT_EQ(r.attestation().status_list_uri(), "https://vouch.test/status/1");
  attest::VerifyOptions options;
  options.status_list_token = *issuer_->StatusList("");
  ASSERT_TRUE(Check(r.attestation().sd_jwt(), options).ok());

  issuer_ = NewIssuer();  // A restart: the list is rebuilt from the Store.
  ASSERT_THAT(store_->SetAttestationStatus(r.attestation().attestation_id(), 1), IsOk());
  absl::StatusOr<bool> changed = issuer_->Revoke(r.attestation().attestation_id(), false);

  ASSERT_THAT(changed, IsOk());
  EXPECT_TRUE(*changed);
  options.status_list_token = *issuer_->StatusList("https://vouch.test/status/1");
  auto revoked = Check(r.attestation().sd_jwt(), options);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, attest::ErrorCode::kRevoked);
  EXPECT_THAT(issuer_->StatusList("https://elsewhere/1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AttestAdapterTest, PairwiseSecretIsPrivateAndStable) {
  absl::StatusOr<SecureBytes> again = LoadOrCreatePairwiseSecret(dir_ + "/pairwise.secret");

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->view(), secret_.view());
  EXPECT_EQ(std::filesystem::status(dir_ + "/pairwise.secret").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace vouch::verifier
