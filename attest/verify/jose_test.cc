#include "internal/jose.h"

#include <openssl/rand.h>
#include <zlib.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

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
                      reinterpret_cast<const Bytef*>(data.data()), data.size(), level),
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
  EXPECT_FALSE(Base64UrlDecode("Zm8=", &out));  // Padding.
  EXPECT_FALSE(Base64UrlDecode("+_8", &out));   // '+' is base64, not url.
  EXPECT_FALSE(Base64UrlDecode("-/8", &out));
  EXPECT_FALSE(Base64UrlDecode("Zm9v YmFy", &out));  // Whitespace.
  EXPECT_FALSE(Base64UrlDecode("Zm9vY", &out));      // Length % 4 == 1.
  EXPECT_FALSE(Base64UrlDecode("Zm9", &out));        // Non-zero unused bits.
  EXPECT_TRUE(Base64UrlDecode("Zm8", &out));
}

TEST(Base64UrlTest, LongInputsAcrossDecodeChunks) {
  const std::string data = Random(5000);
  const std::string encoded = Base64UrlEncode(data);
  std::string decoded;
  ASSERT_TRUE(Base64UrlDecode(encoded, &decoded));
  EXPECT_EQ(decoded, data);
  std::string bad = encoded;
  bad[3000] = '+';  // Beyond the first chunk.
  EXPECT_FALSE(Base64UrlDecode(bad, &decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBitsInBothPartialGroups) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecode("Zm9vYg", &out));  // "foob"
  EXPECT_EQ(out, "foob");
  EXPECT_FALSE(Base64UrlDecode("Zm9vYh", &out));  // 4 unused bits != 0.
  EXPECT_TRUE(Base64UrlDecode("Zm9vYmE", &out));  // "fooba"
  EXPECT_EQ(out, "fooba");
  EXPECT_FALSE(Base64UrlDecode("Zm9vYmF", &out));  // 2 unused bits != 0.
  EXPECT_TRUE(Base64UrlDecode("", &out));
  EXPECT_EQ(out, "");
}

TEST(StrictJsonTest, NestingLimitIsExact) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(ParseJsonStrict(nested(kMaxJsonDepth)).ok());
  auto deep = ParseJsonStrict(nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_THAT(deep.error().message, HasSubstr("nested too deeply"));
}

TEST(StrictJsonTest, RejectsDuplicateMembersAtAnyDepth) {
  EXPECT_TRUE(ParseJsonStrict(R"({"a":1,"b":{"a":2}})").ok());
  auto top = ParseJsonStrict(R"({"a":1,"a":2})");
  ASSERT_FALSE(top.ok());
  EXPECT_THAT(top.error().message, HasSubstr("duplicate"));
  EXPECT_FALSE(ParseJsonStrict(R"({"x":[{"a":1,"a":1}]})").ok());
  // The same name in sibling objects is fine; after other members is not.
  EXPECT_TRUE(ParseJsonStrict(R"([{"a":1},{"a":1}])").ok());
  EXPECT_FALSE(ParseJsonStrict(R"({"a":{"b":1},"c":2,"a":3})").ok());
  // Member names are compared decoded: the escaped form of "a" is "a".
  EXPECT_FALSE(ParseJsonStrict(R"({"a":1,"\u0061":2})").ok());
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
      R"({"neg":-9223372036854775808,"max":18446744073709551615})",
      " \t\r\n{}\n ",
      "[]",
      "\"\"",
      "0",
  };
  for (const char* doc : docs) {
    auto ours = ParseJsonStrict(doc);
    ASSERT_TRUE(ours.ok()) << doc << ": " << ours.error().message;
    EXPECT_EQ(*ours, nlohmann::json::parse(doc)) << doc;
    EXPECT_EQ(ours->dump(), nlohmann::json::parse(doc).dump()) << doc;
    // Same types too (a non-negative integer is unsigned in both). The one
    // difference: `-0` is an unsigned 0 here and a signed 0 in nlohmann
    // (equal as values, checked above).
    const nlohmann::json theirs = nlohmann::json::parse(doc);
    EXPECT_EQ(ours->type(), theirs.type()) << doc;
    for (size_t i = 0; ours->is_array() && i < ours->size(); ++i) {
      if (theirs[i].is_number_integer() && theirs[i] == 0) continue;  // -0, 0
      EXPECT_EQ((*ours)[i].type(), theirs[i].type()) << doc << " [" << i << "]";
    }
  }
}

TEST(StrictJsonTest, RejectsWhatRfc8259Rejects) {
  const char* bad[] = {
      "",
      "01",
      "-",
      "1.",
      ".5",
      "1e",
      "+1",
      "[1,]",
      "{\"a\":1,}",
      "[1 2]",
      "{\"a\" 1}",
      "{a:1}",
      "'x'",
      "tru",
      "nul",
      "\"\x01\"",
      "\"\\x\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\u12\"",
      "\"unterminated",
      "[1]x",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "1e999",
      "{\"a\":1}{}",
      "[",
      // Integers beyond 64 bits are refused rather than rounded to a double
      // (nlohmann would round them): no claim of ours needs them.
      "123456789012345678901234567890",
      "[-9223372036854775809]",
      "{\"x\":18446744073709551616}",
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

TEST_P(SignTest, PreparedKeysSignAndVerifyLikeTheOneShotFunctions) {
  auto key = GenerateKey(GetParam());
  ASSERT_TRUE(key.ok());
  auto pub = PublicKeyFromJwk(*PublicJwk(key->get()));
  ASSERT_TRUE(pub.ok());
  auto signer = PreparedKey::Create(key->get(), PreparedKey::Use::kSign);
  auto verifier = PreparedKey::Create(pub->get(), PreparedKey::Use::kVerify);
  ASSERT_TRUE(signer.ok()) << signer.error().ToString();
  ASSERT_TRUE(verifier.ok()) << verifier.error().ToString();
  EXPECT_EQ(signer->type(), GetParam());
  EXPECT_EQ(verifier->type(), GetParam());
  // Many operations from one prepared context, each a fresh copy of it.
  for (int i = 0; i < 3; ++i) {
    const std::string input = "header.payload" + std::to_string(i);
    auto sig = signer->Sign(input);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->size(), 64u);
    EXPECT_TRUE(verifier->Verify(input, *sig));
    EXPECT_TRUE(VerifyRaw(pub->get(), input, *sig));
    EXPECT_TRUE(verifier->Verify(input, *SignRaw(key->get(), input)));
    EXPECT_FALSE(verifier->Verify(input + "x", *sig));
    std::string flipped = *sig;
    flipped[33] ^= 1;
    EXPECT_FALSE(verifier->Verify(input, flipped));
    EXPECT_FALSE(verifier->Verify(input, sig->substr(0, 63)));
    EXPECT_FALSE(verifier->Verify(input, *sig + "x"));
  }
  // Each is prepared for one use only.
  EXPECT_FALSE(signer->Verify("m", *signer->Sign("m")));
  auto wrong = verifier->Sign("m");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInternal);
}

TEST_P(SignTest, PreparedKeysAreSafeToShareAcrossThreads) {
  auto key = GenerateKey(GetParam());
  ASSERT_TRUE(key.ok());
  auto signer = PreparedKey::Create(key->get(), PreparedKey::Use::kSign);
  auto verifier = PreparedKey::Create(key->get(), PreparedKey::Use::kVerify);
  ASSERT_TRUE(signer.ok() && verifier.ok());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string input = std::to_string(t) + "." + std::to_string(i);
        auto sig = signer->Sign(input);
        if (sig.ok() && verifier->Verify(input, *sig) && !verifier->Verify(input + "!", *sig)) {
          ++good;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 100);
}

TEST(SignTest, PreparedKeyRefusesUnsupportedKeys) {
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  ASSERT_NE(rsa, nullptr);
  EvpPkeyPtr owned(rsa);
  auto prepared = PreparedKey::Create(rsa, PreparedKey::Use::kVerify);
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(PreparedKey::Create(nullptr, PreparedKey::Use::kSign).ok());
}

INSTANTIATE_TEST_SUITE_P(Algs, SignTest, ::testing::Values(KeyType::kP256, KeyType::kEd25519));

TEST(SignTest, Es256DerSignatureIsRejected) {
  auto key = GenerateKey(KeyType::kP256);
  ASSERT_TRUE(key.ok());
  // What EVP_DigestSign emits natively: DER, 70-72 bytes.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()), 1);
  unsigned char der[80];
  size_t len = sizeof(der);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), der, &len, reinterpret_cast<const unsigned char*>("m"), 1),
            1);
  EXPECT_FALSE(VerifyRaw(key->get(), "m", std::string(reinterpret_cast<char*>(der), len)));
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
  nlohmann::json ed = {
      {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64UrlEncode(std::string(33, 'a'))}};
  EXPECT_FALSE(PublicKeyFromJwk(ed).ok());
}

TEST(JwkTest, ThumbprintMatchesRfc8037Example) {
  // RFC 8037 Appendix A.3: JWK thumbprint of the A.2 Ed25519 public key.
  const nlohmann::json jwk = {
      {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
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

TEST(InflateTest, ExactLimitPresetDictionaryAndEmpty) {
  const std::string data(4096, 'a');
  const std::string z = Zlib(data, 6);
  EXPECT_TRUE(ZlibInflate(z, data.size()).ok());
  EXPECT_FALSE(ZlibInflate(z, data.size() - 1).ok());
  // A stream that needs a preset dictionary (FDICT) is refused.
  z_stream zs{};
  ASSERT_EQ(deflateInit(&zs, 6), Z_OK);
  ASSERT_EQ(deflateSetDictionary(&zs, reinterpret_cast<const Bytef*>("aaaa"), 4), Z_OK);
  std::string out(256, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = 100;
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  auto dict = ZlibInflate(out, 1 << 20);
  ASSERT_FALSE(dict.ok());
  EXPECT_EQ(dict.error().code, ErrorCode::kMalformed);
  EXPECT_FALSE(ZlibInflate("", 1 << 20).ok());
  auto empty = ZlibInflate(Zlib("", 9), 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace vouch::attest::internal
