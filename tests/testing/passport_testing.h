#ifndef VOUCH_TESTS_TESTING_PASSPORT_TESTING_H_
#define VOUCH_TESTS_TESTING_PASSPORT_TESTING_H_

// Helpers for the passport tests: the committed test key, and re-sealing a
// submission with hand-edited credentials (what a buggy or malicious client
// could send).

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "passport/passport.h"

namespace vouch::passport::testing {

using Json = nlohmann::json;

inline std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport/" + name,
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline const PassportDecryptor& TestKey() {
  static const PassportDecryptor* key = [] {
    auto k = PassportDecryptor::FromPem(ReadTestFile("test_provider_key.pem"));
    if (!k.ok()) {
      ADD_FAILURE() << k.status();
      std::abort();
    }
    return new PassportDecryptor(*std::move(k));
  }();
  return *key;
}

inline const PassportPublicKey& TestPublicKey() {
  static const PassportPublicKey* key = [] {
    auto k = PassportPublicKey::FromPem(ReadTestFile("test_provider_key.pub.pem"));
    if (!k.ok()) {
      ADD_FAILURE() << k.status();
      std::abort();
    }
    return new PassportPublicKey(*std::move(k));
  }();
  return *key;
}

inline SecureBytes Bytes(absl::string_view text) { return SecureBytes(text); }

// Decrypts the credentials of `sealed` with the test key, lets `edit` change
// the credentials JSON and the PassportData JSON, and encrypts the
// credentials again under `credentials_secret` (a fresh valid one if empty).
inline SealedPassport Reseal(
    const SealedPassport& sealed,
    const std::function<void(Json& credentials, Json& passport_data)>& edit,
    absl::string_view credentials_secret = {}) {
  Json passport_data = Json::parse(sealed.passport_data_json);
  const Json& ec = passport_data["credentials"];
  auto creds = DecryptCredentials(TestKey(), {ec["data"], ec["hash"], ec["secret"]}, std::nullopt);
  EXPECT_TRUE(creds.ok()) << creds.status();
  Json credentials = Json::parse(creds->json.view());
  edit(credentials, passport_data);
  SecureBytes secret =
      credentials_secret.empty() ? NewPassportSecret() : SecureBytes(credentials_secret);
  auto value = SealValue(secret.view(), credentials.dump());
  EXPECT_TRUE(value.ok());
  auto encrypted_secret = TestPublicKey().RsaEncrypt(secret.view());
  EXPECT_TRUE(encrypted_secret.ok());
  passport_data["credentials"] = {{"data", EncodeBase64(value->ciphertext)},
                                  {"hash", EncodeBase64(value->hash)},
                                  {"secret", EncodeBase64(*encrypted_secret)}};
  SealedPassport out;
  out.passport_data_json = passport_data.dump();
  out.encrypted_files_by_file_id = sealed.encrypted_files_by_file_id;
  return out;
}

// The element of `type` in a PassportData JSON.
inline Json& ElementJson(Json& passport_data, absl::string_view type) {
  for (Json& e : passport_data["data"]) {
    if (e["type"] == std::string(type)) return e;
  }
  ADD_FAILURE() << "no element " << type;
  return passport_data["data"][0];
}

}  // namespace vouch::passport::testing

#endif  // VOUCH_TESTS_TESTING_PASSPORT_TESTING_H_
