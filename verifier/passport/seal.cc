// The client side of Telegram Passport: what a user's app encrypts and what
// the Bot API server then forwards (telegram-passport.md §1 step 3–4, §5).

#include "passport/seal.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "internal/crypto.h"
#include "internal/json.h"
#include "passport/decrypt.h"
#include "passport/errors.h"

namespace vouch::passport {
namespace {

using internal::Json;

std::string RandomId(size_t bytes) {
  std::string raw(bytes, '\0');
  internal::RandomBytesOrDie(raw.data(), raw.size());
  // URL-safe-looking like real file ids; they are opaque anyway.
  std::string id = EncodeBase64(raw);
  for (char& c : id) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!id.empty() && id.back() == '=') id.pop_back();
  return id;
}

Json CredentialsJson(absl::string_view hash_key, absl::string_view hash,
                     const SecureBytes& secret) {
  Json json = Json::object();
  json[std::string(hash_key)] = EncodeBase64(hash);
  json["secret"] = EncodeBase64(secret.view());
  return json;
}

class Sealer {
 public:
  Sealer(const SealOptions& options, SealedPassport& out) : options_(options), out_(out) {}

  // Encrypts one file; returns its PassportFile JSON and adds its
  // FileCredentials JSON to `creds`.
  absl::StatusOr<Json> SealFile(const PlainFile& file, Json& creds) {
    std::string file_id = file.file_id.empty() ? RandomId(24) : file.file_id;
    if (out_.encrypted_files_by_file_id.count(file_id) != 0) {
      return PassportError(ErrorCategory::kJson, "duplicate file_id");
    }
    SecureBytes secret = NewPassportSecret();
    VOUCH_ASSIGN_OR_RETURN(SealedValue sealed,
                           SealValue(secret.view(), file.bytes.view(), options_.padding_len));
    creds = CredentialsJson("file_hash", sealed.hash, secret);
    Json json = Json::object();
    json["file_id"] = file_id;
    json["file_unique_id"] = RandomId(12);
    json["file_size"] = sealed.ciphertext.size();
    json["file_date"] = options_.file_date;
    hashes_.append(sealed.hash);
    out_.encrypted_files_by_file_id.emplace(file_id, std::move(sealed.ciphertext));
    return json;
  }

  std::string& hashes() { return hashes_; }

 private:
  const SealOptions& options_;
  SealedPassport& out_;
  std::string hashes_;  // for the element hash
};

absl::Status TypeError(absl::string_view type, absl::string_view field) {
  return PassportError(ErrorCategory::kType,
                       absl::StrCat(type, ": field ", field, " is not allowed for this type"));
}

}  // namespace

absl::StatusOr<SealedPassport> SealPassportData(const PassportPublicKey& key,
                                                const std::vector<PlainElement>& elements,
                                                absl::string_view nonce,
                                                const SealOptions& options) {
  SealedPassport out;
  Json data = Json::array();
  Json secure_data = Json::object();
  std::set<ElementType> seen;
  for (const PlainElement& element : elements) {
    const std::string name(ElementTypeName(element.type));
    if (!seen.insert(element.type).second) {
      return PassportError(ErrorCategory::kType, absl::StrCat(name, ": duplicate element type"));
    }
    if (!HasEncryptedData(element.type) && !element.data_json.empty()) {
      return TypeError(name, "data");
    }
    if (!IsIdDocument(element.type) && element.front_side) {
      return TypeError(name, "front_side");
    }
    if (!HasReverseSide(element.type) && element.reverse_side) {
      return TypeError(name, "reverse_side");
    }
    if (!IsIdDocument(element.type) && element.selfie) {
      return TypeError(name, "selfie");
    }
    if (!IsAddressDocument(element.type) && !element.files.empty()) {
      return TypeError(name, "files");
    }
    if (!HasTranslation(element.type) && !element.translation.empty()) {
      return TypeError(name, "translation");
    }
    Json json = Json::object();
    json["type"] = name;
    if (element.type == ElementType::kPhoneNumber || element.type == ElementType::kEmail) {
      json[name] = element.value;
      json["hash"] = EncodeBase64(internal::Sha256Of(element.value));
      data.push_back(std::move(json));
      continue;
    }
    if (!element.value.empty()) return TypeError(name, name);

    Sealer sealer(options, out);
    Json value = Json::object();
    if (HasEncryptedData(element.type)) {
      absl::StatusOr<Json> parsed = internal::ParseJson(element.data_json, 16, name);
      if (!parsed.ok() || !parsed->is_object()) {
        return PassportError(ErrorCategory::kJson,
                             absl::StrCat(name, ": data is not a JSON object"));
      }
      SecureBytes secret = NewPassportSecret();
      VOUCH_ASSIGN_OR_RETURN(SealedValue sealed,
                             SealValue(secret.view(), element.data_json, options.padding_len));
      json["data"] = EncodeBase64(sealed.ciphertext);
      value["data"] = CredentialsJson("data_hash", sealed.hash, secret);
      sealer.hashes().append(sealed.hash);
    }
    for (auto [key, file] :
         {std::pair{"front_side", &element.front_side},
          std::pair{"reverse_side", &element.reverse_side}, std::pair{"selfie", &element.selfie}}) {
      if (!file->has_value()) continue;
      Json creds;
      VOUCH_ASSIGN_OR_RETURN(json[key], sealer.SealFile(**file, creds));
      value[key] = std::move(creds);
    }
    for (auto [key, list] :
         {std::pair{"files", &element.files}, std::pair{"translation", &element.translation}}) {
      if (list->empty()) continue;
      Json files = Json::array();
      Json creds_list = Json::array();
      for (const PlainFile& file : *list) {
        Json creds;
        VOUCH_ASSIGN_OR_RETURN(Json file_json, sealer.SealFile(file, creds));
        files.push_back(std::move(file_json));
        creds_list.push_back(std::move(creds));
      }
      json[key] = std::move(files);
      value[key] = std::move(creds_list);
    }
    // The element hash is the server's opaque value (§6.2); ours is a
    // digest of the part hashes, which is as good as any.
    json["hash"] = EncodeBase64(internal::Sha256Of(sealer.hashes()));
    secure_data[name] = std::move(value);
    data.push_back(std::move(json));
  }

  Json credentials = Json::object();
  credentials["secure_data"] = std::move(secure_data);
  credentials[options.legacy_payload_key ? "payload" : "nonce"] = std::string(nonce);
  std::string credentials_text = internal::DumpJson(credentials);
  SecureBytes secret = NewPassportSecret();
  absl::StatusOr<SealedValue> sealed =
      SealValue(secret.view(), credentials_text, options.padding_len);
  OPENSSL_cleanse(credentials_text.data(), credentials_text.size());
  if (!sealed.ok()) return sealed.status();
  VOUCH_ASSIGN_OR_RETURN(std::string encrypted_secret, key.RsaEncrypt(secret.view()));

  Json passport_data = Json::object();
  passport_data["data"] = std::move(data);
  passport_data["credentials"] = {
      {"data", EncodeBase64(sealed->ciphertext)},
      {"hash", EncodeBase64(sealed->hash)},
      {"secret", EncodeBase64(encrypted_secret)},
  };
  out.passport_data_json = internal::DumpJson(passport_data);
  return out;
}

}  // namespace vouch::passport
