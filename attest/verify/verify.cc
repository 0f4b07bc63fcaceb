#include "attest/verify.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "internal/jose.h"
#include "internal/sd_jwt.h"

namespace vouch::attest {

using internal::EvpPkeyPtr;
using internal::KeyType;
using json = nlohmann::json;

struct Jwks::Impl {
  struct Key {
    // Imported once, with its verification context prepared (Parse).
    internal::PreparedKey key;
    KeyType type;
    std::optional<std::string> alg;
  };
  std::map<std::string, Key> keys;
};

namespace {

using internal::Err;

constexpr size_t kMaxJwksKeys = 256;
// 2^24 entries of 8 bits at most.
constexpr size_t kMaxStatusListBytes = 16 << 20;

// Header values echoed in error messages come from the token: quote them
// truncated and printable only, so a hostile token cannot flood or spoof
// logs.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out.push_back(c >= 0x20 && c < 0x7f && c != '\'' ? static_cast<char>(c) : '?');
  }
  if (s.size() > 64) out += "...";
  return out + "'";
}

bool ContainsString(const json& value, const std::string& s) {
  if (value.is_string()) return value.get_ref<const std::string&>() == s;
  if (value.is_array()) {
    for (const json& v : value) {
      if (v.is_string() && v.get_ref<const std::string&>() == s) return true;
    }
  }
  return false;
}

const std::string* StringMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// NumericDate (RFC 7519 §2) as whole seconds. Absent -> nullopt + ok.
Result<std::optional<int64_t>> TimeMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::optional<int64_t>();
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (std::isfinite(v) && std::fabs(v) < 1e15) {
      return std::optional<int64_t>(static_cast<int64_t>(std::floor(v)));
    }
  }
  return Err(ErrorCode::kMalformed, std::string(name) + " is not a NumericDate");
}

Status CheckAlgAllowed(const json& header, const VerifyOptions& options, std::string* alg_out) {
  const std::string* alg = StringMember(header, "alg");
  if (alg == nullptr) return Err(ErrorCode::kMalformed, "header has no alg");
  std::string lower = *alg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "none" || lower.rfind("hs", 0) == 0) {
    return Err(ErrorCode::kUnsupportedAlgorithm, "algorithm " + Quote(*alg) + " is never accepted");
  }
  if (std::find(options.allowed_algs.begin(), options.allowed_algs.end(), *alg) ==
          options.allowed_algs.end() ||
      internal::KeyTypeForAlg(*alg) == KeyType::kUnsupported) {
    return Err(ErrorCode::kUnsupportedAlgorithm, "algorithm " + Quote(*alg) + " is not allowed");
  }
  if (header.contains("crit")) {
    return Err(ErrorCode::kMalformed, "unsupported critical header parameters");
  }
  *alg_out = *alg;
  return Ok{};
}

// Signature of an issuer-signed JWS (credential or status list) by kid.
Status VerifyIssuerSignature(const internal::DecodedJws& jws, const Jwks& jwks,
                             const VerifyOptions& options, std::string* alg, std::string* kid_out) {
  if (auto s = CheckAlgAllowed(jws.header, options, alg); !s.ok()) return s;
  const std::string* kid = StringMember(jws.header, "kid");
  if (kid == nullptr || kid->empty()) {
    return Err(ErrorCode::kMissingKid, "header has no kid");
  }
  const auto& keys = jwks.impl().keys;
  auto it = keys.find(*kid);
  if (it == keys.end()) {
    return Err(ErrorCode::kUnknownKid, "kid " + Quote(*kid) + " is not in the JWKS");
  }
  if (it->second.type != internal::KeyTypeForAlg(*alg)) {
    return Err(ErrorCode::kKeyMismatch, "key " + Quote(*kid) + " does not fit alg " + Quote(*alg));
  }
  if (it->second.alg && *it->second.alg != *alg) {
    return Err(ErrorCode::kKeyMismatch,
               "JWK alg " + Quote(*it->second.alg) + " differs from header alg " + Quote(*alg));
  }
  if (!it->second.key.Verify(jws.signing_input, jws.signature)) {
    return Err(ErrorCode::kBadSignature, "issuer signature does not verify");
  }
  *kid_out = *kid;
  return Ok{};
}

Status CheckValidityWindow(const json& payload, int64_t now, int64_t skew, bool require_exp) {
  auto iat = TimeMember(payload, "iat");
  if (!iat.ok()) return iat.error();
  auto exp = TimeMember(payload, "exp");
  if (!exp.ok()) return exp.error();
  auto nbf = TimeMember(payload, "nbf");
  if (!nbf.ok()) return nbf.error();
  if (require_exp && !exp->has_value()) {
    return Err(ErrorCode::kMissingClaim, "exp is missing");
  }
  if (exp->has_value() && now > **exp + skew) {
    return Err(ErrorCode::kExpired, "expired at " + std::to_string(**exp));
  }
  if (nbf->has_value() && now < **nbf - skew) {
    return Err(ErrorCode::kNotYetValid, "not valid before " + std::to_string(**nbf));
  }
  if (iat->has_value() && now < **iat - skew) {
    return Err(ErrorCode::kIssuedInFuture,
               "issued in the future (iat " + std::to_string(**iat) + ")");
  }
  return Ok{};
}

Status CheckStatus(const json& payload, const Jwks& jwks, const VerifyOptions& options,
                   int64_t now) {
  auto status_it = payload.find("status");
  if (status_it == payload.end()) return Ok{};
  const json& status = *status_it;
  if (!status.is_object() || !status.contains("status_list")) {
    // Other status mechanisms are not understood.
    if (options.require_status_check) {
      return Err(ErrorCode::kStatusUnavailable, "unsupported status mechanism");
    }
    return Ok{};
  }
  const json& ref = status["status_list"];
  const std::string* uri = ref.is_object() ? StringMember(ref, "uri") : nullptr;
  if (uri == nullptr || !ref.contains("idx") || !ref["idx"].is_number_unsigned()) {
    return Err(ErrorCode::kMalformed, "status.status_list needs idx and uri");
  }
  const uint64_t idx = ref["idx"].get<uint64_t>();
  if (!options.status_list_token) {
    if (options.require_status_check) {
      return Err(ErrorCode::kStatusUnavailable,
                 "credential has a status entry but no status list was given");
    }
    return Ok{};
  }
  auto jws = internal::DecodeCompactJws(*options.status_list_token);
  if (!jws.ok()) {
    return Err(ErrorCode::kInvalidStatusList, jws.error().message);
  }
  const std::string* typ = StringMember(jws->header, "typ");
  if (typ == nullptr || *typ != "statuslist+jwt") {
    return Err(ErrorCode::kInvalidStatusList, "status list typ is not statuslist+jwt");
  }
  std::string alg, kid;
  if (auto s = VerifyIssuerSignature(*jws, jwks, options, &alg, &kid); !s.ok()) {
    return Err(ErrorCode::kInvalidStatusList, "status list: " + s.error().ToString());
  }
  const std::string* sub = StringMember(jws->payload, "sub");
  if (sub == nullptr || *sub != *uri) {
    return Err(ErrorCode::kInvalidStatusList,
               "status list sub does not equal the credential's uri");
  }
  if (auto s = CheckValidityWindow(jws->payload, now, options.clock_skew_seconds,
                                   /*require_exp=*/false);
      !s.ok()) {
    return Err(ErrorCode::kInvalidStatusList, "status list: " + s.error().ToString());
  }
  const json& list = jws->payload.contains("status_list") ? jws->payload["status_list"] : json();
  if (!list.is_object() || !list.contains("bits") || !list["bits"].is_number_unsigned() ||
      StringMember(list, "lst") == nullptr) {
    return Err(ErrorCode::kInvalidStatusList, "status_list needs bits and lst");
  }
  const uint64_t bits = list["bits"].get<uint64_t>();
  if (bits != 1 && bits != 2 && bits != 4 && bits != 8) {
    return Err(ErrorCode::kInvalidStatusList, "bits must be 1, 2, 4 or 8");
  }
  std::string compressed;
  if (!internal::Base64UrlDecode(*StringMember(list, "lst"), &compressed)) {
    return Err(ErrorCode::kInvalidStatusList, "lst is not strict base64url");
  }
  auto bytes = internal::ZlibInflate(compressed, kMaxStatusListBytes);
  if (!bytes.ok()) {
    return Err(ErrorCode::kInvalidStatusList, "lst: " + bytes.error().message);
  }
  const uint64_t bit_pos = idx * bits;
  if (idx > (uint64_t{1} << 40) || bit_pos / 8 >= bytes->size()) {
    return Err(ErrorCode::kInvalidStatusList, "idx is outside the status list");
  }
  // Least-significant bits first (draft-ietf-oauth-status-list §4.1).
  const unsigned byte = static_cast<unsigned char>((*bytes)[bit_pos / 8]);
  const unsigned value = (byte >> (bit_pos % 8)) & ((1u << bits) - 1);
  if (value == 0) return Ok{};
  if (value == 2) return Err(ErrorCode::kSuspended, "credential is suspended");
  return Err(ErrorCode::kRevoked, value == 1 ? "credential is revoked"
                                             : "credential status is " + std::to_string(value));
}

Status VerifyKeyBinding(std::string_view kb_jwt, std::string_view presented, const json& payload,
                        const VerifyOptions& options, int64_t now) {
  auto jws = internal::DecodeCompactJws(kb_jwt);
  if (!jws.ok()) {
    return Err(ErrorCode::kKeyBindingInvalid, "KB-JWT: " + jws.error().message);
  }
  const std::string* typ = StringMember(jws->header, "typ");
  if (typ == nullptr || *typ != "kb+jwt") {
    return Err(ErrorCode::kKeyBindingInvalid, "KB-JWT typ is not kb+jwt");
  }
  std::string alg;
  if (auto s = CheckAlgAllowed(jws->header, options, &alg); !s.ok()) return s;
  auto cnf = payload.find("cnf");
  if (cnf == payload.end() || !cnf->is_object() || !cnf->contains("jwk")) {
    return Err(ErrorCode::kKeyBindingInvalid, "KB-JWT present but the credential has no cnf.jwk");
  }
  auto holder_key = internal::PublicKeyFromJwk((*cnf)["jwk"]);
  if (!holder_key.ok()) {
    return Err(ErrorCode::kKeyBindingInvalid, "cnf.jwk: " + holder_key.error().message);
  }
  if (internal::KeyTypeOf(holder_key->get()) != internal::KeyTypeForAlg(alg)) {
    return Err(ErrorCode::kKeyBindingInvalid, "KB-JWT alg does not fit cnf.jwk");
  }
  if (!internal::VerifyRaw(holder_key->get(), jws->signing_input, jws->signature)) {
    return Err(ErrorCode::kKeyBindingInvalid, "KB-JWT signature does not verify with cnf.jwk");
  }
  const json& kb = jws->payload;
  const std::string* sd_hash = StringMember(kb, "sd_hash");
  if (sd_hash == nullptr || *sd_hash != internal::Sha256B64(presented)) {
    return Err(ErrorCode::kSdHashMismatch, "KB-JWT sd_hash does not match the presented SD-JWT");
  }
  const std::string* aud = StringMember(kb, "aud");
  if (!options.audience) {
    return Err(ErrorCode::kWrongAudience, "no expected audience given to check the KB-JWT aud");
  }
  if (aud == nullptr || *aud != *options.audience) {
    return Err(ErrorCode::kWrongAudience, "KB-JWT aud is not the expected audience");
  }
  const std::string* nonce = StringMember(kb, "nonce");
  if (!options.nonce || nonce == nullptr || *nonce != *options.nonce) {
    return Err(ErrorCode::kWrongNonce, "KB-JWT nonce is not the expected nonce");
  }
  auto iat = TimeMember(kb, "iat");
  if (!iat.ok()) return iat.error();
  if (!iat->has_value()) return Err(ErrorCode::kMissingClaim, "KB-JWT has no iat");
  const int64_t skew = options.clock_skew_seconds;
  if (**iat > now + skew || **iat < now - options.key_binding_max_age_seconds - skew) {
    return Err(ErrorCode::kStaleKeyBinding, "KB-JWT iat is outside the accepted window");
  }
  return Ok{};
}

Result<VerifiedCredential> VerifyImpl(std::string_view token, const Jwks& jwks,
                                      const VerifyOptions& options) {
  const int64_t now = options.now.value_or(internal::NowUnix());
  auto parts = internal::SplitSdJwt(token);
  if (!parts.ok()) return parts.error();
  auto jws = internal::DecodeCompactJws(parts->jwt);
  if (!jws.ok()) return jws.error();

  VerifiedCredential result;
  if (auto s = VerifyIssuerSignature(*jws, jwks, options, &result.alg, &result.kid); !s.ok()) {
    return s.error();
  }
  const std::string* typ = StringMember(jws->header, "typ");
  if (typ == nullptr || *typ != "dc+sd-jwt") {
    return Err(ErrorCode::kWrongType,
               "typ is " + (typ ? Quote(*typ) : std::string("missing")) + ", expected dc+sd-jwt");
  }
  const json& payload = jws->payload;
  const std::string* iss = StringMember(payload, "iss");
  if (iss == nullptr) return Err(ErrorCode::kMissingClaim, "iss is missing");
  const std::string* vct = StringMember(payload, "vct");
  if (vct == nullptr) return Err(ErrorCode::kMissingClaim, "vct is missing");
  if (options.expected_vct && *vct != *options.expected_vct) {
    return Err(ErrorCode::kWrongType, "vct is not the expected type");
  }
  if (auto s = CheckValidityWindow(payload, now, options.clock_skew_seconds,
                                   /*require_exp=*/true);
      !s.ok()) {
    return s.error();
  }

  // The plaintext members checked below; the payload itself moves into
  // disclosure resolution (which may not touch them: cnf and status are never
  // disclosable and overriding a plaintext claim is an error).
  json plain = json::object();
  for (const char* member : {"aud", "cnf", "status"}) {
    if (auto it = payload.find(member); it != payload.end()) plain[member] = *it;
  }
  auto disclosures = internal::DecodeDisclosures(parts->disclosures);
  if (!disclosures.ok()) return disclosures.error();
  auto claims = internal::ResolveDisclosures(std::move(jws->payload), *disclosures,
                                             /*record_paths=*/false);
  if (!claims.ok()) return claims.error();

  if (auto aud = plain.find("aud"); aud != plain.end()) {
    if (!options.audience) {
      return Err(ErrorCode::kWrongAudience,
                 "credential is for a specific audience; none was given");
    }
    if (!ContainsString(*aud, *options.audience)) {
      return Err(ErrorCode::kWrongAudience, "aud is not the expected audience");
    }
  }

  if (!parts->kb_jwt.empty()) {
    if (auto s = VerifyKeyBinding(parts->kb_jwt, parts->presented, plain, options, now); !s.ok()) {
      return s.error();
    }
    result.key_bound = true;
  } else if (options.require_key_binding) {
    return Err(ErrorCode::kKeyBindingRequired, "a KB-JWT is required");
  }

  if (auto s = CheckStatus(plain, jwks, options, now); !s.ok()) {
    return s.error();
  }
  result.claims = std::move(*claims);
  result.disclosure_count = disclosures->size();
  return result;
}

}  // namespace

Jwks::Jwks(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jwks::Jwks(Jwks&&) noexcept = default;
Jwks& Jwks::operator=(Jwks&&) noexcept = default;
Jwks::~Jwks() = default;
size_t Jwks::size() const { return impl_->keys.size(); }

Result<Jwks> Jwks::Parse(std::string_view text) {
  auto parsed = internal::ParseJsonStrict(text);
  if (!parsed.ok()) return Err(ErrorCode::kInvalidJwks, parsed.error().message);
  const json& doc = *parsed;
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return Err(ErrorCode::kInvalidJwks, "JWKS needs a \"keys\" array");
  }
  if (doc["keys"].size() > kMaxJwksKeys) {
    return Err(ErrorCode::kInvalidJwks, "too many keys");
  }
  auto impl = std::make_unique<Impl>();
  for (const json& jwk : doc["keys"]) {
    if (!jwk.is_object()) return Err(ErrorCode::kInvalidJwks, "key is not an object");
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      if (jwk.contains(secret)) {
        return Err(ErrorCode::kInvalidJwks, "JWKS contains private or symmetric key material");
      }
    }
    const std::string* kid = StringMember(jwk, "kid");
    if (kid == nullptr || kid->empty()) {
      return Err(ErrorCode::kInvalidJwks, "every JWK needs a kid");
    }
    if (impl->keys.count(*kid)) {
      return Err(ErrorCode::kInvalidJwks, "duplicate kid " + Quote(*kid));
    }
    if (const std::string* use = StringMember(jwk, "use"); use && *use != "sig") {
      continue;
    }
    if (auto ops = jwk.find("key_ops"); ops != jwk.end() && !ContainsString(*ops, "verify")) {
      continue;
    }
    const std::string* kty = StringMember(jwk, "kty");
    const std::string* crv = StringMember(jwk, "crv");
    const bool supported =
        kty && crv && ((*kty == "EC" && *crv == "P-256") || (*kty == "OKP" && *crv == "Ed25519"));
    if (!supported) continue;  // Other key types may sit in the set.
    auto pkey = internal::PublicKeyFromJwk(jwk);
    if (!pkey.ok()) {
      return Err(ErrorCode::kInvalidJwks, "key " + Quote(*kid) + ": " + pkey.error().message);
    }
    auto prepared = internal::PreparedKey::Create(pkey->get(), internal::PreparedKey::Use::kVerify);
    if (!prepared.ok()) {
      return Err(ErrorCode::kInvalidJwks, "key " + Quote(*kid) + ": " + prepared.error().message);
    }
    Impl::Key key{std::move(*prepared), *kty == "EC" ? KeyType::kP256 : KeyType::kEd25519,
                  std::nullopt};
    if (auto it = jwk.find("alg"); it != jwk.end()) {
      if (!it->is_string()) return Err(ErrorCode::kInvalidJwks, "alg is not a string");
      key.alg = it->get<std::string>();
    }
    impl->keys.emplace(*kid, std::move(key));
  }
  return Jwks(std::move(impl));
}

Result<VerifiedCredential> VerifySdJwtVc(std::string_view token, const Jwks& jwks,
                                         const VerifyOptions& options) {
  // nlohmann-json may throw on misuse; no exception leaves this library.
  try {
    return VerifyImpl(token, jwks, options);
  } catch (const std::exception&) {
    return Err(ErrorCode::kMalformed, "unexpected input structure");
  }
}

// ---- erasure receipts (docs/erasure.md) ----

namespace {

Result<VerifiedReceipt> VerifyReceiptImpl(std::string_view jws_text, const Jwks& jwks,
                                          const VerifyOptions& options) {
  if (jws_text.size() > internal::kMaxTokenBytes) {
    return Err(ErrorCode::kMalformed, "receipt too large");
  }
  auto jws = internal::DecodeCompactJws(jws_text);
  if (!jws.ok()) return jws.error();
  const std::string* typ = StringMember(jws->header, "typ");
  if (typ == nullptr || *typ != kErasureReceiptType) {
    return Err(ErrorCode::kWrongType, std::string("typ is not ") + kErasureReceiptType);
  }
  VerifiedReceipt result;
  if (auto s = VerifyIssuerSignature(*jws, jwks, options, &result.alg, &result.kid); !s.ok()) {
    return s.error();
  }
  const json& payload = jws->payload;
  if (!payload.is_object()) return Err(ErrorCode::kMalformed, "payload is not an object");
  for (const char* name : {"iss", "jti", "operator"}) {
    if (StringMember(payload, name) == nullptr) {
      return Err(ErrorCode::kMissingClaim, std::string(name) + " is missing");
    }
  }
  auto erased = payload.find("erased");
  if (erased == payload.end() || !erased->is_object()) {
    return Err(ErrorCode::kMissingClaim, "erased is missing");
  }
  auto iat = TimeMember(payload, "iat");
  if (!iat.ok()) return iat.error();
  if (!iat->has_value()) return Err(ErrorCode::kMissingClaim, "iat is missing");
  const int64_t now = options.now.value_or(internal::NowUnix());
  if (auto s = CheckValidityWindow(payload, now, options.clock_skew_seconds,
                                   /*require_exp=*/false);
      !s.ok()) {
    return s.error();
  }
  result.claims = payload;
  return result;
}

}  // namespace

Result<VerifiedReceipt> VerifyErasureReceipt(std::string_view receipt, const Jwks& jwks,
                                             const VerifyOptions& options) {
  try {
    return VerifyReceiptImpl(receipt, jwks, options);
  } catch (const std::exception&) {
    return Err(ErrorCode::kMalformed, "unexpected input structure");
  }
}

// ---- end erasure receipts ----

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool PathExists(const json& claims, const std::vector<std::string>& path) {
  const json* node = &claims;
  for (const std::string& p : path) {
    if (node->is_object()) {
      auto it = node->find(p);
      if (it == node->end()) return false;
      node = &*it;
    } else if (node->is_array()) {
      if (p.empty() || p.size() > 6 || p.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
      const size_t i = std::stoul(p);
      if (i >= node->size()) return false;
      node = &(*node)[i];
    } else {
      return false;
    }
  }
  return true;
}

Result<std::string> PresentImpl(std::string_view sd_jwt, const PresentOptions& options) {
  auto parts = internal::SplitSdJwt(sd_jwt);
  if (!parts.ok()) return parts.error();
  if (!parts->kb_jwt.empty()) {
    return Err(ErrorCode::kInvalidArgument, "input is already a presentation (has a KB-JWT)");
  }
  auto jws = internal::DecodeCompactJws(parts->jwt);
  if (!jws.ok()) return jws.error();
  auto disclosures = internal::DecodeDisclosures(parts->disclosures);
  if (!disclosures.ok()) return disclosures.error();
  auto claims = internal::ResolveDisclosures(jws->payload, *disclosures);
  if (!claims.ok()) return claims.error();

  std::vector<std::vector<std::string>> wanted;
  for (const std::string& p : options.disclose) {
    auto path = SplitPath(p);
    if (!PathExists(*claims, path)) {
      return Err(ErrorCode::kInvalidArgument, "no claim at path '" + p + "'");
    }
    wanted.push_back(std::move(path));
  }
  std::string presented = std::string(parts->jwt) + "~";
  for (const internal::Disclosure& d : *disclosures) {
    const bool keep =
        std::any_of(wanted.begin(), wanted.end(), [&](const std::vector<std::string>& w) {
          return IsPrefix(w, d.path) || IsPrefix(d.path, w);
        });
    if (keep) {
      presented += d.encoded;
      presented += '~';
    }
  }
  if (!options.holder_key_pem) return presented;
  if (options.audience.empty() || options.nonce.empty()) {
    return Err(ErrorCode::kInvalidArgument, "a KB-JWT needs the verifier's audience and nonce");
  }

  auto key = internal::PrivateKeyFromPem(*options.holder_key_pem);
  if (!key.ok()) return key.error();
  const char* alg = internal::KeyTypeOf(key->get()) == KeyType::kP256 ? "ES256" : "EdDSA";
  const json header = {{"alg", alg}, {"typ", "kb+jwt"}};
  const json payload = {{"iat", options.iat.value_or(internal::NowUnix())},
                        {"aud", options.audience},
                        {"nonce", options.nonce},
                        {"sd_hash", internal::Sha256B64(presented)}};
  auto kb = internal::SignCompactJws(key->get(), header, payload);
  if (!kb.ok()) return kb.error();
  return presented + *kb;
}

}  // namespace

Result<std::string> Present(std::string_view sd_jwt, const PresentOptions& options) {
  try {
    return PresentImpl(sd_jwt, options);
  } catch (const std::exception&) {
    return Err(ErrorCode::kMalformed, "unexpected input structure");
  }
}

}  // namespace vouch::attest
