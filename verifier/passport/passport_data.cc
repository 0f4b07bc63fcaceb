// PassportData parsing and whole-submission decryption
// (telegram-passport.md §3, §4, §5.2–5.6, §7).

#include <openssl/crypto.h>

#include <functional>
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

using internal::JsonError;
absl::Status TypeError(absl::string_view message) {
  return PassportError(ErrorCategory::kType, message);
}
absl::Status LimitError(absl::string_view message) {
  return PassportError(ErrorCategory::kLimit, message);
}
absl::Status MissingCredentials(absl::string_view message) {
  return PassportError(ErrorCategory::kMissingCredentials, message);
}

// Base64 text of at most `max_bytes` decoded bytes.
size_t Base64Len(size_t max_bytes) { return (max_bytes + 2) / 3 * 4; }

// The JSON parser reads shapes only (objects, arrays, strings, integers,
// required keys) into PassportData; what the values may be is checked by
// ValidateElement and ValidatePassportData, which the typed path shares.

// A string member, or nullopt when absent. Errors: kJson when it is not a
// string, or when it is absent and `required`.
absl::StatusOr<std::optional<std::string>> GetString(const Json& object, const char* key,
                                                     absl::string_view where, bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) {
      return JsonError(absl::StrCat(where, ": missing field ", key));
    }
    return std::nullopt;
  }
  if (!it->is_string()) {
    return JsonError(absl::StrCat(where, ": field ", key, " is not a string"));
  }
  return it->get_ref<const std::string&>();
}

absl::StatusOr<PassportFile> ParsePassportFile(const Json& json, absl::string_view where) {
  if (!json.is_object()) {
    return JsonError(absl::StrCat(where, ": PassportFile is not an object"));
  }
  PassportFile file;
  VOUCH_ASSIGN_OR_RETURN(std::optional<std::string> file_id,
                         GetString(json, "file_id", where, true));
  file.file_id = *std::move(file_id);
  VOUCH_ASSIGN_OR_RETURN(std::optional<std::string> unique_id,
                         GetString(json, "file_unique_id", where, false));
  file.file_unique_id = unique_id.value_or("");
  for (const char* key : {"file_size", "file_date"}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    if (!it->is_number_integer()) {
      return JsonError(absl::StrCat(where, ": ", key, " is not an integer"));
    }
    (std::string(key) == "file_size" ? file.file_size : file.file_date) = it->get<int64_t>();
  }
  return file;
}

absl::StatusOr<std::vector<PassportFile>> ParseFileArray(const Json& json, absl::string_view where,
                                                         const Limits& limits) {
  if (!json.is_array()) {
    return JsonError(absl::StrCat(where, ": not an array"));
  }
  // Counted before parsing: a hostile array is not read.
  if (json.size() > limits.max_files_per_element) {
    return LimitError(absl::StrCat(where, ": more than ", limits.max_files_per_element, " files"));
  }
  std::vector<PassportFile> files;
  for (size_t i = 0; i < json.size(); ++i) {
    VOUCH_ASSIGN_OR_RETURN(PassportFile file,
                           ParsePassportFile(json[i], absl::StrCat(where, "[", i, "]")));
    files.push_back(std::move(file));
  }
  return files;
}

// The fields the Bot API defines for an element, and whether `type` may
// carry each (§3.2). Errors: kType for the first that is present but not
// allowed.
absl::Status CheckAllowedFields(ElementType type,
                                const std::function<bool(const char* key)>& present) {
  const struct {
    const char* key;
    bool allowed;
  } kFields[] = {
      {"data", HasEncryptedData(type)},       {"phone_number", type == ElementType::kPhoneNumber},
      {"email", type == ElementType::kEmail}, {"files", IsAddressDocument(type)},
      {"front_side", IsIdDocument(type)},     {"reverse_side", HasReverseSide(type)},
      {"selfie", IsIdDocument(type)},         {"translation", HasTranslation(type)},
  };
  for (const auto& field : kFields) {
    if (!field.allowed && present(field.key)) {
      return TypeError(absl::StrCat(ElementTypeName(type), ": field ", field.key,
                                    " is not allowed for this type"));
    }
  }
  return absl::OkStatus();
}

// Which optional fields of a typed element are set, by their Bot API key.
bool TypedFieldPresent(const EncryptedPassportElement& e, absl::string_view key) {
  if (key == "data") return e.data.has_value();
  if (key == "phone_number") return e.phone_number.has_value();
  if (key == "email") return e.email.has_value();
  if (key == "files") return !e.files.empty();
  if (key == "front_side") return e.front_side.has_value();
  if (key == "reverse_side") return e.reverse_side.has_value();
  if (key == "selfie") return e.selfie.has_value();
  return key == "translation" && !e.translation.empty();
}

absl::Status CheckLength(const std::string& value, const char* key, absl::string_view where,
                         size_t max_len) {
  if (value.size() > max_len) {
    return LimitError(absl::StrCat(where, ": field ", key, " is too long"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFile(const PassportFile& file, absl::string_view where, const Limits& limits) {
  VOUCH_RETURN_IF_ERROR(CheckLength(file.file_id, "file_id", where, limits.max_string_bytes));
  if (file.file_id.empty()) {
    return JsonError(absl::StrCat(where, ": empty file_id"));
  }
  VOUCH_RETURN_IF_ERROR(
      CheckLength(file.file_unique_id, "file_unique_id", where, limits.max_string_bytes));
  for (auto [key, value] :
       {std::pair{"file_size", file.file_size}, std::pair{"file_date", file.file_date}}) {
    if (value.has_value() && *value < 0) {
      return JsonError(absl::StrCat(where, ": ", key, " is negative"));
    }
  }
  return absl::OkStatus();
}

// The rules of one element, however it was built: the fields its type may
// and must carry, string lengths, file ids and counts.
absl::Status ValidateElement(const EncryptedPassportElement& element, const Limits& limits) {
  const ElementType type = element.type;
  VOUCH_RETURN_IF_ERROR(
      CheckAllowedFields(type, [&](const char* key) { return TypedFieldPresent(element, key); }));
  const std::string where(ElementTypeName(type));
  VOUCH_RETURN_IF_ERROR(CheckLength(element.hash, "hash", where, limits.max_string_bytes));
  const struct {
    const char* key;
    const std::optional<std::string>& value;
    bool required;
    size_t max_len;
  } kStrings[] = {
      {"data", element.data, HasEncryptedData(type), Base64Len(limits.max_value_bytes)},
      {"phone_number", element.phone_number, type == ElementType::kPhoneNumber,
       limits.max_string_bytes},
      {"email", element.email, type == ElementType::kEmail, limits.max_string_bytes},
  };
  for (const auto& field : kStrings) {
    if (!field.required) continue;
    if (!field.value.has_value()) {
      return JsonError(absl::StrCat(where, ": missing field ", field.key));
    }
    VOUCH_RETURN_IF_ERROR(CheckLength(*field.value, field.key, where, field.max_len));
  }
  for (auto [key, slot] :
       {std::pair{"front_side", &element.front_side},
        std::pair{"reverse_side", &element.reverse_side}, std::pair{"selfie", &element.selfie}}) {
    if (!slot->has_value()) continue;
    VOUCH_RETURN_IF_ERROR(ValidateFile(**slot, absl::StrCat(where, "/", key), limits));
  }
  for (auto [key, list] :
       {std::pair{"files", &element.files}, std::pair{"translation", &element.translation}}) {
    const std::string at = absl::StrCat(where, "/", key);
    if (list->size() > limits.max_files_per_element) {
      return LimitError(absl::StrCat(at, ": more than ", limits.max_files_per_element, " files"));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      VOUCH_RETURN_IF_ERROR(ValidateFile((*list)[i], absl::StrCat(at, "[", i, "]"), limits));
    }
  }
  return absl::OkStatus();
}

// The shapes of one Bot API EncryptedPassportElement, then ValidateElement.
absl::StatusOr<EncryptedPassportElement> ParseElement(const Json& json, size_t index,
                                                      const Limits& limits) {
  const std::string at = absl::StrCat("data[", index, "]");
  if (!json.is_object()) return JsonError(absl::StrCat(at, ": not an object"));
  VOUCH_ASSIGN_OR_RETURN(std::optional<std::string> type_name, GetString(json, "type", at, true));
  VOUCH_RETURN_IF_ERROR(CheckLength(*type_name, "type", at, limits.max_string_bytes));
  std::optional<ElementType> type = ParseElementType(*type_name);
  if (!type.has_value()) {
    return TypeError(absl::StrCat(at, ": unknown element type"));
  }
  // A field the type may not carry is a type error, whatever its shape.
  VOUCH_RETURN_IF_ERROR(
      CheckAllowedFields(*type, [&](const char* key) { return json.contains(key); }));
  const std::string where(ElementTypeName(*type));
  EncryptedPassportElement element;
  element.type = *type;
  VOUCH_ASSIGN_OR_RETURN(std::optional<std::string> hash, GetString(json, "hash", where, true));
  element.hash = *std::move(hash);
  VOUCH_ASSIGN_OR_RETURN(element.data, GetString(json, "data", where, false));
  VOUCH_ASSIGN_OR_RETURN(element.phone_number, GetString(json, "phone_number", where, false));
  VOUCH_ASSIGN_OR_RETURN(element.email, GetString(json, "email", where, false));
  for (auto [key, slot] :
       {std::pair{"front_side", &element.front_side},
        std::pair{"reverse_side", &element.reverse_side}, std::pair{"selfie", &element.selfie}}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    VOUCH_ASSIGN_OR_RETURN(*slot, ParsePassportFile(*it, absl::StrCat(where, "/", key)));
  }
  for (auto [key, list] :
       {std::pair{"files", &element.files}, std::pair{"translation", &element.translation}}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    VOUCH_ASSIGN_OR_RETURN(*list, ParseFileArray(*it, absl::StrCat(where, "/", key), limits));
  }
  VOUCH_RETURN_IF_ERROR(ValidateElement(element, limits));
  return element;
}

absl::Status ValidateCredentials(const EncryptedCredentials& credentials, const Limits& limits) {
  VOUCH_RETURN_IF_ERROR(
      CheckLength(credentials.data, "data", "credentials", Base64Len(limits.max_value_bytes)));
  VOUCH_RETURN_IF_ERROR(
      CheckLength(credentials.hash, "hash", "credentials", limits.max_string_bytes));
  return CheckLength(credentials.secret, "secret", "credentials", limits.max_string_bytes);
}

// The bytes of every string of `data`: at most what its JSON text would be.
size_t TextBytes(const PassportData& data) {
  size_t total =
      data.credentials.data.size() + data.credentials.hash.size() + data.credentials.secret.size();
  const auto file_bytes = [](const PassportFile& f) {
    return f.file_id.size() + f.file_unique_id.size();
  };
  for (const EncryptedPassportElement& e : data.data) {
    total += e.hash.size() + e.data.value_or("").size() + e.phone_number.value_or("").size() +
             e.email.value_or("").size();
    for (const auto* slot : {&e.front_side, &e.reverse_side, &e.selfie}) {
      if (slot->has_value()) total += file_bytes(**slot);
    }
    for (const auto* list : {&e.files, &e.translation}) {
      for (const PassportFile& f : *list) total += file_bytes(f);
    }
  }
  return total;
}

// A required string member of at most `max_len` bytes (of the decrypted
// credentials, which are not a PassportData).
absl::StatusOr<std::string> GetBoundedString(const Json& object, const char* key,
                                             absl::string_view where, size_t max_len) {
  VOUCH_ASSIGN_OR_RETURN(std::optional<std::string> value, GetString(object, key, where, true));
  VOUCH_RETURN_IF_ERROR(CheckLength(*value, key, where, max_len));
  return *std::move(value);
}

// {data_hash|file_hash, secret} -> raw bytes (§4.4, §4.5).
absl::StatusOr<ValueCredentials> ParseValueCredentials(const Json& json, const char* hash_key,
                                                       absl::string_view where,
                                                       const Limits& limits) {
  if (!json.is_object()) {
    return JsonError(absl::StrCat(where, ": credentials are not an object"));
  }
  ValueCredentials creds;
  VOUCH_ASSIGN_OR_RETURN(creds.hash_base64,
                         GetBoundedString(json, hash_key, where, limits.max_string_bytes));
  VOUCH_ASSIGN_OR_RETURN(std::string secret_b64,
                         GetBoundedString(json, "secret", where, limits.max_string_bytes));
  VOUCH_ASSIGN_OR_RETURN(creds.hash,
                         DecodeBase64Strict(creds.hash_base64, absl::StrCat(where, "/", hash_key)));
  absl::StatusOr<std::string> secret =
      DecodeBase64Strict(secret_b64, absl::StrCat(where, "/secret"));
  OPENSSL_cleanse(secret_b64.data(), secret_b64.size());
  if (!secret.ok()) return secret.status();
  creds.secret = SecureBytes(*secret);
  OPENSSL_cleanse(secret->data(), secret->size());
  if (creds.hash.size() != internal::kHashSize) {
    return PassportError(ErrorCategory::kHashLength,
                         absl::StrCat(where, ": ", hash_key, " is not 32 bytes"));
  }
  if (creds.secret.size() != internal::kSecretSize) {
    return PassportError(ErrorCategory::kSecretLength,
                         absl::StrCat(where, ": secret is not 32 bytes"));
  }
  return creds;
}

absl::StatusOr<SecureValue> ParseSecureValue(const Json& json, absl::string_view where,
                                             const Limits& limits) {
  if (!json.is_object()) {
    return JsonError(absl::StrCat(where, ": SecureValue is not an object"));
  }
  SecureValue value;
  if (auto it = json.find("data"); it != json.end()) {
    VOUCH_ASSIGN_OR_RETURN(
        value.data, ParseValueCredentials(*it, "data_hash", absl::StrCat(where, "/data"), limits));
  }
  for (auto [key, slot] :
       {std::pair{"front_side", &value.front_side}, std::pair{"reverse_side", &value.reverse_side},
        std::pair{"selfie", &value.selfie}}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    VOUCH_ASSIGN_OR_RETURN(
        *slot, ParseValueCredentials(*it, "file_hash", absl::StrCat(where, "/", key), limits));
  }
  for (auto [key, list] :
       {std::pair{"files", &value.files}, std::pair{"translation", &value.translation}}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    const std::string at = absl::StrCat(where, "/", key);
    if (!it->is_array()) return JsonError(absl::StrCat(at, ": not an array"));
    if (it->size() > limits.max_files_per_element) {
      return LimitError(absl::StrCat(at, ": too many file credentials"));
    }
    list->emplace();
    for (size_t i = 0; i < it->size(); ++i) {
      VOUCH_ASSIGN_OR_RETURN(
          ValueCredentials creds,
          ParseValueCredentials((*it)[i], "file_hash", absl::StrCat(at, "[", i, "]"), limits));
      (*list)->push_back(std::move(creds));
    }
  }
  return value;
}

absl::StatusOr<Credentials> ParseCredentials(absl::string_view json_text, const Limits& limits) {
  VOUCH_ASSIGN_OR_RETURN(Json json,
                         internal::ParseJson(json_text, limits.max_json_depth, "credentials"));
  if (!json.is_object()) {
    return JsonError("credentials: not a JSON object");
  }
  auto secure_data = json.find("secure_data");
  if (secure_data == json.end() || !secure_data->is_object()) {
    return JsonError("credentials: secure_data is missing or not an object");
  }
  Credentials credentials;
  for (auto it = secure_data->begin(); it != secure_data->end(); ++it) {
    std::optional<ElementType> type = ParseElementType(it.key());
    // Unknown keys and the never-encrypted phone_number/email are ignored.
    if (!type.has_value() || *type == ElementType::kPhoneNumber || *type == ElementType::kEmail) {
      continue;
    }
    VOUCH_ASSIGN_OR_RETURN(
        SecureValue value,
        ParseSecureValue(it.value(), absl::StrCat("credentials/", ElementTypeName(*type)), limits));
    credentials.secure_data.emplace(*type, std::move(value));
  }
  // `nonce`, or `payload` from Passport 1.0 (legacy scope) requests (§2.2).
  for (const char* key : {"nonce", "payload"}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    if (!it->is_string()) {
      return JsonError(absl::StrCat("credentials: ", key, " is not a string"));
    }
    credentials.nonce = it->get_ref<const std::string&>();
    credentials.nonce_from_payload = std::string(key) == "payload";
    break;
  }
  return credentials;
}

absl::StatusOr<DecryptedFile> PairFile(const PassportFile& file, ElementType type, FileRole role,
                                       const ValueCredentials& creds,
                                       const std::map<std::string, std::string>& encrypted_files,
                                       const DecryptOptions& options,
                                       std::vector<std::string>& bad_checksums) {
  DecryptedFile out;
  out.file_id = file.file_id;
  out.element = type;
  out.role = role;
  out.file = file;
  out.file_hash_base64 = creds.hash_base64;
  const std::string where = absl::StrCat(ElementTypeName(type), "/", role.ToString());
  if (!internal::SecretChecksumOk(creds.secret.view())) {
    if (options.strict_secret_checksum) {
      return PassportError(ErrorCategory::kSecretChecksum,
                           absl::StrCat(where, ": secret fails the checksum"));
    }
    bad_checksums.push_back(where);
  }
  auto bytes = encrypted_files.find(file.file_id);
  if (bytes == encrypted_files.end()) return out;
  VOUCH_ASSIGN_OR_RETURN(DecryptedValue value,
                         DecryptValue(creds.secret.view(), creds.hash, bytes->second,
                                      options.limits.max_file_bytes, where));
  out.plaintext = std::move(value.plaintext);
  out.padding_len = value.padding_len;
  return out;
}

}  // namespace

absl::StatusOr<PassportData> ParsePassportData(absl::string_view json_text, const Limits& limits) {
  if (json_text.size() > limits.max_passport_data_json_bytes) {
    return LimitError("passport_data: JSON text too large");
  }
  VOUCH_ASSIGN_OR_RETURN(Json root,
                         internal::ParseJson(json_text, limits.max_json_depth, "passport_data"));
  // Accept an Update ({"message": {...}}), a Message ({"passport_data":
  // {...}}) or the PassportData object itself.
  const Json* node = &root;
  if (node->is_object() && node->contains("message")) node = &(*node)["message"];
  if (node->is_object() && node->contains("passport_data")) {
    node = &(*node)["passport_data"];
  }
  if (!node->is_object()) {
    return JsonError("passport_data: not a JSON object");
  }
  auto data = node->find("data");
  auto credentials = node->find("credentials");
  if (data == node->end() || !data->is_array()) {
    return JsonError("passport_data: data is missing or not an array");
  }
  if (credentials == node->end() || !credentials->is_object()) {
    return JsonError("passport_data: credentials are missing or not an object");
  }
  if (data->size() > limits.max_elements) {
    return LimitError(absl::StrCat("passport_data: more than ", limits.max_elements, " elements"));
  }
  PassportData out;
  std::set<ElementType> seen;
  for (size_t i = 0; i < data->size(); ++i) {
    VOUCH_ASSIGN_OR_RETURN(EncryptedPassportElement element, ParseElement((*data)[i], i, limits));
    if (!seen.insert(element.type).second) {
      return TypeError(absl::StrCat(ElementTypeName(element.type), ": duplicate element type"));
    }
    out.data.push_back(std::move(element));
  }
  for (auto [key, slot] :
       {std::pair{"data", &out.credentials.data}, std::pair{"hash", &out.credentials.hash},
        std::pair{"secret", &out.credentials.secret}}) {
    VOUCH_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           GetString(*credentials, key, "credentials", true));
    *slot = *std::move(value);
  }
  VOUCH_RETURN_IF_ERROR(ValidateCredentials(out.credentials, limits));
  return out;
}

absl::Status ValidatePassportData(const PassportData& data, const Limits& limits) {
  if (data.data.size() > limits.max_elements) {
    return LimitError(absl::StrCat("passport_data: more than ", limits.max_elements, " elements"));
  }
  if (TextBytes(data) > limits.max_passport_data_json_bytes) {
    return LimitError("passport_data: too large");
  }
  std::set<ElementType> seen;
  for (const EncryptedPassportElement& element : data.data) {
    VOUCH_RETURN_IF_ERROR(ValidateElement(element, limits));
    if (!seen.insert(element.type).second) {
      return TypeError(absl::StrCat(ElementTypeName(element.type), ": duplicate element type"));
    }
  }
  return ValidateCredentials(data.credentials, limits);
}

absl::StatusOr<DecryptedCredentials> DecryptCredentials(
    const PassportDecryptor& key, const EncryptedCredentials& credentials,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options) {
  const Limits& limits = options.limits;
  if (credentials.data.size() > Base64Len(limits.max_value_bytes) ||
      credentials.hash.size() > limits.max_string_bytes ||
      credentials.secret.size() > limits.max_string_bytes) {
    return LimitError("credentials: field too long");
  }
  // §5.2: decode all three strictly, check lengths, then decrypt.
  VOUCH_ASSIGN_OR_RETURN(std::string data,
                         DecodeBase64Strict(credentials.data, "credentials/data"));
  VOUCH_ASSIGN_OR_RETURN(std::string hash,
                         DecodeBase64Strict(credentials.hash, "credentials/hash"));
  VOUCH_ASSIGN_OR_RETURN(std::string encrypted_secret,
                         DecodeBase64Strict(credentials.secret, "credentials/secret"));
  if (hash.size() != internal::kHashSize) {
    return PassportError(ErrorCategory::kHashLength, "credentials: hash is not 32 bytes");
  }
  if (data.empty() || data.size() % 16 != 0) {
    return PassportError(ErrorCategory::kLength,
                         "credentials: data is empty or not a multiple of 16 bytes");
  }
  VOUCH_ASSIGN_OR_RETURN(SecureBytes secret, key.RsaDecrypt(encrypted_secret));
  if (secret.size() != internal::kSecretSize) {
    return PassportError(ErrorCategory::kSecretLength,
                         "credentials: decrypted secret is not 32 bytes");
  }
  DecryptedCredentials out;
  if (!internal::SecretChecksumOk(secret.view())) {
    if (options.strict_secret_checksum) {
      return PassportError(ErrorCategory::kSecretChecksum,
                           "credentials: secret fails the checksum");
    }
    out.bad_secret_checksums.push_back("credentials");
  }
  VOUCH_ASSIGN_OR_RETURN(DecryptedValue value, DecryptValue(secret.view(), hash, data,
                                                            limits.max_value_bytes, "credentials"));
  VOUCH_ASSIGN_OR_RETURN(out.credentials, ParseCredentials(value.plaintext.view(), limits));
  out.json = std::move(value.plaintext);
  out.padding_len = value.padding_len;
  if (expected_nonce.has_value()) {
    if (!out.credentials.nonce.has_value() ||
        !internal::ConstantTimeEquals(*out.credentials.nonce, *expected_nonce)) {
      return PassportError(ErrorCategory::kNonceMismatch,
                           "credentials: nonce is missing or does not match");
    }
  }
  return out;
}

namespace {

absl::Status CheckFileLimits(const std::map<std::string, std::string>& encrypted_files_by_file_id,
                             const Limits& limits) {
  if (encrypted_files_by_file_id.size() > limits.max_encrypted_files) {
    return LimitError("files: too many encrypted files");
  }
  size_t total = 0;
  for (const auto& [id, bytes] : encrypted_files_by_file_id) {
    if (bytes.size() > limits.max_file_bytes) {
      return LimitError(absl::StrCat("files: a file of ", bytes.size(), " bytes exceeds ",
                                     limits.max_file_bytes));
    }
    total += bytes.size();
  }
  if (total > limits.max_total_file_bytes) {
    return LimitError("files: total size of encrypted files too large");
  }
  return absl::OkStatus();
}

// DecryptPassportData of a PassportData that passed ValidatePassportData.
absl::StatusOr<DecryptedPassport> DecryptValidated(
    const PassportDecryptor& key, const PassportData& data,
    const std::map<std::string, std::string>& encrypted_files_by_file_id,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options) {
  const Limits& limits = options.limits;
  DecryptedPassport out;
  VOUCH_ASSIGN_OR_RETURN(out.credentials,
                         DecryptCredentials(key, data.credentials, expected_nonce, options));
  out.bad_secret_checksums = out.credentials.bad_secret_checksums;
  const auto& secure_data = out.credentials.credentials.secure_data;
  std::set<std::string> file_ids;

  for (const EncryptedPassportElement& element : data.data) {
    const std::string name(ElementTypeName(element.type));
    DecryptedElement result;
    result.type = element.type;
    result.element_hash = element.hash;
    result.phone_number = element.phone_number;
    result.email = element.email;
    if (element.type == ElementType::kPhoneNumber || element.type == ElementType::kEmail) {
      out.elements.push_back(std::move(result));
      continue;
    }
    auto value_it = secure_data.find(element.type);
    if (value_it == secure_data.end()) {
      return MissingCredentials(absl::StrCat(name, ": no credentials for this element"));
    }
    const SecureValue& value = value_it->second;

    if (element.data.has_value()) {
      if (!value.data.has_value()) {
        return MissingCredentials(absl::StrCat(name, ": no data credentials"));
      }
      const std::string where = absl::StrCat(name, "/data");
      VOUCH_ASSIGN_OR_RETURN(std::string ciphertext, DecodeBase64Strict(*element.data, where));
      if (!internal::SecretChecksumOk(value.data->secret.view())) {
        if (options.strict_secret_checksum) {
          return PassportError(ErrorCategory::kSecretChecksum,
                               absl::StrCat(where, ": secret fails the checksum"));
        }
        out.bad_secret_checksums.push_back(where);
      }
      VOUCH_ASSIGN_OR_RETURN(DecryptedValue decrypted,
                             DecryptValue(value.data->secret.view(), value.data->hash, ciphertext,
                                          limits.max_value_bytes, where));
      VOUCH_ASSIGN_OR_RETURN(result.data,
                             ParseElementData(element.type, decrypted.plaintext.view()));
      result.data_hash_base64 = value.data->hash_base64;
      result.data_json = std::move(decrypted.plaintext);
      result.data_padding_len = decrypted.padding_len;
    }

    // Pairs each PassportFile with its FileCredentials by role and index
    // (§5.6). Mandatory parts without credentials fail; selfie/translation
    // credentials are dropped by clients when not requested (§2.2), so
    // those files are listed but not paired.
    auto pair = [&](const PassportFile& file, FileRole role,
                    const ValueCredentials& creds) -> absl::Status {
      if (!file_ids.insert(file.file_id).second) {
        return JsonError(absl::StrCat(name, "/", role.ToString(), ": duplicate file_id"));
      }
      VOUCH_ASSIGN_OR_RETURN(DecryptedFile decrypted,
                             PairFile(file, element.type, role, creds, encrypted_files_by_file_id,
                                      options, out.bad_secret_checksums));
      out.files.push_back(std::move(decrypted));
      return absl::OkStatus();
    };
    if (element.front_side.has_value()) {
      result.front_side = element.front_side->file_id;
      if (!value.front_side.has_value()) {
        return MissingCredentials(absl::StrCat(name, "/front_side: no credentials"));
      }
      VOUCH_RETURN_IF_ERROR(
          pair(*element.front_side, {FileSlot::kFrontSide, 0}, *value.front_side));
    }
    if (element.reverse_side.has_value()) {
      result.reverse_side = element.reverse_side->file_id;
      if (!value.reverse_side.has_value()) {
        return MissingCredentials(absl::StrCat(name, "/reverse_side: no credentials"));
      }
      VOUCH_RETURN_IF_ERROR(
          pair(*element.reverse_side, {FileSlot::kReverseSide, 0}, *value.reverse_side));
    }
    if (element.selfie.has_value()) {
      result.selfie = element.selfie->file_id;
      if (value.selfie.has_value()) {
        VOUCH_RETURN_IF_ERROR(pair(*element.selfie, {FileSlot::kSelfie, 0}, *value.selfie));
      }
    }
    for (const auto& file : element.files) result.files.push_back(file.file_id);
    if (!element.files.empty()) {
      if (!value.files.has_value() || value.files->size() != element.files.size()) {
        return MissingCredentials(
            absl::StrCat(name, "/files: file credentials missing or count mismatch"));
      }
      for (size_t i = 0; i < element.files.size(); ++i) {
        VOUCH_RETURN_IF_ERROR(
            pair(element.files[i], {FileSlot::kFiles, static_cast<int>(i)}, (*value.files)[i]));
      }
    }
    for (const auto& file : element.translation) {
      result.translation.push_back(file.file_id);
    }
    if (!element.translation.empty() && value.translation.has_value()) {
      if (value.translation->size() != element.translation.size()) {
        return MissingCredentials(
            absl::StrCat(name, "/translation: file credentials count mismatch"));
      }
      for (size_t i = 0; i < element.translation.size(); ++i) {
        VOUCH_RETURN_IF_ERROR(pair(element.translation[i],
                                   {FileSlot::kTranslation, static_cast<int>(i)},
                                   (*value.translation)[i]));
      }
    }
    out.elements.push_back(std::move(result));
  }
  return out;
}

}  // namespace

absl::StatusOr<DecryptedPassport> DecryptPassportData(
    const PassportDecryptor& key, absl::string_view passport_data_json,
    const std::map<std::string, std::string>& encrypted_files_by_file_id,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options) {
  VOUCH_RETURN_IF_ERROR(CheckFileLimits(encrypted_files_by_file_id, options.limits));
  VOUCH_ASSIGN_OR_RETURN(PassportData data, ParsePassportData(passport_data_json, options.limits));
  return DecryptValidated(key, data, encrypted_files_by_file_id, expected_nonce, options);
}

absl::StatusOr<DecryptedPassport> DecryptPassportData(
    const PassportDecryptor& key, const PassportData& data,
    const std::map<std::string, std::string>& encrypted_files_by_file_id,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options) {
  VOUCH_RETURN_IF_ERROR(CheckFileLimits(encrypted_files_by_file_id, options.limits));
  VOUCH_RETURN_IF_ERROR(ValidatePassportData(data, options.limits));
  return DecryptValidated(key, data, encrypted_files_by_file_id, expected_nonce, options);
}

const DecryptedElement* DecryptedPassport::FindElement(ElementType type) const {
  for (const auto& element : elements) {
    if (element.type == type) return &element;
  }
  return nullptr;
}

const DecryptedFile* DecryptedPassport::FindFile(absl::string_view file_id) const {
  for (const auto& file : files) {
    if (file.file_id == file_id) return &file;
  }
  return nullptr;
}

namespace {

std::string Hex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Parses JSON this module already validated; null if that somehow fails.
Json Reparse(absl::string_view text) {
  absl::StatusOr<Json> json = internal::ParseJson(text, 64, "document");
  return json.ok() ? *std::move(json) : Json();
}

}  // namespace

SecureBytes ResultDocumentJson(const DecryptedPassport& passport) {
  Json doc = Json::object();
  doc["credentials"] = Reparse(passport.credentials.json.view());
  doc["credentials_padding_len"] = passport.credentials.padding_len;
  Json& elements = doc["elements"] = Json::object();
  for (const auto& element : passport.elements) {
    Json e = Json::object();
    if (element.data_hash_base64.has_value()) {
      e["data"] = Reparse(element.data_json.view());
      e["data_padding_len"] = element.data_padding_len;
    }
    if (element.front_side) e["front_side"] = *element.front_side;
    if (element.reverse_side) e["reverse_side"] = *element.reverse_side;
    if (element.selfie) e["selfie"] = *element.selfie;
    if (!element.files.empty()) e["files"] = element.files;
    if (!element.translation.empty()) e["translation"] = element.translation;
    if (element.phone_number) e["phone_number"] = *element.phone_number;
    if (element.email) e["email"] = *element.email;
    elements[std::string(ElementTypeName(element.type))] = std::move(e);
  }
  Json& file_credentials = doc["file_credentials"] = Json::object();
  Json& files = doc["files"] = Json::object();
  const auto& secure_data = passport.credentials.credentials.secure_data;
  for (const auto& file : passport.files) {
    const std::string element(ElementTypeName(file.element));
    // The secret comes from the credentials (it is not kept per file).
    const ValueCredentials* creds = nullptr;
    if (auto it = secure_data.find(file.element); it != secure_data.end()) {
      const SecureValue& v = it->second;
      switch (file.role.slot) {
        case FileSlot::kFrontSide:
          creds = v.front_side ? &*v.front_side : nullptr;
          break;
        case FileSlot::kReverseSide:
          creds = v.reverse_side ? &*v.reverse_side : nullptr;
          break;
        case FileSlot::kSelfie:
          creds = v.selfie ? &*v.selfie : nullptr;
          break;
        case FileSlot::kFiles:
          if (v.files && static_cast<size_t>(file.role.index) < v.files->size()) {
            creds = &(*v.files)[file.role.index];
          }
          break;
        case FileSlot::kTranslation:
          if (v.translation && static_cast<size_t>(file.role.index) < v.translation->size()) {
            creds = &(*v.translation)[file.role.index];
          }
          break;
      }
    }
    Json c = Json::object();
    c["element"] = element;
    c["role"] = file.role.ToString();
    c["file_hash"] = file.file_hash_base64;
    c["secret"] = creds ? EncodeBase64(creds->secret.view()) : "";
    file_credentials[file.file_id] = std::move(c);
    if (!file.plaintext.has_value()) continue;
    const absl::string_view plain = file.plaintext->view();
    Json f = Json::object();
    f["element"] = element;
    f["role"] = file.role.ToString();
    f["padding_len"] = file.padding_len;
    f["plaintext_len"] = plain.size();
    f["plaintext_sha256"] = Hex(internal::Sha256Of(plain));
    f["plaintext_head_hex"] = Hex(plain.substr(0, 8));
    files[file.file_id] = std::move(f);
  }
  std::string text = internal::DumpJson(doc);
  SecureBytes result(text);
  OPENSSL_cleanse(text.data(), text.size());
  return result;
}

}  // namespace vouch::passport
