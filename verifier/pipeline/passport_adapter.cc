#include "pipeline/passport_adapter.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "passport/errors.h"
#include "passport/types.h"
#include "rpc/errors.h"

namespace vouch::verifier {
namespace {

// One generic answer for every decoding or cryptographic failure
// (telegram-passport.md §8: no oracle), a distinct one for the nonce, and
// the limit as RESOURCE_EXHAUSTED.
absl::Status MapError(const absl::Status& status) {
  const std::optional<passport::ErrorCategory> category = passport::GetErrorCategory(status);
  if (category == passport::ErrorCategory::kNonceMismatch) {
    return WithReason(absl::InvalidArgumentError("the nonce does not match the request's"),
                      reasons::kNonceMismatch);
  }
  if (category == passport::ErrorCategory::kLimit ||
      status.code() == absl::StatusCode::kResourceExhausted) {
    return WithReason(absl::ResourceExhaustedError("the submission exceeds a size limit"),
                      reasons::kRequestTooLarge);
  }
  if (category == passport::ErrorCategory::kInternal || !category.has_value()) {
    return WithReason(absl::InternalError("decryption failed unexpectedly"), reasons::kInternal);
  }
  return WithReason(absl::InvalidArgumentError("the submission could not be decrypted"),
                    reasons::kPassportUnreadable);
}

void PutFields(const passport::ElementData& data, std::map<std::string, std::string>& out) {
  if (const auto* p = std::get_if<passport::PersonalDetails>(&data)) {
    out["first_name"] = p->first_name;
    out["last_name"] = p->last_name;
    out["middle_name"] = p->middle_name;
    out["birth_date"] = p->birth_date ? p->birth_date->ToString() : "";
    out["gender"] = p->gender ? std::string(passport::GenderName(*p->gender)) : "";
    out["country_code"] = p->country_code;
    out["residence_country_code"] = p->residence_country_code;
    out["first_name_native"] = p->first_name_native;
    out["last_name_native"] = p->last_name_native;
    out["middle_name_native"] = p->middle_name_native;
  } else if (const auto* a = std::get_if<passport::ResidentialAddress>(&data)) {
    out["street_line1"] = a->street_line1;
    out["street_line2"] = a->street_line2;
    out["city"] = a->city;
    out["state"] = a->state;
    out["country_code"] = a->country_code;
    out["post_code"] = a->post_code;
  } else if (const auto* d = std::get_if<passport::IdDocumentData>(&data)) {
    out["document_no"] = d->document_no;
    out["expiry_date"] = d->expiry_date ? d->expiry_date->ToString() : "";
  }
}

class PassportModuleOpener final : public PassportOpener {
 public:
  PassportModuleOpener(passport::PassportDecryptor key, passport::DecryptOptions options)
      : key_(std::move(key)), options_(options) {}

  absl::StatusOr<OpenedSubmission> Open(const SealedSubmission& s) override {
    std::map<std::string, std::string> files;
    for (const auto& [id, bytes] : s.files) files.emplace(id, std::string(bytes));
    absl::StatusOr<passport::DecryptedPassport> decrypted =
        passport::DecryptPassportData(key_, s.passport_data_json, files, s.nonce, options_);
    for (auto& [id, bytes] : files) WipeMemory(bytes.data(), bytes.size());
    if (!decrypted.ok()) return MapError(decrypted.status());

    OpenedSubmission out;
    std::vector<std::pair<std::string, std::string>> missing;
    for (const passport::DecryptedElement& e : decrypted->elements) {
      OpenedElement& o = out.elements.emplace_back();
      o.type = std::string(passport::ElementTypeName(e.type));
      o.element_hash = e.element_hash;
      o.data_hash = e.data_hash_base64.value_or("");
      PutFields(e.data, o.fields);
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
    if (!missing.empty()) return BadRequestError(missing);
    return out;
  }

 private:
  const passport::PassportDecryptor key_;
  const passport::DecryptOptions options_;
};

}  // namespace

std::unique_ptr<PassportOpener> NewPassportModuleOpener(passport::PassportDecryptor key,
                                                        passport::DecryptOptions options) {
  return std::make_unique<PassportModuleOpener>(std::move(key), options);
}

}  // namespace vouch::verifier
