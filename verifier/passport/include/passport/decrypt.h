#ifndef VOUCH_PASSPORT_DECRYPT_H_
#define VOUCH_PASSPORT_DECRYPT_H_

// Decryption of Telegram Passport submissions, exactly as
// telegram-passport.md §5: RSA-OAEP (SHA-1, MGF1-SHA-1) for the credentials
// secret, SHA-512(secret || hash) -> AES-256-CBC (no PKCS#7) for credentials,
// element data and files, SHA-256 over the padded plaintext checked in
// constant time before the padding byte is read, padding 32..255.
//
// Failures carry one ErrorCategory (passport/errors.h).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"
#include "passport/types.h"

namespace vouch::passport {

// Size and count limits on hostile input. Defaults are sized for real
// submissions: scans are JPEGs of at most 10 MB [Bot API], so files get 15 MB.
// Exceeding one is category kLimit (code kResourceExhausted).
struct Limits {
  size_t max_passport_data_json_bytes = 1 << 20;  // PassportData/Update text
  size_t max_json_depth = 32;
  size_t max_elements = kElementTypeCount;  // entries of PassportData.data
  size_t max_files_per_element = 20;        // each of `files` and `translation`
  size_t max_file_bytes = 15 << 20;         // one encrypted file
  size_t max_total_file_bytes = 128 << 20;  // all encrypted files of one call
  size_t max_encrypted_files = 64;          // entries of encrypted_files_by_file_id
  size_t max_value_bytes = 64 << 10;        // credentials / element data ciphertext
  size_t max_string_bytes = 4096;           // file_id, hash, phone, email, nonce...
};

struct DecryptOptions {
  Limits limits;
  // Secrets are "32-byte numbers whose byte sum mod 255 is 239" [PE]. The
  // bot-side docs do not ask bots to check; by default a violation is only
  // reported in DecryptedPassport::bad_secret_checksums. When true it is an
  // error of category kSecretChecksum.
  bool strict_secret_checksum = false;
};

// A decrypted value: plaintext with the random padding removed.
struct DecryptedValue {
  SecureBytes plaintext;
  int padding_len = 0;  // 32..255, the first byte of the padded plaintext
  bool secret_checksum_ok = true;
};

// The provider's RSA private key (PEM, PKCS#1 "RSA PRIVATE KEY" or PKCS#8
// "PRIVATE KEY", unencrypted, 2048..4096 bits). Load once at start-up.
//
// Thread-safe: immutable after FromPem(); copies share the key.
class PassportDecryptor {
 public:
  // Errors: kInvalidArgument (category kRsa) for unparsable PEM, a non-RSA
  // key, an encrypted PEM, or a size outside 2048..4096 bits.
  static absl::StatusOr<PassportDecryptor> FromPem(absl::string_view pem);

  int bits() const;

  // The SPKI PEM ("BEGIN PUBLIC KEY") of this key, as registered with
  // @BotFather.
  absl::StatusOr<std::string> PublicKeyPem() const;

  // RSA-OAEP(SHA-1, MGF1-SHA-1, no label) decryption of `ciphertext`.
  // Errors: category kRsa for every decryption failure (one message, no
  // detail: no OAEP oracle).
  absl::StatusOr<SecureBytes> RsaDecrypt(absl::string_view ciphertext) const;

  struct Impl;

 private:
  explicit PassportDecryptor(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// --- Low-level steps (also used by the vector tests). ----------------------

// Strict standard base64 (RFC 4648 §4, padded; no whitespace, no base64url,
// zero trailing bits). Errors: category kBase64; `what` names the field.
absl::StatusOr<std::string> DecodeBase64Strict(absl::string_view text, absl::string_view what);
std::string EncodeBase64(absl::string_view bytes);

// The §5.5 decrypt_value: raw 32-byte secret and hash, raw ciphertext.
// Checks, in this order: hash length, ciphertext length (non-empty, multiple
// of 16, at most `max_bytes`), secret length; then decrypts, checks the
// SHA-256 in constant time, and only then reads the padding byte.
// `what` names the value in error messages ("passport/data").
absl::StatusOr<DecryptedValue> DecryptValue(absl::string_view secret, absl::string_view hash,
                                            absl::string_view ciphertext, size_t max_bytes,
                                            absl::string_view what);

// The decrypted Credentials object with its JSON.
struct DecryptedCredentials {
  Credentials credentials;
  SecureBytes json;  // the decrypted Credentials JSON text
  int padding_len = 0;
  std::vector<std::string> bad_secret_checksums;  // see DecryptedPassport
};

// Decrypts and parses EncryptedCredentials (§5.2); checks the nonce when
// `expected_nonce` is set (nonce or legacy payload, constant time).
absl::StatusOr<DecryptedCredentials> DecryptCredentials(
    const PassportDecryptor& key, const EncryptedCredentials& credentials,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options = {});

// Decrypts one element's data (§5.3) from base64 DataCredentials fields and
// base64 ciphertext. The JSON is not parsed here.
absl::StatusOr<DecryptedValue> DecryptElementDataBase64(absl::string_view data_b64,
                                                        absl::string_view data_hash_b64,
                                                        absl::string_view secret_b64,
                                                        const Limits& limits = {});

// Decrypts one file (§5.4) from raw encrypted bytes and base64
// FileCredentials fields.
absl::StatusOr<DecryptedValue> DecryptFileBase64(absl::string_view encrypted,
                                                 absl::string_view file_hash_b64,
                                                 absl::string_view secret_b64,
                                                 const Limits& limits = {});

// Parses Bot API PassportData JSON. Also accepts a whole Message
// ({"passport_data": ...}) or Update ({"message": {"passport_data": ...}}).
// Reads the JSON's shapes, then checks the values as ValidatePassportData.
// Errors: kJson (shape), kType (unknown/duplicate type, field not allowed for
// the type), kLimit.
absl::StatusOr<PassportData> ParsePassportData(absl::string_view json, const Limits& limits = {});

// Checks a PassportData however it was built (parsed from JSON, or converted
// from another structured form such as the gRPC PassportData): the fields
// each type may and must carry (§3.2), no duplicate type, a non-empty file_id
// per file, no negative file_size/file_date, and the limits (element, file
// and string sizes; all strings together within max_passport_data_json_bytes).
// Errors: kType (duplicate type, field not allowed for the type), kJson (a
// required field absent, an empty file_id, a negative size or date), kLimit.
absl::Status ValidatePassportData(const PassportData& data, const Limits& limits = {});

// --- The submission API. ---------------------------------------------------

// One decrypted PassportFile.
struct DecryptedFile {
  std::string file_id;
  ElementType element = ElementType::kPersonalDetails;
  FileRole role;
  PassportFile file;  // the Bot API metadata
  // FileCredentials.file_hash as received (standard base64): the `file_hash`
  // of PassportElementError{FrontSide,ReverseSide,Selfie,File,TranslationFile}
  // and an entry of `file_hashes`.
  std::string file_hash_base64;
  // Set iff the encrypted bytes of this file were supplied; the JPEG, wiped
  // on release.
  std::optional<SecureBytes> plaintext;
  int padding_len = 0;  // valid when plaintext is set
};

// One decrypted element.
struct DecryptedElement {
  ElementType type = ElementType::kPersonalDetails;
  // EncryptedPassportElement.hash verbatim: PassportElementErrorUnspecified's
  // element_hash.
  std::string element_hash;
  // For types with encrypted data: DataCredentials.data_hash as received
  // (PassportElementErrorDataField's data_hash), the decrypted JSON and the
  // typed value.
  std::optional<std::string> data_hash_base64;
  SecureBytes data_json;
  int data_padding_len = 0;
  ElementData data;
  // phone_number / email elements (plaintext from the server).
  std::optional<std::string> phone_number;
  std::optional<std::string> email;
  // File ids by role, as listed in the element (also files whose credentials
  // were absent because selfie/translation were not requested).
  std::optional<std::string> front_side;
  std::optional<std::string> reverse_side;
  std::optional<std::string> selfie;
  std::vector<std::string> files;
  std::vector<std::string> translation;
};

// A decrypted, nonce-checked submission.
struct DecryptedPassport {
  DecryptedCredentials credentials;
  std::vector<DecryptedElement> elements;  // in PassportData order
  // Every PassportFile paired with FileCredentials, in element order (front,
  // reverse, selfie, files..., translation...). Files whose bytes were not
  // supplied have no plaintext.
  std::vector<DecryptedFile> files;
  // Where a secret broke the byte-sum rule ("credentials", "passport/data",
  // "passport/front_side", ...). Always empty in strict mode.
  std::vector<std::string> bad_secret_checksums;

  const DecryptedElement* FindElement(ElementType type) const;
  const DecryptedFile* FindFile(absl::string_view file_id) const;
};

// Decrypts a whole submission: parses `passport_data_json` (PassportData, or
// a Message/Update containing it), decrypts the credentials with `key`,
// checks the nonce when `expected_nonce` is set, decrypts every element's
// data and pairs every PassportFile with its FileCredentials by role and
// index, and decrypts each file whose encrypted bytes (as downloaded with
// getFile) are in `encrypted_files_by_file_id`. Entries for unknown file ids
// are ignored. Fails closed: any failure rejects the whole submission.
//
// Errors: kInvalidArgument with exactly one ErrorCategory, or
// kResourceExhausted (kLimit). Thread-safe (the key is shared read-only).
absl::StatusOr<DecryptedPassport> DecryptPassportData(
    const PassportDecryptor& key, absl::string_view passport_data_json,
    const std::map<std::string, std::string>& encrypted_files_by_file_id,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options = {});

// DecryptPassportData of a PassportData already in structured form (the
// gRPC PassportData): checked by ValidatePassportData, then decrypted as the
// JSON form is, with the same errors.
absl::StatusOr<DecryptedPassport> DecryptPassportData(
    const PassportDecryptor& key, const PassportData& passport_data,
    const std::map<std::string, std::string>& encrypted_files_by_file_id,
    std::optional<absl::string_view> expected_nonce, const DecryptOptions& options = {});

// The "result document" of shared/vectors/passport/README.md (passport_data
// form) as compact JSON. It contains the decrypted data and the file secrets:
// treat it as plaintext.
SecureBytes ResultDocumentJson(const DecryptedPassport& passport);

}  // namespace vouch::passport

#endif  // VOUCH_PASSPORT_DECRYPT_H_
