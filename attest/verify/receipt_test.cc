// Erasure receipts (docs/erasure.md): signed by the key set as vouchd
// signs them, verified offline against its JWKS; every refusal has its
// specific error.

#include <string>

#include "attest/key_set.h"
#include "attest/verify.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/jose.h"
#include "tests/test_issuer.h"

namespace vouch::attest {
namespace {

using json = nlohmann::json;
using testing::kNow;
using testing::RawKey;

json Claims() {
  return json{{"iss", "https://vouch.example"},
              {"jti", "0123456789abcdef0123456789abcdef"},
              {"iat", kNow},
              {"operator", "admin-1"},
              {"request", {{"verification_ids", {"v1"}}}},
              {"erased", {{"verifications", 1}, {"verification_ids", {"v1"}}}},
              {"unmatched_verification_ids", json::array()},
              {"revoked", {{{"status_list_uri", "https://vouch.example/status/1"}, {"idx", 7}}}}};
}

class ReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = std::move(*KeySet::LoadOrCreate(dir_.path() + "/keys", SigningAlg::kES256));
    jwks_ = std::make_unique<Jwks>(std::move(*Jwks::Parse(keys_->JwksJson())));
    options_.now = kNow + 10;
  }

  std::string Sign(const json& claims, const char* typ = kErasureReceiptType) {
    absl::StatusOr<std::string> jws = keys_->SignJwt(typ, claims.dump());
    EXPECT_TRUE(jws.ok()) << jws.status();
    return jws.ok() ? *jws : "";
  }

  ErrorCode Refusal(const std::string& receipt) {
    auto verified = VerifyErasureReceipt(receipt, *jwks_, options_);
    EXPECT_FALSE(verified.ok());
    return verified.ok() ? ErrorCode::kInternal : verified.error().code;
  }

  testing::TempDir dir_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<Jwks> jwks_;
  VerifyOptions options_;
};

TEST_F(ReceiptTest, AReceiptVerifiesAndStatesWhatWasErased) {
  auto verified = VerifyErasureReceipt(Sign(Claims()), *jwks_, options_);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_EQ(verified->claims, Claims());
  EXPECT_EQ(verified->alg, "ES256");
  EXPECT_EQ(verified->kid, keys_->Active()->kid);
}

TEST_F(ReceiptTest, AChangedStatementOrSignatureIsRefused) {
  const std::string receipt = Sign(Claims());
  const size_t first_dot = receipt.find('.');
  const size_t second_dot = receipt.find('.', first_dot + 1);
  // The payload says something else (still valid JSON): the signature no
  // longer covers it.
  json changed = Claims();
  changed["erased"]["verifications"] = 2;
  const std::string forged = receipt.substr(0, first_dot + 1) +
                             internal::Base64UrlEncode(changed.dump()) + receipt.substr(second_dot);
  EXPECT_EQ(Refusal(forged), ErrorCode::kBadSignature);
  // One character of the signature flipped.
  std::string signature = receipt;
  char& s = signature[second_dot + 3];
  s = s == 'A' ? 'B' : 'A';
  EXPECT_EQ(Refusal(signature), ErrorCode::kBadSignature);
  // One character of the payload flipped: refused whatever it decodes to
  // (bad_signature, or malformed when it no longer parses).
  for (size_t i = first_dot + 1; i < second_dot; i += 7) {
    std::string flipped = receipt;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    const ErrorCode code = Refusal(flipped);
    EXPECT_TRUE(code == ErrorCode::kBadSignature || code == ErrorCode::kMalformed)
        << i << ": " << ErrorCodeName(code);
  }
}

TEST_F(ReceiptTest, AnotherTypIsNoReceipt) {
  EXPECT_EQ(Refusal(Sign(Claims(), "dc+sd-jwt")), ErrorCode::kWrongType);
  EXPECT_EQ(Refusal(Sign(Claims(), "statuslist+jwt")), ErrorCode::kWrongType);
  const RawKey raw = RawKey::Make(internal::KeyType::kP256);
  EXPECT_EQ(Refusal(raw.Sign(Claims(), json{{"alg", raw.alg}, {"kid", raw.kid}})),
            ErrorCode::kWrongType);  // No typ at all.
}

TEST_F(ReceiptTest, AKeyOutsideTheJwksIsRefused) {
  const RawKey stranger = RawKey::Make(internal::KeyType::kP256);
  const json header{{"alg", "ES256"}, {"typ", kErasureReceiptType}, {"kid", stranger.kid}};
  EXPECT_EQ(Refusal(stranger.Sign(Claims(), header)), ErrorCode::kUnknownKid);
  // The stranger claiming vouch's kid: the signature does not verify.
  const json forged{{"alg", "ES256"}, {"typ", kErasureReceiptType}, {"kid", keys_->Active()->kid}};
  EXPECT_EQ(Refusal(stranger.Sign(Claims(), forged)), ErrorCode::kBadSignature);
  const json no_kid{{"alg", "ES256"}, {"typ", kErasureReceiptType}};
  EXPECT_EQ(Refusal(stranger.Sign(Claims(), no_kid)), ErrorCode::kMissingKid);
}

TEST_F(ReceiptTest, MissingClaimsAndTimesAreRefused) {
  for (const char* name : {"iss", "jti", "iat", "operator", "erased"}) {
    json claims = Claims();
    claims.erase(name);
    EXPECT_EQ(Refusal(Sign(claims)), ErrorCode::kMissingClaim) << name;
  }
  json future = Claims();
  future["iat"] = kNow + 3600;
  EXPECT_EQ(Refusal(Sign(future)), ErrorCode::kIssuedInFuture);
  EXPECT_EQ(Refusal("not-a-jws"), ErrorCode::kMalformed);
}

}  // namespace
}  // namespace vouch::attest
