#include "attest/openid4vci.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <utility>

#include "internal/jose.h"

namespace vouch::attest {
namespace {

constexpr char kNonceContext[] = "vouch/c_nonce/v1";
constexpr size_t kNonceRandom = 16;
constexpr size_t kMacBytes = 32;
constexpr size_t kMaxProofBytes = 8 << 10;
constexpr const char* kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

std::string Random(size_t bytes) {
  std::string out(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(bytes)) != 1) {
    abort();  // No randomness: nothing safe to hand out.
  }
  return out;
}

std::string BigEndian(int64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

int64_t FromBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return static_cast<int64_t>(v);
}

KeyProofCheck Refuse(ProofRefusal refusal) {
  KeyProofCheck out;
  out.refusal = refusal;
  return out;
}

}  // namespace

std::string RandomUrlToken(size_t bytes) { return internal::Base64UrlEncode(Random(bytes)); }

std::string RandomDigits(int count) {
  std::string out;
  while (static_cast<int>(out.size()) < count) {
    const unsigned char c = static_cast<unsigned char>(Random(1)[0]);
    if (c < 250) out += static_cast<char>('0' + c % 10);  // 250 = 25 * 10: unbiased.
  }
  return out;
}

std::string HashForStorage(std::string_view text) { return internal::Sha256B64(text); }

absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text) {
  Result<nlohmann::json> parsed = internal::ParseJsonStrict(text);
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.error().message);
  return *std::move(parsed);
}

NonceMinter::NonceMinter(SecureBytes key, int64_t lifetime_seconds)
    : key_(std::move(key)), lifetime_(lifetime_seconds) {}

std::string NonceMinter::Mac(std::string_view data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t size = 0;
  const std::string input = std::string(kNonceContext, sizeof(kNonceContext)) + std::string(data);
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_.data(), key_.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                sizeof(mac), &size) == nullptr ||
      size != kMacBytes) {
    abort();
  }
  return std::string(reinterpret_cast<const char*>(mac), size);
}

std::string NonceMinter::Mint(int64_t now) const {
  std::string body = BigEndian(now + lifetime_) + Random(kNonceRandom);
  body += Mac(body);
  return internal::Base64UrlEncode(body);
}

bool NonceMinter::Valid(std::string_view nonce, int64_t now) const {
  std::string raw;
  if (nonce.size() > 128 || !internal::Base64UrlDecode(nonce, &raw) ||
      raw.size() != 8 + kNonceRandom + kMacBytes) {
    return false;
  }
  const std::string_view body(raw.data(), 8 + kNonceRandom);
  const std::string mac = Mac(body);
  if (CRYPTO_memcmp(mac.data(), raw.data() + body.size(), kMacBytes) != 0) return false;
  return now < FromBigEndian(body.substr(0, 8));
}

const char* ProofRefusalName(ProofRefusal refusal) {
  switch (refusal) {
    case ProofRefusal::kNone:
      return "ok";
    case ProofRefusal::kMalformed:
      return "malformed";
    case ProofRefusal::kWrongType:
      return "wrong_type";
    case ProofRefusal::kAlgorithm:
      return "unsupported_algorithm";
    case ProofRefusal::kPrivateKey:
      return "private_key_in_proof";
    case ProofRefusal::kUnsupportedKey:
      return "unsupported_key";
    case ProofRefusal::kSignature:
      return "bad_signature";
    case ProofRefusal::kAudience:
      return "wrong_audience";
    case ProofRefusal::kIssuedAt:
      return "bad_iat";
    case ProofRefusal::kNonceMissing:
      return "nonce_missing";
  }
  return "unknown";
}

KeyProofCheck VerifyKeyProof(std::string_view jwt, const KeyProofOptions& o) {
  if (jwt.size() > kMaxProofBytes) return Refuse(ProofRefusal::kMalformed);
  Result<internal::DecodedJws> jws = internal::DecodeCompactJws(jwt);
  if (!jws.ok() || !jws->header.is_object() || !jws->payload.is_object()) {
    return Refuse(ProofRefusal::kMalformed);
  }
  const nlohmann::json& h = jws->header;
  const nlohmann::json& p = jws->payload;
  if (h.contains("crit")) return Refuse(ProofRefusal::kMalformed);
  const auto typ = h.find("typ");
  if (typ == h.end() || !typ->is_string() || *typ != "openid4vci-proof+jwt") {
    return Refuse(ProofRefusal::kWrongType);
  }
  const auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string() || *alg != "ES256") {
    return Refuse(ProofRefusal::kAlgorithm);
  }
  const auto jwk = h.find("jwk");
  if (jwk != h.end() && jwk->is_object()) {
    for (const char* member : kPrivateMembers) {
      if (jwk->contains(member)) return Refuse(ProofRefusal::kPrivateKey);
    }
  }
  if (jwk == h.end() || !jwk->is_object() || h.contains("kid") || h.contains("x5c") ||
      h.contains("trust_chain") || jwk->value("kty", "") != "EC" ||
      jwk->value("crv", "") != "P-256") {
    return Refuse(ProofRefusal::kUnsupportedKey);
  }
  Result<EvpPkeyPtr> key = internal::PublicKeyFromJwk(*jwk);
  if (!key.ok()) return Refuse(ProofRefusal::kUnsupportedKey);
  if (!internal::VerifyRaw(key->get(), jws->signing_input, jws->signature)) {
    return Refuse(ProofRefusal::kSignature);
  }
  const auto aud = p.find("aud");
  const bool aud_ok =
      aud != p.end() &&
      ((aud->is_string() && *aud == o.audience) ||
       (aud->is_array() && aud->size() == 1 && (*aud)[0].is_string() && (*aud)[0] == o.audience));
  if (!aud_ok) return Refuse(ProofRefusal::kAudience);
  const auto iat = p.find("iat");
  if (iat == p.end() || !iat->is_number_integer() ||
      iat->get<int64_t>() < o.now - o.max_age_seconds - o.skew_seconds ||
      iat->get<int64_t>() > o.now + o.skew_seconds) {
    return Refuse(ProofRefusal::kIssuedAt);
  }
  const auto nonce = p.find("nonce");
  if (nonce == p.end() || !nonce->is_string() || nonce->get<std::string>().empty()) {
    return Refuse(ProofRefusal::kNonceMissing);
  }
  Result<nlohmann::json> public_jwk = internal::PublicJwk(key->get());
  if (!public_jwk.ok()) return Refuse(ProofRefusal::kUnsupportedKey);
  KeyProofCheck out;
  out.jwk_json = internal::DumpJson(*public_jwk);
  out.nonce = nonce->get<std::string>();
  return out;
}

}  // namespace vouch::attest
