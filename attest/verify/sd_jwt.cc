#include "internal/sd_jwt.h"

#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "internal/jose.h"

namespace vouch::attest::internal {
namespace {

using json = nlohmann::json;

// Claims SD-JWT VC forbids to disclose selectively (draft-ietf-oauth-sd-jwt-vc
// §3.2.2.2), checked at the top level.
bool IsNeverDisclosable(const std::string& name) {
  static const std::set<std::string> kNames = {"iss", "nbf",           "exp",   "cnf",
                                               "vct", "vct#integrity", "status"};
  return kNames.count(name) > 0;
}

class Resolver {
 public:
  Resolver(std::vector<Disclosure>& disclosures, bool record_paths)
      : disclosures_(disclosures), record_paths_(record_paths) {
    by_digest_.reserve(disclosures_.size());
    seen_.reserve(disclosures_.size() * 2 + 8);
    for (size_t i = 0; i < disclosures_.size(); ++i) {
      by_digest_.emplace(disclosures_[i].digest, i);
    }
  }

  std::optional<Error> Walk(json& value, std::vector<std::string>& path, int depth) {
    if (depth > kMaxJsonDepth) {
      return Err(ErrorCode::kMalformed, "claims nested too deeply");
    }
    if (value.is_object()) return WalkObject(value, path, depth);
    if (value.is_array()) return WalkArray(value, path, depth);
    return std::nullopt;
  }

 private:
  // `digest` must stay alive as long as the resolver (see keep_alive_).
  std::optional<Error> NoteDigest(const std::string& digest) {
    if (!seen_.insert(digest).second) {
      return Err(ErrorCode::kDuplicateDigest,
                 "digest " + digest.substr(0, 64) + " appears more than once");
    }
    return std::nullopt;
  }

  std::optional<Error> WalkObject(json& obj, std::vector<std::string>& path, int depth) {
    // Plaintext members first, so disclosed values are walked only once.
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (it.key() == "_sd") continue;
      path.push_back(it.key());
      auto err = Walk(it.value(), path, depth + 1);
      path.pop_back();
      if (err) return err;
    }
    auto sd = obj.find("_sd");
    if (sd == obj.end()) return std::nullopt;
    if (!sd->is_array()) return Err(ErrorCode::kMalformed, "_sd is not an array");
    // Moved out of the object but kept: seen_ holds views of its strings.
    keep_alive_.push_back(std::move(*sd));
    const json& digests = keep_alive_.back();
    obj.erase("_sd");
    for (const json& d : digests) {
      if (!d.is_string()) {
        return Err(ErrorCode::kMalformed, "_sd holds a non-string digest");
      }
      const std::string& digest = d.get_ref<const std::string&>();
      if (auto err = NoteDigest(digest)) return err;
      auto found = by_digest_.find(digest);
      if (found == by_digest_.end()) continue;  // Decoy or not disclosed.
      Disclosure& disclosure = disclosures_[found->second];
      if (!disclosure.name) {
        return Err(ErrorCode::kInvalidDisclosure, "array-element disclosure referenced from _sd");
      }
      const std::string& name = *disclosure.name;
      if (obj.contains(name)) {
        return Err(ErrorCode::kClaimOverride,
                   "disclosure re-defines claim '" + name.substr(0, 64) + "'");
      }
      if (path.empty() && IsNeverDisclosable(name)) {
        return Err(ErrorCode::kInvalidDisclosure,
                   "claim '" + name.substr(0, 64) + "' must not be selectively disclosable");
      }
      disclosure.used = true;
      path.push_back(name);
      if (record_paths_) disclosure.path = path;
      // Each disclosure is used once (checked above), so its value can move.
      json value = std::move(disclosure.value);
      auto err = Walk(value, path, depth + 1);
      path.pop_back();
      if (err) return err;
      obj[name] = std::move(value);
    }
    return std::nullopt;
  }

  std::optional<Error> WalkArray(json& arr, std::vector<std::string>& path, int depth) {
    json out = json::array();
    for (json& element : arr) {
      if (element.is_object() && element.size() == 1 && element.contains("...")) {
        const json& d = element["..."];
        if (!d.is_string()) {
          return Err(ErrorCode::kMalformed, "'...' holds a non-string digest");
        }
        const std::string& digest = d.get_ref<const std::string&>();
        if (auto err = NoteDigest(digest)) return err;
        auto found = by_digest_.find(digest);
        if (found == by_digest_.end()) continue;  // Decoy or not disclosed.
        Disclosure& disclosure = disclosures_[found->second];
        if (disclosure.name) {
          return Err(ErrorCode::kInvalidDisclosure,
                     "object-member disclosure referenced from an array");
        }
        disclosure.used = true;
        path.push_back(record_paths_ ? std::to_string(out.size()) : std::string());
        if (record_paths_) disclosure.path = path;
        json value = std::move(disclosure.value);
        auto err = Walk(value, path, depth + 1);
        path.pop_back();
        if (err) return err;
        out.push_back(std::move(value));
      } else {
        path.push_back(record_paths_ ? std::to_string(out.size()) : std::string());
        auto err = Walk(element, path, depth + 1);
        path.pop_back();
        if (err) return err;
        out.push_back(std::move(element));
      }
    }
    // The `{"...": digest}` elements left behind hold strings seen_ views.
    keep_alive_.push_back(std::move(arr));
    arr = std::move(out);
    return std::nullopt;
  }

  std::vector<Disclosure>& disclosures_;
  const bool record_paths_;
  // Views into disclosures_[i].digest, which outlive the resolver.
  std::unordered_map<std::string_view, size_t> by_digest_;
  // Views into the digest strings of the payload's `_sd` arrays and `...`
  // members; the arrays are kept in keep_alive_ once taken out of their
  // object, array elements stay in the payload until the resolver is done.
  std::unordered_set<std::string_view> seen_;
  std::deque<json> keep_alive_;
};

}  // namespace

Result<SdJwtParts> SplitSdJwt(std::string_view token) {
  if (token.size() > kMaxTokenBytes) {
    return Err(ErrorCode::kMalformed, "token too large");
  }
  const size_t last = token.rfind('~');
  if (last == std::string_view::npos) {
    return Err(ErrorCode::kMalformed, "not an SD-JWT: no '~' (a bare JWT is not accepted)");
  }
  SdJwtParts parts;
  parts.presented = token.substr(0, last + 1);
  parts.kb_jwt = token.substr(last + 1);
  // Every component before the final '~' must be non-empty (no "~~").
  const std::string_view body = token.substr(0, last);
  size_t start = 0;
  bool first = true;
  while (true) {
    const size_t end = body.find('~', start);
    const std::string_view part =
        body.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty()) return Err(ErrorCode::kMalformed, "empty component (~~)");
    if (first) {
      parts.jwt = part;
      first = false;
    } else {
      if (parts.disclosures.size() >= kMaxDisclosures) {
        return Err(ErrorCode::kMalformed, "too many disclosures");
      }
      parts.disclosures.push_back(part);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.jwt.empty()) return Err(ErrorCode::kMalformed, "no issuer JWT");
  return parts;
}

Result<std::vector<Disclosure>> DecodeDisclosures(const std::vector<std::string_view>& encoded) {
  std::vector<Disclosure> out;
  // Views of the digests in `out`, which is reserved and never reallocates.
  std::unordered_set<std::string_view> digests;
  digests.reserve(encoded.size());
  Sha256Hasher hasher;
  out.reserve(encoded.size());
  std::string raw;
  for (std::string_view e : encoded) {
    if (!Base64UrlDecode(e, &raw)) {
      return Err(ErrorCode::kMalformed, "disclosure is not strict base64url");
    }
    auto parsed = ParseJsonStrict(raw);
    if (!parsed.ok()) {
      return Err(ErrorCode::kMalformed, "disclosure: " + parsed.error().message);
    }
    json& arr = *parsed;
    if (!arr.is_array() || (arr.size() != 2 && arr.size() != 3)) {
      return Err(ErrorCode::kInvalidDisclosure, "disclosure must be a 2- or 3-element array");
    }
    if (!arr[0].is_string()) {
      return Err(ErrorCode::kInvalidDisclosure, "disclosure salt is not a string");
    }
    Disclosure d;
    d.encoded = e;
    d.digest = hasher.B64(e);
    if (arr.size() == 3) {
      if (!arr[1].is_string()) {
        return Err(ErrorCode::kInvalidDisclosure, "disclosure claim name is not a string");
      }
      std::string& name = arr[1].get_ref<std::string&>();
      if (name == "_sd" || name == "..." || name == "_sd_alg") {
        return Err(ErrorCode::kInvalidDisclosure,
                   "disclosure uses reserved claim name '" + name.substr(0, 8) + "'");
      }
      d.name = std::move(name);
      d.value = std::move(arr[2]);
    } else {
      d.value = std::move(arr[1]);
    }
    out.push_back(std::move(d));
    if (!digests.insert(out.back().digest).second) {
      return Err(ErrorCode::kDuplicateDisclosure, "the same disclosure is sent twice");
    }
  }
  return out;
}

Result<json> ResolveDisclosures(json payload, std::vector<Disclosure>& disclosures,
                                bool record_paths) {
  if (!payload.is_object()) return Err(ErrorCode::kMalformed, "payload is not an object");
  if (auto it = payload.find("_sd_alg"); it != payload.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>() != "sha-256") {
      return Err(ErrorCode::kUnsupportedDigestAlg, "_sd_alg must be sha-256");
    }
    payload.erase(it);
  }
  Resolver resolver(disclosures, record_paths);
  std::vector<std::string> path;
  if (auto err = resolver.Walk(payload, path, 0)) return *err;
  for (const Disclosure& d : disclosures) {
    if (!d.used) {
      return Err(ErrorCode::kUnreferencedDisclosure,
                 "a disclosure is not referenced by any digest");
    }
  }
  return payload;
}

}  // namespace vouch::attest::internal
