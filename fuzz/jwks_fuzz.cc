// Fuzzes vouch::attest::Jwks::Parse (a relying service's trusted-key file)
// and the JWK -> key conversion behind it.
//
// Invariants: a parsed JWKS holds at most as many keys as the input lists;
// a failure is kInvalidJwks; a JWK that converts to a public key has an
// RFC 7638 thumbprint.

#include <cstddef>
#include <cstdint>

#include "attest/verify.h"
#include "fuzz_util.h"
#include "internal/jose.h"

namespace at = vouch::attest;
namespace in = vouch::attest::internal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = vouch::fuzz::AsView(data, size);
  auto jwks = at::Jwks::Parse(text);
  auto json = in::ParseJsonStrict(text);
  if (jwks.ok()) {
    FUZZ_CHECK(json.ok());
    FUZZ_CHECK(json->is_object() && json->contains("keys") && (*json)["keys"].is_array());
    FUZZ_CHECK(jwks->size() <= (*json)["keys"].size());
  } else {
    FUZZ_CHECK(jwks.error().code == at::ErrorCode::kInvalidJwks);
  }
  if (json.ok() && json->is_object() && json->contains("keys") && (*json)["keys"].is_array()) {
    for (const auto& jwk : (*json)["keys"]) {
      auto key = in::PublicKeyFromJwk(jwk);
      if (!key.ok()) continue;
      auto public_jwk = in::PublicJwk(key->get());
      FUZZ_CHECK(public_jwk.ok());
      FUZZ_CHECK(in::JwkThumbprint(*public_jwk).ok());
    }
  }
  return 0;
}
