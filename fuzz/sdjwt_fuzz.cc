// Fuzzes SD-JWT VC verification (vouch::attest::VerifySdJwtVc) against a
// fixed JWKS, with and without a KB-JWT and a status list, and the holder
// side (Present).
//
// A fuzzer cannot forge signatures or digests, so the harness signs and
// hashes what it is given and the fuzzer mutates the signed texts. Input:
// byte 0 is a set of flags, the rest sections split at NUL:
//
//   flags  bit0 options.audience = "https://rp.example"
//          bit1 options.nonce = "n-0S6_WzA2Mj"
//          bit2 require_key_binding      bit3 require_status_check
//          bit4 expected_vct = "urn:vouch:idv:1"
//          bit5 raw: the rest of the input is the token, verbatim
//          bit6 also run Present on the token
//   [0] issuer JWT header text (signed verbatim; ES256 with the P-256 key if
//       it contains "ES256", else EdDSA with the Ed25519 key)
//   [1] issuer JWT payload text
//   [2] KB-JWT payload text, "" for none (header {"alg":"EdDSA","typ":"kb+jwt"},
//       signed with the holder key)
//   [3] status list token payload text, "" for none (typ statuslist+jwt,
//       signed by the issuer key)
//   [4] raw status list bytes (zlib-compressed by the harness)
//   [5..14] disclosure texts (base64url-encoded by the harness)
//
// Placeholders (with their quotes) are replaced before signing: "@d<i>" by
// disclosure i's digest (in the payload and in disclosures j < i), "@cnf" by
// the holder's public JWK, "@sd_hash" (KB-JWT) by the presented SD-JWT's
// hash, "@lst" (status list) by base64url(zlib(section 4)).
//
// Invariants on success: the claims are an object without _sd/_sd_alg, they
// serialize strictly and re-parse to the same value; the key-binding and
// disclosure counts agree with the input.

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "attest/verify.h"
#include "fuzz_util.h"
#include "internal/jose.h"

namespace {

namespace at = vouch::attest;
namespace in = vouch::attest::internal;
using vouch::fuzz::ReplaceAll;

constexpr int64_t kNow = 1760000000;
constexpr size_t kMaxDisclosures = 10;

struct Harness {
  in::EvpPkeyPtr issuer_ed25519;
  in::EvpPkeyPtr issuer_p256;
  in::EvpPkeyPtr holder;
  std::string holder_jwk;  // JSON text
  std::unique_ptr<at::Jwks> jwks;
};

in::EvpPkeyPtr Ed25519FromSeed(uint8_t seed) {
  unsigned char raw[32];
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<unsigned char>(seed * 31 + i);
  return in::EvpPkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw, sizeof raw));
}

const Harness& GetHarness() {
  static const Harness* harness = [] {
    auto* h = new Harness;
    h->issuer_ed25519 = Ed25519FromSeed(1);
    h->holder = Ed25519FromSeed(2);
    FUZZ_CHECK(h->issuer_ed25519 != nullptr && h->holder != nullptr);
    auto p256 = in::GenerateKey(in::KeyType::kP256);
    FUZZ_CHECK(p256.ok());
    h->issuer_p256 = std::move(*p256);
    auto ed_jwk = in::PublicJwk(h->issuer_ed25519.get());
    auto p256_jwk = in::PublicJwk(h->issuer_p256.get());
    auto holder_jwk = in::PublicJwk(h->holder.get());
    FUZZ_CHECK(ed_jwk.ok() && p256_jwk.ok() && holder_jwk.ok());
    (*ed_jwk)["kid"] = "issuer";
    (*p256_jwk)["kid"] = "issuer-p256";
    h->holder_jwk = in::DumpJson(*holder_jwk);
    nlohmann::json jwks = {{"keys", nlohmann::json::array({*ed_jwk, *p256_jwk})}};
    auto parsed = at::Jwks::Parse(in::DumpJson(jwks));
    FUZZ_CHECK(parsed.ok());
    h->jwks = std::make_unique<at::Jwks>(std::move(*parsed));
    return h;
  }();
  return *harness;
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// b64(header).b64(payload).b64(signature) over the texts as given.
std::string Sign(EVP_PKEY* key, std::string_view header, std::string_view payload) {
  std::string input = in::Base64UrlEncode(header) + "." + in::Base64UrlEncode(payload);
  auto signature = in::SignRaw(key, input);
  FUZZ_CHECK(signature.ok());
  return input + "." + in::Base64UrlEncode(*signature);
}

std::string Deflate(std::string_view bytes) {
  uLongf size = compressBound(bytes.size());
  std::string out(size, '\0');
  FUZZ_CHECK(compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                       reinterpret_cast<const Bytef*>(bytes.data()), bytes.size(), 6) == Z_OK);
  out.resize(size);
  return out;
}

bool HasSdMembers(const nlohmann::json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.key() == "_sd" || it.key() == "_sd_alg") return true;
      if (HasSdMembers(it.value())) return true;
    }
  } else if (value.is_array()) {
    for (const auto& element : value) {
      if (HasSdMembers(element)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  GetHarness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Harness& h = GetHarness();
  const uint8_t flags = data[0];
  const std::string_view rest = vouch::fuzz::AsView(data + 1, size - 1);

  at::VerifyOptions options;
  options.now = kNow;
  if (flags & 1) options.audience = "https://rp.example";
  if (flags & 2) options.nonce = "n-0S6_WzA2Mj";
  options.require_key_binding = (flags & 4) != 0;
  options.require_status_check = (flags & 8) != 0;
  if (flags & 16) options.expected_vct = "urn:vouch:idv:1";

  std::string token;
  std::string sd_jwt;  // without the KB-JWT
  size_t disclosure_count = 0;
  bool has_kb = false;
  if (flags & 32) {
    token = std::string(rest);
    sd_jwt = token;
  } else {
    const std::vector<std::string_view> parts = vouch::fuzz::SplitNul(rest, 5 + kMaxDisclosures);
    auto part = [&](size_t i) { return i < parts.size() ? std::string(parts[i]) : std::string(); };
    std::string header = part(0), payload = part(1), kb = part(2), status = part(3);
    std::vector<std::string> disclosures;
    for (size_t i = 5; i < parts.size(); ++i) disclosures.emplace_back(parts[i]);
    disclosure_count = disclosures.size();
    // Last to first, so disclosure i may reference the digests of j > i.
    std::vector<std::string> encoded(disclosures.size());
    for (size_t i = disclosures.size(); i-- > 0;) {
      for (size_t j = i + 1; j < disclosures.size(); ++j) {
        ReplaceAll(&disclosures[i], Quoted("@d" + std::to_string(j)),
                   Quoted(in::Sha256B64(encoded[j])));
      }
      encoded[i] = in::Base64UrlEncode(disclosures[i]);
    }
    for (size_t j = 0; j < encoded.size(); ++j) {
      ReplaceAll(&payload, Quoted("@d" + std::to_string(j)), Quoted(in::Sha256B64(encoded[j])));
    }
    ReplaceAll(&payload, Quoted("@cnf"), h.holder_jwk);
    const bool es256 = header.find("ES256") != std::string::npos;
    sd_jwt = Sign(es256 ? h.issuer_p256.get() : h.issuer_ed25519.get(), header, payload) + "~";
    for (const auto& d : encoded) sd_jwt += d + "~";
    token = sd_jwt;
    if (!kb.empty()) {
      has_kb = true;
      ReplaceAll(&kb, Quoted("@sd_hash"), Quoted(in::Sha256B64(sd_jwt)));
      token += Sign(h.holder.get(), R"({"alg":"EdDSA","typ":"kb+jwt"})", kb);
    }
    if (!status.empty()) {
      ReplaceAll(&status, Quoted("@lst"), Quoted(in::Base64UrlEncode(Deflate(part(4)))));
      options.status_list_token =
          Sign(h.issuer_ed25519.get(), R"({"alg":"EdDSA","typ":"statuslist+jwt","kid":"issuer"})",
               status);
    }
  }

  auto verified = at::VerifySdJwtVc(token, *h.jwks, options);
  if (std::getenv("VOUCH_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "sdjwt: %s\n", verified.ok() ? "ok" : verified.error().ToString().c_str());
  }
  if (verified.ok()) {
    const nlohmann::json& claims = verified->claims;
    FUZZ_CHECK(claims.is_object());
    FUZZ_CHECK(!HasSdMembers(claims));
    std::string text;
    FUZZ_CHECK(in::DumpJsonStrict(claims, &text));
    auto again = in::ParseJsonStrict(text);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == claims);
    if (options.require_key_binding) FUZZ_CHECK(verified->key_bound);
    if (!(flags & 32)) {
      FUZZ_CHECK(verified->key_bound == has_kb);
      FUZZ_CHECK(verified->disclosure_count == disclosure_count);
    }
  }

  if (flags & 64) {
    at::PresentOptions present;
    present.iat = kNow;
    present.audience = "https://rp.example";
    present.nonce = "n-0S6_WzA2Mj";
    if (verified.ok()) {
      for (auto it = verified->claims.begin(); it != verified->claims.end(); ++it) {
        // Paths are dot-separated: a claim name with a '.' has no path
        // (regressions/sdjwt/claim_name_with_dots).
        if (it.key().find('.') == std::string::npos) {
          present.disclose.push_back(it.key());
        }
      }
    }
    auto presented = at::Present(sd_jwt, present);
    // What verified as an SD-JWT can be presented with the claims it has.
    if (verified.ok() && !verified->key_bound) FUZZ_CHECK(presented.ok());
  }
  return 0;
}
