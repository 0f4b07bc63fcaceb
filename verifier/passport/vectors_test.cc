// Runs every case of every file in shared/vectors/passport/ (schema
// tg-passport-vectors/1): ok cases must produce the whole `derived` result
// document and every `expected` value; error cases must fail with one of
// `error_categories`; `strict_error_categories` cases must fail in strict mode.

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "passport/passport.h"
#include "testing/shared_data.h"
#include "testing/status_matchers.h"

namespace vouch::passport {
namespace {

using Json = nlohmann::json;

Json LoadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

std::string B64(const std::string& text) {
  absl::StatusOr<std::string> bytes = DecodeBase64Strict(text, "test input");
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

// Runs one case; returns the result document or the failure.
absl::StatusOr<Json> RunCase(const Json& keys, const Json& c, bool strict) {
  const std::string kind = c.at("kind");
  DecryptOptions options;
  options.strict_secret_checksum = strict;
  std::optional<std::string> nonce;
  if (c.contains("expected_nonce") && c["expected_nonce"].is_string()) {
    nonce = c["expected_nonce"].get<std::string>();
  }
  std::optional<absl::string_view> nonce_view;
  if (nonce) nonce_view = *nonce;

  if (kind == "passport_data" || kind == "credentials") {
    absl::StatusOr<PassportDecryptor> key = PassportDecryptor::FromPem(
        keys.at(c.at("key").get<std::string>()).at("private_key_pem").get<std::string>());
    if (!key.ok()) return key.status();
    if (kind == "credentials") {
      const Json& ec = c.at("encrypted_credentials");
      EncryptedCredentials creds{ec.at("data"), ec.at("hash"), ec.at("secret")};
      absl::StatusOr<DecryptedCredentials> result =
          DecryptCredentials(*key, creds, nonce_view, options);
      if (!result.ok()) return result.status();
      return Json{{"credentials", Json::parse(result->json.view())},
                  {"credentials_padding_len", result->padding_len}};
    }
    std::map<std::string, std::string> files;
    for (const Json& f : c.at("files")) {
      files[f.at("file_id")] = B64(f.at("encrypted_b64"));
    }
    absl::StatusOr<DecryptedPassport> result =
        DecryptPassportData(*key, c.at("passport_data").dump(), files, nonce_view, options);
    if (!result.ok()) return result.status();
    return Json::parse(ResultDocumentJson(*result).view());
  }
  if (kind == "data") {
    const Json& creds = c.at("credentials");
    absl::StatusOr<DecryptedValue> result = DecryptElementDataBase64(
        c.at("data").get<std::string>(), creds.at("data_hash").get<std::string>(),
        creds.at("secret").get<std::string>());
    if (!result.ok()) return result.status();
    if (strict && !result->secret_checksum_ok) {
      return PassportError(ErrorCategory::kSecretChecksum, "data secret");
    }
    return Json{{"data", Json::parse(result->plaintext.view())},
                {"data_padding_len", result->padding_len}};
  }
  if (kind == "file") {
    const Json& creds = c.at("credentials");
    absl::StatusOr<DecryptedValue> result =
        DecryptFileBase64(B64(c.at("encrypted_b64")), creds.at("file_hash").get<std::string>(),
                          creds.at("secret").get<std::string>());
    if (!result.ok()) return result.status();
    if (strict && !result->secret_checksum_ok) {
      return PassportError(ErrorCategory::kSecretChecksum, "file secret");
    }
    // Same fields as the passport_data form; computed here independently of
    // ResultDocumentJson.
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_Digest(result->plaintext.data(), result->plaintext.size(), digest, &len, EVP_sha256(),
               nullptr);
    auto hex = [](const unsigned char* p, size_t n) {
      std::string s;
      char buf[3];
      for (size_t i = 0; i < n; ++i) {
        snprintf(buf, sizeof(buf), "%02x", p[i]);
        s += buf;
      }
      return s;
    };
    return Json{{"file",
                 {{"padding_len", result->padding_len},
                  {"plaintext_len", result->plaintext.size()},
                  {"plaintext_sha256", hex(digest, 32)},
                  {"plaintext_head_hex",
                   hex(result->plaintext.data(), std::min<size_t>(8, result->plaintext.size()))}}}};
  }
  ADD_FAILURE() << "unknown kind " << kind;
  return absl::InternalError("unknown kind");
}

std::vector<std::filesystem::path> VectorFiles() {
  std::vector<std::filesystem::path> files;
  const auto dir = vouch::testing::SharedDir() / "vectors" / "passport";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(PassportVectorsTest, EveryCaseOfEveryFile) {
  VOUCH_REQUIRE_SHARED_DIR();
  int ok_cases = 0, error_cases = 0, strict_cases = 0, expected_values = 0;
  const std::vector<std::filesystem::path> files = VectorFiles();
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    const Json vectors = LoadJson(path);
    ASSERT_EQ(vectors.at("schema"), "tg-passport-vectors/1") << path;
    const Json& keys = vectors.at("keys");
    for (const Json& c : vectors.at("cases")) {
      SCOPED_TRACE(c.at("id").get<std::string>());
      absl::StatusOr<Json> result = RunCase(keys, c, /*strict=*/false);
      if (c.at("expect") == "ok") {
        ++ok_cases;
        ASSERT_TRUE(result.ok()) << result.status();
        EXPECT_EQ(*result, c.at("derived")) << "got " << result->dump(1).substr(0, 4000);
        for (const auto& [pointer, value] : c.at("expected").items()) {
          ++expected_values;
          const Json::json_pointer ptr(pointer);
          ASSERT_TRUE(result->contains(ptr)) << pointer;
          EXPECT_EQ(result->at(ptr), value) << pointer;
        }
      } else {
        ++error_cases;
        ASSERT_FALSE(result.ok()) << "decrypted a bad case";
        std::optional<ErrorCategory> category = GetErrorCategory(result.status());
        ASSERT_TRUE(category.has_value()) << result.status();
        std::vector<std::string> allowed = c.at("error_categories");
        EXPECT_THAT(allowed, ::testing::Contains(std::string(ErrorCategoryName(*category))))
            << result.status();
        // Messages carry no secrets: never the base64 of the inputs.
        EXPECT_THAT(std::string(result.status().message()),
                    ::testing::Not(::testing::HasSubstr("secret\":")));
      }
      if (c.contains("strict_error_categories")) {
        ++strict_cases;
        absl::StatusOr<Json> strict = RunCase(keys, c, /*strict=*/true);
        ASSERT_FALSE(strict.ok());
        std::optional<ErrorCategory> category = GetErrorCategory(strict.status());
        ASSERT_TRUE(category.has_value());
        std::vector<std::string> allowed = c.at("strict_error_categories");
        EXPECT_THAT(allowed, ::testing::Contains(std::string(ErrorCategoryName(*category))));
      }
    }
  }
  // The three public files hold 42 cases; more files only add.
  EXPECT_GE(ok_cases, 10);
  EXPECT_GE(error_cases, 30);
  EXPECT_GT(expected_values, 50);
  RecordProperty("ok_cases", ok_cases);
  RecordProperty("error_cases", error_cases);
  RecordProperty("strict_cases", strict_cases);
}

}  // namespace
}  // namespace vouch::passport
