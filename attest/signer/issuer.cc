#include "attest/issuer.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "internal/jose.h"
#include "internal/status_convert.h"

namespace vouch::attest {
namespace {

using json = nlohmann::json;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kMaxLifetime = 400 * kDay;
constexpr size_t kMaxClaimBytes = 1024;
constexpr size_t kMaxListItems = 32;

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  return out;
}

absl::StatusOr<int> RandomInt(int lo, int hi) {  // Inclusive.
  if (hi <= lo) return lo;
  VOUCH_ASSIGN_OR_RETURN(std::string r, RandomBytes(4));
  uint32_t v = 0;
  for (char c : r) v = (v << 8) | static_cast<uint8_t>(c);
  return lo + static_cast<int>(v % static_cast<uint32_t>(hi - lo + 1));
}

// Builds disclosures. Each disclosure string is produced once and kept
// verbatim: its digest is over exactly the string that is sent (pitfall 4).
class DisclosureBuilder {
 public:
  explicit DisclosureBuilder(const IssuerConfig& config) : config_(config) {}

  absl::StatusOr<std::string> Member(const std::string& name, json value) {
    VOUCH_ASSIGN_OR_RETURN(std::string salt, Salt());
    return Add(json::array({salt, name, std::move(value)}));
  }
  absl::StatusOr<std::string> Element(json value) {
    VOUCH_ASSIGN_OR_RETURN(std::string salt, Salt());
    return Add(json::array({salt, std::move(value)}));
  }

  // Adds decoys and sorts, so neither count nor order leaks (RFC 9901 §4.2.5).
  absl::Status FinishSd(std::vector<std::string>& digests) {
    VOUCH_ASSIGN_OR_RETURN(int decoys,
                           RandomInt(config_.decoys_min, config_.decoys_max));
    for (int i = 0; i < decoys; ++i) {
      VOUCH_ASSIGN_OR_RETURN(std::string d, Decoy());
      digests.push_back(std::move(d));
    }
    std::sort(digests.begin(), digests.end());
    return absl::OkStatus();
  }

  // Array with element digests, and decoys at random positions.
  absl::StatusOr<json> FinishArray(const std::vector<std::string>& digests) {
    json arr = json::array();
    for (const std::string& d : digests) arr.push_back({{"...", d}});
    VOUCH_ASSIGN_OR_RETURN(int decoys,
                           RandomInt(config_.decoys_min, config_.decoys_max));
    for (int i = 0; i < decoys; ++i) {
      VOUCH_ASSIGN_OR_RETURN(std::string d, Decoy());
      VOUCH_ASSIGN_OR_RETURN(int pos, RandomInt(0, static_cast<int>(arr.size())));
      arr.insert(arr.begin() + pos, json{{"...", d}});
    }
    return arr;
  }

  const std::vector<std::string>& disclosures() const { return disclosures_; }

 private:
  absl::StatusOr<std::string> Salt() {
    VOUCH_ASSIGN_OR_RETURN(std::string raw, RandomBytes(16));  // 128 bits.
    return internal::Base64UrlEncode(raw);
  }
  absl::StatusOr<std::string> Decoy() {
    VOUCH_ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
    return internal::Sha256B64(internal::Base64UrlEncode(raw));
  }
  std::string Add(const json& array) {
    std::string encoded = internal::Base64UrlEncode(internal::DumpJson(array));
    std::string digest = internal::Sha256B64(encoded);
    disclosures_.push_back(std::move(encoded));
    return digest;
  }

  const IssuerConfig& config_;
  std::vector<std::string> disclosures_;
};

absl::Status CheckText(const std::string& what, const std::string& value) {
  if (value.empty() || value.size() > kMaxClaimBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1..", kMaxClaimBytes, " bytes"));
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

Issuer::Issuer(IssuerConfig config, const KeySet& keys, StatusList* status_list)
    : config_(std::move(config)), keys_(keys), status_list_(status_list) {}
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
  return std::unique_ptr<Issuer>(new Issuer(std::move(config), keys, status_list));
}

std::string Issuer::PairwiseSubject(absl::string_view telegram_user_id,
                                    absl::string_view service_id) const {
  // Unambiguous input: a domain tag, then each field length-prefixed, so
  // ("12", "3x") and ("123", "x") never collide.
  std::string input = "vouch/pairwise-sub/v1";
  input.push_back('\0');
  AppendLengthPrefixed(input, telegram_user_id);
  AppendLengthPrefixed(input, service_id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), config_.pairwise_secret.data(),
       static_cast<int>(config_.pairwise_secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &mac_len);
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

  const int64_t now = options.now.value_or(internal::NowUnix());
  // Coarse times (ARF ISSU_36) so iat does not single out one issuance.
  const int64_t iat = now - (now % config_.time_granularity_seconds);
  IssuedCredential issued;
  issued.expires_at = iat + lifetime;
  VOUCH_ASSIGN_OR_RETURN(std::string id_raw, RandomBytes(16));
  issued.credential_id = internal::Base64UrlEncode(id_raw);

  json payload = {{"iss", config_.issuer}, {"iat", iat}, {"nbf", iat},
                  {"exp", issued.expires_at}, {"vct", config_.vct},
                  {"_sd_alg", "sha-256"}};
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
    auto public_jwk = internal::PublicJwk(pkey->get());
    if (!public_jwk.ok()) return internal::ToAbslStatus(public_jwk.error());
    payload["cnf"] = {{"jwk", *public_jwk}};
    if (status_list_ != nullptr) {
      VOUCH_ASSIGN_OR_RETURN(uint32_t idx,
                             status_list_->Allocate(issued.credential_id));
      issued.status_idx = idx;
      payload["status"] = {
          {"status_list", {{"idx", idx}, {"uri", status_list_->uri()}}}};
    } else if (lifetime > kDay) {
      return absl::FailedPreconditionError(
          "a credential valid for over 24 h needs a status list");
    }
  } else {
    payload["aud"] = options.service_id;
  }

  DisclosureBuilder b(config_);
  std::vector<std::string> top;
  VOUCH_ASSIGN_OR_RETURN(
      std::string d,
      b.Member("sub", PairwiseSubject(claims.telegram_user_id, options.service_id)));
  top.push_back(d);
  VOUCH_ASSIGN_OR_RETURN(d, b.Member("document_verified", claims.document_verified));
  top.push_back(d);
  if (claims.verification) {
    const auto& v = *claims.verification;
    std::vector<std::string> inner;
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("assurance_level", v.assurance_level));
    inner.push_back(d);
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("time", v.time));
    inner.push_back(d);
    json evidence = {{"document_type", v.evidence.document_type},
                     {"issuing_country", v.evidence.issuing_country},
                     {"checks_passed", v.evidence.checks_passed}};
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("evidence", std::move(evidence)));
    inner.push_back(d);
    VOUCH_RETURN_IF_ERROR(b.FinishSd(inner));
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("verification", json{{"_sd", inner}}));
    top.push_back(d);
  }
  if (!claims.age_equal_or_over.empty()) {
    std::vector<std::string> inner;
    for (const auto& [years, over] : claims.age_equal_or_over) {
      VOUCH_ASSIGN_OR_RETURN(d, b.Member(std::to_string(years), over));
      inner.push_back(d);
    }
    VOUCH_RETURN_IF_ERROR(b.FinishSd(inner));
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("age_equal_or_over", json{{"_sd", inner}}));
    top.push_back(d);
  }
  if (!claims.nationalities.empty()) {
    std::vector<std::string> elements;
    for (const std::string& n : claims.nationalities) {
      VOUCH_ASSIGN_OR_RETURN(d, b.Element(n));
      elements.push_back(d);
    }
    VOUCH_ASSIGN_OR_RETURN(json arr, b.FinishArray(elements));
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("nationalities", std::move(arr)));
    top.push_back(d);
  }
  for (const auto& [name, value] :
       {std::pair{"birthdate", &claims.birthdate},
        std::pair{"given_name", &claims.given_name},
        std::pair{"family_name", &claims.family_name}}) {
    if (!value->has_value()) continue;
    VOUCH_ASSIGN_OR_RETURN(d, b.Member(name, **value));
    top.push_back(d);
  }
  VOUCH_RETURN_IF_ERROR(b.FinishSd(top));
  payload["_sd"] = top;

  VOUCH_ASSIGN_OR_RETURN(std::string jwt,
                         keys_.SignJwt("dc+sd-jwt", internal::DumpJson(payload)));
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
