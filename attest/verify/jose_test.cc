#include "internal/jose.h"

#include <openssl/rand.h>
#include <zlib.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::attest::internal {
namespace {

using ::testing::HasSubstr;

std::string Random(size_t n) {
  std::string s(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n));
  return s;
}

std::string Zlib(const std::string& data, int level) {
  uLongf len = compressBound(data.size());
  std::string out(len, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &len,
                      reinterpret_cast<const Bytef*>(data.data()), data.size(),
                      level),
            Z_OK);
  out.resize(len);
  return out;
}

TEST(Base64UrlTest, RoundTripsAllLengths) {
  for (size_t n = 0; n < 40; ++n) {
    const std::string data = Random(n);
    const std::string encoded = Base64UrlEncode(data);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    std::string decoded;
    ASSERT_TRUE(Base64UrlDecode(encoded, &decoded)) << encoded;
    EXPECT_EQ(decoded, data);
  }
}

TEST(Base64UrlTest, RfcExampleFromRfc4648) {
  // RFC 4648 §10 vectors, unpadded.
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, RejectsPaddingStandardAlphabetWhitespaceAndSlack) {
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("Zm8=", &out));       // Padding.
  EXPECT_FALSE(Base64UrlDecode("+_8", &out));        // '+' is base64, not url.
  EXPECT_FALSE(Base64UrlDecode("-/8", &out));
  EXPECT_FALSE(Base64UrlDecode("Zm9v YmFy", &out));  // Whitespace.
  EXPECT_FALSE(Base64UrlDecode("Zm9vY", &out));      // Length % 4 == 1.
  EXPECT_FALSE(Base64UrlDecode("Zm9", &out));        // Non-zero unused bits.
  EXPECT_TRUE(Base64UrlDecode("Zm8", &out));
}

TEST(StrictJsonTest, RejectsDuplicateMembersAtAnyDepth) {
  EXPECT_TRUE(ParseJsonStrict(R"({"a":1,"b":{"a":2}})").ok());
  auto top = ParseJsonStrict(R"({"a":1,"a":2})");
  ASSERT_FALSE(top.ok());
  EXPECT_THAT(top.error().message, HasSubstr("duplicate"));
  EXPECT_FALSE(ParseJsonStrict(R"({"x":[{"a":1,"a":1}]})").ok());
}

TEST(StrictJsonTest, RejectsDeepNestingAndGarbage) {
  EXPECT_FALSE(ParseJsonStrict(std::string(100, '[') + std::string(100, ']')).ok());
  EXPECT_FALSE(ParseJsonStrict("{").ok());
  EXPECT_FALSE(ParseJsonStrict("\"\xff\"").ok());  // Invalid UTF-8.
}

TEST(StrictJsonTest, AgreesWithNlohmannOnValidDocuments) {
  const char* docs[] = {
      R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})",
      R"([ "x" , -0 , 0 , 12 , -12 , 1.5 , -2e3 , 1E+2 , 18446744073709551615 ])",
      R"(["_26bc4LT-ac6q2KI6cBW5es", "family_name", "M\u00f6bius"])",
      R"({"s":"tab\tnl\nq\"bs\\sl\/ \ud83d\ude00 \u0000"})",
      "{\"utf8\":\"\xc3\xb6\xe2\x82\xac\xf0\x9f\x98\x80\"}",
      R"({"big":123456789012345678901234567890,"neg":-9223372036854775808})",
      " \t\r\n{}\n ", "[]", "\"\"", "0",
  };
  for (const char* doc : docs) {
    auto ours = ParseJsonStrict(doc);
    ASSERT_TRUE(ours.ok()) << doc << ": " << ours.error().message;
    EXPECT_EQ(*ours, nlohmann::json::parse(doc)) << doc;
    EXPECT_EQ(ours->dump(), nlohmann::json::parse(doc).dump()) << doc;
  }
}

TEST(StrictJsonTest, RejectsWhatRfc8259Rejects) {
  const char* bad[] = {
      "", "01", "-", "1.", ".5", "1e", "+1", "[1,]", "{\"a\":1,}", "[1 2]",
      "{\"a\" 1}", "{a:1}", "'x'", "tru", "nul", "\"\x01\"", "\"\\x\"",
      "\"\\ud800\"", "\"\\udc00\"", "\"\\u12\"", "\"unterminated", "[1]x",
      "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "1e999", "{\"a\":1}{}", "[",
  };
  for (const char* doc : bad) {
    auto r = ParseJsonStrict(doc);
    EXPECT_FALSE(r.ok()) << "accepted: " << doc;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
    }
  }
}

class SignTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(SignTest, RawSignatureIs64BytesAndVerifies) {
  auto key = GenerateKey(GetParam());
  ASSERT_TRUE(key.ok());
  auto sig = SignRaw(key->get(), "header.payload");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(VerifyRaw(key->get(), "header.payload", *sig));
  EXPECT_FALSE(VerifyRaw(key->get(), "header.payloaX", *sig));
  std::string flipped = *sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(VerifyRaw(key->get(), "header.payload", flipped));
  EXPECT_FALSE(VerifyRaw(key->get(), "header.payload", sig->substr(0, 63)));
}

TEST_P(SignTest, JwkRoundTripAndPemRoundTrip) {
  auto key = GenerateKey(GetParam());
  ASSERT_TRUE(key.ok());
  auto jwk = PublicJwk(key->get());
  ASSERT_TRUE(jwk.ok());
  EXPECT_EQ((*jwk)["x"].get<std::string>().size(), 43u);  // 32 bytes.
  auto pub = PublicKeyFromJwk(*jwk);
  ASSERT_TRUE(pub.ok()) << pub.error().ToString();
  auto sig = SignRaw(key->get(), "m");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifyRaw(pub->get(), "m", *sig));
  auto pem = PrivateKeyToPem(key->get());
  ASSERT_TRUE(pem.ok());
  EXPECT_THAT(*pem, HasSubstr("BEGIN PRIVATE KEY"));  // PKCS#8.
  auto back = PrivateKeyFromPem(*pem);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(VerifyRaw(pub->get(), "m", *SignRaw(back->get(), "m")));
}

INSTANTIATE_TEST_SUITE_P(Algs, SignTest,
                         ::testing::Values(KeyType::kP256, KeyType::kEd25519));

TEST(SignTest, Es256DerSignatureIsRejected) {
  auto key = GenerateKey(KeyType::kP256);
  ASSERT_TRUE(key.ok());
  // What EVP_DigestSign emits natively: DER, 70-72 bytes.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                               key->get()), 1);
  unsigned char der[80];
  size_t len = sizeof(der);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), der, &len,
                           reinterpret_cast<const unsigned char*>("m"), 1), 1);
  EXPECT_FALSE(VerifyRaw(key->get(), "m",
                         std::string(reinterpret_cast<char*>(der), len)));
}

TEST(JwkTest, RejectsPrivateMembersWrongSizesAndOffCurvePoints) {
  auto key = GenerateKey(KeyType::kP256);
  ASSERT_TRUE(key.ok());
  auto jwk = *PublicJwk(key->get());
  nlohmann::json with_d = jwk;
  with_d["d"] = "AAAA";
  EXPECT_FALSE(PublicKeyFromJwk(with_d).ok());
  nlohmann::json short_x = jwk;
  short_x["x"] = Base64UrlEncode(std::string(31, 'a'));
  EXPECT_FALSE(PublicKeyFromJwk(short_x).ok());
  nlohmann::json off_curve = jwk;
  off_curve["y"] = Base64UrlEncode(std::string(32, '\x01'));
  EXPECT_FALSE(PublicKeyFromJwk(off_curve).ok());
  nlohmann::json ed = {{"kty", "OKP"}, {"crv", "Ed25519"},
                       {"x", Base64UrlEncode(std::string(33, 'a'))}};
  EXPECT_FALSE(PublicKeyFromJwk(ed).ok());
}

TEST(JwkTest, ThumbprintMatchesRfc8037Example) {
  // RFC 8037 Appendix A.3: JWK thumbprint of the A.2 Ed25519 public key.
  const nlohmann::json jwk = {
      {"kty", "OKP"},
      {"crv", "Ed25519"},
      {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
  auto thumb = JwkThumbprint(jwk);
  ASSERT_TRUE(thumb.ok());
  EXPECT_EQ(*thumb, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST(InflateTest, MatchesZlibAtEveryLevel) {
  std::string data = Random(3000) + std::string(50000, '\0') + Random(10);
  for (int level : {0, 1, 6, 9}) {
    auto out = ZlibInflate(Zlib(data, level), 1 << 20);
    ASSERT_TRUE(out.ok()) << "level " << level << ": " << out.error().message;
    EXPECT_EQ(*out, data);
  }
}

TEST(InflateTest, RejectsRawDeflateCorruptionAndOversizedOutput) {
  const std::string data(100000, '\0');
  const std::string z = Zlib(data, 9);
  EXPECT_FALSE(ZlibInflate(z.substr(2), 1 << 20).ok());  // Raw DEFLATE.
  std::string bad_adler = z;
  bad_adler.back() ^= 1;
  EXPECT_FALSE(ZlibInflate(bad_adler, 1 << 20).ok());
  EXPECT_FALSE(ZlibInflate(z, 1000).ok());  // Decompression bomb bound.
  EXPECT_FALSE(ZlibInflate(z + "x", 1 << 20).ok());
  for (size_t cut = 0; cut < z.size(); ++cut) {
    EXPECT_FALSE(ZlibInflate(z.substr(0, cut), 1 << 20).ok());
  }
}

}  // namespace
}  // namespace vouch::attest::internal
