// End-to-end verification tests: credentials issued by the signer half and
// hand-made hostile tokens, each refused with its specific error.

#include "attest/verify.h"

#include <openssl/hmac.h>
#include <zlib.h>

#include <set>
#include <thread>
#include <vector>

#include "attest/issuer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/jose.h"
#include "tests/test_issuer.h"

namespace vouch::attest {
namespace {

using internal::Base64UrlEncode;
using internal::KeyType;
using json = nlohmann::json;
using ::testing::HasSubstr;
using testing::kNow;
using ::testing::Not;
using testing::RawKey;

constexpr char kService[] = "https://shop.example";

std::string Enc(const json& disclosure) { return Base64UrlEncode(disclosure.dump()); }

class VerifyTest : public ::testing::TestWithParam<SigningAlg> {
 protected:
  void SetUp() override {
    keys_ = std::move(*KeySet::LoadOrCreate(dir_.path() + "/keys", GetParam()));
    status_ = std::move(*StatusList::Create("https://vouch.example/status/1", 2, 1024));
    IssuerConfig config;
    config.issuer = "https://vouch.example";
    config.pairwise_secret = testing::TestSecret();
    issuer_ = std::move(*Issuer::Create(std::move(config), *keys_, status_.get()));
    jwks_ = std::make_unique<Jwks>(std::move(*Jwks::Parse(keys_->JwksJson())));
    holder_ = RawKey::Make(KeyType::kP256);
  }

  std::string IssueDirect() {
    IssueOptions o;
    o.service_id = kService;
    o.now = kNow;
    auto issued = issuer_->Issue(testing::SampleClaims(), o);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued->token;
  }

  IssuedCredential IssueWallet() {
    IssueOptions o;
    o.service_id = kService;
    o.now = kNow;
    json pub = holder_.jwk;
    pub.erase("kid");
    pub.erase("use");
    o.holder_jwk_json = pub.dump();
    auto issued = issuer_->Issue(testing::SampleClaims(), o);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *issued;
  }

  std::string PresentWallet(const std::string& token, std::vector<std::string> paths,
                            int64_t iat = kNow, std::string aud = kService,
                            std::string nonce = "n-123") {
    PresentOptions p;
    p.disclose = std::move(paths);
    p.holder_key_pem = holder_.PrivatePem();
    p.audience = aud;
    p.nonce = nonce;
    p.iat = iat;
    auto presented = Present(token, p);
    EXPECT_TRUE(presented.ok()) << presented.error().ToString();
    return *presented;
  }

  VerifyOptions DirectOptions() const {
    VerifyOptions o;
    o.now = kNow + 10;
    o.audience = kService;
    return o;
  }
  VerifyOptions WalletOptions() const {
    VerifyOptions o = DirectOptions();
    o.nonce = "n-123";
    o.require_key_binding = true;
    return o;
  }

  ErrorCode CodeOf(const std::string& token, const VerifyOptions& o) const {
    auto r = VerifySdJwtVc(token, *jwks_, o);
    EXPECT_FALSE(r.ok()) << "unexpectedly valid";
    return r.ok() ? ErrorCode::kInternal : r.error().code;
  }

  testing::TempDir dir_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<StatusList> status_;
  std::unique_ptr<Issuer> issuer_;
  std::unique_ptr<Jwks> jwks_;
  RawKey holder_;
};

TEST_P(VerifyTest, DirectCredentialVerifiesWithAllClaims) {
  const std::string token = IssueDirect();
  ASSERT_EQ(token.back(), '~');
  auto r = VerifySdJwtVc(token, *jwks_, DirectOptions());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const json& c = r->claims;
  EXPECT_EQ(c["iss"], "https://vouch.example");
  EXPECT_EQ(c["aud"], kService);
  EXPECT_EQ(c["document_verified"], true);
  EXPECT_EQ(c["age_equal_or_over"],
            (json{{"16", true}, {"18", true}, {"21", true}, {"25", false}, {"65", false}}));
  EXPECT_EQ(c["nationalities"], (json{"UTO", "DEU"}));
  EXPECT_EQ(c["verification"]["evidence"]["issuing_country"], "UTO");
  EXPECT_EQ(c["given_name"], "Anna Maria");
  EXPECT_EQ(c["exp"].get<int64_t>() - c["iat"].get<int64_t>(), 15 * 60);
  EXPECT_FALSE(c.contains("_sd"));
  EXPECT_FALSE(c.contains("_sd_alg"));
  EXPECT_FALSE(c.contains("telegram_user_id"));
  EXPECT_EQ(c["sub"].get<std::string>().size(), 43u);
  EXPECT_FALSE(r->key_bound);
}

TEST_P(VerifyTest, WalletPresentationOfOneAgeMemberOnly) {
  const IssuedCredential cred = IssueWallet();
  ASSERT_TRUE(cred.status_idx.has_value());
  const std::string presented = PresentWallet(cred.token, {"age_equal_or_over.18"});
  auto r = VerifySdJwtVc(presented, *jwks_, WalletOptions());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->key_bound);
  EXPECT_EQ(r->claims["age_equal_or_over"], (json{{"18", true}}));
  EXPECT_FALSE(r->claims.contains("given_name"));
  EXPECT_FALSE(r->claims.contains("sub"));
  EXPECT_FALSE(r->claims.contains("aud"));
  EXPECT_EQ(r->disclosure_count, 2u);  // The container and its member "18".
}

// ---- Tampering, each with its own error.

TEST_P(VerifyTest, FlippedSignatureByte) {
  std::string token = IssueDirect();
  const size_t sig_end = token.find('~');
  token[sig_end - 5] = token[sig_end - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(CodeOf(token, DirectOptions()), ErrorCode::kBadSignature);
}

TEST_P(VerifyTest, AlteredDisclosure) {
  std::string token = IssueDirect();
  // Replace the first disclosure with one of the same claim, other value.
  const size_t a = token.find('~') + 1;
  const size_t b = token.find('~', a);
  std::string raw;
  ASSERT_TRUE(internal::Base64UrlDecode(token.substr(a, b - a), &raw));
  json d = json::parse(raw);
  d[d.size() - 1] = "forged";
  token.replace(a, b - a, Enc(d));
  EXPECT_EQ(CodeOf(token, DirectOptions()), ErrorCode::kUnreferencedDisclosure);
}

TEST_P(VerifyTest, ExtraDisclosure) {
  const std::string token =
      IssueDirect() + Enc(json::array({"c2FsdHNhbHRzYWx0c2FsdA", "admin", true})) + "~";
  EXPECT_EQ(CodeOf(token, DirectOptions()), ErrorCode::kUnreferencedDisclosure);
}

TEST_P(VerifyTest, DuplicatedDisclosure) {
  std::string token = IssueDirect();
  const size_t a = token.find('~') + 1;
  const size_t b = token.find('~', a);
  token += token.substr(a, b - a) + "~";
  EXPECT_EQ(CodeOf(token, DirectOptions()), ErrorCode::kDuplicateDisclosure);
}

TEST_P(VerifyTest, ExpiredAndNotYetValid) {
  const std::string token = IssueDirect();
  VerifyOptions late = DirectOptions();
  late.now = kNow + 15 * 60 + 61;
  EXPECT_EQ(CodeOf(token, late), ErrorCode::kExpired);
  VerifyOptions early = DirectOptions();
  early.now = kNow - 3600;
  EXPECT_EQ(CodeOf(token, early), ErrorCode::kNotYetValid);
  VerifyOptions within_skew = DirectOptions();
  within_skew.now = kNow + 15 * 60 + 30;
  EXPECT_TRUE(VerifySdJwtVc(token, *jwks_, within_skew).ok());
}

TEST_P(VerifyTest, UnknownKid) {
  testing::TempDir other;
  auto other_keys = KeySet::LoadOrCreate(other.path(), GetParam());
  ASSERT_TRUE(other_keys.ok());
  auto other_jwks = Jwks::Parse((*other_keys)->JwksJson());
  ASSERT_TRUE(other_jwks.ok());
  auto r = VerifySdJwtVc(IssueDirect(), *other_jwks, DirectOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnknownKid);
}

TEST_P(VerifyTest, WrongAudienceDirect) {
  VerifyOptions o = DirectOptions();
  o.audience = "https://other.example";
  EXPECT_EQ(CodeOf(IssueDirect(), o), ErrorCode::kWrongAudience);
  o.audience.reset();  // A token with aud needs an expected audience.
  EXPECT_EQ(CodeOf(IssueDirect(), o), ErrorCode::kWrongAudience);
}

TEST_P(VerifyTest, KeyBindingFailures) {
  const IssuedCredential cred = IssueWallet();
  const std::string good = PresentWallet(cred.token, {"given_name"});
  ASSERT_TRUE(VerifySdJwtVc(good, *jwks_, WalletOptions()).ok());

  VerifyOptions wrong_aud = WalletOptions();
  wrong_aud.audience = "https://other.example";
  EXPECT_EQ(CodeOf(good, wrong_aud), ErrorCode::kWrongAudience);

  VerifyOptions wrong_nonce = WalletOptions();
  wrong_nonce.nonce = "n-999";
  EXPECT_EQ(CodeOf(good, wrong_nonce), ErrorCode::kWrongNonce);

  const std::string stale = PresentWallet(cred.token, {"given_name"}, kNow - 3600);
  EXPECT_EQ(CodeOf(stale, WalletOptions()), ErrorCode::kStaleKeyBinding);

  // Drop the disclosure after the KB-JWT was signed: sd_hash no longer fits.
  const size_t kb = good.rfind('~');
  const size_t first = good.find('~');
  const std::string stripped = good.substr(0, first + 1) + good.substr(kb + 1);
  EXPECT_EQ(CodeOf(stripped, WalletOptions()), ErrorCode::kSdHashMismatch);

  // KB required but stripped.
  EXPECT_EQ(CodeOf(good.substr(0, kb + 1), WalletOptions()), ErrorCode::kKeyBindingRequired);

  // KB-JWT signed by another key than cnf.jwk.
  RawKey other = RawKey::Make(KeyType::kP256);
  PresentOptions p;
  p.disclose = {"given_name"};
  p.holder_key_pem = other.PrivatePem();
  p.audience = kService;
  p.nonce = "n-123";
  p.iat = kNow;
  EXPECT_EQ(CodeOf(*Present(cred.token, p), WalletOptions()), ErrorCode::kKeyBindingInvalid);
}

TEST_P(VerifyTest, RevokedAndSuspendedStatus) {
  const IssuedCredential cred = IssueWallet();
  const std::string presented = PresentWallet(cred.token, {"age_equal_or_over.18"});
  VerifyOptions o = WalletOptions();
  o.status_list_token = *status_->SignToken(*keys_, kNow, 3600, 300);
  EXPECT_TRUE(VerifySdJwtVc(presented, *jwks_, o).ok());

  ASSERT_TRUE(status_->Suspend(cred.credential_id).ok());
  o.status_list_token = *status_->SignToken(*keys_, kNow, 3600, 300);
  EXPECT_EQ(CodeOf(presented, o), ErrorCode::kSuspended);

  ASSERT_TRUE(status_->Revoke(cred.credential_id).ok());
  o.status_list_token = *status_->SignToken(*keys_, kNow, 3600, 300);
  EXPECT_EQ(CodeOf(presented, o), ErrorCode::kRevoked);

  o.status_list_token.reset();
  o.require_status_check = true;
  EXPECT_EQ(CodeOf(presented, o), ErrorCode::kStatusUnavailable);
}

TEST_P(VerifyTest, StatusListFromAnotherIssuerIsRefused) {
  const IssuedCredential cred = IssueWallet();
  const std::string presented = PresentWallet(cred.token, {"given_name"});
  RawKey stranger = RawKey::Make(KeyType::kP256);
  VerifyOptions o = WalletOptions();
  o.status_list_token =
      stranger.Sign({{"sub", "https://vouch.example/status/1"},
                     {"iat", kNow},
                     {"status_list", {{"bits", 1}, {"lst", "eNrbuRgAAhcBXQ"}}}},
                    {{"alg", "ES256"}, {"typ", "statuslist+jwt"}, {"kid", stranger.kid}});
  EXPECT_EQ(CodeOf(presented, o), ErrorCode::kInvalidStatusList);
}

// Hostile input: every single-character change of a valid presentation is
// refused with an error (no crash, no acceptance).
TEST_P(VerifyTest, RandomSingleCharacterMutationsAreRefused) {
  const IssuedCredential cred = IssueWallet();
  const std::string good = PresentWallet(cred.token, {"age_equal_or_over", "given_name"});
  ASSERT_TRUE(VerifySdJwtVc(good, *jwks_, WalletOptions()).ok());
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~.=+/ \"{}";
  uint32_t state = 12345;  // Deterministic LCG: reproducible failures.
  auto next = [&state] { return state = state * 1664525u + 1013904223u; };
  for (int i = 0; i < 1500; ++i) {
    std::string bad = good;
    const size_t pos = next() % bad.size();
    const char c = kAlphabet[next() % (sizeof(kAlphabet) - 1)];
    if (bad[pos] == c) continue;
    bad[pos] = c;
    auto r = VerifySdJwtVc(bad, *jwks_, WalletOptions());
    EXPECT_FALSE(r.ok()) << "accepted a mutation at " << pos;
  }
  // Truncations too.
  for (size_t len = 0; len < good.size(); len += 7) {
    EXPECT_FALSE(VerifySdJwtVc(good.substr(0, len), *jwks_, WalletOptions()).ok());
  }
}

TEST_P(VerifyTest, ConcurrentIssuanceGetsDistinctStatusIndexes) {
  std::vector<IssuedCredential> a, b;
  auto work = [this](std::vector<IssuedCredential>* out) {
    for (int i = 0; i < 20; ++i) out->push_back(IssueWallet());
  };
  std::thread t1(work, &a), t2(work, &b);
  t1.join();
  t2.join();
  std::set<uint32_t> indexes;
  for (const auto* v : {&a, &b}) {
    for (const IssuedCredential& c : *v) {
      ASSERT_TRUE(c.status_idx.has_value());
      indexes.insert(*c.status_idx);
      EXPECT_TRUE(
          VerifySdJwtVc(PresentWallet(c.token, {"given_name"}), *jwks_, WalletOptions()).ok());
    }
  }
  EXPECT_EQ(indexes.size(), 40u);
}

INSTANTIATE_TEST_SUITE_P(Algs, VerifyTest,
                         ::testing::Values(SigningAlg::kES256, SigningAlg::kEdDSA),
                         [](const auto& info) { return std::string(SigningAlgName(info.param)); });

// ---- Hand-made tokens: what a broken or hostile issuer could send.

class CraftedTokenTest : public ::testing::Test {
 protected:
  CraftedTokenTest()
      : issuer_(RawKey::Make(KeyType::kP256)), jwks_(std::move(*Jwks::Parse(issuer_.Jwks()))) {}

  json BasePayload() const {
    return {{"iss", "https://vouch.example"},
            {"iat", kNow},
            {"exp", kNow + 600},
            {"vct", "https://vouch.example/credentials/identity-verification/1"},
            {"_sd_alg", "sha-256"}};
  }
  VerifyOptions Options() const {
    VerifyOptions o;
    o.now = kNow;
    return o;
  }
  ErrorCode CodeOf(const std::string& token) const {
    auto r = VerifySdJwtVc(token, jwks_, Options());
    EXPECT_FALSE(r.ok()) << "unexpectedly valid";
    return r.ok() ? ErrorCode::kInternal : r.error().code;
  }
  // A token whose _sd holds the digest of `disclosure`.
  std::string WithDisclosure(const json& disclosure, json payload = nullptr) {
    if (payload.is_null()) payload = BasePayload();
    const std::string enc = Enc(disclosure);
    payload["_sd"] = {internal::Sha256B64(enc)};
    return issuer_.Sign(payload) + "~" + enc + "~";
  }

  RawKey issuer_;
  Jwks jwks_;
};

TEST_F(CraftedTokenTest, ValidBaselineVerifies) {
  auto r =
      VerifySdJwtVc(WithDisclosure(json::array({"c2FsdA", "given_name", "A"})), jwks_, Options());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->claims["given_name"], "A");
}

TEST_F(CraftedTokenTest, DisclosureOverridingVctOrIss) {
  EXPECT_EQ(CodeOf(WithDisclosure(json::array({"c2FsdA", "vct", "https://evil"}))),
            ErrorCode::kClaimOverride);
  EXPECT_EQ(CodeOf(WithDisclosure(json::array({"c2FsdA", "iss", "https://evil"}))),
            ErrorCode::kClaimOverride);
}

TEST_F(CraftedTokenTest, SelectivelyDisclosableCnfOrStatus) {
  EXPECT_EQ(CodeOf(WithDisclosure(json::array({"c2FsdA", "cnf", {{"jwk", 1}}}))),
            ErrorCode::kInvalidDisclosure);
  EXPECT_EQ(CodeOf(WithDisclosure(json::array({"c2FsdA", "status", 1}))),
            ErrorCode::kInvalidDisclosure);
}

TEST_F(CraftedTokenTest, DisclosureNamedSd) {
  EXPECT_EQ(CodeOf(WithDisclosure(json::array({"c2FsdA", "_sd", {"x"}}))),
            ErrorCode::kInvalidDisclosure);
}

TEST_F(CraftedTokenTest, AlgNone) {
  const json header = {{"alg", "none"}, {"typ", "dc+sd-jwt"}, {"kid", issuer_.kid}};
  const std::string token =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(BasePayload().dump()) + ".~";
  EXPECT_EQ(CodeOf(token), ErrorCode::kUnsupportedAlgorithm);
}

TEST_F(CraftedTokenTest, Hs256WithThePublicKeyAsSecret) {
  const json header = {{"alg", "HS256"}, {"typ", "dc+sd-jwt"}, {"kid", issuer_.kid}};
  const std::string input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(BasePayload().dump());
  const std::string secret = issuer_.Jwks();
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  const std::string token =
      input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len)) + "~";
  EXPECT_EQ(CodeOf(token), ErrorCode::kUnsupportedAlgorithm);
}

TEST_F(CraftedTokenTest, NoKidAndWrongTyp) {
  EXPECT_EQ(CodeOf(issuer_.Sign(BasePayload(), {{"alg", "ES256"}, {"typ", "dc+sd-jwt"}}) + "~"),
            ErrorCode::kMissingKid);
  EXPECT_EQ(CodeOf(issuer_.Sign(BasePayload(),
                                {{"alg", "ES256"}, {"typ", "kb+jwt"}, {"kid", issuer_.kid}}) +
                   "~"),
            ErrorCode::kWrongType);
  EXPECT_EQ(CodeOf(issuer_.Sign(BasePayload(),
                                {{"alg", "ES256"}, {"typ", "vc+sd-jwt"}, {"kid", issuer_.kid}}) +
                   "~"),
            ErrorCode::kWrongType);
}

TEST_F(CraftedTokenTest, SignatureWithPaddingAndBareJwt) {
  const std::string jwt = issuer_.Sign(BasePayload());
  EXPECT_EQ(CodeOf(jwt + "=~"), ErrorCode::kMalformed);
  EXPECT_EQ(CodeOf(jwt), ErrorCode::kMalformed);  // Missing trailing ~.
  EXPECT_EQ(CodeOf(jwt + "~~"), ErrorCode::kMalformed);
}

TEST_F(CraftedTokenTest, DuplicateJsonMemberInPayload) {
  const json header = {{"alg", "ES256"}, {"typ", "dc+sd-jwt"}, {"kid", issuer_.kid}};
  std::string payload = BasePayload().dump();
  payload.insert(1, "\"vct\":\"https://evil\",");
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload);
  const std::string token =
      input + "." + Base64UrlEncode(*internal::SignRaw(issuer_.pkey.get(), input)) + "~";
  EXPECT_EQ(CodeOf(token), ErrorCode::kMalformed);
}

TEST_F(CraftedTokenTest, MissingExpAndTruncatedSdAlg) {
  json no_exp = BasePayload();
  no_exp.erase("exp");
  EXPECT_EQ(CodeOf(issuer_.Sign(no_exp) + "~"), ErrorCode::kMissingClaim);
  json truncated = BasePayload();
  truncated["_sd_alg"] = "sha-256-128";
  EXPECT_EQ(CodeOf(issuer_.Sign(truncated) + "~"), ErrorCode::kUnsupportedDigestAlg);
}

TEST_F(CraftedTokenTest, IssuedInTheFuture) {
  json future = BasePayload();
  future["iat"] = kNow + 3600;
  EXPECT_EQ(CodeOf(issuer_.Sign(future) + "~"), ErrorCode::kIssuedInFuture);
}

TEST(JwksTest, RefusesPrivateKeysDuplicateKidsAndChecksJwkAlg) {
  RawKey k = RawKey::Make(KeyType::kEd25519);
  json with_d = k.jwk;
  with_d["d"] = "AAAA";
  EXPECT_EQ(Jwks::Parse(json{{"keys", {with_d}}}.dump()).error().code, ErrorCode::kInvalidJwks);
  EXPECT_EQ(Jwks::Parse(json{{"keys", {k.jwk, k.jwk}}}.dump()).error().code,
            ErrorCode::kInvalidJwks);
  json no_kid = k.jwk;
  no_kid.erase("kid");
  EXPECT_EQ(Jwks::Parse(json{{"keys", {no_kid}}}.dump()).error().code, ErrorCode::kInvalidJwks);

  // JWK alg "EdDSA" but the token says "Ed25519": refused (exact match).
  json with_alg = k.jwk;
  with_alg["alg"] = "EdDSA";
  auto jwks = Jwks::Parse(json{{"keys", {with_alg}}}.dump());
  ASSERT_TRUE(jwks.ok());
  json payload = {{"iss", "https://i"}, {"iat", kNow}, {"exp", kNow + 60}, {"vct", "v"}};
  const std::string token =
      k.Sign(payload, {{"alg", "Ed25519"}, {"typ", "dc+sd-jwt"}, {"kid", k.kid}}) + "~";
  VerifyOptions o;
  o.now = kNow;
  EXPECT_EQ(VerifySdJwtVc(token, *jwks, o).error().code, ErrorCode::kKeyMismatch);
  const std::string ok_token =
      k.Sign(payload, {{"alg", "EdDSA"}, {"typ", "dc+sd-jwt"}, {"kid", k.kid}}) + "~";
  EXPECT_TRUE(VerifySdJwtVc(ok_token, *jwks, o).ok());
}

TEST(PresentTest, UnknownPathIsAnError) {
  RawKey k = RawKey::Make(KeyType::kP256);
  json payload = {{"iss", "https://i"}, {"iat", kNow}, {"exp", kNow + 60}, {"vct", "v"}};
  auto r = Present(k.Sign(payload) + "~", PresentOptions{{"nope"}, {}, "", "", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vouch::attest
