// WalletIssuer: the OpenID4VCI pre-authorized flow end to end against a
// real attest issuer and the in-memory Store, and every hostile request
// refused with the error OpenID4VCI / OAuth names, nothing issued, audited.

#include "http/wallet_issuer.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "attest/key_set.h"
#include "attest/verify.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/trust_server.h"
#include "httplib.h"
#include "internal/jose.h"
#include "nlohmann/json.hpp"
#include "pipeline/attest_adapter.h"
#include "testing/fixed_clock.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::http {
namespace {

using json = nlohmann::json;
namespace jose = ::vouch::attest::internal;

constexpr char kWalletIssuer[] = "https://issuer.test/vouch";
constexpr char kWalletVct[] = "https://issuer.test/vouch/credentials/identity/1";
constexpr char kForm[] = "application/x-www-form-urlencoded";
constexpr char kGrant[] = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::string Error(const WalletAnswer& a) {
  json body = json::parse(a.body, nullptr, false);
  return body.is_object() ? body.value("error", "") : "";
}

class WalletIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/wallet_issuer_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    store_ = storage::NewMemoryStore();
    auto keys = attest::KeySet::LoadOrCreate(dir_ + "/keys", attest::SigningAlg::kES256);
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = *std::move(keys);
    pipeline::AttestIssuerOptions o;
    o.issuer_url = kWalletIssuer;
    o.vct = kWalletVct;
    o.pairwise_secret = SecureBytes(std::string(32, 'p'));
    o.status_list_size = 1024;
    auto inner = pipeline::NewAttestIssuer(std::move(o), *keys_, *store_, clock_);
    ASSERT_TRUE(inner.ok()) << inner.status();
    inner_ = *std::move(inner);
    WalletIssuerOptions w;
    w.issuer_url = kWalletIssuer;
    w.vct = kWalletVct;
    w.nonce_key = SecureBytes(std::string(32, 'n'));
    w.access_token_lifetime = absl::Minutes(10);  // Outlives a c_nonce (5 min).
    OfferSealer sealer;
    sealer.seal = [](absl::string_view context, absl::string_view plaintext) {
      return std::make_pair(absl::StrCat(context, "|", plaintext), std::string("k1"));
    };
    sealer.open = [](absl::string_view context, absl::string_view key_id,
                     absl::string_view sealed) -> absl::StatusOr<SecureBytes> {
      if (key_id != "k1" || !absl::ConsumePrefix(&sealed, absl::StrCat(context, "|"))) {
        return absl::DataLossError("bad envelope");
      }
      return SecureBytes(sealed);
    };
    wallet_ =
        std::make_unique<WalletIssuer>(std::move(w), *inner_, *store_, std::move(sealer), clock_);
    auto wallet_key = jose::GenerateKey(jose::KeyType::kP256);
    ASSERT_TRUE(wallet_key.ok());
    wallet_key_ = std::move(*wallet_key);
    AddVerification("ver_1", v1::DECISION_VERIFIED);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AddVerification(const std::string& id, v1::Decision decision) {
    storage::NewVerification v;
    v.record.id = id;
    v.record.relying_service = "svc";
    v.record.request_digest = "d-" + id;
    v.record.policy = "default";
    v.record.state = storage::VerificationState::kRunning;
    v.record.create_time = kT0;
    v.record.update_time = kT0;
    ASSERT_TRUE(store_->CreateVerification(v).ok());
    v1::VerificationResult result;
    result.set_decision(decision);
    ASSERT_TRUE(store_
                    ->FinishVerification(id, storage::VerificationState::kCompleted,
                                         result.SerializeAsString(), kT0, nullptr)
                    .ok());
  }

  // An offer for `id`; returns its pre-authorized code (and tx_code).
  v1::CredentialOffer MakeOffer(const std::string& id = "ver_1", int tx_digits = 6) {
    pipeline::AttestationRequest r;
    r.claims.age_equal_or_over = {18, 21};
    r.claims.nationalities = {"DE"};
    r.claims.given_name = "Anna";
    r.claims.family_name = "Eriksson";
    r.claims.birthdate = "2000-02-29";
    r.claims.include_verification = true;
    r.claims.document_type = "passport";
    r.claims.issuing_country = "D";
    r.lifetime = absl::Hours(24 * 30);
    r.telegram_user_id = 42;
    r.relying_service = "svc";
    r.wallet_offer = true;
    r.offer_lifetime = absl::Minutes(10);
    r.offer_tx_code_length = tx_digits;
    absl::StatusOr<v1::CredentialOffer> offer = wallet_->Offer(r, id);
    EXPECT_TRUE(offer.ok()) << offer.status();
    return offer.ok() ? *offer : v1::CredentialOffer();
  }

  static std::string CodeOf(const v1::CredentialOffer& offer) {
    return json::parse(offer.offer_json())["grants"][kGrant]["pre-authorized_code"];
  }

  WalletAnswer Token(const std::string& code, const std::string& tx_code = "") {
    std::string form = absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=", code);
    if (!tx_code.empty()) absl::StrAppend(&form, "&tx_code=", tx_code);
    return wallet_->Token(kForm, form);
  }

  std::string AccessToken(const v1::CredentialOffer& offer) {
    WalletAnswer a = Token(CodeOf(offer), offer.tx_code());
    EXPECT_EQ(a.status, 200) << a.body;
    return json::parse(a.body).value("access_token", "");
  }

  std::string FreshNonce() {
    WalletAnswer a = wallet_->Nonce();
    EXPECT_EQ(a.status, 200);
    return json::parse(a.body)["c_nonce"];
  }

  json PublicJwk() { return *jose::PublicJwk(wallet_key_.get()); }

  std::string Proof(const std::string& nonce, json header_changes = json::object(),
                    json payload_changes = json::object(), EVP_PKEY* key = nullptr) {
    json header = {{"typ", "openid4vci-proof+jwt"}, {"alg", "ES256"}, {"jwk", PublicJwk()}};
    json payload = {{"aud", kWalletIssuer}, {"iat", absl::ToUnixSeconds(clock_.Now())}};
    if (!nonce.empty()) payload["nonce"] = nonce;
    // `{}` (null) changes nothing: merge_patch(null) would replace the whole
    // header or payload (and every case would be "malformed").
    if (!header_changes.is_null()) header.merge_patch(header_changes);
    if (!payload_changes.is_null()) payload.merge_patch(payload_changes);
    auto jws = jose::SignCompactJws(key != nullptr ? key : wallet_key_.get(), header, payload);
    EXPECT_TRUE(jws.ok());
    return jws.ok() ? *jws : "";
  }

  WalletAnswer Credential(const std::string& token, const std::string& proof,
                          const std::string& configuration = kIdentityConfiguration) {
    return wallet_->Credential(
        absl::StrCat("Bearer ", token), "application/json",
        json{{"credential_configuration_id", configuration}, {"proofs", {{"jwt", {proof}}}}}
            .dump());
  }

  int Audited(absl::string_view action) {
    auto events = store_->ListAudit(0, 1000);
    int n = 0;
    for (const storage::AuditEvent& e : *events) n += e.action == action;
    return n;
  }

  bool Issued(const std::string& id = "ver_1") {
    return store_->GetAttestationByVerification(id).ok();
  }

  std::string dir_;
  ::vouch::testing::FixedClock clock_{kT0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<attest::KeySet> keys_;
  std::unique_ptr<pipeline::AttestationIssuer> inner_;
  std::unique_ptr<WalletIssuer> wallet_;
  EvpPkeyPtr wallet_key_;
};

TEST_F(WalletIssuerTest, OfferIsAnOpenId4VciOfferWithTxCode) {
  v1::CredentialOffer offer = MakeOffer();
  json o = json::parse(offer.offer_json());
  EXPECT_EQ(o["credential_issuer"], kWalletIssuer);
  EXPECT_EQ(o["credential_configuration_ids"],
            json::array({kIdentityConfiguration, kAgeOverConfiguration}));
  EXPECT_EQ(o["grants"][kGrant]["tx_code"]["input_mode"], "numeric");
  EXPECT_EQ(o["grants"][kGrant]["tx_code"]["length"], 6);
  EXPECT_EQ(offer.tx_code().size(), 6u);
  EXPECT_TRUE(absl::StartsWith(offer.uri(), "openid-credential-offer://?credential_offer=%7B"));
  EXPECT_EQ(offer.expire_time().seconds(), absl::ToUnixSeconds(kT0 + absl::Minutes(10)));
  EXPECT_EQ(Audited("wallet.offer"), 1);
}

TEST_F(WalletIssuerTest, MetadataNamesBothConfigurationsAndTheEndpoints) {
  json m = json::parse(wallet_->CredentialIssuerMetadata());
  EXPECT_EQ(m["credential_issuer"], kWalletIssuer);
  EXPECT_EQ(m["credential_endpoint"], absl::StrCat(kWalletIssuer, "/credential"));
  EXPECT_EQ(m["nonce_endpoint"], absl::StrCat(kWalletIssuer, "/nonce"));
  for (const char* id : {kIdentityConfiguration, kAgeOverConfiguration}) {
    const json& c = m["credential_configurations_supported"][id];
    EXPECT_EQ(c["format"], "dc+sd-jwt");
    EXPECT_EQ(c["vct"], kWalletVct);
    EXPECT_EQ(c["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
              json::array({"ES256"}));
  }
  json as = json::parse(wallet_->AuthorizationServerMetadata());
  EXPECT_EQ(as["token_endpoint"], absl::StrCat(kWalletIssuer, "/token"));
  EXPECT_EQ(as["pre-authorized_grant_anonymous_access_supported"], true);
}

TEST_F(WalletIssuerTest, HappyPathIssuesAWalletBoundRevocableCredential) {
  v1::CredentialOffer offer = MakeOffer();
  const std::string token = AccessToken(offer);
  WalletAnswer a = Credential(token, Proof(FreshNonce()));
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string sd_jwt = json::parse(a.body)["credentials"][0]["credential"];

  auto jwks = attest::Jwks::Parse(*inner_->Jwks());
  ASSERT_TRUE(jwks.ok());
  attest::PresentOptions present;
  present.disclose = {"age_equal_or_over.18", "given_name"};
  present.holder_key_pem = *jose::PrivateKeyToPem(wallet_key_.get());
  present.audience = "https://shop.example";
  present.nonce = "rp-challenge";
  present.iat = absl::ToUnixSeconds(kT0);
  auto presentation = attest::Present(sd_jwt, present);
  ASSERT_TRUE(presentation.ok());
  attest::VerifyOptions v;
  v.now = absl::ToUnixSeconds(kT0);
  v.audience = "https://shop.example";
  v.nonce = "rp-challenge";
  v.require_key_binding = true;
  v.expected_vct = kWalletVct;
  auto verified = attest::VerifySdJwtVc(*presentation, *jwks, v);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_TRUE(verified->key_bound);  // cnf is the wallet's key.
  EXPECT_EQ(verified->claims["cnf"]["jwk"], PublicJwk());
  EXPECT_EQ(verified->claims["age_equal_or_over"]["18"], true);
  EXPECT_EQ(verified->claims["given_name"], "Anna");
  EXPECT_TRUE(verified->claims.contains("status"));  // Revocable.
  EXPECT_FALSE(verified->claims.contains("aud"));

  auto record = store_->GetAttestationByVerification("ver_1");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->relying_service, "svc");
  EXPECT_FALSE(record->status_list_uri.empty());
  EXPECT_EQ(Audited("wallet.issue"), 1);
  EXPECT_EQ(Audited("wallet.refuse"), 0);

  // The pairwise subject is the wallet's, not the calling service's.
  pipeline::AttestationRequest direct;
  direct.audience = "svc";
  direct.relying_service = "svc";
  direct.telegram_user_id = 42;
  direct.lifetime = absl::Minutes(5);
  auto for_service = inner_->Issue(direct);
  ASSERT_TRUE(for_service.ok());
  attest::VerifyOptions dv;
  dv.now = absl::ToUnixSeconds(kT0);
  dv.audience = "svc";
  auto service_view = attest::VerifySdJwtVc(for_service->sd_jwt, *jwks, dv);
  attest::VerifyOptions wv;
  wv.now = absl::ToUnixSeconds(kT0);
  auto wallet_view = attest::VerifySdJwtVc(sd_jwt, *jwks, wv);
  ASSERT_TRUE(service_view.ok());
  ASSERT_TRUE(wallet_view.ok()) << wallet_view.error().ToString();
  EXPECT_NE(service_view->claims["sub"], wallet_view->claims["sub"]);

  // One credential per offer: the token is spent.
  WalletAnswer again = Credential(token, Proof(FreshNonce()));
  EXPECT_EQ(again.status, 401);
  EXPECT_EQ(Error(again), "invalid_token");
  EXPECT_THAT(again.www_authenticate, ::testing::HasSubstr("invalid_token"));
}

TEST_F(WalletIssuerTest, AgeOverConfigurationCarriesNoNames) {
  v1::CredentialOffer offer = MakeOffer();
  WalletAnswer a = Credential(AccessToken(offer), Proof(FreshNonce()), kAgeOverConfiguration);
  ASSERT_EQ(a.status, 200) << a.body;
  auto jwks = attest::Jwks::Parse(*inner_->Jwks());
  attest::VerifyOptions v;
  v.now = absl::ToUnixSeconds(kT0);
  auto all = attest::VerifySdJwtVc(
      json::parse(a.body)["credentials"][0]["credential"].get<std::string>(), *jwks, v);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->claims["age_equal_or_over"]["21"], true);
  for (const char* claim :
       {"given_name", "family_name", "birthdate", "nationalities", "verification"}) {
    EXPECT_FALSE(all->claims.contains(claim)) << claim;
  }
}

TEST_F(WalletIssuerTest, ReplayedCodeIsInvalidGrant) {
  v1::CredentialOffer offer = MakeOffer();
  AccessToken(offer);
  WalletAnswer a = Token(CodeOf(offer), offer.tx_code());
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(Error(a), "invalid_grant");
  EXPECT_EQ(Audited("wallet.refuse"), 1);
}

TEST_F(WalletIssuerTest, ExpiredCodeIsInvalidGrant) {
  v1::CredentialOffer offer = MakeOffer();
  clock_.Set(kT0 + absl::Minutes(10));
  WalletAnswer a = Token(CodeOf(offer), offer.tx_code());
  EXPECT_EQ(Error(a), "invalid_grant");
  EXPECT_THAT(a.body, ::testing::HasSubstr("expired"));
}

TEST_F(WalletIssuerTest, UnknownCodeAndWrongGrantType) {
  EXPECT_EQ(Error(Token("not-a-code")), "invalid_grant");
  EXPECT_EQ(Error(wallet_->Token(kForm, "grant_type=authorization_code&code=x")),
            "unsupported_grant_type");
  EXPECT_EQ(Error(wallet_->Token("application/json", "{}")), "invalid_request");
  EXPECT_EQ(Error(wallet_->Token(kForm, absl::StrCat("grant_type=", kGrant))), "invalid_request");
  EXPECT_EQ(Error(wallet_->Token(kForm, "grant_type=a&grant_type=b")), "invalid_request");
  EXPECT_EQ(Error(wallet_->Token(kForm, "pre-authorized_code=%zz")), "invalid_request");
  EXPECT_EQ(Audited("wallet.refuse"), 6);
}

TEST_F(WalletIssuerTest, WrongTxCodeIsRateLimited) {
  v1::CredentialOffer offer = MakeOffer();
  const std::string code = CodeOf(offer);
  const std::string wrong = offer.tx_code() == "000000" ? "111111" : "000000";
  EXPECT_EQ(Error(Token(code)), "invalid_request");  // Missing: a failure too.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Error(Token(code, wrong)), "invalid_grant");
  WalletAnswer locked = Token(code, wrong);  // The fifth failure locks it.
  EXPECT_EQ(Error(locked), "invalid_grant");
  EXPECT_THAT(locked.body, ::testing::HasSubstr("locked"));
  WalletAnswer right = Token(code, offer.tx_code());
  EXPECT_EQ(Error(right), "invalid_grant");
  EXPECT_EQ(Audited("wallet.refuse"), 6);
  EXPECT_FALSE(Issued());
}

TEST_F(WalletIssuerTest, HostileProofsAreRefusedAndIssueNothing) {
  v1::CredentialOffer offer = MakeOffer();
  const std::string token = AccessToken(offer);
  const std::string nonce = FreshNonce();
  const int64_t now = absl::ToUnixSeconds(kT0);
  json private_jwk = PublicJwk();
  private_jwk["d"] = "c2VjcmV0LXNjYWxhci10aGF0LXNob3VsZC1uZXZlci1iZS1zZW50";
  auto ed = jose::GenerateKey(jose::KeyType::kEd25519);
  ASSERT_TRUE(ed.ok());
  struct Case {
    const char* name;
    std::string proof;
    const char* error;
    const char* description;  // The refusal's reason (attest::ProofRefusalName).
  };
  const Case cases[] = {
      {"wrong nonce", Proof("bm90LWEtbm9uY2U"), "invalid_nonce", "unknown or expired c_nonce"},
      {"no nonce", Proof(""), "invalid_nonce", "the proof has no nonce"},
      {"wrong aud", Proof(nonce, {}, {{"aud", "https://evil.example"}}), "invalid_proof",
       "wrong_audience"},
      {"two audiences", Proof(nonce, {}, {{"aud", {kWalletIssuer, "https://evil.example"}}}),
       "invalid_proof", "wrong_audience"},
      {"stale iat", Proof(nonce, {}, {{"iat", now - 3600}}), "invalid_proof", "bad_iat"},
      {"future iat", Proof(nonce, {}, {{"iat", now + 3600}}), "invalid_proof", "bad_iat"},
      {"no iat", Proof(nonce, {}, {{"iat", nullptr}}), "invalid_proof", "bad_iat"},
      {"wrong typ", Proof(nonce, {{"typ", "JWT"}}), "invalid_proof", "wrong_type"},
      {"private key", Proof(nonce, {{"jwk", private_jwk}}), "invalid_proof",
       "private_key_in_proof"},
      {"kid instead of jwk", Proof(nonce, {{"jwk", nullptr}, {"kid", "k"}}), "invalid_proof",
       "unsupported_key"},
      {"EdDSA key",
       Proof(nonce, {{"alg", "EdDSA"}, {"jwk", *jose::PublicJwk(ed->get())}}, {}, ed->get()),
       "invalid_proof", "unsupported_algorithm"},
      {"signed by another key", Proof(nonce, {}, {}, ed->get()), "invalid_proof", "bad_signature"},
      {"not a JWT", "a.b", "invalid_proof", "malformed"},
  };
  int refused = 0;
  for (const Case& c : cases) {
    WalletAnswer a = Credential(token, c.proof);
    EXPECT_EQ(a.status, 400) << c.name << ": " << a.body;
    EXPECT_EQ(Error(a), c.error) << c.name << ": " << a.body;
    EXPECT_EQ(json::parse(a.body).value("error_description", ""), c.description) << c.name;
    ++refused;
  }
  // The private key is named in the audit, never echoed.
  WalletAnswer with_d = Credential(token, Proof(nonce, {{"jwk", private_jwk}}));
  EXPECT_THAT(with_d.body, ::testing::HasSubstr("private_key_in_proof"));
  EXPECT_THAT(with_d.body, ::testing::Not(::testing::HasSubstr("c2VjcmV0")));
  ++refused;
  // An expired c_nonce.
  clock_.Set(kT0 + absl::Minutes(5));
  EXPECT_EQ(Error(Credential(token, Proof(nonce))), "invalid_nonce");
  ++refused;
  EXPECT_FALSE(Issued());
  EXPECT_EQ(Audited("wallet.refuse"), refused);
  EXPECT_EQ(Audited("wallet.issue"), 0);
  // Nothing was consumed: a good proof still gets the credential.
  WalletAnswer good = Credential(token, Proof(FreshNonce()));
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_TRUE(Issued());
}

TEST_F(WalletIssuerTest, MalformedCredentialRequests) {
  v1::CredentialOffer offer = MakeOffer();
  const std::string token = AccessToken(offer);
  const std::string proof = Proof(FreshNonce());
  EXPECT_EQ(Error(wallet_->Credential("", "application/json", "{}")), "invalid_token");
  // The DPoP scheme without a DPoP proof (RFC 9449).
  EXPECT_EQ(Error(wallet_->Credential("DPoP x", "application/json", "{}")), "invalid_dpop_proof");
  EXPECT_EQ(Error(Credential("wrong-token", proof)), "invalid_token");
  EXPECT_EQ(Error(Credential(token, proof, "mdoc_pid")), "unknown_credential_configuration");
  const std::string bearer = absl::StrCat("Bearer ", token);
  EXPECT_EQ(Error(wallet_->Credential(bearer, "text/plain", "{}")), "invalid_credential_request");
  EXPECT_EQ(Error(wallet_->Credential(bearer, "application/json", "[1]")),
            "invalid_credential_request");
  EXPECT_EQ(
      Error(wallet_->Credential(
          bearer, "application/json",
          R"({"credential_configuration_id":"vouch_identity","credential_configuration_id":"x"})")),
      "invalid_credential_request");  // Duplicate member.
  EXPECT_EQ(Error(wallet_->Credential(bearer, "application/json",
                                      R"({"credential_configuration_id":"vouch_identity"})")),
            "invalid_proof");
  EXPECT_EQ(Error(wallet_->Credential(bearer, "application/json",
                                      json{{"credential_configuration_id", kIdentityConfiguration},
                                           {"proofs", {{"jwt", {proof, proof}}}}}
                                          .dump())),
            "invalid_proof");  // One proof, one credential.
  EXPECT_FALSE(Issued());
  EXPECT_EQ(Audited("wallet.refuse"), 9);
}

TEST_F(WalletIssuerTest, OversizedBodiesAreInvalidRequest) {
  const std::string big(kMaxWalletRequestBytes + 1, 'a');
  WalletAnswer t = wallet_->Token(kForm, big);
  EXPECT_EQ(t.status, 413);
  EXPECT_EQ(Error(t), "invalid_request");
  WalletAnswer c = wallet_->Credential("Bearer x", "application/json", big);
  EXPECT_EQ(c.status, 413);
  EXPECT_EQ(Error(c), "invalid_request");
  EXPECT_EQ(Audited("wallet.refuse"), 2);
}

TEST_F(WalletIssuerTest, OfferWithoutTxCodeAndNotVerifiedVerification) {
  AddVerification("ver_2", v1::DECISION_REJECTED);
  v1::CredentialOffer offer = MakeOffer("ver_2", /*tx_digits=*/0);
  EXPECT_TRUE(offer.tx_code().empty());
  EXPECT_FALSE(json::parse(offer.offer_json())["grants"][kGrant].contains("tx_code"));
  WalletAnswer a = Credential(AccessToken(offer), Proof(FreshNonce()));
  EXPECT_EQ(Error(a), "credential_request_denied");
  EXPECT_FALSE(Issued("ver_2"));
}

// OpenID4VCI 1.0 §6.3: a tx_code sent for an offer that has none is
// invalid_request (not invalid_grant, which is for a wrong one).
TEST_F(WalletIssuerTest, TxCodeForAnOfferWithoutOneIsInvalidRequest) {
  v1::CredentialOffer offer = MakeOffer("ver_1", /*tx_digits=*/0);
  WalletAnswer a = Token(CodeOf(offer), "123456");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(Error(a), "invalid_request");
  EXPECT_EQ(json::parse(a.body)["error_description"], "this offer has no tx_code");
  EXPECT_EQ(Token(CodeOf(offer)).status, 200);  // Without it: redeemed.
}

// Through TrustServer (plain HTTP on loopback): POST reaches the three
// endpoints only, bodies are bounded before they are read, answers are JSON
// with no-store.
TEST_F(WalletIssuerTest, RoutedByTheTrustServer) {
  TrustServerOptions o;
  o.listen = "127.0.0.1:0";
  o.issuer_url = kWalletIssuer;
  o.vct = kWalletVct;
  auto server = TrustServer::Create(o, *wallet_, nullptr, wallet_.get());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  const std::string address = (*server)->bound_address();
  httplib::Client client("127.0.0.1", std::stoi(address.substr(address.rfind(':') + 1)));

  auto metadata = client.Get("/.well-known/openid-credential-issuer/vouch");
  ASSERT_TRUE(metadata);
  EXPECT_EQ(metadata->status, 200);
  EXPECT_EQ(json::parse(metadata->body)["credential_issuer"], kWalletIssuer);
  auto as = client.Get("/.well-known/oauth-authorization-server/vouch");
  ASSERT_TRUE(as);
  EXPECT_EQ(as->status, 200);

  v1::CredentialOffer offer = MakeOffer();
  auto token =
      client.Post("/vouch/token",
                  absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=", CodeOf(offer),
                               "&tx_code=", offer.tx_code()),
                  kForm);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 200) << token->body;
  EXPECT_EQ(token->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(token->get_header_value("Content-Type"), "application/json");
  auto replay =
      client.Post("/vouch/token",
                  absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=", CodeOf(offer),
                               "&tx_code=", offer.tx_code()),
                  kForm);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 400);
  EXPECT_EQ(json::parse(replay->body)["error"], "invalid_grant");

  auto nonce = client.Post("/vouch/nonce", "", "application/json");
  ASSERT_TRUE(nonce);
  EXPECT_EQ(nonce->status, 200);
  EXPECT_TRUE(json::parse(nonce->body).contains("c_nonce"));

  auto no_token = client.Post("/vouch/credential", "{}", "application/json");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 401);
  EXPECT_EQ(no_token->get_header_value("WWW-Authenticate"), "Bearer error=\"invalid_token\"");

  const int refused_before = Audited("wallet.refuse");
  auto big = client.Post("/vouch/credential", std::string(kMaxWalletRequestBytes + 1, 'x'),
                         "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(json::parse(big->body)["error"], "invalid_request");
  EXPECT_EQ(Audited("wallet.refuse"), refused_before + 1);

  // POST elsewhere stays refused.
  httplib::Client other("127.0.0.1", std::stoi(address.substr(address.rfind(':') + 1)));
  auto post_jwks = other.Post("/vouch/jwks.json", "{}", "application/json");
  ASSERT_TRUE(post_jwks);
  EXPECT_EQ(post_jwks->status, 405);
  (*server)->Stop();
}

// Per-address budgets: the token and credential endpoints answer 429
// slow_down with Retry-After once an address spent its burst, each endpoint
// on its own budget, the nonce endpoint not limited; one audit per run of
// refusals; time from the injected clock.
TEST_F(WalletIssuerTest, TokenAndCredentialAreRateLimitedPerAddress) {
  WalletIssuerOptions w;
  w.issuer_url = kWalletIssuer;
  w.vct = kWalletVct;
  w.nonce_key = SecureBytes(std::string(32, 'n'));
  w.token_rate_limit.burst = 2;
  w.token_rate_limit.interval = absl::Seconds(30);
  w.credential_rate_limit.burst = 1;
  w.credential_rate_limit.interval = absl::Seconds(10);
  WalletIssuer limited(std::move(w), *inner_, *store_, OfferSealer(), clock_);
  const int refused_before = Audited("wallet.refuse");
  EXPECT_FALSE(limited.Throttle("token", "192.0.2.1").has_value());
  EXPECT_FALSE(limited.Throttle("token", "192.0.2.1").has_value());
  std::optional<WalletAnswer> refused = limited.Throttle("token", "192.0.2.1");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(Error(*refused), "slow_down");
  EXPECT_EQ(refused->retry_after_seconds, 30);
  EXPECT_EQ(Audited("wallet.refuse"), refused_before + 1);
  clock_.Set(kT0 + absl::Seconds(20));
  refused = limited.Throttle("token", "192.0.2.1");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->retry_after_seconds, 10);
  EXPECT_EQ(Audited("wallet.refuse"), refused_before + 1);  // Once per run.
  // Another address, the credential endpoint's own budget, the nonce
  // endpoint: not limited by the token endpoint's refusals.
  EXPECT_FALSE(limited.Throttle("token", "192.0.2.2").has_value());
  EXPECT_FALSE(limited.Throttle("credential", "192.0.2.1").has_value());
  EXPECT_FALSE(limited.Throttle("nonce", "192.0.2.1").has_value());
  refused = limited.Throttle("credential", "192.0.2.1");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(Error(*refused), "slow_down");
  EXPECT_EQ(Audited("wallet.refuse"), refused_before + 2);
  // The budget comes back with time.
  clock_.Set(kT0 + absl::Seconds(30));
  EXPECT_FALSE(limited.Throttle("token", "192.0.2.1").has_value());
  EXPECT_FALSE(limited.Throttle("credential", "192.0.2.1").has_value());
  auto events = store_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(absl::StrContains(events->back().detail, "\"error\":\"slow_down\""));
  EXPECT_FALSE(absl::StrContains(events->back().detail, "192.0.2.1"));
  // Every 429 is counted, per endpoint (the audit has one per run).
  const std::string metrics = limited.RenderMetrics();
  EXPECT_THAT(metrics, ::testing::HasSubstr("# TYPE vouch_http_rate_limited_total counter\n"));
  EXPECT_THAT(metrics,
              ::testing::HasSubstr("\nvouch_http_rate_limited_total{endpoint=\"token\"} 2\n"));
  EXPECT_THAT(metrics,
              ::testing::HasSubstr("\nvouch_http_rate_limited_total{endpoint=\"credential\"} 1\n"));
}

// Over HTTP the 429 comes before the body is read, with Retry-After and
// Cache-Control: no-store.
TEST_F(WalletIssuerTest, RateLimitedOverHttp) {
  WalletIssuerOptions w;
  w.issuer_url = kWalletIssuer;
  w.vct = kWalletVct;
  w.nonce_key = SecureBytes(std::string(32, 'n'));
  w.token_rate_limit.burst = 1;
  w.token_rate_limit.interval = absl::Minutes(1);
  WalletIssuer limited(std::move(w), *inner_, *store_, OfferSealer(), clock_);
  TrustServerOptions o;
  o.listen = "127.0.0.1:0";
  o.issuer_url = kWalletIssuer;
  o.vct = kWalletVct;
  auto server = TrustServer::Create(o, limited, nullptr, &limited);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  const std::string address = (*server)->bound_address();
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const std::string form = absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=unknown");
  httplib::Client client("127.0.0.1", port);
  auto first = client.Post("/vouch/token", form, kForm);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 400);  // Through to the endpoint: an unknown code.
  EXPECT_EQ(json::parse(first->body)["error"], "invalid_grant");
  auto second = client.Post("/vouch/token", form, kForm);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429);
  EXPECT_EQ(json::parse(second->body)["error"], "slow_down");
  EXPECT_EQ(second->get_header_value("Retry-After"), "60");
  EXPECT_EQ(second->get_header_value("Cache-Control"), "no-store");
  // The budget comes before the size check: a flood of oversized bodies is
  // cut too, and not audited each time.
  const int refused = Audited("wallet.refuse");
  httplib::Client big_client("127.0.0.1", port);
  auto big = big_client.Post("/vouch/token", std::string(kMaxWalletRequestBytes + 1, 'x'), kForm);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 429);
  EXPECT_EQ(Audited("wallet.refuse"), refused);
  EXPECT_THAT(limited.RenderMetrics(),
              ::testing::HasSubstr("\nvouch_http_rate_limited_total{endpoint=\"token\"} 2\n"));
  httplib::Client nonce_client("127.0.0.1", port);
  auto nonce = nonce_client.Post("/vouch/nonce", "", "application/json");
  ASSERT_TRUE(nonce);
  EXPECT_EQ(nonce->status, 200);
  (*server)->Stop();
}

// ---- DPoP (RFC 9449) ----

class WalletDpopTest : public WalletIssuerTest {
 protected:
  // A DPoP proof by `key` (the wallet key by default) for POST <issuer>`path`.
  std::string Dpop(const std::string& path, const std::string& access_token = "",
                   json header_changes = json::object(), json payload_changes = json::object(),
                   EVP_PKEY* key = nullptr) {
    EVP_PKEY* signer = key != nullptr ? key : wallet_key_.get();
    json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", *jose::PublicJwk(signer)}};
    json payload = {{"jti", absl::StrCat("jti-", ++jti_)},
                    {"htm", "POST"},
                    {"htu", absl::StrCat(kWalletIssuer, path)},
                    {"iat", absl::ToUnixSeconds(clock_.Now())}};
    if (!access_token.empty()) {
      payload["ath"] = jose::Base64UrlEncode(jose::Sha256(access_token));
    }
    if (!header_changes.is_null()) header.merge_patch(header_changes);
    if (!payload_changes.is_null()) payload.merge_patch(payload_changes);
    auto jws = jose::SignCompactJws(signer, header, payload);
    EXPECT_TRUE(jws.ok());
    return jws.ok() ? *jws : "";
  }
  WalletAnswer DpopToken(const v1::CredentialOffer& offer, std::vector<std::string> dpop) {
    return wallet_->Token(kForm,
                          absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=",
                                       CodeOf(offer), "&tx_code=", offer.tx_code()),
                          dpop);
  }
  WalletAnswer DpopCredential(const std::string& scheme, const std::string& token,
                              std::vector<std::string> dpop) {
    return wallet_->Credential(absl::StrCat(scheme, " ", token), "application/json",
                               json{{"credential_configuration_id", kIdentityConfiguration},
                                    {"proofs", {{"jwt", {Proof(FreshNonce())}}}}}
                                   .dump(),
                               dpop);
  }
  static std::string Description(const WalletAnswer& a) {
    json body = json::parse(a.body, nullptr, false);
    return body.is_object() ? body.value("error_description", "") : "";
  }
  int jti_ = 0;
};

TEST_F(WalletDpopTest, MetadataAdvertisesDpop) {
  const json as = json::parse(wallet_->AuthorizationServerMetadata());
  EXPECT_EQ(as["dpop_signing_alg_values_supported"], json::array({"ES256"}));
}

TEST_F(WalletDpopTest, BoundTokenIssuesOnlyWithTheSameKey) {
  v1::CredentialOffer offer = MakeOffer();
  WalletAnswer token = DpopToken(offer, {Dpop("/token")});
  ASSERT_EQ(token.status, 200) << token.body;
  const json t = json::parse(token.body);
  EXPECT_EQ(t["token_type"], "DPoP");
  const std::string access = t["access_token"];

  // Hostile: the bound token as Bearer; with another key's proof; the DPoP
  // scheme without a proof, with two, with a proof for the token endpoint
  // (htu), for GET (htm), without ath, with a stale or future iat.
  WalletAnswer bearer = DpopCredential("Bearer", access, {});
  EXPECT_EQ(bearer.status, 401);
  EXPECT_EQ(Error(bearer), "invalid_token");
  EXPECT_EQ(bearer.www_authenticate, "Bearer error=\"invalid_token\"");
  auto other_key = jose::GenerateKey(jose::KeyType::kP256);
  ASSERT_TRUE(other_key.ok());
  WalletAnswer stolen = DpopCredential(
      "DPoP", access,
      {Dpop("/credential", access, json::object(), json::object(), other_key->get())});
  EXPECT_EQ(stolen.status, 401);
  EXPECT_EQ(Error(stolen), "invalid_token");
  EXPECT_EQ(stolen.www_authenticate, "DPoP error=\"invalid_token\", algs=\"ES256\"");
  const struct {
    std::vector<std::string> dpop;
    const char* reason;
  } hostile[] = {
      {{}, "a DPoP proof is required"},
      {{Dpop("/credential", access), Dpop("/credential", access)}, "more than one DPoP header"},
      {{Dpop("/token", access)}, "htu does not match the request"},
      {{Dpop("/credential", access, json::object(), {{"htm", "GET"}})},
       "htm does not match the request"},
      {{Dpop("/credential")}, "ath does not match the access token"},
      {{Dpop("/credential", "another-token")}, "ath does not match the access token"},
      {{Dpop("/credential", access, json::object(), {{"iat", absl::ToUnixSeconds(kT0) - 400}})},
       "iat too old"},
      {{Dpop("/credential", access, json::object(), {{"iat", absl::ToUnixSeconds(kT0) + 120}})},
       "iat in the future"},
  };
  for (const auto& h : hostile) {
    WalletAnswer a = DpopCredential("DPoP", access, h.dpop);
    EXPECT_EQ(a.status, 401) << h.reason;
    EXPECT_EQ(Error(a), "invalid_dpop_proof") << h.reason;
    EXPECT_EQ(Description(a), h.reason);
    EXPECT_EQ(a.www_authenticate, "DPoP error=\"invalid_dpop_proof\", algs=\"ES256\"");
  }
  EXPECT_FALSE(Issued());

  // With the key's proof: issued, once.
  const std::string good = Dpop("/credential", access);
  WalletAnswer issued = DpopCredential("DPoP", access, {good});
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_TRUE(Issued());
  // The same proof again: a replay (before the token's own single use).
  WalletAnswer replay = DpopCredential("DPoP", access, {good});
  EXPECT_EQ(Error(replay), "invalid_dpop_proof");
  EXPECT_EQ(Description(replay), "DPoP proof replayed (jti already used)");
  EXPECT_EQ(Error(DpopCredential("DPoP", access, {Dpop("/credential", access)})), "invalid_token");
}

TEST_F(WalletDpopTest, HostileProofsAtTheTokenEndpointConsumeNothing) {
  v1::CredentialOffer offer = MakeOffer();
  auto other_key = jose::GenerateKey(jose::KeyType::kP256);
  ASSERT_TRUE(other_key.ok());
  json with_d = PublicJwk();
  with_d["d"] = "AAAA";
  std::string bad_signature = Dpop("/token");
  // The signature's first character: all six of its bits are signature bits
  // (the last character's low bits are padding, which a strict decoder refuses).
  const size_t signature = bad_signature.rfind('.') + 1;
  bad_signature[signature] = bad_signature[signature] == 'A' ? 'B' : 'A';
  const std::string used = Dpop("/token");
  // `used` spent on a request for an unknown code (DPoP is checked first).
  ASSERT_EQ(
      Error(wallet_->Token(
          kForm, absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=unknown"), {used})),
      "invalid_grant");
  const struct {
    std::vector<std::string> dpop;
    const char* reason;
  } hostile[] = {
      {{Dpop("/token"), Dpop("/token")}, "more than one DPoP header"},
      {{"not-a-jws"}, "DPoP proof is not a JWS of JSON objects"},
      {{Dpop("/token", "", {{"typ", "JWT"}})}, "typ is not dpop+jwt"},
      {{Dpop("/token", "", {{"alg", "ES384"}})}, "alg is not ES256"},
      {{Dpop("/token", "", {{"jwk", with_d}})}, "private_key_in_proof"},
      {{Dpop("/token", "", {{"jwk", *jose::PublicJwk(other_key->get())}})},
       "bad DPoP proof signature"},
      {{bad_signature}, "bad DPoP proof signature"},
      {{Dpop("/token", "", {{"crit", {"exp"}}})}, "crit is not supported"},
      {{Dpop("/credential")}, "htu does not match the request"},
      {{Dpop("/token", "", json::object(), {{"htm", "PUT"}})}, "htm does not match the request"},
      {{Dpop("/token", "", json::object(), {{"iat", nullptr}})}, "no iat"},
      {{Dpop("/token", "", json::object(), {{"jti", nullptr}})},
       "no jti, or one over 256 characters"},
      {{Dpop("/token", "", json::object(), {{"jti", std::string(257, 'j')}})},
       "no jti, or one over 256 characters"},
      {{used}, "DPoP proof replayed (jti already used)"},
  };
  for (const auto& h : hostile) {
    WalletAnswer a = DpopToken(offer, h.dpop);
    EXPECT_EQ(a.status, 400) << h.reason;
    EXPECT_EQ(Error(a), "invalid_dpop_proof") << h.reason;
    EXPECT_EQ(Description(a), h.reason);
  }
  // Nothing consumed: the code still redeems, the htu's query is ignored.
  WalletAnswer token = DpopToken(
      offer,
      {Dpop("/token", "", json::object(), {{"htu", absl::StrCat(kWalletIssuer, "/token?x=1#f")}})});
  EXPECT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(json::parse(token.body)["token_type"], "DPoP");
}

TEST_F(WalletDpopTest, RoutedWithDpopHeadersAndChallenge) {
  TrustServerOptions o;
  o.listen = "127.0.0.1:0";
  o.issuer_url = kWalletIssuer;
  o.vct = kWalletVct;
  auto server = TrustServer::Create(o, *wallet_, nullptr, wallet_.get());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  const std::string address = (*server)->bound_address();
  httplib::Client client("127.0.0.1", std::stoi(address.substr(address.rfind(':') + 1)));
  v1::CredentialOffer offer = MakeOffer();
  auto token =
      client.Post("/vouch/token", {{"DPoP", Dpop("/token")}},
                  absl::StrCat("grant_type=", kGrant, "&pre-authorized_code=", CodeOf(offer),
                               "&tx_code=", offer.tx_code()),
                  kForm);
  ASSERT_TRUE(token);
  ASSERT_EQ(token->status, 200) << token->body;
  const std::string access = json::parse(token->body)["access_token"];
  EXPECT_EQ(json::parse(token->body)["token_type"], "DPoP");
  const std::string body = json{{"credential_configuration_id", kIdentityConfiguration},
                                {"proofs", {{"jwt", {Proof(FreshNonce())}}}}}
                               .dump();
  auto missing = client.Post("/vouch/credential", {{"Authorization", "DPoP " + access}}, body,
                             "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->get_header_value("WWW-Authenticate"),
            "DPoP error=\"invalid_dpop_proof\", algs=\"ES256\"");
  auto issued =
      client.Post("/vouch/credential",
                  {{"Authorization", "DPoP " + access}, {"DPoP", Dpop("/credential", access)}},
                  body, "application/json");
  ASSERT_TRUE(issued);
  EXPECT_EQ(issued->status, 200) << issued->body;
  (*server)->Stop();
}

TEST(DpopReplayCacheTest, ExpiresAndStaysBounded) {
  attest::DpopReplayCache cache(/*max_entries=*/3);
  EXPECT_TRUE(cache.FirstUse("k", "a", 100, 0));
  EXPECT_FALSE(cache.FirstUse("k", "a", 100, 50));
  EXPECT_TRUE(cache.FirstUse("other-key", "a", 100, 50));  // Per key.
  EXPECT_TRUE(cache.FirstUse("k", "a", 200, 100));         // Expired: its iat is out anyway.
  EXPECT_TRUE(cache.FirstUse("k", "b", 150, 100));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.FirstUse("k", "c", 300, 120));  // Full: the first to expire goes.
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.FirstUse("k", "a", 200, 120));
  EXPECT_FALSE(cache.FirstUse("k", "c", 300, 120));
  EXPECT_TRUE(cache.FirstUse("k", "d", 400, 250));  // Expired ones go first.
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace vouch::verifier::http
