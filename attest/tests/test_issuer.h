#ifndef VOUCH_ATTEST_TESTS_TEST_ISSUER_H_
#define VOUCH_ATTEST_TESTS_TEST_ISSUER_H_

// Test fixture pieces: a temporary key dir, an Issuer, sample claims, and a
// raw signing key for hand-made (hostile) tokens.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "attest/issuer.h"
#include "attest/key_set.h"
#include "attest/status_list.h"
#include "attest/verify.h"
#include "gtest/gtest.h"
#include "internal/jose.h"

namespace vouch::attest::testing {

inline constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z.

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vouch_attest_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline CredentialClaims SampleClaims() {
  CredentialClaims c;
  c.telegram_user_id = "123456789";
  c.document_verified = true;
  c.verification = CredentialClaims::Verification{
      "substantial", kNow - 60, {"passport", "UTO", {"mrz_check_digits", "face_match"}}};
  c.age_equal_or_over = {{16, true}, {18, true}, {21, true}, {25, false}, {65, false}};
  c.nationalities = {"UTO", "DEU"};
  c.birthdate = "2000-02-29";
  c.given_name = "Anna Maria";
  c.family_name = "Eriksson";
  return c;
}

inline SecureBytes TestSecret() { return SecureBytes(std::string(32, 's')); }

// A raw key that tests sign hand-made tokens with, plus its JWKS entry.
struct RawKey {
  internal::EvpPkeyPtr pkey;
  nlohmann::json jwk;  // Public, with kid and use.
  std::string kid;
  std::string alg;

  static RawKey Make(internal::KeyType type) {
    RawKey k;
    k.pkey = std::move(*internal::GenerateKey(type));
    k.jwk = *internal::PublicJwk(k.pkey.get());
    k.kid = *internal::JwkThumbprint(k.jwk);
    k.jwk["kid"] = k.kid;
    k.jwk["use"] = "sig";
    k.alg = type == internal::KeyType::kP256 ? "ES256" : "EdDSA";
    return k;
  }
  std::string Jwks() const { return nlohmann::json{{"keys", {jwk}}}.dump(); }
  std::string PrivatePem() const { return *internal::PrivateKeyToPem(pkey.get()); }

  // Signs payload with header {alg, typ, kid} (overridable).
  std::string Sign(const nlohmann::json& payload, nlohmann::json header = nullptr) const {
    if (header.is_null()) {
      header = {{"alg", alg}, {"typ", "dc+sd-jwt"}, {"kid", kid}};
    }
    return *internal::SignCompactJws(pkey.get(), header, payload);
  }
};

}  // namespace vouch::attest::testing

#endif  // VOUCH_ATTEST_TESTS_TEST_ISSUER_H_
