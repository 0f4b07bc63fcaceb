#ifndef VOUCH_ATTEST_INTERNAL_SD_JWT_H_
#define VOUCH_ATTEST_INTERNAL_SD_JWT_H_

// RFC 9901 structure: splitting the compact serialization, decoding
// disclosures, and resolving digests into claims (§7.1). Private to attest.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/result.h"
#include "nlohmann/json.hpp"

namespace vouch::attest::internal {

struct SdJwtParts {
  std::string_view jwt;
  std::vector<std::string_view> disclosures;
  std::string_view kb_jwt;     // Empty when there is no KB-JWT.
  std::string_view presented;  // <jwt>~<d>~...~ (input of sd_hash).
};

// Errors: kMalformed (no '~', empty component, too many disclosures).
Result<SdJwtParts> SplitSdJwt(std::string_view token);

struct Disclosure {
  std::string_view encoded;         // Exactly as received; into the token.
  std::string digest;               // base64url(SHA-256(encoded)).
  std::optional<std::string> name;  // Set for object members (3 elements).
  nlohmann::json value;
  // Filled in by ResolveDisclosures:
  bool used = false;
  std::vector<std::string> path;  // Claim path; array elements by index.
};

// Decodes each disclosure. `encoded` must outlive the result. Errors: kMalformed (base64url/JSON),
// kInvalidDisclosure (shape, reserved name), kDuplicateDisclosure.
Result<std::vector<Disclosure>> DecodeDisclosures(const std::vector<std::string_view>& encoded);

// Replaces digests in `payload` by the disclosed claims, drops decoys, _sd
// and _sd_alg, and records each disclosure's path (unless `record_paths` is
// false: verification does not need them). Errors:
// kUnsupportedDigestAlg, kMalformed, kInvalidDisclosure, kDuplicateDigest,
// kClaimOverride, kUnreferencedDisclosure.
Result<nlohmann::json> ResolveDisclosures(nlohmann::json payload,
                                          std::vector<Disclosure>& disclosures,
                                          bool record_paths = true);

}  // namespace vouch::attest::internal

#endif  // VOUCH_ATTEST_INTERNAL_SD_JWT_H_
