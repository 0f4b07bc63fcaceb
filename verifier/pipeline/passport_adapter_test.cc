// The adapter over the real passport module: seal with its sealing side,
// open through PassportOpener.

#include "pipeline/passport_adapter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "passport/seal.h"
#include "rpc/errors.h"
#include "testing/status_matchers.h"

namespace vouch::verifier {
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
  EXPECT_EQ(personal->Field("last_name"), "Eriksson");
  EXPECT_EQ(personal->Field("birth_date"), "12.08.1974");
  EXPECT_EQ(personal->Field("gender"), "female");
  EXPECT_EQ(doc->Field("document_no"), "L898902C3");
  EXPECT_EQ(doc->Field("expiry_date"), "15.04.2032");
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
  EXPECT_EQ(GetErrorInfo(opened.status())->reason(), "NONCE_MISMATCH");
}

TEST_F(PassportAdapterTest, TamperedFileIsOneGenericError) {
  std::string& front = sealed_.encrypted_files_by_file_id.at("front-1");
  front[front.size() / 2] ^= 0x01;

  absl::StatusOr<OpenedSubmission> opened = Open("nonce-1");

  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(GetErrorInfo(opened.status())->reason(), "PASSPORT_UNREADABLE");
  EXPECT_THAT(std::string(opened.status().message()),
              ::testing::Not(::testing::HasSubstr("FRONT")));
}

TEST_F(PassportAdapterTest, MissingFileBytesAreABadRequest) {
  sealed_.encrypted_files_by_file_id.erase("front-1");

  absl::StatusOr<OpenedSubmission> opened = Open("nonce-1");

  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(GetBadRequest(opened.status()).has_value());
  EXPECT_THAT(GetBadRequest(opened.status())->field_violations(0).description(),
              ::testing::HasSubstr("front-1"));
}

}  // namespace
}  // namespace vouch::verifier
