// The adapter over the real passport module: seal with its sealing side,
// open through PassportOpener.

#include "pipeline/passport_adapter.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "passport/errors.h"
#include "passport/seal.h"
#include "rpc/errors.h"
#include "testing/status_matchers.h"
#include "testing/typed_fields.h"

namespace vouch::verifier::pipeline {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

class PassportAdapterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new passport::ProviderKey(*passport::GenerateProviderKey(2048));
  }
  static void TearDownTestSuite() { delete key_; }

  PassportAdapterTest() {
    passport::PlainElement personal;
    personal.type = passport::ElementType::kPersonalDetails;
    personal.data_json = R"({"first_name":"Anna","last_name":"Eriksson","middle_name":"",)"
                         R"("birth_date":"12.08.1974","gender":"female","country_code":"SE",)"
                         R"("residence_country_code":"SE"})";
    passport::PlainElement doc;
    doc.type = passport::ElementType::kPassport;
    doc.data_json = R"({"document_no":"L898902C3","expiry_date":"15.04.2032"})";
    doc.front_side = passport::PlainFile{"front-1", SecureBytes("FRONT-JPEG")};
    doc.selfie = passport::PlainFile{"selfie-1", SecureBytes("SELFIE-JPEG")};
    std::vector<passport::PlainElement> elements;
    elements.push_back(std::move(personal));
    elements.push_back(std::move(doc));
    sealed_ = *passport::SealPassportData(
        *passport::PassportPublicKey::FromPem(key_->public_key_pem), elements, "nonce-1");
    opener_ = NewPassportModuleOpener(
        *passport::PassportDecryptor::FromPem(key_->private_key_pem.view()));
  }

  absl::StatusOr<OpenedSubmission> Open(absl::string_view nonce) {
    SealedSubmission s;
    s.passport_data_json = sealed_.passport_data_json;
    for (const auto& [id, bytes] : sealed_.encrypted_files_by_file_id) s.files[id] = bytes;
    s.nonce = nonce;
    return opener_->Open(s);
  }

  // The same submission in the structured form (VerifyRequest.passport_data).
  absl::StatusOr<OpenedSubmission> OpenStructured(const v1::PassportData& data) {
    SealedSubmission s;
    s.passport_data = &data;
    for (const auto& [id, bytes] : sealed_.encrypted_files_by_file_id) s.files[id] = bytes;
    s.nonce = "nonce-1";
    return opener_->Open(s);
  }

  v1::PassportData Structured() const {
    v1::PassportData data;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(sealed_.passport_data_json, &data).ok());
    return data;
  }

  static passport::ProviderKey* key_;
  passport::SealedPassport sealed_;
  std::unique_ptr<PassportOpener> opener_;
};

passport::ProviderKey* PassportAdapterTest::key_ = nullptr;

TEST_F(PassportAdapterTest, OpensFieldsFilesAndHashes) {
  absl::StatusOr<OpenedSubmission> opened = Open("nonce-1");

  ASSERT_THAT(opened, IsOk());
  const OpenedElement* personal = opened->Find("personal_details");
  const OpenedElement* doc = opened->Find("passport");
  ASSERT_NE(personal, nullptr);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(testing::FieldOf(*personal, "last_name"), "Eriksson");
  EXPECT_EQ(testing::FieldOf(*personal, "birth_date"), "12.08.1974");
  EXPECT_EQ(testing::FieldOf(*personal, "gender"), "female");
  EXPECT_EQ(testing::FieldOf(*doc, "document_no"), "L898902C3");
  EXPECT_EQ(testing::FieldOf(*doc, "expiry_date"), "15.04.2032");
  ASSERT_TRUE(doc->front_side.has_value());
  EXPECT_EQ(doc->front_side->content.view(), "FRONT-JPEG");
  EXPECT_EQ(doc->selfie->content.view(), "SELFIE-JPEG");
  // Hashes are standard base64 of 32 bytes (44 characters).
  EXPECT_EQ(doc->front_side->file_hash.size(), 44u);
  EXPECT_EQ(personal->data_hash.size(), 44u);
  EXPECT_FALSE(doc->element_hash.empty());
  EXPECT_NE(doc->front_side->file_hash, doc->selfie->file_hash);
}

TEST_F(PassportAdapterTest, WrongNonceHasItsOwnReason) {
  absl::StatusOr<OpenedSubmission> opened = Open("other");

  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(rpc::GetErrorInfo(opened.status())->reason(), "NONCE_MISMATCH");
}

TEST_F(PassportAdapterTest, TamperedFileIsOneGenericError) {
  std::string& front = sealed_.encrypted_files_by_file_id.at("front-1");
  front[front.size() / 2] ^= 0x01;

  absl::StatusOr<OpenedSubmission> opened = Open("nonce-1");

  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(rpc::GetErrorInfo(opened.status())->reason(), "PASSPORT_UNREADABLE");
  EXPECT_THAT(std::string(opened.status().message()),
              ::testing::Not(::testing::HasSubstr("FRONT")));
}

TEST_F(PassportAdapterTest, MissingFileBytesAreABadRequest) {
  sealed_.encrypted_files_by_file_id.erase("front-1");

  absl::StatusOr<OpenedSubmission> opened = Open("nonce-1");

  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(rpc::GetBadRequest(opened.status()).has_value());
  EXPECT_THAT(rpc::GetBadRequest(opened.status())->field_violations(0).description(),
              ::testing::HasSubstr("front-1"));
}

TEST_F(PassportAdapterTest, OpensTheStructuredFormWithoutJson) {
  absl::StatusOr<OpenedSubmission> opened = OpenStructured(Structured());

  ASSERT_THAT(opened, IsOk());
  const OpenedElement* personal = opened->Find("personal_details");
  const OpenedElement* doc = opened->Find("passport");
  ASSERT_NE(personal, nullptr);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(testing::FieldOf(*personal, "last_name"), "Eriksson");
  EXPECT_EQ(testing::FieldOf(*doc, "expiry_date"), "15.04.2032");
  EXPECT_EQ(doc->front_side->content.view(), "FRONT-JPEG");
}

// The structured form is checked by the same rules as the JSON text
// (passport::ValidatePassportData), with the same one generic answer.
TEST_F(PassportAdapterTest, TheStructuredFormIsValidatedAsTheJsonIs) {
  const auto reason = [](const absl::StatusOr<OpenedSubmission>& opened) {
    EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument));
    return opened.ok() ? std::string() : rpc::GetErrorInfo(opened.status())->reason();
  };
  v1::PassportData unknown_type = Structured();
  unknown_type.mutable_data(0)->set_type("selfie_video");
  EXPECT_EQ(reason(OpenStructured(unknown_type)), "PASSPORT_UNREADABLE");

  v1::PassportData not_allowed = Structured();
  for (v1::EncryptedPassportElement& e : *not_allowed.mutable_data()) {
    if (e.type() == "passport") e.set_phone_number("+46700000000");
  }
  EXPECT_EQ(reason(OpenStructured(not_allowed)), "PASSPORT_UNREADABLE");

  v1::PassportData empty_file_id = Structured();
  for (v1::EncryptedPassportElement& e : *empty_file_id.mutable_data()) {
    if (e.has_front_side()) e.mutable_front_side()->set_file_id("");
  }
  EXPECT_EQ(reason(OpenStructured(empty_file_id)), "PASSPORT_UNREADABLE");

  v1::PassportData duplicate = Structured();
  *duplicate.add_data() = duplicate.data(0);
  EXPECT_EQ(reason(OpenStructured(duplicate)), "PASSPORT_UNREADABLE");
}

TEST(ToPassportDataTest, CopiesTheStructuredFormFieldByField) {
  v1::PassportData proto;
  v1::EncryptedPassportElement* e = proto.add_data();
  e->set_type("passport");
  e->set_data("ZGF0YQ==");
  e->set_hash("aGFzaA==");
  e->mutable_front_side()->set_file_id("f1");
  e->mutable_front_side()->set_file_size(32);
  proto.mutable_credentials()->set_secret("c2VjcmV0");

  absl::StatusOr<passport::PassportData> data = ToPassportData(proto);

  ASSERT_THAT(data, IsOk());
  ASSERT_EQ(data->data.size(), 1u);
  const passport::EncryptedPassportElement& element = data->data[0];
  EXPECT_EQ(element.type, passport::ElementType::kPassport);
  EXPECT_EQ(element.data, "ZGF0YQ==");
  EXPECT_EQ(element.hash, "aGFzaA==");
  ASSERT_TRUE(element.front_side.has_value());
  EXPECT_EQ(element.front_side->file_id, "f1");
  EXPECT_EQ(element.front_side->file_size, 32);
  EXPECT_FALSE(element.selfie.has_value());
  EXPECT_FALSE(element.phone_number.has_value());  // "" is absent.
  EXPECT_EQ(data->credentials.secret, "c2VjcmV0");
  EXPECT_THAT(passport::ValidatePassportData(*data), IsOk());

  e->set_type("selfie_video");
  EXPECT_EQ(passport::GetErrorCategory(ToPassportData(proto).status()),
            passport::ErrorCategory::kType);
}

}  // namespace
}  // namespace vouch::verifier::pipeline
