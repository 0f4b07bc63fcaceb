// The Attestor in the wallet_offer mode (#19): an offer instead of a
// credential, no attestation record, the mode kept through a review case,
// and the stored result without the offer's secrets.

#include "pipeline/attestor.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using ::vouch::testing::StatusIs;

class OfferingIssuer final : public AttestationIssuer {
 public:
  absl::StatusOr<IssuedAttestation> Issue(const AttestationRequest&) override {
    ++issued;
    return IssuedAttestation{"att-1", "jwt~", "kid", absl::FromUnixSeconds(2'000'000'000), "", -1};
  }
  absl::StatusOr<std::string> Jwks() override { return std::string("{}"); }
  absl::StatusOr<std::string> IssuerMetadata() override { return std::string("{}"); }
  absl::StatusOr<std::string> StatusList(const std::string&) override { return std::string(); }
  absl::StatusOr<bool> Revoke(const std::string&, bool) override { return false; }
  absl::StatusOr<v1::CredentialOffer> Offer(const AttestationRequest& r,
                                            absl::string_view verification_id) override {
    last_verification = std::string(verification_id);
    last_tx_code_length = r.offer_tx_code_length;
    v1::CredentialOffer o;
    o.set_uri("openid-credential-offer://?credential_offer=x");
    o.set_offer_json("{}");
    o.set_tx_code("123456");
    o.mutable_expire_time()->set_seconds(1'800'000'600);
    return o;
  }
  int issued = 0;
  std::string last_verification;
  int last_tx_code_length = -1;
};

class NoOffers final : public AttestationIssuer {
 public:
  absl::StatusOr<IssuedAttestation> Issue(const AttestationRequest&) override {
    return absl::InternalError("unused");
  }
  absl::StatusOr<std::string> Jwks() override { return std::string("{}"); }
  absl::StatusOr<std::string> IssuerMetadata() override { return std::string("{}"); }
  absl::StatusOr<std::string> StatusList(const std::string&) override { return std::string(); }
  absl::StatusOr<bool> Revoke(const std::string&, bool) override { return false; }
};

AttestationRequest OfferRequest() {
  AttestationRequest r;
  r.wallet_offer = true;
  r.offer_lifetime = absl::Minutes(7);
  r.offer_tx_code_length = 6;
  r.lifetime = absl::Hours(24);
  r.telegram_user_id = 42;
  r.relying_service = "svc";
  return r;
}

TEST(AttestorTest, WalletOfferMakesAnOfferAndNoRecord) {
  OfferingIssuer issuer;
  absl::StatusOr<Attested> a = Attestor(issuer).Attest(OfferRequest(), "ver_1");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(issuer.issued, 0);
  EXPECT_EQ(issuer.last_verification, "ver_1");
  EXPECT_EQ(issuer.last_tx_code_length, 6);
  EXPECT_FALSE(a->record.has_value());
  EXPECT_TRUE(a->attestation.sd_jwt().empty());
  EXPECT_EQ(a->attestation.credential_offer().tx_code(), "123456");

  AttestationRequest direct;
  direct.audience = "svc";
  a = Attestor(issuer).Attest(direct, "ver_2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(issuer.issued, 1);
  EXPECT_TRUE(a->record.has_value());
  EXPECT_FALSE(a->attestation.has_credential_offer());
}

TEST(AttestorTest, IssuerWithoutOffersRefusesTheMode) {
  NoOffers issuer;
  EXPECT_THAT(Attestor(issuer).Attest(OfferRequest(), "ver_1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(AttestorTest, ReviewCaseKeepsTheMode) {
  const AttestationRequest back =
      FromPendingAttestation(ToPendingAttestation(OfferRequest(), v1::Summary()), absl::Now());
  EXPECT_TRUE(back.wallet_offer);
  EXPECT_EQ(back.offer_lifetime, absl::Minutes(7));
  EXPECT_EQ(back.offer_tx_code_length, 6);
}

// A key ring as review's StorageKeyRing looks to the templates: "sealing"
// reverses the text and binds the context.
struct FakeRing {
  std::string Seal(absl::string_view context, absl::string_view plaintext) const {
    return absl::StrCat(context, "|", std::string(plaintext.rbegin(), plaintext.rend()));
  }
  const std::string& active_key_id() const { return kid; }
  absl::StatusOr<SecureBytes> Open(absl::string_view context, absl::string_view key_id,
                                   absl::string_view sealed) const {
    if (key_id != kid || !absl::ConsumePrefix(&sealed, absl::StrCat(context, "|"))) {
      return absl::DataLossError("bad envelope");
    }
    return SecureBytes(std::string(sealed.rbegin(), sealed.rend()));
  }
  std::string kid = "k1";
};

v1::VerificationResult WithOffer() {
  v1::VerificationResult r;
  v1::CredentialOffer* o = r.mutable_attestation()->mutable_credential_offer();
  o->set_uri("openid-credential-offer://?credential_offer=secret");
  o->set_offer_json("{\"secret\":1}");
  o->set_tx_code("123456");
  o->mutable_expire_time()->set_seconds(99);
  return r;
}

TEST(AttestorTest, StoredResultKeepsTheOfferOnlySealed) {
  const FakeRing ring;
  const std::string bytes = SerializeResultForStore(WithOffer(), "ver_1", &ring);
  EXPECT_FALSE(absl::StrContains(bytes, "123456"));
  EXPECT_FALSE(absl::StrContains(bytes, "credential_offer=secret"));
  v1::VerificationResult stored;
  ASSERT_TRUE(stored.ParseFromString(bytes));
  const v1::CredentialOffer& kept = stored.attestation().credential_offer();
  EXPECT_TRUE(kept.uri().empty());
  EXPECT_TRUE(kept.tx_code().empty());
  EXPECT_EQ(kept.sealed_key_id(), "k1");
  EXPECT_EQ(kept.expire_time().seconds(), 99);

  // The relying service's read: restored, sealed fields gone.
  v1::VerificationResult read = stored;
  OpenStoredOffer(read, "ver_1", &ring);
  EXPECT_EQ(read.attestation().credential_offer().tx_code(), "123456");
  EXPECT_EQ(read.attestation().credential_offer().uri(),
            "openid-credential-offer://?credential_offer=secret");
  EXPECT_TRUE(read.attestation().credential_offer().sealed().empty());
  // Another verification's context does not open it; a reviewer's read
  // (no ring) gets neither the secrets nor the envelope.
  for (const char* id : {"ver_2", ""}) {
    v1::VerificationResult other = stored;
    if (*id != '\0') {
      OpenStoredOffer(other, id, &ring);
    } else {
      OpenStoredOffer(other, "ver_1", static_cast<const FakeRing*>(nullptr));
    }
    EXPECT_TRUE(other.attestation().credential_offer().tx_code().empty());
    EXPECT_TRUE(other.attestation().credential_offer().sealed().empty());
  }
  // Without a ring the secrets are dropped; results without an offer are
  // stored as they are.
  v1::VerificationResult dropped;
  ASSERT_TRUE(dropped.ParseFromString(
      SerializeResultForStore(WithOffer(), "ver_1", static_cast<const FakeRing*>(nullptr))));
  EXPECT_TRUE(dropped.attestation().credential_offer().tx_code().empty());
  EXPECT_TRUE(dropped.attestation().credential_offer().sealed().empty());
  v1::VerificationResult plain;
  plain.mutable_attestation()->set_sd_jwt("jwt~");
  EXPECT_EQ(SerializeResultForStore(plain, "ver_1", &ring), plain.SerializeAsString());
}

}  // namespace
}  // namespace vouch::verifier::pipeline
