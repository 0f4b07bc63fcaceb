// The Attestor in the wallet_offer mode: an offer instead of a
// credential, no attestation record, the mode kept through a review case,
// and the stored result without the offer's secrets; and the stored
// result without the credential, sealed only for its pickup window.

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
  OpenStoredOffer(read, "ver_1", &ring, absl::Now());
  EXPECT_EQ(read.attestation().credential_offer().tx_code(), "123456");
  EXPECT_EQ(read.attestation().credential_offer().uri(),
            "openid-credential-offer://?credential_offer=secret");
  EXPECT_TRUE(read.attestation().credential_offer().sealed().empty());
  // Another verification's context does not open it; a reviewer's read
  // (no ring) gets neither the secrets nor the envelope.
  for (const char* id : {"ver_2", ""}) {
    v1::VerificationResult other = stored;
    if (*id != '\0') {
      OpenStoredOffer(other, id, &ring, absl::Now());
    } else {
      OpenStoredOffer(other, "ver_1", static_cast<const FakeRing*>(nullptr), absl::Now());
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
  plain.set_decision(v1::DECISION_REJECTED);
  plain.add_checks()->set_name("mrz");
  EXPECT_EQ(SerializeResultForStore(plain, "ver_1", &ring), plain.SerializeAsString());
}

// A credential whose disclosures carry names and a birth date.
constexpr char kDisclosureName[] = "WyJzYWx0IiwgImdpdmVuX25hbWUiLCAiWm9yYW5kZWxsZSJd";
constexpr char kDisclosureBirth[] = "WyJzYWx0MiIsICJiaXJ0aGRhdGUiLCAiMTk3NC0wOC0xMiJd";

v1::VerificationResult WithCredential() {
  v1::VerificationResult r;
  r.set_decision(v1::DECISION_VERIFIED);
  r.add_checks()->set_name("mrz");
  v1::Attestation* a = r.mutable_attestation();
  a->set_attestation_id("att-1");
  a->set_sd_jwt(absl::StrCat("h.p.s~", kDisclosureName, "~", kDisclosureBirth, "~"));
  return r;
}

TEST(AttestorTest, StoredResultKeepsTheCredentialSealedForItsPickupWindow) {
  const FakeRing ring;
  const absl::Time now = absl::FromUnixSeconds(1'900'000'000);
  v1::VerificationResult result = WithCredential();
  StampPickupWindow(result, now + absl::Minutes(5));
  EXPECT_EQ(result.attestation().pickup_expire_time().seconds(), 1'900'000'300);
  // base64url(SHA-256) of each disclosure, as in the issuer JWT's _sd arrays.
  ASSERT_EQ(result.attestation().disclosure_digests_size(), 2);
  EXPECT_EQ(result.attestation().disclosure_digests(0),
            attestor_internal::DisclosureDigests(absl::StrCat("x~", kDisclosureName))[0]);
  EXPECT_EQ(result.attestation().disclosure_digests(0).size(), 43u);  // Unpadded.

  const std::string bytes = SerializeResultForStore(result, "ver_1", &ring);
  EXPECT_FALSE(absl::StrContains(bytes, kDisclosureName));
  EXPECT_FALSE(absl::StrContains(bytes, kDisclosureBirth));
  EXPECT_FALSE(absl::StrContains(bytes, "h.p.s"));
  v1::VerificationResult stored;
  ASSERT_TRUE(stored.ParseFromString(bytes));
  EXPECT_TRUE(stored.attestation().sd_jwt().empty());
  EXPECT_EQ(stored.attestation().sealed_key_id(), "k1");
  EXPECT_EQ(stored.attestation().disclosure_digests_size(), 2);
  EXPECT_EQ(stored.attestation().attestation_id(), "att-1");
  EXPECT_EQ(stored.checks_size(), 1);

  // Within the window: restored for the relying service, the envelope gone.
  v1::VerificationResult read = stored;
  OpenStoredOffer(read, "ver_1", &ring, now + absl::Minutes(4));
  EXPECT_EQ(read.attestation().sd_jwt(), result.attestation().sd_jwt());
  EXPECT_FALSE(read.attestation().pickup_expired());
  EXPECT_TRUE(read.attestation().sealed_sd_jwt().empty());
  EXPECT_TRUE(read.attestation().sealed_key_id().empty());
  // After it: no credential, and the answer says so.
  read = stored;
  OpenStoredOffer(read, "ver_1", &ring, now + absl::Minutes(5));
  EXPECT_TRUE(read.attestation().sd_jwt().empty());
  EXPECT_TRUE(read.attestation().pickup_expired());
  EXPECT_TRUE(read.attestation().sealed_sd_jwt().empty());
  // Another verification's context, or a reviewer (no ring): nothing.
  read = stored;
  OpenStoredOffer(read, "ver_2", &ring, now);
  EXPECT_TRUE(read.attestation().sd_jwt().empty());
  read = stored;
  OpenStoredOffer(read, "ver_1", static_cast<const FakeRing*>(nullptr), now);
  EXPECT_TRUE(read.attestation().sd_jwt().empty());
  EXPECT_TRUE(read.attestation().sealed_sd_jwt().empty());

  // Without a window (or without a ring) the credential is dropped, not sealed.
  for (const bool with_window : {false, true}) {
    v1::VerificationResult r = WithCredential();
    if (with_window) StampPickupWindow(r, now);
    v1::VerificationResult dropped;
    ASSERT_TRUE(dropped.ParseFromString(
        with_window ? SerializeResultForStore(r, "ver_1", static_cast<const FakeRing*>(nullptr))
                    : SerializeResultForStore(r, "ver_1", &ring)));
    EXPECT_TRUE(dropped.attestation().sd_jwt().empty());
    EXPECT_TRUE(dropped.attestation().sealed_sd_jwt().empty());
  }
}

}  // namespace
}  // namespace vouch::verifier::pipeline
