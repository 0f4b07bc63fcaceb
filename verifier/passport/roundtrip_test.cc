// Seal -> decrypt round trips for all 13 element types, and the pairing,
// nonce, checksum, type and limit rules of telegram-passport.md §5–§7.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <functional>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "passport/passport.h"
#include "testing/passport_testing.h"
#include "testing/status_matchers.h"

namespace vouch::passport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::passport::testing::ElementJson;
using ::vouch::passport::testing::Json;
using ::vouch::passport::testing::Reseal;
using ::vouch::passport::testing::TestKey;
using ::vouch::passport::testing::TestPublicKey;
using ::vouch::testing::IsOkAndHolds;
using ::vouch::testing::StatusIs;

constexpr absl::string_view kNonce = "nonce-1234";

MATCHER_P(HasCategory, category, "") {
  std::optional<ErrorCategory> got = GetErrorCategory(arg.status());
  *result_listener << "status " << arg.status();
  return !arg.ok() && got.has_value() && *got == category;
}

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n));
  return s;
}

// A JPEG-looking file of `n` bytes.
PlainFile Scan(const std::string& id, size_t n) {
  std::string bytes = "\xff\xd8\xff\xe0" + RandomBytes(n - 4);
  return PlainFile{id, SecureBytes(bytes)};
}

std::vector<PlainElement> AllTypes() {
  std::vector<PlainElement> elements;
  for (ElementType type : AllElementTypes()) {
    PlainElement e;
    e.type = type;
    const std::string name(ElementTypeName(type));
    if (type == ElementType::kPersonalDetails) {
      e.data_json = R"({"first_name":"Anna","last_name":"Eriksson","middle_name":"",)"
                    R"("birth_date":"1.8.1974","gender":"female","country_code":"SE",)"
                    R"("residence_country_code":"NO","first_name_native":"Анна",)"
                    R"("last_name_native":"Эрикссон","extra_key":[1,2]})";
    } else if (type == ElementType::kAddress) {
      e.data_json = R"({"street_line1":"Main 1","street_line2":"","city":"Oslo",)"
                    R"("state":"","country_code":"NO","post_code":"0150"})";
    } else if (IsIdDocument(type)) {
      e.data_json = R"({"document_no":"D-)" + name + R"(","expiry_date":"29.02.2028"})";
    } else if (type == ElementType::kPhoneNumber) {
      e.value = "4712345678";
    } else if (type == ElementType::kEmail) {
      e.value = "anna@example.org";
    }
    if (IsIdDocument(type)) {
      e.front_side = Scan(name + "-front", 3000);
      if (HasReverseSide(type)) e.reverse_side = Scan(name + "-reverse", 2049);
      e.selfie = Scan(name + "-selfie", 1500);
    }
    if (IsAddressDocument(type)) {
      e.files.push_back(Scan(name + "-file0", 1000));
      e.files.push_back(Scan(name + "-file1", 777));
    }
    if (HasTranslation(type)) {
      e.translation.push_back(Scan(name + "-tr0", 512));
      e.translation.push_back(Scan(name + "-tr1", 16));
    }
    elements.push_back(std::move(e));
  }
  return elements;
}

SealedPassport SealAll(const SealOptions& options = {}) {
  auto sealed = SealPassportData(TestPublicKey(), AllTypes(), kNonce, options);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return *std::move(sealed);
}

absl::StatusOr<DecryptedPassport> Decrypt(const SealedPassport& sealed,
                                          std::optional<absl::string_view> nonce = kNonce,
                                          const DecryptOptions& options = {}) {
  return DecryptPassportData(TestKey(), sealed.passport_data_json,
                             sealed.encrypted_files_by_file_id, nonce, options);
}

TEST(PassportRoundTripTest, AllThirteenTypesWithFiles) {
  const std::vector<PlainElement> plain = AllTypes();
  auto sealed = SealPassportData(TestPublicKey(), plain, kNonce);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  auto result = DecryptPassportData(TestKey(), sealed->passport_data_json,
                                    sealed->encrypted_files_by_file_id, kNonce);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->elements.size(), 13u);
  EXPECT_THAT(result->bad_secret_checksums, IsEmpty());
  EXPECT_EQ(result->credentials.credentials.nonce, std::string(kNonce));
  const Json sealed_json = Json::parse(sealed->passport_data_json);

  size_t expected_files = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    const PlainElement& in = plain[i];
    const DecryptedElement* out = result->FindElement(in.type);
    ASSERT_NE(out, nullptr) << ElementTypeName(in.type);
    EXPECT_EQ(out->element_hash, sealed_json["data"][i]["hash"]);
    if (HasEncryptedData(in.type)) {
      EXPECT_EQ(out->data_json.view(), in.data_json);
      ASSERT_TRUE(out->data_hash_base64.has_value());
      EXPECT_EQ(sealed_json["data"][i].contains("data"), true);
      EXPECT_GE(out->data_padding_len, 32);
      EXPECT_LE(out->data_padding_len, 255);
    } else {
      EXPECT_FALSE(out->data_hash_base64.has_value());
    }
    if (in.type == ElementType::kPhoneNumber) {
      EXPECT_EQ(out->phone_number, in.value);
    }
    if (in.type == ElementType::kEmail) {
      EXPECT_EQ(out->email, in.value);
    }
    auto check_file = [&](const PlainFile& file, FileRole role) {
      ++expected_files;
      const DecryptedFile* f = result->FindFile(file.file_id);
      ASSERT_NE(f, nullptr) << file.file_id;
      EXPECT_EQ(f->element, in.type);
      EXPECT_EQ(f->role, role) << file.file_id;
      ASSERT_TRUE(f->plaintext.has_value());
      EXPECT_EQ(f->plaintext->view(), file.bytes.view());
      auto hash = DecodeBase64Strict(f->file_hash_base64, "file_hash");
      ASSERT_TRUE(hash.ok());
      EXPECT_EQ(hash->size(), 32u);
    };
    if (in.front_side) check_file(*in.front_side, {FileSlot::kFrontSide, 0});
    if (in.reverse_side) check_file(*in.reverse_side, {FileSlot::kReverseSide, 0});
    if (in.selfie) check_file(*in.selfie, {FileSlot::kSelfie, 0});
    for (size_t j = 0; j < in.files.size(); ++j) {
      check_file(in.files[j], {FileSlot::kFiles, static_cast<int>(j)});
      EXPECT_EQ(out->files[j], in.files[j].file_id);
    }
    for (size_t j = 0; j < in.translation.size(); ++j) {
      check_file(in.translation[j], {FileSlot::kTranslation, static_cast<int>(j)});
      EXPECT_EQ(out->translation[j], in.translation[j].file_id);
    }
  }
  EXPECT_EQ(result->files.size(), expected_files);
  EXPECT_EQ(expected_files, 4u * 4 + 2 + 5u * 4);  // 4 ID docs: f,s,2 tr; +2 reverse

  // Typed values.
  const auto& pd =
      std::get<PersonalDetails>(result->FindElement(ElementType::kPersonalDetails)->data);
  EXPECT_EQ(pd.first_name, "Anna");
  EXPECT_EQ(pd.middle_name, "");
  EXPECT_EQ(pd.birth_date, (Date{1, 8, 1974}));
  EXPECT_EQ(pd.gender, Gender::kFemale);
  EXPECT_EQ(pd.residence_country_code, "NO");
  EXPECT_EQ(pd.first_name_native, "Анна");
  EXPECT_EQ(pd.extra.at("extra_key"), "[1,2]");
  const auto& doc =
      std::get<IdDocumentData>(result->FindElement(ElementType::kDriverLicense)->data);
  EXPECT_EQ(doc.document_no, "D-driver_license");
  EXPECT_EQ(doc.expiry_date, (Date{29, 2, 2028}));
  const auto& address =
      std::get<ResidentialAddress>(result->FindElement(ElementType::kAddress)->data);
  EXPECT_EQ(address.city, "Oslo");

  // The result document lists every paired file.
  const Json doc_json = Json::parse(ResultDocumentJson(*result).view());
  EXPECT_EQ(doc_json["file_credentials"].size(), expected_files);
  EXPECT_EQ(doc_json["files"].size(), expected_files);
  EXPECT_EQ(doc_json["elements"]["email"]["email"], "anna@example.org");
}

TEST(PassportRoundTripTest, FilesWithoutBytesArePairedButNotDecrypted) {
  SealedPassport sealed = SealAll();
  sealed.encrypted_files_by_file_id.clear();
  sealed.encrypted_files_by_file_id["unrelated-id"] = std::string(32, 'x');
  auto result = Decrypt(sealed);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files.size(), 38u);
  for (const auto& f : result->files) EXPECT_FALSE(f.plaintext.has_value());
}

TEST(PassportRoundTripTest, PaddingBoundaries32And255AndRandomRange) {
  const SecureBytes secret = NewPassportSecret();
  for (int padding : {32, 255}) {
    const std::string value(padding == 32 ? 64 : 17, 'v');
    auto sealed = SealValue(secret.view(), value, padding);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    auto opened = DecryptValue(secret.view(), sealed->hash, sealed->ciphertext, 1 << 20, "v");
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->padding_len, padding);
    EXPECT_EQ(opened->plaintext.view(), value);
  }
  int min_padding = 255, max_padding = 0;
  for (int i = 0; i < 300; ++i) {
    auto sealed = SealValue(secret.view(), "abc");
    ASSERT_TRUE(sealed.ok());
    auto opened = DecryptValue(secret.view(), sealed->hash, sealed->ciphertext, 1 << 20, "v");
    ASSERT_TRUE(opened.ok());
    min_padding = std::min(min_padding, opened->padding_len);
    max_padding = std::max(max_padding, opened->padding_len);
  }
  // Lengths that align 3 bytes: 45, 61, ..., 253 (14 choices).
  EXPECT_EQ(min_padding, 45);
  EXPECT_EQ(max_padding, 253);
  EXPECT_THAT(SealValue(secret.view(), "abc", 31), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PassportRoundTripTest, NonceRules) {
  const SealedPassport sealed = SealAll();
  EXPECT_THAT(Decrypt(sealed, "nonce-1235"), HasCategory(ErrorCategory::kNonceMismatch));
  EXPECT_THAT(Decrypt(sealed, ""), HasCategory(ErrorCategory::kNonceMismatch));
  EXPECT_TRUE(Decrypt(sealed, std::nullopt).ok());

  SealOptions legacy;
  legacy.legacy_payload_key = true;
  auto legacy_sealed = SealPassportData(TestPublicKey(), AllTypes(), kNonce, legacy);
  ASSERT_TRUE(legacy_sealed.ok());
  auto result = Decrypt(*legacy_sealed);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->credentials.credentials.nonce_from_payload);
  EXPECT_THAT(Decrypt(*legacy_sealed, "other"), HasCategory(ErrorCategory::kNonceMismatch));

  const SealedPassport no_nonce = Reseal(sealed, [](Json& c, Json&) { c.erase("nonce"); });
  EXPECT_THAT(Decrypt(no_nonce), HasCategory(ErrorCategory::kNonceMismatch));
  EXPECT_TRUE(Decrypt(no_nonce, std::nullopt).ok());
}

TEST(PassportRoundTripTest, MissingCredentials) {
  const SealedPassport sealed = SealAll();
  struct Case {
    const char* name;
    std::function<void(Json&, Json&)> edit;
  } cases[] = {
      {"element", [](Json& c, Json&) { c["secure_data"].erase("passport"); }},
      {"data", [](Json& c, Json&) { c["secure_data"]["address"].erase("data"); }},
      {"front_side", [](Json& c, Json&) { c["secure_data"]["identity_card"].erase("front_side"); }},
      {"reverse_side",
       [](Json& c, Json&) { c["secure_data"]["driver_license"].erase("reverse_side"); }},
      {"files", [](Json& c, Json&) { c["secure_data"]["utility_bill"].erase("files"); }},
      {"files count", [](Json& c, Json&) { c["secure_data"]["bank_statement"]["files"].erase(1); }},
      {"translation count",
       [](Json& c, Json&) { c["secure_data"]["passport"]["translation"].erase(0); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Decrypt(Reseal(sealed, c.edit)), HasCategory(ErrorCategory::kMissingCredentials));
  }
}

TEST(PassportRoundTripTest, UnrequestedSelfieAndTranslationAreSkipped) {
  const SealedPassport sealed = Reseal(SealAll(), [](Json& c, Json&) {
    c["secure_data"]["passport"].erase("selfie");
    c["secure_data"]["passport"].erase("translation");
  });
  auto result = Decrypt(sealed);
  ASSERT_TRUE(result.ok()) << result.status();
  const DecryptedElement* passport = result->FindElement(ElementType::kPassport);
  ASSERT_TRUE(passport->selfie.has_value());
  EXPECT_EQ(result->FindFile(*passport->selfie), nullptr);
  EXPECT_EQ(passport->translation.size(), 2u);
  EXPECT_EQ(result->FindFile(passport->translation[0]), nullptr);
  EXPECT_EQ(result->files.size(), 38u - 3);
}

TEST(PassportRoundTripTest, SwappedFileCredentialsAreHashMismatch) {
  const SealedPassport sealed = Reseal(SealAll(), [](Json& c, Json&) {
    std::swap(c["secure_data"]["passport"]["front_side"], c["secure_data"]["passport"]["selfie"]);
  });
  EXPECT_THAT(Decrypt(sealed), HasCategory(ErrorCategory::kHashMismatch));
}

TEST(PassportRoundTripTest, SecretChecksumFlaggedByDefaultRejectedInStrictMode) {
  const std::string bad_secret(32, '\x01');  // byte sum 32, not 239 mod 255
  const SealedPassport bad_credentials = Reseal(
      SealAll(), [](Json&, Json&) {}, bad_secret);
  auto result = Decrypt(bad_credentials);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->bad_secret_checksums, ElementsAre("credentials"));
  DecryptOptions strict;
  strict.strict_secret_checksum = true;
  EXPECT_THAT(Decrypt(bad_credentials, kNonce, strict),
              HasCategory(ErrorCategory::kSecretChecksum));

  // A data secret with a bad checksum.
  const SealedPassport bad_data = Reseal(SealAll(), [&](Json& c, Json& pd) {
    auto value = SealValue(bad_secret, R"({"document_no":"X1"})");
    ASSERT_TRUE(value.ok());
    ElementJson(pd, "passport")["data"] = EncodeBase64(value->ciphertext);
    c["secure_data"]["passport"]["data"] = {{"data_hash", EncodeBase64(value->hash)},
                                            {"secret", EncodeBase64(bad_secret)}};
  });
  result = Decrypt(bad_data);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->bad_secret_checksums, ElementsAre("passport/data"));
  EXPECT_EQ(std::get<IdDocumentData>(result->FindElement(ElementType::kPassport)->data).document_no,
            "X1");
  EXPECT_THAT(Decrypt(bad_data, kNonce, strict), HasCategory(ErrorCategory::kSecretChecksum));
}

TEST(PassportRoundTripTest, TypeRules) {
  const SealedPassport sealed = SealAll();
  auto edited = [&](const std::function<void(Json&)>& edit) {
    Json pd = Json::parse(sealed.passport_data_json);
    edit(pd);
    SealedPassport out{pd.dump(), sealed.encrypted_files_by_file_id};
    return Decrypt(out);
  };
  EXPECT_THAT(edited([](Json& pd) { pd["data"][0]["type"] = "selfie_video"; }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([](Json& pd) {
                pd["data"].erase(12);  // 13 stay within max_elements
                pd["data"].push_back(pd["data"][0]);
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([](Json& pd) {
                ElementJson(pd, "passport")["files"] = ElementJson(pd, "passport")["translation"];
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([](Json& pd) {
                ElementJson(pd, "utility_bill")["data"] = ElementJson(pd, "address")["data"];
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([](Json& pd) {
                ElementJson(pd, "passport")["reverse_side"] =
                    ElementJson(pd, "passport")["front_side"];
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([](Json& pd) { ElementJson(pd, "email").erase("email"); }),
              HasCategory(ErrorCategory::kJson));
  // Element data swapped between elements: authenticated by data_hash.
  EXPECT_THAT(edited([](Json& pd) {
                std::swap(ElementJson(pd, "passport")["data"],
                          ElementJson(pd, "internal_passport")["data"]);
              }),
              HasCategory(ErrorCategory::kHashMismatch));
  // Whole Message and Update wrappers are accepted.
  for (const char* wrapper : {R"({"message_id":1,"passport_data":%s})",
                              R"({"update_id":2,"message":{"passport_data":%s}})"}) {
    std::string text(wrapper);
    text.replace(text.find("%s"), 2, sealed.passport_data_json);
    EXPECT_TRUE(
        DecryptPassportData(TestKey(), text, sealed.encrypted_files_by_file_id, kNonce).ok());
  }
}

// The structured PassportData (as the gRPC form is converted to) decrypts
// as its JSON text does, and is checked by the same rules: the JSON parser
// reads shapes only and shares ValidatePassportData.
TEST(PassportRoundTripTest, StructuredPassportDataSharesTheJsonRules) {
  const SealedPassport sealed = SealAll();
  absl::StatusOr<PassportData> parsed = ParsePassportData(sealed.passport_data_json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(ValidatePassportData(*parsed).ok());
  auto from_text = Decrypt(sealed);
  auto from_struct =
      DecryptPassportData(TestKey(), *parsed, sealed.encrypted_files_by_file_id, kNonce);
  ASSERT_TRUE(from_text.ok()) << from_text.status();
  ASSERT_TRUE(from_struct.ok()) << from_struct.status();
  EXPECT_EQ(ResultDocumentJson(*from_struct).view(), ResultDocumentJson(*from_text).view());

  auto edited = [&](const std::function<void(PassportData&)>& edit, const Limits& limits = {}) {
    PassportData data = *parsed;
    edit(data);
    DecryptOptions options;
    options.limits = limits;
    EXPECT_EQ(
        GetErrorCategory(ValidatePassportData(data, limits)),
        GetErrorCategory(
            DecryptPassportData(TestKey(), data, sealed.encrypted_files_by_file_id, kNonce, options)
                .status()));
    const absl::Status valid = ValidatePassportData(data, limits);
    return valid.ok() ? absl::StatusOr<PassportData>(data) : absl::StatusOr<PassportData>(valid);
  };
  const auto element = [](PassportData& data, ElementType type) -> EncryptedPassportElement& {
    for (EncryptedPassportElement& e : data.data) {
      if (e.type == type) return e;
    }
    ADD_FAILURE() << "no element " << ElementTypeName(type);
    return data.data.front();
  };
  // The TypeRules cases, on the structure.
  EXPECT_THAT(edited([](PassportData& d) {
                d.data.pop_back();
                d.data.push_back(d.data.front());
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([&](PassportData& d) {
                element(d, ElementType::kPassport).files =
                    element(d, ElementType::kPassport).translation;
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([&](PassportData& d) {
                element(d, ElementType::kUtilityBill).data = element(d, ElementType::kAddress).data;
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([&](PassportData& d) {
                element(d, ElementType::kPassport).reverse_side =
                    element(d, ElementType::kPassport).front_side;
              }),
              HasCategory(ErrorCategory::kType));
  EXPECT_THAT(edited([&](PassportData& d) { element(d, ElementType::kEmail).email.reset(); }),
              HasCategory(ErrorCategory::kJson));
  EXPECT_THAT(edited([&](PassportData& d) { element(d, ElementType::kPassport).data.reset(); }),
              HasCategory(ErrorCategory::kJson));
  EXPECT_THAT(
      edited([&](PassportData& d) { element(d, ElementType::kPassport).front_side->file_id = ""; }),
      HasCategory(ErrorCategory::kJson));
  EXPECT_THAT(edited([&](PassportData& d) {
                element(d, ElementType::kPassport).front_side->file_size = -1;
              }),
              HasCategory(ErrorCategory::kJson));
  // The Limits cases.
  Limits small;
  small.max_elements = 12;
  EXPECT_THAT(edited([](PassportData&) {}, small), HasCategory(ErrorCategory::kLimit));
  small = {};
  small.max_files_per_element = 1;
  EXPECT_THAT(edited([](PassportData&) {}, small), HasCategory(ErrorCategory::kLimit));
  small = {};
  small.max_passport_data_json_bytes = 1000;
  EXPECT_THAT(edited([](PassportData&) {}, small), HasCategory(ErrorCategory::kLimit));
  EXPECT_THAT(edited([](PassportData& d) { d.credentials.hash = std::string(5000, 'A'); }),
              HasCategory(ErrorCategory::kLimit));
}

TEST(PassportRoundTripTest, ElementDataValidation) {
  EXPECT_TRUE(ParseElementData(ElementType::kPersonalDetails,
                               R"({"birth_date":"1.1.1980","gender":"male"})")
                  .ok());
  for (const char* bad :
       {R"({"birth_date":"31.02.2020"})", R"({"birth_date":"2020-01-01"})",
        R"({"birth_date":"1.1.80"})", R"({"gender":"other"})", R"({"country_code":"XX"})",
        R"({"country_code":"se"})", R"({"residence_country_code":"SWE"})", R"({"first_name":5})",
        "[]", "not json"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseElementData(ElementType::kPersonalDetails, bad),
                HasCategory(ErrorCategory::kJson));
  }
  EXPECT_THAT(ParseElementData(ElementType::kAddress, R"({"country_code":"ZZ"})"),
              HasCategory(ErrorCategory::kJson));
  EXPECT_THAT(ParseElementData(ElementType::kPassport, R"({"expiry_date":"0.1.2020"})"),
              HasCategory(ErrorCategory::kJson));
  auto leap =
      ParseElementData(ElementType::kPassport, R"({"document_no":"1","expiry_date":"29.02.2000"})");
  ASSERT_TRUE(leap.ok());
  EXPECT_EQ(std::get<IdDocumentData>(*leap).expiry_date->ToString(), "29.02.2000");
  EXPECT_FALSE(ParseDate("29.02.1900").ok());
  auto empty = ParseElementData(ElementType::kPassport, R"({"document_no":"1","expiry_date":""})");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(std::get<IdDocumentData>(*empty).expiry_date.has_value());
  EXPECT_THAT(ParseElementData(ElementType::kEmail, "{}"), HasCategory(ErrorCategory::kType));
  EXPECT_TRUE(IsIso3166Alpha2("DK"));
  EXPECT_TRUE(IsIso3166Alpha2("SS"));
  EXPECT_FALSE(IsIso3166Alpha2("UK"));
  EXPECT_FALSE(IsIso3166Alpha2("EU"));

  // A validation failure inside a submission rejects it.
  const SealedPassport sealed = Reseal(SealAll(), [&](Json& c, Json& pd) {
    const SecureBytes secret = NewPassportSecret();
    auto value = SealValue(secret.view(), R"({"country_code":"XX"})");
    ASSERT_TRUE(value.ok());
    ElementJson(pd, "address")["data"] = EncodeBase64(value->ciphertext);
    c["secure_data"]["address"]["data"] = {{"data_hash", EncodeBase64(value->hash)},
                                           {"secret", EncodeBase64(secret.view())}};
  });
  EXPECT_THAT(Decrypt(sealed), HasCategory(ErrorCategory::kJson));
}

TEST(PassportRoundTripTest, StrictBase64) {
  EXPECT_THAT(DecodeBase64Strict("QQ==", "x"), IsOkAndHolds(std::string("A")));
  EXPECT_THAT(DecodeBase64Strict("QUI=", "x"), IsOkAndHolds(std::string("AB")));
  EXPECT_THAT(DecodeBase64Strict("", "x"), IsOkAndHolds(std::string()));
  EXPECT_THAT(DecodeBase64Strict("+/+/", "x"), IsOkAndHolds(std::string("\xfb\xff\xbf")));
  for (const char* bad : {"QR==", "QQ", "QQ=", "Q===", "QQ==QQ==", " QQ==", "QQ==\n", "-_-_",
                          "QQ=A", "Q\x01==", "====", "QUJD\nQUJD"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(DecodeBase64Strict(bad, "x"), HasCategory(ErrorCategory::kBase64));
  }
  EXPECT_EQ(EncodeBase64("\xfb\xff\xbf"), "+/+/");
}

TEST(PassportRoundTripTest, Limits) {
  const SealedPassport sealed = SealAll();
  DecryptOptions small;
  small.limits.max_file_bytes = 2000;
  EXPECT_THAT(Decrypt(sealed, kNonce, small), HasCategory(ErrorCategory::kLimit));
  small = {};
  small.limits.max_total_file_bytes = 10000;
  EXPECT_THAT(Decrypt(sealed, kNonce, small), HasCategory(ErrorCategory::kLimit));
  small = {};
  small.limits.max_elements = 12;
  EXPECT_THAT(Decrypt(sealed, kNonce, small), HasCategory(ErrorCategory::kLimit));
  small = {};
  small.limits.max_files_per_element = 1;
  EXPECT_THAT(Decrypt(sealed, kNonce, small), HasCategory(ErrorCategory::kLimit));
  small = {};
  small.limits.max_passport_data_json_bytes = 1000;
  EXPECT_THAT(Decrypt(sealed, kNonce, small), HasCategory(ErrorCategory::kLimit));
  std::string deep(100000, '[');
  EXPECT_THAT(ParsePassportData(deep), HasCategory(ErrorCategory::kLimit));
  EXPECT_THAT(ParsePassportData(std::string(2 << 20, ' ')), HasCategory(ErrorCategory::kLimit));
}

TEST(PassportKeyTest, LoadsPkcs1AndPkcs8AndRejectsOthers) {
  using testing::ReadTestFile;
  auto pkcs8 = PassportDecryptor::FromPem(ReadTestFile("test_provider_key.pem"));
  auto pkcs1 = PassportDecryptor::FromPem(ReadTestFile("test_provider_key_pkcs1.pem"));
  ASSERT_TRUE(pkcs8.ok()) << pkcs8.status();
  ASSERT_TRUE(pkcs1.ok()) << pkcs1.status();
  EXPECT_EQ(pkcs8->bits(), 2048);
  EXPECT_EQ(*pkcs1->PublicKeyPem(), ReadTestFile("test_provider_key.pub.pem"));
  // The PKCS#1 form decrypts what was sealed for the key.
  EXPECT_TRUE(DecryptPassportData(*pkcs1, SealAll().passport_data_json, {}, kNonce).ok());

  auto pem_of = [](EVP_PKEY* pkey) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return pem;
  };
  EXPECT_THAT(PassportDecryptor::FromPem(pem_of(EVP_RSA_gen(1024))),
              HasCategory(ErrorCategory::kRsa));
  EXPECT_THAT(PassportDecryptor::FromPem(pem_of(EVP_EC_gen("P-256"))),
              HasCategory(ErrorCategory::kRsa));
  EXPECT_THAT(PassportDecryptor::FromPem("garbage"), HasCategory(ErrorCategory::kRsa));
  EXPECT_THAT(PassportDecryptor::FromPem(ReadTestFile("test_provider_key.pub.pem")),
              HasCategory(ErrorCategory::kRsa));
  EXPECT_THAT(PassportPublicKey::FromPem(ReadTestFile("test_provider_key.pem")),
              HasCategory(ErrorCategory::kRsa));
  EXPECT_THAT(GenerateProviderKey(1024), HasCategory(ErrorCategory::kRsa));
  EXPECT_THAT(TestKey().RsaDecrypt(std::string(256, '\x01')), HasCategory(ErrorCategory::kRsa));
}

TEST(PassportKeyTest, OneKeyDecryptsFromManyThreads) {
  const SealedPassport sealed = SealAll();
  std::atomic<int> ok{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (Decrypt(sealed).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
}

TEST(PassportErrorTest, MessagesCarryNoSecrets) {
  const SealedPassport sealed = SealAll();
  Json pd = Json::parse(sealed.passport_data_json);
  const std::string secret_b64 = pd["credentials"]["secret"];
  // Tamper with the selfie of the passport: hash mismatch on that file.
  SealedPassport tampered = sealed;
  const std::string selfie_id = ElementJson(pd, "passport")["selfie"]["file_id"];
  tampered.encrypted_files_by_file_id[selfie_id][100] ^= 1;
  auto result = Decrypt(tampered);
  ASSERT_THAT(result, HasCategory(ErrorCategory::kHashMismatch));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("passport/selfie"));
  auto creds = Decrypt(sealed);
  ASSERT_TRUE(creds.ok());
  for (const auto& [type, value] : creds->credentials.credentials.secure_data) {
    if (value.selfie) {
      EXPECT_THAT(std::string(result.status().message()),
                  Not(HasSubstr(EncodeBase64(value.selfie->secret.view()))));
    }
  }
  EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr(secret_b64)));
}

}  // namespace
}  // namespace vouch::passport
