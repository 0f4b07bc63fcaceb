#include "passport/errors.h"

#include <string>

#include "absl/strings/cord.h"

namespace vouch::passport {
namespace {

constexpr absl::string_view kPayloadUrl = "type.vouch.dev/passport.ErrorCategory";

constexpr ErrorCategory kAllCategories[] = {
    ErrorCategory::kBase64,        ErrorCategory::kLength,
    ErrorCategory::kHashLength,    ErrorCategory::kSecretLength,
    ErrorCategory::kRsa,           ErrorCategory::kHashMismatch,
    ErrorCategory::kPadding,       ErrorCategory::kJson,
    ErrorCategory::kNonceMismatch, ErrorCategory::kMissingCredentials,
    ErrorCategory::kType,          ErrorCategory::kSecretChecksum,
    ErrorCategory::kLimit,         ErrorCategory::kInternal,
};

}  // namespace

absl::string_view ErrorCategoryName(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kBase64:
      return "base64";
    case ErrorCategory::kLength:
      return "length";
    case ErrorCategory::kHashLength:
      return "hash_length";
    case ErrorCategory::kSecretLength:
      return "secret_length";
    case ErrorCategory::kRsa:
      return "rsa";
    case ErrorCategory::kHashMismatch:
      return "hash_mismatch";
    case ErrorCategory::kPadding:
      return "padding";
    case ErrorCategory::kJson:
      return "json";
    case ErrorCategory::kNonceMismatch:
      return "nonce_mismatch";
    case ErrorCategory::kMissingCredentials:
      return "missing_credentials";
    case ErrorCategory::kType:
      return "type";
    case ErrorCategory::kSecretChecksum:
      return "secret_checksum";
    case ErrorCategory::kLimit:
      return "limit";
    case ErrorCategory::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorCategory> GetErrorCategory(const absl::Status& status) {
  const auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string name(*payload);
  for (ErrorCategory category : kAllCategories) {
    if (ErrorCategoryName(category) == name) return category;
  }
  return std::nullopt;
}

absl::Status PassportError(ErrorCategory category, absl::string_view message) {
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  if (category == ErrorCategory::kLimit) {
    code = absl::StatusCode::kResourceExhausted;
  } else if (category == ErrorCategory::kInternal) {
    code = absl::StatusCode::kInternal;
  }
  absl::Status status(code, message);
  status.SetPayload(kPayloadUrl, absl::Cord(ErrorCategoryName(category)));
  return status;
}

}  // namespace vouch::passport
