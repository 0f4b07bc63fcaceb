#include "internal/sd_jwt.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/jose.h"

namespace vouch::attest::internal {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;

// RFC 9901 §4.2.1 / §4.2.3: the object-property disclosure for
// family_name "Möbius" and its SHA-256 digest.
constexpr char kRfcFamilyName[] =
    "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0";
constexpr char kRfcFamilyNameDigest[] = "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0";
// RFC 9901 §4.2.2 / §4.2.4: the array-element disclosure "FR".
constexpr char kRfcArrayFr[] = "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0";
constexpr char kRfcArrayFrDigest[] = "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs";
// RFC 9901 §4.2.1: the same claim in other JSON spellings (newlines, \u
// escape). Each is a different disclosure string with its own digest.
constexpr char kRfcFamilyNameNewlines[] =
    "WwoiXzI2YmM0TFQtYWM2cTJLSTZjQlc1ZXMiLAoiZmFtaWx5X25hbWUiLAoiTcO2Yml1cyIKXQ";
constexpr char kRfcFamilyNameEscaped[] =
    "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNXHUwMGY2Yml1cyJd";

TEST(RfcVectorsTest, DigestIsOverTheDisclosureString) {
  EXPECT_EQ(Sha256B64(kRfcFamilyName), kRfcFamilyNameDigest);
  EXPECT_EQ(Sha256B64(kRfcArrayFr), kRfcArrayFrDigest);
}

TEST(RfcVectorsTest, DecodesObjectAndArrayDisclosures) {
  auto d = DecodeDisclosures({kRfcFamilyName, kRfcArrayFr});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ((*d)[0].name, "family_name");
  EXPECT_EQ((*d)[0].value,
            "M\xc3\xb6"
            "bius");
  EXPECT_EQ((*d)[0].digest, kRfcFamilyNameDigest);
  EXPECT_FALSE((*d)[1].name.has_value());
  EXPECT_EQ((*d)[1].value, "FR");
}

TEST(RfcVectorsTest, OtherSpellingsDecodeAlikeButHashDifferently) {
  auto d = DecodeDisclosures({kRfcFamilyNameNewlines, kRfcFamilyNameEscaped});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  for (const Disclosure& x : *d) {
    EXPECT_EQ(x.name, "family_name");
    EXPECT_EQ(x.value,
              "M\xc3\xb6"
              "bius");
    EXPECT_NE(x.digest, kRfcFamilyNameDigest);
  }
}

TEST(RfcVectorsTest, ResolvesDigestsIntoClaims) {
  auto d = DecodeDisclosures({kRfcFamilyName, kRfcArrayFr});
  ASSERT_TRUE(d.ok());
  json payload = {
      {"_sd", {kRfcFamilyNameDigest, Sha256B64("decoy")}},
      {"_sd_alg", "sha-256"},
      {"nationalities", {{{"...", kRfcArrayFrDigest}}, {{"...", Sha256B64("decoy2")}}, "DE"}}};
  auto claims = ResolveDisclosures(payload, *d);
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(*claims, (json{{"family_name",
                            "M\xc3\xb6"
                            "bius"},
                           {"nationalities", {"FR", "DE"}}}));
  EXPECT_THAT((*d)[0].path, ElementsAre("family_name"));
  EXPECT_THAT((*d)[1].path, ElementsAre("nationalities", "0"));
}

TEST(RfcVectorsTest, WithoutPathsResolvesTheSameClaims) {
  json payload = {
      {"_sd", {kRfcFamilyNameDigest, Sha256B64("decoy")}},
      {"_sd_alg", "sha-256"},
      {"nationalities", {{{"...", kRfcArrayFrDigest}}, {{"...", Sha256B64("decoy2")}}, "DE"}}};
  auto with = DecodeDisclosures({kRfcFamilyName, kRfcArrayFr});
  auto without = DecodeDisclosures({kRfcFamilyName, kRfcArrayFr});
  ASSERT_TRUE(with.ok() && without.ok());
  auto a = ResolveDisclosures(payload, *with, /*record_paths=*/true);
  auto b = ResolveDisclosures(payload, *without, /*record_paths=*/false);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_FALSE((*with)[1].path.empty());
  for (const Disclosure& d : *without) {
    EXPECT_TRUE(d.used);
    EXPECT_TRUE(d.path.empty());
  }
}

// Digests seen earlier are remembered by reference into the payload; those in
// arrays and `_sd` members that were already rewritten must still count.
TEST(ResolveTest, DuplicateDigestsAcrossArraysAndObjectsInEitherOrder) {
  const std::string decoy = Sha256B64("decoy");
  const json payloads[] = {
      {{"a", {{{"...", decoy}}}}, {"b", {{"_sd", {decoy}}}}},
      {{"a", {{"_sd", {decoy}}}}, {"b", {{{"...", decoy}}}}},
      {{"a", {{{"...", decoy}}, "x"}}, {"b", {{{"...", decoy}}}}},
      {{"a", {{"_sd", {decoy}}}}, {"_sd", {decoy}}},
      {{"a", {{"_sd", {kRfcFamilyNameDigest}}}}, {"b", {{{"...", kRfcFamilyNameDigest}}}}},
  };
  for (bool record_paths : {true, false}) {
    for (const json& payload : payloads) {
      auto d = DecodeDisclosures({kRfcFamilyName});
      ASSERT_TRUE(d.ok());
      auto r = ResolveDisclosures(payload, *d, record_paths);
      ASSERT_FALSE(r.ok()) << payload.dump();
      EXPECT_EQ(r.error().code, ErrorCode::kDuplicateDigest) << payload.dump();
    }
  }
}

TEST(SplitTest, SeparatesJwtDisclosuresAndKb) {
  auto p = SplitSdJwt("a.b.c~d1~d2~kb.x.y");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->jwt, "a.b.c");
  EXPECT_THAT(p->disclosures, ElementsAre("d1", "d2"));
  EXPECT_EQ(p->kb_jwt, "kb.x.y");
  EXPECT_EQ(p->presented, "a.b.c~d1~d2~");
  auto plain = SplitSdJwt("a.b.c~");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->disclosures.empty());
  EXPECT_TRUE(plain->kb_jwt.empty());
}

TEST(SplitTest, RejectsBareJwtAndEmptyComponents) {
  EXPECT_EQ(SplitSdJwt("a.b.c").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(SplitSdJwt("a.b.c~~").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(SplitSdJwt("a.b.c~d1~~d2~").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(SplitSdJwt("~d1~").error().code, ErrorCode::kMalformed);
}

TEST(DisclosureTest, RejectsReservedNamesBadShapesAndDuplicates) {
  auto enc = [](const json& j) { return Base64UrlEncode(j.dump()); };
  const std::string sd = enc(json::array({"salt", "_sd", 1}));
  EXPECT_EQ(DecodeDisclosures({sd}).error().code, ErrorCode::kInvalidDisclosure);
  const std::string dots = enc(json::array({"salt", "...", 1}));
  EXPECT_EQ(DecodeDisclosures({dots}).error().code, ErrorCode::kInvalidDisclosure);
  const std::string four = enc(json::array({"s", "a", 1, 2}));
  EXPECT_EQ(DecodeDisclosures({four}).error().code, ErrorCode::kInvalidDisclosure);
  EXPECT_EQ(DecodeDisclosures({kRfcFamilyName, kRfcFamilyName}).error().code,
            ErrorCode::kDuplicateDisclosure);
  EXPECT_EQ(DecodeDisclosures({std::string(kRfcFamilyName) + "="}).error().code,
            ErrorCode::kMalformed);
}

TEST(ResolveTest, StructureViolationsHaveTheirOwnErrors) {
  auto check = [](json payload, std::vector<std::string_view> enc, ErrorCode want) {
    auto d = DecodeDisclosures(enc);
    ASSERT_TRUE(d.ok());
    auto r = ResolveDisclosures(std::move(payload), *d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, want) << r.error().ToString();
  };
  // Array-element disclosure referenced from _sd.
  check({{"_sd", {kRfcArrayFrDigest}}}, {kRfcArrayFr}, ErrorCode::kInvalidDisclosure);
  // Object-member disclosure referenced from an array.
  check({{"a", {{{"...", kRfcFamilyNameDigest}}}}}, {kRfcFamilyName},
        ErrorCode::kInvalidDisclosure);
  // Same digest twice.
  check({{"_sd", {kRfcFamilyNameDigest}}, {"x", {{"_sd", {kRfcFamilyNameDigest}}}}},
        {kRfcFamilyName}, ErrorCode::kDuplicateDigest);
  // Disclosure re-defines a plaintext claim.
  check({{"family_name", "Doe"}, {"_sd", {kRfcFamilyNameDigest}}}, {kRfcFamilyName},
        ErrorCode::kClaimOverride);
  // Unreferenced disclosure.
  check({{"_sd", json::array()}}, {kRfcFamilyName}, ErrorCode::kUnreferencedDisclosure);
  // Truncated or other hash.
  check({{"_sd_alg", "sha-256-128"}}, {}, ErrorCode::kUnsupportedDigestAlg);
  // _sd that is not an array of strings.
  check({{"_sd", "x"}}, {}, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace vouch::attest::internal
