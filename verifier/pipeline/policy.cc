#include "pipeline/policy.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/config_text.h"
#include "base/status_macros.h"

// toml++ throws unless told otherwise; header-only mode with exceptions off
// keeps this translation unit self-contained and exception-free.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace vouch::verifier {
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

constexpr absl::string_view kElementTypes[] = {
    "personal_details", "passport", "driver_license", "identity_card",
    "internal_passport", "address", "utility_bill", "bank_statement",
    "rental_agreement", "passport_registration", "temporary_registration",
    "phone_number", "email"};
constexpr absl::string_view kIdDocumentTypes[] = {
    "passport", "driver_license", "identity_card", "internal_passport"};
constexpr absl::string_view kClaims[] = {
    "document_verified", "age_equal_or_over", "nationalities", "verification",
    "issuing_country", "document_type", "given_name", "family_name",
    "birthdate"};

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

absl::StatusOr<std::string> String(const toml::node& node,
                                   absl::string_view where) {
  if (!node.is_string()) return Bad(where, "must be a string");
  return *node.value<std::string>();
}

absl::StatusOr<absl::Duration> Duration(const toml::node& node,
                                        absl::string_view where) {
  VOUCH_ASSIGN_OR_RETURN(std::string text, String(node, where));
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() ||
      d > absl::Hours(24 * 400)) {
    return Bad(where, "must be a positive duration such as \"15m\" or \"24h\"");
  }
  return d;
}

absl::StatusOr<CheckThreshold> Threshold(const toml::node& node,
                                         absl::string_view where) {
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

absl::StatusOr<Policy> ParsePolicy(const std::string& name,
                                   const toml::table& t) {
  Policy p;
  p.name = name;
  p.relying_services = {"*"};
  const std::string at = absl::StrCat("policies.", name);
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    const std::string where = absl::StrCat(at, ".", k);
    if (k == "description") {
      VOUCH_ASSIGN_OR_RETURN(p.description, String(value, where));
    } else if (k == "relying_services") {
      VOUCH_ASSIGN_OR_RETURN(p.relying_services, StringArray(value, where));
    } else if (k == "required_elements") {
      VOUCH_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                             StringArray(value, where));
      for (const std::string& entry : entries) {
        std::vector<std::string> alternatives = absl::StrSplit(entry, '|');
        for (const std::string& type : alternatives) {
          if (!OneOf(type, kElementTypes)) {
            return Bad(where, absl::StrCat("unknown element type '", type, "'"));
          }
        }
        p.required_elements.push_back(std::move(alternatives));
      }
    } else if (k == "require_selfie") {
      if (!value.is_boolean()) return Bad(where, "must be true or false");
      p.require_selfie = *value.value<bool>();
    } else if (k == "minimum_age") {
      if (!value.is_integer()) return Bad(where, "must be an integer");
      const int64_t age = *value.value<int64_t>();
      if (age < 0 || age > 150) return Bad(where, "must be 0..150");
      p.minimum_age = static_cast<int>(age);
    } else if (k == "age_thresholds") {
      const toml::array* a = value.as_array();
      if (a == nullptr || a->size() > 20) return Bad(where, "must be an array of up to 20 integers");
      for (const toml::node& item : *a) {
        if (!item.is_integer() || *item.value<int64_t>() < 1 ||
            *item.value<int64_t>() > 150) {
          return Bad(where, "each must be an integer 1..150");
        }
        p.age_thresholds.push_back(static_cast<int>(*item.value<int64_t>()));
      }
    } else if (k == "allowed_issuing_countries") {
      VOUCH_ASSIGN_OR_RETURN(p.allowed_issuing_countries,
                             StringArray(value, where));
      for (const std::string& c : p.allowed_issuing_countries) {
        if (c.empty() || c.size() > 3 ||
            !std::all_of(c.begin(), c.end(),
                         [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
          return Bad(where, "codes are 1-3 uppercase letters (ICAO 9303)");
        }
      }
    } else if (k == "allowed_document_types") {
      VOUCH_ASSIGN_OR_RETURN(p.allowed_document_types, StringArray(value, where));
      for (const std::string& type : p.allowed_document_types) {
        if (!OneOf(type, kIdDocumentTypes)) {
          return Bad(where, absl::StrCat("not an identity document type: '", type, "'"));
        }
      }
    } else if (k == "unavailable_check") {
      VOUCH_ASSIGN_OR_RETURN(std::string mode, String(value, where));
      if (mode == "review") {
        p.unavailable_check = UnavailableCheck::kReview;
      } else if (mode == "fail") {
        p.unavailable_check = UnavailableCheck::kFail;
      } else {
        return Bad(where, "must be \"review\" or \"fail\"");
      }
    } else if (k == "direct_lifetime") {
      VOUCH_ASSIGN_OR_RETURN(p.direct_lifetime, Duration(value, where));
    } else if (k == "wallet_lifetime") {
      VOUCH_ASSIGN_OR_RETURN(p.wallet_lifetime, Duration(value, where));
    } else if (k == "disclosable_claims") {
      VOUCH_ASSIGN_OR_RETURN(p.disclosable_claims, StringArray(value, where));
      for (const std::string& c : p.disclosable_claims) {
        if (!OneOf(c, kClaims)) {
          return Bad(where, absl::StrCat("unknown claim '", c, "'"));
        }
      }
    } else if (k == "checks") {
      const toml::table* checks = value.as_table();
      if (checks == nullptr) return Bad(where, "must be a table");
      for (const auto& [check_key, check_value] : *checks) {
        const std::string check(check_key.str());
        VOUCH_ASSIGN_OR_RETURN(CheckThreshold th,
                               Threshold(check_value, absl::StrCat(where, ".", check)));
        if (check == "default") {
          p.default_check = th;
        } else {
          p.checks[check] = th;
        }
      }
    } else if (k == "review") {
      const toml::table* review = value.as_table();
      if (review == nullptr) return Bad(where, "must be a table");
      for (const auto& [rk, rv] : *review) {
        const std::string r(rk.str());
        const std::string rwhere = absl::StrCat(where, ".", r);
        if (r == "four_eyes_override" || r == "keep_after_decision") {
          if (!rv.is_boolean()) return Bad(rwhere, "must be true or false");
          (r == "four_eyes_override" ? p.review.four_eyes_override
                                     : p.review.keep_after_decision) = *rv.value<bool>();
        } else if (r == "retention") {
          VOUCH_ASSIGN_OR_RETURN(p.review.retention, Duration(rv, rwhere));
        } else {
          return Bad(rwhere, "unknown key");
        }
      }
    } else {
      return Bad(where, "unknown key");
    }
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
  return std::find(disclosable_claims.begin(), disclosable_claims.end(),
                   claim) != disclosable_claims.end();
}

absl::StatusOr<Config> Config::Parse(absl::string_view toml_text) {
  VOUCH_RETURN_IF_ERROR(CheckAsciiConfig(toml_text, "config"));
  toml::parse_result parsed =
      toml::parse(std::string_view(toml_text.data(), toml_text.size()));
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: line ", parsed.error().source().begin.line, ": ",
                     std::string(parsed.error().description())));
  }
  const toml::table& root = parsed.table();
  Config config;
  PolicyMap policies;
  for (const auto& [key, value] : root) {
    const std::string k(key.str());
    if (k == "issuer") {
      const toml::table* t = value.as_table();
      if (t == nullptr) return Bad("issuer", "must be a table");
      for (const auto& [ik, iv] : *t) {
        const std::string name(ik.str());
        if (name == "url") {
          VOUCH_ASSIGN_OR_RETURN(config.issuer_url_, String(iv, "issuer.url"));
          if (config.issuer_url_.rfind("https://", 0) != 0 ||
              config.issuer_url_.back() == '/' ||
              config.issuer_url_.find_first_of("?# ") != std::string::npos) {
            return Bad("issuer.url", "must be an https URL without a trailing /, query or fragment");
          }
        } else if (name == "vct") {
          VOUCH_ASSIGN_OR_RETURN(config.vct_, String(iv, "issuer.vct"));
          if (config.vct_.empty() || config.vct_.size() > 512 ||
              config.vct_.find_first_of(" \"\\") != std::string::npos) {
            return Bad("issuer.vct", "must be a URI (1..512 characters)");
          }
        } else if (name == "status_list_size") {
          const std::optional<int64_t> size = iv.value<int64_t>();
          if (!iv.is_integer() || !size || *size < 8 || *size > (1 << 24) || *size % 8 != 0) {
            return Bad("issuer.status_list_size", "must be a multiple of 8 in 8 .. 16777216");
          }
          config.status_list_size_ = static_cast<int>(*size);
        } else if (name == "status_list_ttl") {
          VOUCH_ASSIGN_OR_RETURN(config.status_list_ttl_, Duration(iv, "issuer.status_list_ttl"));
        } else {
          return Bad("issuer", absl::StrCat("unknown key '", name, "'"));
        }
      }
    } else if (k == "policies") {
      const toml::table* t = value.as_table();
      if (t == nullptr) return Bad("policies", "must be a table");
      for (const auto& [pk, pv] : *t) {
        const std::string name(pk.str());
        if (name.empty() || name.size() > 64) {
          return Bad("policies", "names are 1..64 characters");
        }
        const toml::table* pt = pv.as_table();
        if (pt == nullptr) return Bad("policies." + name, "must be a table");
        VOUCH_ASSIGN_OR_RETURN(Policy policy, ParsePolicy(name, *pt));
        policies.emplace(name, std::move(policy));
      }
    } else if (k == "server") {
      // vouchd's own settings: verifier/server/server_config.cc reads them.
      if (value.as_table() == nullptr) return Bad("server", "must be a table");
    } else {
      return Bad(k, "unknown key");
    }
  }
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

}  // namespace vouch::verifier
