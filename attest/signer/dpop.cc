#include "attest/dpop.h"

#include <algorithm>

#include "internal/jose.h"

namespace vouch::attest {
namespace {

namespace jose = internal;

constexpr size_t kMaxDpopProofBytes = 4 << 10;
constexpr size_t kMaxJtiChars = 256;
constexpr const char* kDpopPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

DpopCheck DpopRefused(std::string reason) {
  DpopCheck check;
  check.refusal = std::move(reason);
  return check;
}

// The URL without its query and fragment (RFC 9449 §4.3, check 9).
std::string_view WithoutQuery(std::string_view url) {
  return url.substr(0, std::min(url.find('?'), url.find('#')));
}

}  // namespace

DpopCheck VerifyDpopProof(std::string_view proof, const DpopCheckOptions& o) {
  if (proof.empty()) return DpopRefused("no DPoP proof");
  if (proof.size() > kMaxDpopProofBytes) return DpopRefused("DPoP proof too large");
  Result<jose::DecodedJws> jws = jose::DecodeCompactJws(proof);
  if (!jws.ok() || !jws->header.is_object() || !jws->payload.is_object()) {
    return DpopRefused("DPoP proof is not a JWS of JSON objects");
  }
  const nlohmann::json& h = jws->header;
  const nlohmann::json& p = jws->payload;
  if (h.contains("crit")) return DpopRefused("crit is not supported");
  if (h.value("typ", nlohmann::json()) != "dpop+jwt") return DpopRefused("typ is not dpop+jwt");
  if (h.value("alg", nlohmann::json()) != "ES256") return DpopRefused("alg is not ES256");
  const auto jwk = h.find("jwk");
  if (jwk == h.end() || !jwk->is_object()) return DpopRefused("no jwk header");
  for (const char* member : kDpopPrivateMembers) {
    if (jwk->contains(member)) return DpopRefused("private_key_in_proof");
  }
  if (jwk->value("kty", "") != "EC" || jwk->value("crv", "") != "P-256") {
    return DpopRefused("the jwk is not an EC P-256 key");
  }
  Result<EvpPkeyPtr> key = jose::PublicKeyFromJwk(*jwk);
  if (!key.ok()) return DpopRefused("the jwk is not an EC P-256 key");
  if (!jose::VerifyRaw(key->get(), jws->signing_input, jws->signature)) {
    return DpopRefused("bad DPoP proof signature");
  }
  const auto htm = p.find("htm");
  if (htm == p.end() || !htm->is_string() || *htm != o.method) {
    return DpopRefused("htm does not match the request");
  }
  const auto htu = p.find("htu");
  if (htu == p.end() || !htu->is_string() ||
      WithoutQuery(htu->get_ref<const std::string&>()) != WithoutQuery(o.url)) {
    return DpopRefused("htu does not match the request");
  }
  const auto iat = p.find("iat");
  if (iat == p.end() || !iat->is_number_integer()) return DpopRefused("no iat");
  const int64_t issued = iat->get<int64_t>();
  if (issued < o.now - o.max_age_seconds - o.skew_seconds) return DpopRefused("iat too old");
  if (issued > o.now + o.skew_seconds) return DpopRefused("iat in the future");
  const auto jti = p.find("jti");
  if (jti == p.end() || !jti->is_string() || jti->get_ref<const std::string&>().empty() ||
      jti->get_ref<const std::string&>().size() > kMaxJtiChars) {
    return DpopRefused("no jti, or one over 256 characters");
  }
  if (!o.access_token.empty()) {
    const auto ath = p.find("ath");
    if (ath == p.end() || !ath->is_string() ||
        *ath != jose::Base64UrlEncode(jose::Sha256(o.access_token))) {
      return DpopRefused("ath does not match the access token");
    }
  }
  Result<nlohmann::json> public_jwk = jose::PublicJwk(key->get());
  if (!public_jwk.ok()) return DpopRefused("the jwk is not an EC P-256 key");
  Result<std::string> jkt = jose::JwkThumbprint(*public_jwk);
  if (!jkt.ok()) return DpopRefused("the jwk is not an EC P-256 key");
  DpopCheck out;
  out.jkt = *jkt;
  out.jti = jti->get<std::string>();
  out.expire = issued + o.max_age_seconds + o.skew_seconds + 1;
  return out;
}

bool DpopReplayCache::FirstUse(std::string_view jkt, std::string_view jti, int64_t expire,
                               int64_t now) {
  std::string key = std::string(jkt) + ":" + std::string(jti);
  absl::MutexLock lock(&mu_);
  if (auto it = seen_.find(key); it != seen_.end()) {
    if (it->second > now) return false;
    it->second = expire;
    return true;
  }
  if (seen_.size() >= max_entries_) {
    absl::erase_if(seen_, [now](const auto& entry) { return entry.second <= now; });
  }
  if (seen_.size() >= max_entries_) {
    auto first = std::min_element(seen_.begin(), seen_.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    seen_.erase(first);
  }
  seen_.emplace(std::move(key), expire);
  return true;
}

size_t DpopReplayCache::size() const {
  absl::MutexLock lock(&mu_);
  return seen_.size();
}

}  // namespace vouch::attest
