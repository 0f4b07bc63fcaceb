#include "attest/result.h"

namespace vouch::attest {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case ErrorCode::kMissingKid:
      return "missing_kid";
    case ErrorCode::kUnknownKid:
      return "unknown_kid";
    case ErrorCode::kKeyMismatch:
      return "key_mismatch";
    case ErrorCode::kBadSignature:
      return "bad_signature";
    case ErrorCode::kWrongType:
      return "wrong_type";
    case ErrorCode::kMissingClaim:
      return "missing_claim";
    case ErrorCode::kExpired:
      return "expired";
    case ErrorCode::kNotYetValid:
      return "not_yet_valid";
    case ErrorCode::kIssuedInFuture:
      return "issued_in_future";
    case ErrorCode::kUnsupportedDigestAlg:
      return "unsupported_digest_alg";
    case ErrorCode::kInvalidDisclosure:
      return "invalid_disclosure";
    case ErrorCode::kDuplicateDisclosure:
      return "duplicate_disclosure";
    case ErrorCode::kDuplicateDigest:
      return "duplicate_digest";
    case ErrorCode::kUnreferencedDisclosure:
      return "unreferenced_disclosure";
    case ErrorCode::kClaimOverride:
      return "claim_override";
    case ErrorCode::kWrongAudience:
      return "wrong_audience";
    case ErrorCode::kKeyBindingRequired:
      return "key_binding_required";
    case ErrorCode::kKeyBindingInvalid:
      return "key_binding_invalid";
    case ErrorCode::kWrongNonce:
      return "wrong_nonce";
    case ErrorCode::kStaleKeyBinding:
      return "stale_key_binding";
    case ErrorCode::kSdHashMismatch:
      return "sd_hash_mismatch";
    case ErrorCode::kStatusUnavailable:
      return "status_unavailable";
    case ErrorCode::kInvalidStatusList:
      return "invalid_status_list";
    case ErrorCode::kRevoked:
      return "revoked";
    case ErrorCode::kSuspended:
      return "suspended";
    case ErrorCode::kInvalidJwks:
      return "invalid_jwks";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::ToString() const { return std::string(ErrorCodeName(code)) + ": " + message; }

}  // namespace vouch::attest
