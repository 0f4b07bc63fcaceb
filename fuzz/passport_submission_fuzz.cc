// Fuzzes a whole Telegram Passport submission through DecryptPassportData:
// PassportData JSON parsing, credentials decryption and parsing (every
// element type's SecureValue), element data decryption and parsing, and file
// pairing and decryption.
//
// A fuzzer cannot forge AES/SHA-256/RSA, so the harness seals the parts it is
// given, and the fuzzer mutates plaintexts. Input: sections split at NUL:
//
//   A \0 B [\0 NAME_0 \0 VALUE_0 [\0 NAME_1 \0 VALUE_1 ...]]
//
//   A        PassportData JSON (or a Message/Update holding it). The string
//            "@credentials" (with quotes) is replaced by an
//            EncryptedCredentials object sealing B for the harness's key.
//   B        the decrypted Credentials JSON.
//   VALUE_i  a plaintext (element data JSON or file bytes), sealed with a
//            fixed secret S_i (AES-256-CBC, §5.1). In A, "@data<i>" becomes
//            the base64 ciphertext; in B, "@hash<i>" / "@secret<i>" become
//            the base64 data/file hash and S_i. The ciphertext is also
//            supplied as the encrypted file whose file_id is NAME_i.
//
// Without a NUL the input is A alone, used verbatim.
//
// Invariants on success: the result document is JSON; element types are
// unique and found by FindElement; a file decrypted from VALUE_i has exactly
// VALUE_i as plaintext; every failure carries one ErrorCategory.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "fuzz_util.h"
#include "nlohmann/json.hpp"
#include "passport/passport.h"

namespace {

using vouch::fuzz::ReplaceAll;
using vouch::passport::DecryptPassportData;
using vouch::passport::EncodeBase64;
using vouch::passport::PassportDecryptor;
using vouch::passport::SealValue;

constexpr size_t kMaxValues = 8;
constexpr char kNonce[] = "fuzz-nonce";

struct Harness {
  std::optional<PassportDecryptor> decryptor;
  std::string credentials_secret;            // raw, 32 bytes
  std::string credentials_secret_encrypted;  // base64 RSA-OAEP
  std::vector<std::string> value_secrets;    // raw, 32 bytes each
};

// A 32-byte secret whose byte sum mod 255 is 239, derived from `seed`.
std::string FixedSecret(uint8_t seed) {
  std::string secret(32, '\0');
  unsigned sum = 0;
  for (size_t i = 0; i + 1 < secret.size(); ++i) {
    secret[i] = static_cast<char>((seed * 37 + i * 11 + 5) & 0xff);
    sum += static_cast<uint8_t>(secret[i]);
  }
  secret[31] = static_cast<char>((239 + 255 - sum % 255) % 255);
  return secret;
}

const Harness& GetHarness() {
  static const Harness* harness = [] {
    auto* h = new Harness;
    auto key = vouch::passport::GenerateProviderKey(2048);
    FUZZ_CHECK(key.ok());
    auto decryptor = PassportDecryptor::FromPem(key->private_key_pem.view());
    FUZZ_CHECK(decryptor.ok());
    h->decryptor.emplace(*std::move(decryptor));
    auto public_key = vouch::passport::PassportPublicKey::FromPem(key->public_key_pem);
    FUZZ_CHECK(public_key.ok());
    h->credentials_secret = FixedSecret(200);
    auto encrypted = public_key->RsaEncrypt(h->credentials_secret);
    FUZZ_CHECK(encrypted.ok());
    h->credentials_secret_encrypted = EncodeBase64(*encrypted);
    for (size_t i = 0; i < kMaxValues; ++i) {
      h->value_secrets.push_back(FixedSecret(static_cast<uint8_t>(i)));
    }
    return h;
  }();
  return *harness;
}

// Deterministic padding: the smallest valid length for `size`.
int PaddingFor(size_t size) { return static_cast<int>(32 + (16 - (size + 32) % 16) % 16); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  GetHarness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Harness& h = GetHarness();
  const std::vector<std::string_view> parts =
      vouch::fuzz::SplitNul(vouch::fuzz::AsView(data, size), 2 + 2 * kMaxValues);
  std::string passport_data(parts[0]);
  std::map<std::string, std::string> files;
  std::map<std::string, absl::string_view> plaintext_by_file_id;

  if (parts.size() >= 2) {
    std::string credentials(parts[1]);
    // Values first: their placeholders sit in A and B.
    for (size_t i = 0; 2 + 2 * i + 1 < parts.size(); ++i) {
      const std::string name(parts[2 + 2 * i]);
      const absl::string_view value(parts[3 + 2 * i].data(), parts[3 + 2 * i].size());
      auto sealed = SealValue(h.value_secrets[i], value, PaddingFor(value.size()));
      FUZZ_CHECK(sealed.ok());
      const std::string index = std::to_string(i);
      ReplaceAll(&passport_data, "\"@data" + index + "\"",
                 "\"" + EncodeBase64(sealed->ciphertext) + "\"");
      ReplaceAll(&credentials, "\"@hash" + index + "\"", "\"" + EncodeBase64(sealed->hash) + "\"");
      ReplaceAll(&credentials, "\"@secret" + index + "\"",
                 "\"" + EncodeBase64(h.value_secrets[i]) + "\"");
      if (files.emplace(name, sealed->ciphertext).second) {
        plaintext_by_file_id.emplace(name, value);
      }
    }
    auto sealed = SealValue(h.credentials_secret, credentials, PaddingFor(credentials.size()));
    FUZZ_CHECK(sealed.ok());
    ReplaceAll(&passport_data, "\"@credentials\"",
               "{\"data\":\"" + EncodeBase64(sealed->ciphertext) + "\",\"hash\":\"" +
                   EncodeBase64(sealed->hash) + "\",\"secret\":\"" +
                   h.credentials_secret_encrypted + "\"}");
  }

  vouch::passport::DecryptOptions options;
  options.limits.max_file_bytes = 64 << 10;
  options.limits.max_total_file_bytes = 256 << 10;
  auto result = DecryptPassportData(*h.decryptor, passport_data, files, kNonce, options);
  if (std::getenv("VOUCH_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "passport_submission: %s\n",
                 result.ok() ? "ok" : result.status().ToString().c_str());
  }
  if (!result.ok()) {
    // Fails closed with exactly one category (or kLimit's kResourceExhausted).
    FUZZ_CHECK(vouch::passport::GetErrorCategory(result.status()).has_value());
    return 0;
  }

  FUZZ_CHECK(result->credentials.credentials.nonce == std::string(kNonce));
  std::set<vouch::passport::ElementType> types;
  for (const auto& element : result->elements) {
    FUZZ_CHECK(types.insert(element.type).second);
    FUZZ_CHECK(result->FindElement(element.type) == &element);
  }
  for (const auto& file : result->files) {
    FUZZ_CHECK(result->FindFile(file.file_id) != nullptr);
    if (!file.plaintext.has_value()) continue;
    auto it = plaintext_by_file_id.find(file.file_id);
    FUZZ_CHECK(it != plaintext_by_file_id.end());
    FUZZ_CHECK(file.plaintext->view() == it->second);
  }
  const vouch::SecureBytes document = vouch::passport::ResultDocumentJson(*result);
  FUZZ_CHECK(nlohmann::json::accept(document.view()));
  return 0;
}
