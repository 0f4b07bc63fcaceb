#ifndef VOUCH_PASSPORT_TYPES_H_
#define VOUCH_PASSPORT_TYPES_H_

// Typed values of Telegram Passport: the Bot API PassportData (still
// encrypted), the decrypted Credentials, and the decrypted element data
// (PersonalDetails, ResidentialAddress, IdDocumentData).
// See ../shared/docs/telegram-passport.md §3 (Bot API) and §4 (decrypted).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"

namespace vouch::passport {

// The 13 element types of Bot API EncryptedPassportElement.type.
enum class ElementType {
  kPersonalDetails,
  kPassport,
  kDriverLicense,
  kIdentityCard,
  kInternalPassport,
  kAddress,
  kUtilityBill,
  kBankStatement,
  kRentalAgreement,
  kPassportRegistration,
  kTemporaryRegistration,
  kPhoneNumber,
  kEmail,
};
inline constexpr int kElementTypeCount = 13;

// All 13 types, in the order above.
const std::vector<ElementType>& AllElementTypes();
// "personal_details", "passport", ...
absl::string_view ElementTypeName(ElementType type);
// The type named `name`, or nullopt for an unknown name.
std::optional<ElementType> ParseElementType(absl::string_view name);

// Which fields a type carries (telegram-passport.md §3.2 table).
bool HasEncryptedData(ElementType type);  // personal_details, 4 ID docs, address
bool IsIdDocument(ElementType type);  // passport, driver_license, identity_card, internal_passport
bool IsAddressDocument(ElementType type);  // the 5 types with `files`
bool HasReverseSide(ElementType type);     // driver_license, identity_card
bool HasTranslation(ElementType type);     // 4 ID docs + 5 address docs

// Where a file sits in its element.
enum class FileSlot { kFrontSide, kReverseSide, kSelfie, kFiles, kTranslation };

struct FileRole {
  FileSlot slot = FileSlot::kFrontSide;
  int index = 0;  // Position in `files` / `translation`; 0 otherwise.

  // "front_side", "reverse_side", "selfie", "files[i]", "translation[i]".
  std::string ToString() const;
  friend bool operator==(const FileRole&, const FileRole&) = default;
};

// ---------------------------------------------------------------------------
// Bot API objects (encrypted), telegram-passport.md §3.

// Bot API PassportFile. Only file_id is required; the 2018 API had no
// file_unique_id/file_size. file_size is metadata from the server and is not
// trusted for anything.
struct PassportFile {
  std::string file_id;
  std::string file_unique_id;
  std::optional<int64_t> file_size;
  std::optional<int64_t> file_date;
};

// Bot API EncryptedPassportElement. Binary fields stay base64 here; they are
// decoded (strictly) when decrypted.
struct EncryptedPassportElement {
  ElementType type = ElementType::kPersonalDetails;
  std::optional<std::string> data;          // base64 ciphertext
  std::optional<std::string> phone_number;  // plaintext, Telegram-verified
  std::optional<std::string> email;         // plaintext, Telegram-verified
  std::vector<PassportFile> files;
  std::optional<PassportFile> front_side;
  std::optional<PassportFile> reverse_side;
  std::optional<PassportFile> selfie;
  std::vector<PassportFile> translation;
  // Opaque server value (§6.2): echo it in PassportElementErrorUnspecified;
  // never validated or recomputed.
  std::string hash;
};

// Bot API EncryptedCredentials, base64 fields as received.
struct EncryptedCredentials {
  std::string data;
  std::string hash;
  std::string secret;
};

// Bot API PassportData.
struct PassportData {
  std::vector<EncryptedPassportElement> data;
  EncryptedCredentials credentials;
};

// ---------------------------------------------------------------------------
// Decrypted credentials, telegram-passport.md §4.1–4.5.

// DataCredentials or FileCredentials: a 32-byte hash and a 32-byte secret.
struct ValueCredentials {
  std::string hash;         // raw 32 bytes (data_hash / file_hash)
  std::string hash_base64;  // as received; use in PassportElementError
  SecureBytes secret;       // raw 32 bytes
  ValueCredentials Clone() const { return {hash, hash_base64, secret.Clone()}; }
};

// SecureValue: the credentials of one element. Arrays pair positionally
// with the element's PassportFile arrays.
struct SecureValue {
  std::optional<ValueCredentials> data;
  std::optional<ValueCredentials> front_side;
  std::optional<ValueCredentials> reverse_side;
  std::optional<ValueCredentials> selfie;
  std::optional<std::vector<ValueCredentials>> files;
  std::optional<std::vector<ValueCredentials>> translation;
};

// Credentials: secure_data plus the request nonce.
struct Credentials {
  std::map<ElementType, SecureValue> secure_data;
  // `nonce`, or the legacy `payload` key (then nonce_from_payload is true).
  std::optional<std::string> nonce;
  bool nonce_from_payload = false;
};

// ---------------------------------------------------------------------------
// Decrypted element data, telegram-passport.md §4.6–4.8.
//
// Parsing rules: every known field is optional (real clients omit fields that
// were not requested and send "" for empty ones; "" is treated as absent);
// a known field that is present must be a JSON string, and dates, country
// codes and gender must be well-formed (else category kJson). Unknown fields
// are kept in `extra` as compact JSON text.

// A calendar date from "D.M.YYYY" (leading zeros optional).
struct Date {
  int day = 0;
  int month = 0;
  int year = 0;
  // "DD.MM.YYYY".
  std::string ToString() const;
  friend bool operator==(const Date&, const Date&) = default;
};
// Lenient D.M.YYYY / DD.MM.YYYY; checks the day against the month and leap
// years. Errors: kInvalidArgument (category kJson).
absl::StatusOr<Date> ParseDate(absl::string_view text);

enum class Gender { kMale, kFemale };
absl::string_view GenderName(Gender gender);  // "male" / "female"

// True for an officially assigned ISO 3166-1 alpha-2 code (upper case).
bool IsIso3166Alpha2(absl::string_view code);

using ExtraFields = std::map<std::string, std::string>;  // key -> JSON text

struct PersonalDetails {
  std::string first_name;
  std::string last_name;
  std::string middle_name;
  std::optional<Date> birth_date;
  std::optional<Gender> gender;
  std::string country_code;  // citizenship
  std::string residence_country_code;
  std::string first_name_native;
  std::string last_name_native;
  std::string middle_name_native;
  ExtraFields extra;
};

struct ResidentialAddress {
  std::string street_line1;
  std::string street_line2;
  std::string city;
  std::string state;
  std::string country_code;
  std::string post_code;
  ExtraFields extra;
};

struct IdDocumentData {
  std::string document_no;
  std::optional<Date> expiry_date;
  ExtraFields extra;
};

using ElementData =
    std::variant<std::monostate, PersonalDetails, ResidentialAddress, IdDocumentData>;

// The fields of decrypted element data by Bot API key, as the user typed
// them: dates DD.MM.YYYY, gender "male"/"female", "" for an absent field;
// `extra` is not listed; empty for std::monostate. For showing the data (a
// review case), never for checking it: checks read the typed values.
std::map<std::string, std::string> ElementDataFields(const ElementData& data);

// Wipes the strings of `data` (personal data) in place.
void WipeElementData(ElementData& data);

// Parses decrypted element JSON of `type` (which must have encrypted data).
// Errors: kInvalidArgument with category kJson (not an object, wrong field
// type, bad date/country/gender) or kType.
absl::StatusOr<ElementData> ParseElementData(ElementType type, absl::string_view json);

}  // namespace vouch::passport

#endif  // VOUCH_PASSPORT_TYPES_H_
