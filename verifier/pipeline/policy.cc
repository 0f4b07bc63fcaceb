#include "pipeline/policy.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/config_text.h"
#include "base/status_macros.h"
#include "policy_key.h"
#include "stages.h"
#include "storage/store.h"

// toml++ throws unless told otherwise; header-only mode with exceptions off
// keeps this translation unit self-contained and exception-free.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace vouch::verifier::pipeline {
namespace {

constexpr absl::string_view kEmbeddedDefault = R"toml(
# Embedded default configuration of vouchd (used when --config is not given).
[issuer]
url = "https://vouch.invalid"

[policies.default]
description = "Identity document with selfie, adult (18+)"
relying_services = ["*"]
required_elements = ["personal_details", "passport|identity_card|driver_license|internal_passport"]
require_selfie = true
minimum_age = 18
age_thresholds = [18]
allowed_issuing_countries = []
allowed_document_types = []
unavailable_check = "review"
direct_lifetime = "15m"
wallet_lifetime = "24h"
disclosable_claims = ["document_verified", "age_equal_or_over", "verification"]

[policies.default.checks]
default = { pass = 0.5, review = 0.3 }
mrz = { pass = 0.9, review = 0.6 }
# Cosine similarity, calibrated on ../shared/corpus/faces (models/face/README.md):
# pass at FMR <= 1e-3, fail (a selfie error) below the review band. Same values
# as ocr::FaceOptions::match.
face_match = { pass = 0.45, review = 0.30 }
)toml";

constexpr absl::string_view kClaims[] = {"document_verified", "age_equal_or_over", "nationalities",
                                         "verification",      "issuing_country",   "document_type",
                                         "given_name",        "family_name",       "birthdate"};

template <size_t N>
bool OneOf(absl::string_view value, const absl::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), value) != std::end(set);
}

absl::Status Bad(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config: ", where, ": ", what));
}

absl::StatusOr<std::vector<std::string>> StringArray(const toml::node& node,
                                                     absl::string_view where) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Bad(where, "must be an array of strings");
  if (array->size() > 1000) return Bad(where, "too many entries");
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    std::optional<std::string> s = item.value<std::string>();
    if (!s.has_value() || !item.is_string()) {
      return Bad(where, "must be an array of strings");
    }
    out.push_back(*std::move(s));
  }
  return out;
}

absl::StatusOr<std::string> String(const toml::node& node, absl::string_view where) {
  if (!node.is_string()) return Bad(where, "must be a string");
  return *node.value<std::string>();
}

absl::StatusOr<absl::Duration> Duration(const toml::node& node, absl::string_view where) {
  VOUCH_ASSIGN_OR_RETURN(std::string text, String(node, where));
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() || d > absl::Hours(24 * 400)) {
    return Bad(where, "must be a positive duration such as \"15m\" or \"24h\"");
  }
  return d;
}

absl::StatusOr<CheckThreshold> Threshold(const toml::node& node, absl::string_view where) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return Bad(where, "must be a table {pass = .., review = ..}");
  CheckThreshold out;
  bool have_pass = false, have_review = false;
  for (const auto& [key, value] : *t) {
    const std::string k(key.str());
    if (!value.is_number()) return Bad(where, "pass/review must be numbers");
    const double v = *value.value<double>();
    if (k == "pass") {
      out.pass = v;
      have_pass = true;
    } else if (k == "review") {
      out.review = v;
      have_review = true;
    } else {
      return Bad(where, absl::StrCat("unknown key '", k, "'"));
    }
  }
  if (!have_pass) return Bad(where, "missing 'pass'");
  if (!have_review) out.review = out.pass;
  if (!(0 <= out.review && out.review <= out.pass && out.pass <= 1)) {
    return Bad(where, "need 0 <= review <= pass <= 1");
  }
  return out;
}

// A TOML value of a policy table, for the key declarations (policy_key.h).
class TomlPolicyValue final : public PolicyValue {
 public:
  TomlPolicyValue(const toml::node& node, std::string where)
      : node_(node), where_(std::move(where)) {}

  absl::StatusOr<bool> Bool() const override {
    if (!node_.is_boolean()) return Bad("must be true or false");
    return *node_.value<bool>();
  }
  absl::StatusOr<int64_t> Integer() const override {
    if (!node_.is_integer()) return Bad("must be an integer");
    return *node_.value<int64_t>();
  }
  absl::StatusOr<std::string> String() const override { return pipeline::String(node_, where_); }
  absl::StatusOr<std::vector<std::string>> Strings() const override {
    return StringArray(node_, where_);
  }
  absl::StatusOr<std::vector<int64_t>> Integers(size_t max_count, absl::string_view not_array,
                                                absl::string_view not_integer) const override {
    const toml::array* a = node_.as_array();
    if (a == nullptr || a->size() > max_count) return Bad(not_array);
    std::vector<int64_t> out;
    for (const toml::node& item : *a) {
      if (!item.is_integer()) return Bad(not_integer);
      out.push_back(*item.value<int64_t>());
    }
    return out;
  }
  absl::StatusOr<absl::Duration> Duration() const override {
    return pipeline::Duration(node_, where_);
  }
  absl::StatusOr<double> Number() const override {
    if (node_.is_floating_point()) return *node_.value<double>();
    if (node_.is_integer()) return static_cast<double>(*node_.value<int64_t>());
    return Bad("must be a number");
  }
  absl::Status Bad(absl::string_view what) const override { return pipeline::Bad(where_, what); }
  const toml::node& node() const { return node_; }
  const std::string& where() const { return where_; }

 private:
  const toml::node& node_;
  const std::string where_;
};

// The policy's own keys (the checks declare theirs: CheckPolicyKeys()).
absl::Status ParseDescription(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.description, v.String());
  return absl::OkStatus();
}

absl::Status ParseRelyingServices(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.relying_services, v.Strings());
  return absl::OkStatus();
}

absl::Status ParseAgeThresholds(const PolicyValue& v, Policy& p) {
  constexpr size_t kMaxThresholds = 20;
  constexpr int64_t kMaxAge = 150;
  constexpr absl::string_view kNotAnAge = "each must be an integer 1..150";
  VOUCH_ASSIGN_OR_RETURN(
      std::vector<int64_t> ages,
      v.Integers(kMaxThresholds, "must be an array of up to 20 integers", kNotAnAge));
  for (int64_t age : ages) {
    if (age < 1 || age > kMaxAge) return v.Bad(kNotAnAge);
    p.age_thresholds.push_back(static_cast<int>(age));
  }
  return absl::OkStatus();
}

absl::Status ParseUnavailableCheck(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(std::string mode, v.String());
  if (mode == "review") {
    p.unavailable_check = UnavailableCheck::kReview;
  } else if (mode == "fail") {
    p.unavailable_check = UnavailableCheck::kFail;
  } else {
    return v.Bad("must be \"review\" or \"fail\"");
  }
  return absl::OkStatus();
}

absl::Status ParseDirectLifetime(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.direct_lifetime, v.Duration());
  return absl::OkStatus();
}

absl::Status ParseWalletLifetime(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.wallet_lifetime, v.Duration());
  return absl::OkStatus();
}

// Retention: a positive duration; unset, kept.
absl::Status ParseResultRetention(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.result_retention, v.Duration());
  return absl::OkStatus();
}

absl::Status ParseIdempotencyKeyRetention(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.idempotency_key_retention, v.Duration());
  return absl::OkStatus();
}

absl::Status ParseAttestationPickupWindow(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.attestation_pickup_window, v.Duration());
  if (p.attestation_pickup_window < absl::Seconds(1) ||
      p.attestation_pickup_window > absl::Hours(24)) {
    return v.Bad("must be between 1s and 24h");
  }
  return absl::OkStatus();
}

// ---- Wallet offer mode (OpenID4VCI) ----
absl::Status ParseWalletOfferLifetime(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.wallet_offer_lifetime, v.Duration());
  if (p.wallet_offer_lifetime < absl::Minutes(1) || p.wallet_offer_lifetime > absl::Hours(24)) {
    return v.Bad("must be between 1m and 24h");
  }
  return absl::OkStatus();
}

absl::Status ParseWalletOfferTxCodeLength(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(int64_t digits, v.Integer());
  if (digits != 0 && (digits < 4 || digits > 8)) return v.Bad("must be 0 (none) or 4 .. 8");
  p.wallet_offer_tx_code_length = static_cast<int>(digits);
  return absl::OkStatus();
}
// ---- end wallet offer mode ----

absl::Status ParseDisclosableClaims(const PolicyValue& v, Policy& p) {
  VOUCH_ASSIGN_OR_RETURN(p.disclosable_claims, v.Strings());
  for (const std::string& c : p.disclosable_claims) {
    if (!OneOf(c, kClaims)) return v.Bad(absl::StrCat("unknown claim '", c, "'"));
  }
  return absl::OkStatus();
}

// [policies.X.checks]: thresholds by check name ("default": the fallback).
absl::Status ParseChecks(const PolicyValue& value, Policy& p) {
  const auto& v = static_cast<const TomlPolicyValue&>(value);
  const toml::table* checks = v.node().as_table();
  if (checks == nullptr) return v.Bad("must be a table");
  for (const auto& [check_key, check_value] : *checks) {
    const std::string check(check_key.str());
    VOUCH_ASSIGN_OR_RETURN(CheckThreshold th,
                           Threshold(check_value, absl::StrCat(v.where(), ".", check)));
    if (check == "default") {
      p.default_check = th;
    } else {
      p.checks[check] = th;
    }
  }
  return absl::OkStatus();
}

// [policies.X.review] (docs/review.md).
absl::Status ParseReview(const PolicyValue& value, Policy& p) {
  const auto& v = static_cast<const TomlPolicyValue&>(value);
  const toml::table* review = v.node().as_table();
  if (review == nullptr) return v.Bad("must be a table");
  for (const auto& [rk, rv] : *review) {
    const std::string r(rk.str());
    const TomlPolicyValue item(rv, absl::StrCat(v.where(), ".", r));
    if (r == "four_eyes_override") {
      VOUCH_ASSIGN_OR_RETURN(p.review.four_eyes_override, item.Bool());
    } else if (r == "keep_after_decision") {
      VOUCH_ASSIGN_OR_RETURN(p.review.keep_after_decision, item.Bool());
    } else if (r == "retention") {
      VOUCH_ASSIGN_OR_RETURN(p.review.retention, item.Duration());
    } else {
      return item.Bad("unknown key");
    }
  }
  return absl::OkStatus();
}

// [policies.X.telegram] (docs/telegram.md).
absl::Status ParseTelegram(const PolicyValue& value, Policy& p) {
  const auto& v = static_cast<const TomlPolicyValue&>(value);
  const toml::table* telegram = v.node().as_table();
  if (telegram == nullptr) return v.Bad("must be a table");
  for (const auto& [tk, tv] : *telegram) {
    const std::string t(tk.str());
    const TomlPolicyValue item(tv, absl::StrCat(v.where(), ".", t));
    if (t == "verify_user") {
      VOUCH_ASSIGN_OR_RETURN(p.telegram.verify_user, item.Bool());
    } else if (t == "remove_at_expiry") {
      VOUCH_ASSIGN_OR_RETURN(p.telegram.remove_at_expiry, item.Bool());
    } else if (t == "custom_description") {
      // verifyUser's limit (Bot API: 0-70 characters); the file is ASCII.
      constexpr size_t kMaxCustomDescription = 70;
      VOUCH_ASSIGN_OR_RETURN(p.telegram.custom_description, item.String());
      if (p.telegram.custom_description.size() > kMaxCustomDescription) {
        return item.Bad("must be at most 70 characters");
      }
    } else {
      return item.Bad("unknown key");
    }
  }
  return absl::OkStatus();
}

// ParseChecks, ParseReview and ParseTelegram read nested tables through TomlPolicyValue:
// they are only ever given one.
constexpr PolicyKey kPolicyKeys[] = {
    {"description", &ParseDescription},
    {"relying_services", &ParseRelyingServices},
    {"age_thresholds", &ParseAgeThresholds},
    {"unavailable_check", &ParseUnavailableCheck},
    {"direct_lifetime", &ParseDirectLifetime},
    {"wallet_lifetime", &ParseWalletLifetime},
    {"attestation_pickup_window", &ParseAttestationPickupWindow},
    {"result_retention", &ParseResultRetention},
    {"idempotency_key_retention", &ParseIdempotencyKeyRetention},
    {"wallet_offer_lifetime", &ParseWalletOfferLifetime},
    {"wallet_offer_tx_code_length", &ParseWalletOfferTxCodeLength},
    {"disclosable_claims", &ParseDisclosableClaims},
    {"checks", &ParseChecks},
    {"review", &ParseReview},
    {"telegram", &ParseTelegram},
};

const PolicyKey* FindPolicyKey(absl::string_view name) {
  for (const PolicyKey& key : kPolicyKeys) {
    if (key.name == name) return &key;
  }
  for (const PolicyKey& key : CheckPolicyKeys()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

absl::StatusOr<Policy> ParsePolicy(const std::string& name, const toml::table& t) {
  Policy p;
  p.name = name;
  p.relying_services = {"*"};
  const std::string at = absl::StrCat("policies.", name);
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    const TomlPolicyValue v(value, absl::StrCat(at, ".", k));
    const PolicyKey* declared = FindPolicyKey(k);
    if (declared == nullptr) return v.Bad("unknown key");
    VOUCH_RETURN_IF_ERROR(declared->parse(v, p));
  }
  if (p.age_thresholds.empty() && p.minimum_age > 0) {
    p.age_thresholds.push_back(p.minimum_age);
  }
  if (p.direct_lifetime > absl::Hours(24)) {
    // Direct-mode credentials are bearer tokens (docs/attestations.md §0).
    return Bad(at + ".direct_lifetime", "must be at most 24h");
  }
  return p;
}

using PolicyMap = std::map<std::string, Policy, std::less<>>;

// The [issuer] table.
struct IssuerSettings {
  std::string url;
  std::string vct;
  int status_list_size = 1 << 17;
  absl::Duration status_list_ttl = absl::Minutes(5);
};

absl::Status ParseIssuer(const toml::node& value, IssuerSettings& issuer) {
  const toml::table* t = value.as_table();
  if (t == nullptr) return Bad("issuer", "must be a table");
  for (const auto& [ik, iv] : *t) {
    const std::string name(ik.str());
    if (name == "url") {
      VOUCH_ASSIGN_OR_RETURN(issuer.url, String(iv, "issuer.url"));
      if (issuer.url.rfind("https://", 0) != 0 || issuer.url.back() == '/' ||
          issuer.url.find_first_of("?# ") != std::string::npos) {
        return Bad("issuer.url", "must be an https URL without a trailing /, query or fragment");
      }
    } else if (name == "vct") {
      VOUCH_ASSIGN_OR_RETURN(issuer.vct, String(iv, "issuer.vct"));
      constexpr size_t kMaxVctLength = 512;
      if (issuer.vct.empty() || issuer.vct.size() > kMaxVctLength ||
          issuer.vct.find_first_of(" \"\\") != std::string::npos) {
        return Bad("issuer.vct", "must be a URI (1..512 characters)");
      }
    } else if (name == "status_list_size") {
      const std::optional<int64_t> size = iv.value<int64_t>();
      if (!iv.is_integer() || !size || *size < storage::kMinStatusListSize ||
          *size > storage::kMaxStatusListSize || *size % 8 != 0) {
        return Bad("issuer.status_list_size", "must be a multiple of 8 in 8 .. 16777216");
      }
      issuer.status_list_size = static_cast<int>(*size);
    } else if (name == "status_list_ttl") {
      VOUCH_ASSIGN_OR_RETURN(issuer.status_list_ttl, Duration(iv, "issuer.status_list_ttl"));
    } else {
      return Bad("issuer", absl::StrCat("unknown key '", name, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicyMap> ParsePolicies(const toml::node& value) {
  const toml::table* t = value.as_table();
  if (t == nullptr) return Bad("policies", "must be a table");
  constexpr size_t kMaxPolicyName = 64;
  PolicyMap policies;
  for (const auto& [pk, pv] : *t) {
    const std::string name(pk.str());
    if (name.empty() || name.size() > kMaxPolicyName) {
      return Bad("policies", "names are 1..64 characters");
    }
    const toml::table* pt = pv.as_table();
    if (pt == nullptr) return Bad("policies." + name, "must be a table");
    VOUCH_ASSIGN_OR_RETURN(Policy policy, ParsePolicy(name, *pt));
    policies.emplace(name, std::move(policy));
  }
  return policies;
}

}  // namespace

CheckThreshold Policy::ThresholdFor(absl::string_view check) const {
  auto it = checks.find(check);
  return it == checks.end() ? default_check : it->second;
}

bool Policy::AllowsRelyingService(absl::string_view service) const {
  for (const std::string& s : relying_services) {
    if (s == "*" || s == service) return true;
  }
  return false;
}

bool Policy::Discloses(absl::string_view claim) const {
  return std::find(disclosable_claims.begin(), disclosable_claims.end(), claim) !=
         disclosable_claims.end();
}

absl::StatusOr<Config> Config::Parse(absl::string_view toml_text) {
  VOUCH_RETURN_IF_ERROR(CheckAsciiConfig(toml_text, "config"));
  toml::parse_result parsed = toml::parse(std::string_view(toml_text.data(), toml_text.size()));
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat("config: line ",
                                                   parsed.error().source().begin.line, ": ",
                                                   std::string(parsed.error().description())));
  }
  const toml::table& root = parsed.table();
  Config config;
  IssuerSettings issuer{"", "", config.status_list_size_, config.status_list_ttl_};
  PolicyMap policies;
  for (const auto& [key, value] : root) {
    const std::string k(key.str());
    if (k == "issuer") {
      VOUCH_RETURN_IF_ERROR(ParseIssuer(value, issuer));
    } else if (k == "policies") {
      VOUCH_ASSIGN_OR_RETURN(policies, ParsePolicies(value));
    } else if (k == "server") {
      // vouchd's own settings: verifier/server/server_config.cc reads them.
      if (value.as_table() == nullptr) return Bad("server", "must be a table");
    } else {
      return Bad(k, "unknown key");
    }
  }
  config.issuer_url_ = std::move(issuer.url);
  config.vct_ = std::move(issuer.vct);
  config.status_list_size_ = issuer.status_list_size;
  config.status_list_ttl_ = issuer.status_list_ttl;
  if (config.issuer_url_.empty()) return Bad("issuer.url", "missing");
  if (config.vct_.empty()) config.vct_ = config.issuer_url_ + "/credentials/identity/1";
  if (policies.empty()) return Bad("policies", "no policy defined");
  {
    absl::MutexLock lock(&config.policies_->mu);
    config.policies_->all.push_back(std::make_unique<const PolicyMap>(std::move(policies)));
    config.policies_->current = config.policies_->all.back().get();
  }
  return config;
}

absl::StatusOr<Config> Config::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1 << 20)) {
    return absl::InvalidArgumentError("config file larger than 1 MiB");
  }
  return Parse(text.str());
}

Config Config::Default() {
  absl::StatusOr<Config> config = Parse(kEmbeddedDefault);
  // The embedded text is a constant tested in policy_test; failing here is a
  // build defect, not a runtime condition.
  if (!config.ok()) std::abort();
  return *std::move(config);
}

absl::StatusOr<const Policy*> Config::FindPolicy(absl::string_view name) const {
  const PolicyMap& current = policies();
  auto it = current.find(name.empty() ? absl::string_view("default") : name);
  if (it == current.end()) {
    return absl::NotFoundError("unknown policy");
  }
  return &it->second;
}

const Config::PolicyMap& Config::policies() const {
  absl::MutexLock lock(&policies_->mu);
  return *policies_->current;
}

absl::Status Config::ReloadPolicies(const Config& next) {
  if (next.issuer_url_ != issuer_url_) {
    return absl::FailedPreconditionError(
        "issuer.url changed: the attestation issuer is set up at start, restart vouchd");
  }
  auto copy = std::make_unique<const PolicyMap>(next.policies());
  absl::MutexLock lock(&policies_->mu);
  policies_->all.push_back(std::move(copy));
  policies_->current = policies_->all.back().get();
  return absl::OkStatus();
}

absl::string_view EmbeddedDefaultToml() { return kEmbeddedDefault; }

}  // namespace vouch::verifier::pipeline
