#include "attest/issuer.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "internal/jose.h"
#include "internal/status_convert.h"
#include "signer/json_text.h"

namespace vouch::attest {
namespace {

using json = nlohmann::json;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kMaxLifetime = 400 * kDay;
constexpr size_t kMaxClaimBytes = 1024;
constexpr size_t kMaxListItems = 32;

// Random bytes for one credential, drawn from RAND_bytes in few calls: each
// RAND_bytes call re-keys the DRBG's cipher and checks for fork(), which cost
// more than the signature itself when made once per salt.
class RandomPool {
 public:
  ~RandomPool() { OPENSSL_cleanse(buf_, sizeof(buf_)); }

  absl::StatusOr<std::string_view> Take(size_t n) {
    if (n > sizeof(buf_)) return absl::InternalError("random request too large");
    if (pos_ + n > filled_) {
      if (RAND_bytes(buf_, sizeof(buf_)) != 1) {
        return absl::InternalError("RAND_bytes failed");
      }
      filled_ = sizeof(buf_);
      pos_ = 0;
    }
    std::string_view out(reinterpret_cast<const char*>(buf_) + pos_, n);
    pos_ += n;
    return out;
  }

  absl::StatusOr<int> Int(int lo, int hi) {  // Inclusive.
    if (hi <= lo) return lo;
    VOUCH_ASSIGN_OR_RETURN(std::string_view r, Take(4));
    uint32_t v = 0;
    for (char c : r) v = (v << 8) | static_cast<uint8_t>(c);
    // Modulo bias is negligible for ranges this small (< 2^-24).
    return lo + static_cast<int>(v % static_cast<uint32_t>(hi - lo + 1));
  }

 private:
  unsigned char buf_[1024];  // One credential needs about 490 bytes.
  size_t filled_ = 0;
  size_t pos_ = 0;
};

// Builds disclosures. Each disclosure string is produced once and kept
// verbatim: its digest is over exactly the string that is sent (pitfall 4).
// Values arrive as JSON text (see json_text.h).
class DisclosureBuilder {
 public:
  DisclosureBuilder(const IssuerConfig& config, RandomPool& random)
      : config_(config), random_(random) {
    disclosures_.reserve(24);
  }

  absl::StatusOr<std::string> Member(std::string_view name,
                                     std::string_view value_json) {
    VOUCH_ASSIGN_OR_RETURN(std::string text, SaltPrefix());
    internal::AppendJsonString(text, name);
    text.push_back(',');
    text.append(value_json);
    text.push_back(']');
    return Add(text);
  }
  absl::StatusOr<std::string> Element(std::string_view value_json) {
    VOUCH_ASSIGN_OR_RETURN(std::string text, SaltPrefix());
    text.append(value_json);
    text.push_back(']');
    return Add(text);
  }

  // {"_sd":[...]} with decoys, sorted, so neither count nor order leaks
  // (RFC 9901 §4.2.5).
  absl::StatusOr<std::string> SdObject(std::vector<std::string> digests) {
    VOUCH_ASSIGN_OR_RETURN(int decoys,
                           random_.Int(config_.decoys_min, config_.decoys_max));
    for (int i = 0; i < decoys; ++i) {
      VOUCH_ASSIGN_OR_RETURN(std::string d, Decoy());
      digests.push_back(std::move(d));
    }
    std::sort(digests.begin(), digests.end());
    return "{\"_sd\":" + internal::JsonStringArray(digests) + "}";
  }
  // The top-level _sd array (same decoys and order rules).
  absl::StatusOr<std::string> SdArray(std::vector<std::string> digests) {
    VOUCH_ASSIGN_OR_RETURN(std::string obj, SdObject(std::move(digests)));
    constexpr size_t kPrefix = sizeof("{\"_sd\":") - 1;
    return obj.substr(kPrefix, obj.size() - kPrefix - 1);  // Strip {"_sd": and }.
  }

  // [{"...":d},...] with decoys at random positions.
  absl::StatusOr<std::string> ElementArray(std::vector<std::string> digests) {
    VOUCH_ASSIGN_OR_RETURN(int decoys,
                           random_.Int(config_.decoys_min, config_.decoys_max));
    for (int i = 0; i < decoys; ++i) {
      VOUCH_ASSIGN_OR_RETURN(std::string d, Decoy());
      VOUCH_ASSIGN_OR_RETURN(int pos,
                             random_.Int(0, static_cast<int>(digests.size())));
      digests.insert(digests.begin() + pos, std::move(d));
    }
    std::string out = "[";
    for (size_t i = 0; i < digests.size(); ++i) {
      if (i) out.push_back(',');
      out += "{\"...\":";
      internal::AppendJsonString(out, digests[i]);
      out.push_back('}');
    }
    out.push_back(']');
    return out;
  }

  const std::vector<std::string>& disclosures() const { return disclosures_; }

 private:
  // `["<salt>",` with a fresh 128-bit salt.
  absl::StatusOr<std::string> SaltPrefix() {
    VOUCH_ASSIGN_OR_RETURN(std::string_view raw, random_.Take(16));
    std::string text;
    text.reserve(128);
    text += "[\"";
    text += internal::Base64UrlEncode(raw);
    text += "\",";
    return text;
  }
  // A digest over 32 random bytes (RFC 9901 §4.2.5).
  absl::StatusOr<std::string> Decoy() {
    VOUCH_ASSIGN_OR_RETURN(std::string_view raw, random_.Take(32));
    return hasher_.B64(raw);
  }
  std::string Add(std::string_view json_text) {
    std::string encoded = internal::Base64UrlEncode(json_text);
    std::string digest = hasher_.B64(encoded);
    disclosures_.push_back(std::move(encoded));
    return digest;
  }

  const IssuerConfig& config_;
  RandomPool& random_;
  internal::Sha256Hasher hasher_;
  std::vector<std::string> disclosures_;
};

absl::Status CheckText(const std::string& what, const std::string& value) {
  if (value.empty() || value.size() > kMaxClaimBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1..", kMaxClaimBytes, " bytes"));
  }
  return absl::OkStatus();
}

// Every string that goes into JSON text must be valid UTF-8 (RFC 8259 §8.1).
absl::Status CheckUtf8(const CredentialClaims& c, const IssueOptions& o) {
  std::vector<const std::string*> texts = {&c.telegram_user_id, &o.service_id};
  if (c.verification) {
    texts.push_back(&c.verification->assurance_level);
    texts.push_back(&c.verification->evidence.document_type);
    texts.push_back(&c.verification->evidence.issuing_country);
    for (const auto& check : c.verification->evidence.checks_passed) {
      texts.push_back(&check);
    }
  }
  for (const auto& n : c.nationalities) texts.push_back(&n);
  for (const auto* opt : {&c.birthdate, &c.given_name, &c.family_name}) {
    if (opt->has_value()) texts.push_back(&**opt);
  }
  for (const std::string* t : texts) {
    if (t->size() > kMaxClaimBytes || !internal::IsValidUtf8(*t)) {
      return absl::InvalidArgumentError(
          "claim text must be valid UTF-8 of at most 1024 bytes");
    }
  }
  return absl::OkStatus();
}

void AppendLengthPrefixed(std::string& out, absl::string_view s) {
  const uint64_t n = s.size();
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(s.data(), s.size());
}

}  // namespace

struct Issuer::KeyedHmac {
  std::unique_ptr<EVP_MAC_CTX, internal::OpenSslDeleter<EVP_MAC_CTX_free>> ctx;
};

Issuer::Issuer(IssuerConfig config, const KeySet& keys, StatusList* status_list)
    : hmac_(std::make_unique<KeyedHmac>()),
      config_(std::move(config)),
      keys_(keys),
      status_list_(status_list) {}
Issuer::~Issuer() = default;

absl::StatusOr<std::unique_ptr<Issuer>> Issuer::Create(IssuerConfig config,
                                                       const KeySet& keys,
                                                       StatusList* status_list) {
  if (!absl::StartsWith(config.issuer, "https://") || config.issuer.size() < 9) {
    return absl::InvalidArgumentError("issuer must be an https URL");
  }
  if (config.vct.empty()) return absl::InvalidArgumentError("vct is empty");
  if (config.pairwise_secret.size() < 32) {
    return absl::InvalidArgumentError("pairwise secret must be >= 32 bytes");
  }
  if (config.direct_lifetime_seconds <= 0 || config.wallet_lifetime_seconds <= 0 ||
      config.direct_lifetime_seconds > kMaxLifetime ||
      config.wallet_lifetime_seconds > kMaxLifetime) {
    return absl::InvalidArgumentError("lifetimes must be in (0, 400 days]");
  }
  if (config.time_granularity_seconds <= 0 || config.decoys_min < 0 ||
      config.decoys_max < config.decoys_min || config.decoys_max > 16) {
    return absl::InvalidArgumentError("bad granularity or decoy counts");
  }
  std::unique_ptr<Issuer> issuer(new Issuer(std::move(config), keys, status_list));
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  issuer->hmac_->ctx.reset(hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr);
  EVP_MAC_free(hmac);  // The context keeps its own reference.
  const SecureBytes& secret = issuer->config_.pairwise_secret;
  if (!issuer->hmac_->ctx ||
      EVP_MAC_init(issuer->hmac_->ctx.get(), secret.data(), secret.size(),
                   params) != 1) {
    return absl::InternalError("cannot set up HMAC-SHA256");
  }
  return issuer;
}

std::string Issuer::PairwiseSubject(absl::string_view telegram_user_id,
                                    absl::string_view service_id) const {
  // Unambiguous input: a domain tag, then each field length-prefixed, so
  // ("12", "3x") and ("123", "x") never collide.
  std::string input = "vouch/pairwise-sub/v1";
  input.push_back('\0');
  AppendLengthPrefixed(input, telegram_user_id);
  AppendLengthPrefixed(input, service_id);
  // A copy of the pre-keyed context: cheaper than HMAC() (which fetches
  // and keys on every call) and safe to do from several threads.
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  std::unique_ptr<EVP_MAC_CTX, internal::OpenSslDeleter<EVP_MAC_CTX_free>> ctx(
      EVP_MAC_CTX_dup(hmac_->ctx.get()));
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof(mac)) != 1) {
    // Allocation failure inside OpenSSL: a bug-level condition (STYLE 7.2.5).
    std::abort();
  }
  std::string out = internal::Base64UrlEncode(
      std::string_view(reinterpret_cast<char*>(mac), mac_len));
  OPENSSL_cleanse(mac, sizeof(mac));
  return out;
}

absl::StatusOr<IssuedCredential> Issuer::Issue(const CredentialClaims& claims,
                                               const IssueOptions& options) const {
  VOUCH_RETURN_IF_ERROR(CheckText("service_id", options.service_id));
  VOUCH_RETURN_IF_ERROR(CheckText("telegram_user_id", claims.telegram_user_id));
  const bool wallet = options.holder_jwk_json.has_value();
  const int64_t lifetime = options.lifetime_seconds.value_or(
      wallet ? config_.wallet_lifetime_seconds : config_.direct_lifetime_seconds);
  if (lifetime <= 0 || lifetime > kMaxLifetime) {
    return absl::InvalidArgumentError("lifetime must be in (0, 400 days]");
  }
  if (claims.nationalities.size() > kMaxListItems ||
      claims.age_equal_or_over.size() > kMaxListItems) {
    return absl::InvalidArgumentError("too many list items");
  }

  VOUCH_RETURN_IF_ERROR(CheckUtf8(claims, options));

  const int64_t now = options.now.value_or(internal::NowUnix());
  // Coarse times (ARF ISSU_36) so iat does not single out one issuance.
  const int64_t iat = now - (now % config_.time_granularity_seconds);
  IssuedCredential issued;
  issued.expires_at = iat + lifetime;
  RandomPool random;
  VOUCH_ASSIGN_OR_RETURN(std::string_view id_raw, random.Take(16));
  issued.credential_id = internal::Base64UrlEncode(id_raw);

  // Plaintext claims: never disclosable (pitfall 9); times are integers.
  std::string payload = "{\"iss\":";
  internal::AppendJsonString(payload, config_.issuer);
  absl::StrAppend(&payload, ",\"iat\":", iat, ",\"nbf\":", iat,
                  ",\"exp\":", issued.expires_at, ",\"vct\":");
  internal::AppendJsonString(payload, config_.vct);
  payload += ",\"_sd_alg\":\"sha-256\"";
  if (wallet) {
    auto jwk = internal::ParseJsonStrict(*options.holder_jwk_json);
    if (!jwk.ok()) {
      return absl::InvalidArgumentError("holder JWK is not JSON");
    }
    auto pkey = internal::PublicKeyFromJwk(*jwk);
    if (!pkey.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("holder JWK: ", pkey.error().message));
    }
    // Re-derived from the key: only public members, canonical padding.
    auto public_jwk = internal::PublicJwk(pkey->get());
    if (!public_jwk.ok()) return internal::ToAbslStatus(public_jwk.error());
    absl::StrAppend(&payload, ",\"cnf\":{\"jwk\":", internal::DumpJson(*public_jwk),
                    "}");
    if (status_list_ != nullptr) {
      VOUCH_ASSIGN_OR_RETURN(uint32_t idx,
                             status_list_->Allocate(issued.credential_id));
      issued.status_idx = idx;
      absl::StrAppend(&payload, ",\"status\":{\"status_list\":{\"idx\":", idx,
                      ",\"uri\":", internal::JsonString(status_list_->uri()), "}}");
    } else if (lifetime > kDay) {
      return absl::FailedPreconditionError(
          "a credential valid for over 24 h needs a status list");
    }
  } else {
    // A direct-mode credential is a bearer token without a status entry:
    // keep it short (validity <= 24 h without a status list, pitfall 14).
    if (lifetime > kDay) {
      return absl::FailedPreconditionError(
          "a direct-mode credential may live at most 24 h");
    }
    payload += ",\"aud\":";
    internal::AppendJsonString(payload, options.service_id);
  }

  using internal::JsonString;
  DisclosureBuilder b(config_, random);
  std::vector<std::string> top;
  VOUCH_ASSIGN_OR_RETURN(
      std::string d,
      b.Member("sub", JsonString(PairwiseSubject(claims.telegram_user_id,
                                                 options.service_id))));
  top.push_back(d);
  VOUCH_ASSIGN_OR_RETURN(
      d, b.Member("document_verified", claims.document_verified ? "true" : "false"));
  top.push_back(d);
  if (claims.verification) {
    const auto& v = *claims.verification;
    std::vector<std::string> inner;
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("assurance_level", JsonString(v.assurance_level)));
    inner.push_back(d);
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("time", std::to_string(v.time)));
    inner.push_back(d);
    std::string evidence = "{\"document_type\":" + JsonString(v.evidence.document_type) +
                           ",\"issuing_country\":" +
                           JsonString(v.evidence.issuing_country) +
                           ",\"checks_passed\":" +
                           internal::JsonStringArray(v.evidence.checks_passed) + "}";
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("evidence", evidence));
    inner.push_back(d);
    VOUCH_ASSIGN_OR_RETURN(std::string obj, b.SdObject(std::move(inner)));
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("verification", obj));
    top.push_back(d);
  }
  if (!claims.age_equal_or_over.empty()) {
    std::vector<std::string> inner;
    for (const auto& [years, over] : claims.age_equal_or_over) {
      VOUCH_ASSIGN_OR_RETURN(d, b.Member(std::to_string(years), over ? "true" : "false"));
      inner.push_back(d);
    }
    VOUCH_ASSIGN_OR_RETURN(std::string obj, b.SdObject(std::move(inner)));
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("age_equal_or_over", obj));
    top.push_back(d);
  }
  if (!claims.nationalities.empty()) {
    std::vector<std::string> elements;
    for (const std::string& n : claims.nationalities) {
      VOUCH_ASSIGN_OR_RETURN(d, b.Element(JsonString(n)));
      elements.push_back(d);
    }
    VOUCH_ASSIGN_OR_RETURN(std::string arr, b.ElementArray(std::move(elements)));
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("nationalities", arr));
    top.push_back(d);
  }
  for (const auto& [name, value] :
       {std::pair{"birthdate", &claims.birthdate},
        std::pair{"given_name", &claims.given_name},
        std::pair{"family_name", &claims.family_name}}) {
    if (!value->has_value()) continue;
    VOUCH_ASSIGN_OR_RETURN(d, b.Member(name, JsonString(**value)));
    top.push_back(d);
  }
  VOUCH_ASSIGN_OR_RETURN(std::string top_sd, b.SdArray(std::move(top)));
  absl::StrAppend(&payload, ",\"_sd\":", top_sd, "}");

  VOUCH_ASSIGN_OR_RETURN(std::string jwt, keys_.SignJwt("dc+sd-jwt", payload));
  size_t total = jwt.size() + 1;
  for (const std::string& disclosure : b.disclosures()) total += disclosure.size() + 1;
  issued.token.reserve(total);
  issued.token = std::move(jwt);
  issued.token.push_back('~');
  for (const std::string& disclosure : b.disclosures()) {
    issued.token += disclosure;
    issued.token.push_back('~');
  }
  return issued;
}

absl::StatusOr<CredentialClaims> Issuer::ClaimsFromJson(absl::string_view text) {
  auto parsed = internal::ParseJsonStrict(std::string_view(text.data(), text.size()));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("claims: ", parsed.error().message));
  }
  const json& j = *parsed;
  if (!j.is_object()) return absl::InvalidArgumentError("claims must be an object");
  CredentialClaims c;
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("claims: bad ", what));
  };
  auto get_string = [](const json& obj, const char* name, std::string* out) {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "telegram_user_id") {
      if (v.is_string()) c.telegram_user_id = v.get<std::string>();
      else if (v.is_number_integer()) c.telegram_user_id = std::to_string(v.get<int64_t>());
      else return bad(key);
    } else if (key == "document_verified") {
      if (!v.is_boolean()) return bad(key);
      c.document_verified = v.get<bool>();
    } else if (key == "verification") {
      CredentialClaims::Verification ver;
      if (!v.is_object() || !get_string(v, "assurance_level", &ver.assurance_level) ||
          !v.contains("time") || !v["time"].is_number_integer()) {
        return bad(key);
      }
      ver.time = v["time"].get<int64_t>();
      if (v.contains("evidence")) {
        const json& e = v["evidence"];
        if (!e.is_object() ||
            !get_string(e, "document_type", &ver.evidence.document_type) ||
            !get_string(e, "issuing_country", &ver.evidence.issuing_country)) {
          return bad("verification.evidence");
        }
        if (e.contains("checks_passed")) {
          if (!e["checks_passed"].is_array()) return bad("checks_passed");
          for (const json& check : e["checks_passed"]) {
            if (!check.is_string()) return bad("checks_passed");
            ver.evidence.checks_passed.push_back(check.get<std::string>());
          }
        }
      }
      c.verification = std::move(ver);
    } else if (key == "age_equal_or_over") {
      if (!v.is_object()) return bad(key);
      for (auto a = v.begin(); a != v.end(); ++a) {
        const std::string& years = a.key();
        if (years.empty() || years.size() > 3 ||
            years.find_first_not_of("0123456789") != std::string::npos ||
            !a.value().is_boolean()) {
          return bad(key);
        }
        c.age_equal_or_over[std::stoi(years)] = a.value().get<bool>();
      }
    } else if (key == "nationalities") {
      if (!v.is_array()) return bad(key);
      for (const json& n : v) {
        if (!n.is_string()) return bad(key);
        c.nationalities.push_back(n.get<std::string>());
      }
    } else if (key == "birthdate" || key == "given_name" || key == "family_name") {
      if (!v.is_string()) return bad(key);
      std::optional<std::string>& field =
          key == "birthdate" ? c.birthdate
                             : (key == "given_name" ? c.given_name : c.family_name);
      field = v.get<std::string>();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("claims: unknown member '", key, "'"));
    }
  }
  if (c.telegram_user_id.empty()) {
    return absl::InvalidArgumentError("claims: telegram_user_id is required");
  }
  return c;
}

}  // namespace vouch::attest
