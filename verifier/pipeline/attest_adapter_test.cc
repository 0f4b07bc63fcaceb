// The pipeline with the real attest signer behind AttestationIssuer; every
// credential is checked with attest's offline verifier (what vouch-verify
// and relying services run).

#include "pipeline/attest_adapter.h"

#include <filesystem>
#include <set>

#include "attest/verify.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/verification_pipeline.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using ::vouch::testing::FixedClock;

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
    VerificationPipeline pipeline(opener_, *issuer_, *store_, clock_);
    PipelineInput input{&request_, &policy_, "ver_1", "svc.example"};
    absl::StatusOr<v1::VerificationResult> r = pipeline.Run(input, reader_, nullptr);
    EXPECT_THAT(r, IsOk());
    if (r.ok() && r->has_attestation()) {
      // What the engine stores with the result (the pipeline records nothing).
      const v1::Attestation& a = r->attestation();
      EXPECT_THAT(store_->RecordAttestation(storage::AttestationRecord{
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
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
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

// Two replicas on one Store: entries are unique across both, a full
// list rolls over, and a revocation made through one is served by the other
// once its signed copy is older than ttl / 2.
TEST(AttestAdapterReplicasTest, SharedStoreRevocationAndRollover) {
  const std::string dir = ::testing::TempDir() + "/attest_replicas_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto keys = attest::KeySet::LoadOrCreate(dir + "/keys", attest::SigningAlg::kES256);
  ASSERT_THAT(keys, IsOk());
  SecureBytes secret = *LoadOrCreatePairwiseSecret(dir + "/pairwise.secret");
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore();
  FixedClock clock_a(absl::FromUnixSeconds(1'800'000'000));
  FixedClock clock_b(absl::FromUnixSeconds(1'800'000'000));
  const auto replica = [&](Clock& clock) {
    AttestIssuerOptions options;
    options.issuer_url = "https://vouch.test";
    options.pairwise_secret = secret.Clone();
    options.status_list_size = 8;
    options.status_list_ttl = absl::Seconds(60);
    return *NewAttestIssuer(std::move(options), **keys, *store, clock);
  };
  std::unique_ptr<AttestationIssuer> a = replica(clock_a), b = replica(clock_b);
  std::set<std::pair<std::string, int64_t>> entries;
  std::vector<IssuedAttestation> issued;
  for (int i = 0; i < 10; ++i) {
    AttestationRequest r;
    r.holder_jwk_json = kHolderJwk;
    r.lifetime = absl::Hours(24 * 30);
    r.telegram_user_id = 42;
    r.relying_service = "svc";
    absl::StatusOr<IssuedAttestation> one = (i % 2 == 0 ? a : b)->Issue(r);
    ASSERT_THAT(one, IsOk());
    entries.emplace(one->status_list_uri, one->status_list_index);
    ASSERT_THAT(store->RecordAttestation({one->attestation_id, absl::StrCat("ver_", i), "svc",
                                          one->expire_time, one->status_list_uri,
                                          one->status_list_index, 0}),
                IsOk());
    issued.push_back(*std::move(one));
  }
  EXPECT_EQ(entries.size(), 10u);  // No two credentials share an entry.
  EXPECT_EQ(issued[0].status_list_uri, "https://vouch.test/status/1");
  EXPECT_EQ(issued[9].status_list_uri, "https://vouch.test/status/2");

  auto jwks = attest::Jwks::Parse(*a->Jwks());
  ASSERT_TRUE(jwks.ok());
  const auto check = [&](AttestationIssuer& replica, const IssuedAttestation& credential) {
    attest::VerifyOptions options;
    options.now = 1'800'000'000;
    options.require_key_binding = false;
    absl::StatusOr<std::string> list = replica.StatusList(credential.status_list_uri);
    EXPECT_THAT(list, IsOk());
    options.status_list_token = list.ok() ? *list : "";
    return attest::VerifySdJwtVc(credential.sd_jwt, *jwks, options);
  };
  ASSERT_TRUE(check(*b, issued[2]).ok());
  // Revoked through A: the Store, then A's own copy.
  ASSERT_THAT(store->SetAttestationStatus(issued[2].attestation_id, 1), IsOk());
  ASSERT_THAT(a->Revoke(issued[2].attestation_id, false), IsOk());
  auto on_a = check(*a, issued[2]);
  ASSERT_FALSE(on_a.ok());
  EXPECT_EQ(on_a.error().code, attest::ErrorCode::kRevoked);
  // B still serves its copy, until ttl / 2.
  EXPECT_TRUE(check(*b, issued[2]).ok());
  clock_b.Set(clock_b.Now() + absl::Seconds(31));
  auto on_b = check(*b, issued[2]);
  ASSERT_FALSE(on_b.ok());
  EXPECT_EQ(on_b.error().code, attest::ErrorCode::kRevoked);
  EXPECT_TRUE(check(*b, issued[3]).ok());  // Its neighbours are untouched.
  EXPECT_THAT(b->StatusList("https://vouch.test/status/3"), StatusIs(absl::StatusCode::kNotFound));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::verifier::pipeline
