#include "pipeline/passport_adapter.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "passport/errors.h"
#include "passport/types.h"
#include "rpc/errors.h"

namespace vouch::verifier::pipeline {
namespace {

// One generic answer for every decoding or cryptographic failure
// (telegram-passport.md §8: no oracle), a distinct one for the nonce, and
// the limit as RESOURCE_EXHAUSTED.
absl::Status MapError(const absl::Status& status) {
  const std::optional<passport::ErrorCategory> category = passport::GetErrorCategory(status);
  if (category == passport::ErrorCategory::kNonceMismatch) {
    return rpc::WithReason(absl::InvalidArgumentError("the nonce does not match the request's"),
                           rpc::reasons::kNonceMismatch);
  }
  if (category == passport::ErrorCategory::kLimit ||
      status.code() == absl::StatusCode::kResourceExhausted) {
    return rpc::WithReason(absl::ResourceExhaustedError("the submission exceeds a size limit"),
                           rpc::reasons::kRequestTooLarge);
  }
  if (category == passport::ErrorCategory::kInternal || !category.has_value()) {
    return rpc::WithReason(absl::InternalError("decryption failed unexpectedly"),
                           rpc::reasons::kInternal);
  }
  return rpc::WithReason(absl::InvalidArgumentError("the submission could not be decrypted"),
                         rpc::reasons::kPassportUnreadable);
}

passport::PassportFile ToPassportFile(const v1::PassportFile& f) {
  return passport::PassportFile{f.file_id(), f.file_unique_id(), f.file_size(), f.file_date()};
}

std::optional<std::string> NonEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

class PassportModuleOpener final : public PassportOpener {
 public:
  PassportModuleOpener(passport::PassportDecryptor key, passport::DecryptOptions options)
      : key_(std::move(key)), options_(options) {}

  absl::StatusOr<OpenedSubmission> Open(const SealedSubmission& s) override {
    std::map<std::string, std::string> files;
    for (const auto& [id, bytes] : s.files) files.emplace(id, std::string(bytes));
    absl::StatusOr<passport::DecryptedPassport> decrypted = Decrypt(s, files);
    for (auto& [id, bytes] : files) WipeMemory(bytes.data(), bytes.size());
    if (!decrypted.ok()) return MapError(decrypted.status());

    OpenedSubmission out;
    std::vector<std::pair<std::string, std::string>> missing;
    for (passport::DecryptedElement& e : decrypted->elements) {
      OpenedElement& o = out.elements.emplace_back();
      o.type = std::string(passport::ElementTypeName(e.type));
      o.element_hash = e.element_hash;
      o.data_hash = e.data_hash_base64.value_or("");
      o.data = std::move(e.data);
      const auto take = [&](const std::string& file_id, absl::string_view role,
                            bool required) -> std::optional<OpenedFile> {
        const passport::DecryptedFile* f = decrypted->FindFile(file_id);
        if (f == nullptr || !f->plaintext.has_value()) {
          // No credentials (an unrequested selfie/translation) or no bytes.
          if (required || (f != nullptr && !f->plaintext.has_value())) {
            missing.emplace_back("files", absl::StrCat("no bytes for file_id ", file_id, " (",
                                                       o.type, " ", role, ")"));
          }
          return std::nullopt;
        }
        return OpenedFile{file_id, f->file_hash_base64, f->plaintext->Clone()};
      };
      if (e.front_side) o.front_side = take(*e.front_side, "front_side", true);
      if (e.reverse_side) o.reverse_side = take(*e.reverse_side, "reverse_side", true);
      if (e.selfie) o.selfie = take(*e.selfie, "selfie", false);
      for (const std::string& id : e.files) {
        if (auto f = take(id, "files", true)) o.files.push_back(*std::move(f));
      }
      for (const std::string& id : e.translation) {
        if (auto f = take(id, "translation", false)) o.translation.push_back(*std::move(f));
      }
    }
    if (!missing.empty()) return rpc::BadRequestError(missing);
    return out;
  }

 private:
  // Either form of the PassportData, through the same validation
  // (passport::ValidatePassportData) and decryption.
  absl::StatusOr<passport::DecryptedPassport> Decrypt(
      const SealedSubmission& s, const std::map<std::string, std::string>& files) const {
    if (s.passport_data == nullptr) {
      return passport::DecryptPassportData(key_, s.passport_data_json, files, s.nonce, options_);
    }
    VOUCH_ASSIGN_OR_RETURN(const passport::PassportData data, ToPassportData(*s.passport_data));
    return passport::DecryptPassportData(key_, data, files, s.nonce, options_);
  }

  const passport::PassportDecryptor key_;
  const passport::DecryptOptions options_;
};

}  // namespace

absl::StatusOr<passport::PassportData> ToPassportData(const v1::PassportData& proto) {
  passport::PassportData out;
  for (int i = 0; i < proto.data_size(); ++i) {
    const v1::EncryptedPassportElement& e = proto.data(i);
    const std::optional<passport::ElementType> type = passport::ParseElementType(e.type());
    if (!type.has_value()) {
      return passport::PassportError(passport::ErrorCategory::kType,
                                     absl::StrCat("data[", i, "]: unknown element type"));
    }
    passport::EncryptedPassportElement& element = out.data.emplace_back();
    element.type = *type;
    element.hash = e.hash();
    // An empty string is an absent field, as in the Bot API JSON.
    element.data = NonEmpty(e.data());
    element.phone_number = NonEmpty(e.phone_number());
    element.email = NonEmpty(e.email());
    if (e.has_front_side()) element.front_side = ToPassportFile(e.front_side());
    if (e.has_reverse_side()) element.reverse_side = ToPassportFile(e.reverse_side());
    if (e.has_selfie()) element.selfie = ToPassportFile(e.selfie());
    for (const v1::PassportFile& f : e.files()) element.files.push_back(ToPassportFile(f));
    for (const v1::PassportFile& f : e.translation()) {
      element.translation.push_back(ToPassportFile(f));
    }
  }
  const v1::EncryptedCredentials& c = proto.credentials();
  out.credentials = passport::EncryptedCredentials{c.data(), c.hash(), c.secret()};
  return out;
}

std::unique_ptr<PassportOpener> NewPassportModuleOpener(passport::PassportDecryptor key,
                                                        passport::DecryptOptions options) {
  return std::make_unique<PassportModuleOpener>(std::move(key), options);
}

}  // namespace vouch::verifier::pipeline
