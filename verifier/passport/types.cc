#include "passport/types.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "internal/json.h"
#include "passport/errors.h"

namespace vouch::passport {
namespace {

using internal::Json;

constexpr std::array<absl::string_view, kElementTypeCount> kTypeNames = {
    "personal_details",
    "passport",
    "driver_license",
    "identity_card",
    "internal_passport",
    "address",
    "utility_bill",
    "bank_statement",
    "rental_agreement",
    "passport_registration",
    "temporary_registration",
    "phone_number",
    "email",
};

// ISO 3166-1 alpha-2, the 249 officially assigned codes (ISO 3166
// Maintenance Agency list), sorted. Plus "XK" (Kosovo): a user-assigned code
// that Telegram apps offer in their country picker, so real users send it.
constexpr absl::string_view kCountryCodes[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};
static_assert(std::size(kCountryCodes) == 249);
constexpr absl::string_view kTelegramExtraCountryCodes[] = {"XK"};

using internal::JsonError;

// Reads known string field `key` of `object` into `out`; absent and "" both
// leave `out` empty. A non-string is an error.
absl::Status ReadString(const Json& object, absl::string_view type, const char* key,
                        std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) {
    return JsonError(absl::StrCat(type, ": field ", key, " is not a string"));
  }
  out = it->get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status ReadCountry(const Json& object, absl::string_view type, const char* key,
                         std::string& out) {
  VOUCH_RETURN_IF_ERROR(ReadString(object, type, key, out));
  if (!out.empty() && !IsIso3166Alpha2(out)) {
    return JsonError(absl::StrCat(type, ": field ", key, " is not an ISO 3166-1 alpha-2 code"));
  }
  return absl::OkStatus();
}

absl::Status ReadDate(const Json& object, absl::string_view type, const char* key,
                      std::optional<Date>& out) {
  std::string text;
  VOUCH_RETURN_IF_ERROR(ReadString(object, type, key, text));
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<Date> date = ParseDate(text);
  if (!date.ok()) {
    return JsonError(absl::StrCat(type, ": field ", key, " is not a D.M.YYYY date"));
  }
  out = *date;
  return absl::OkStatus();
}

ExtraFields CollectExtra(const Json& object, std::initializer_list<absl::string_view> known) {
  ExtraFields extra;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) {
      continue;
    }
    extra[it.key()] = internal::DumpJson(it.value());
  }
  return extra;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

}  // namespace

const std::vector<ElementType>& AllElementTypes() {
  static const auto* types = [] {
    auto* v = new std::vector<ElementType>;
    for (int i = 0; i < kElementTypeCount; ++i) {
      v->push_back(static_cast<ElementType>(i));
    }
    return v;
  }();
  return *types;
}

absl::string_view ElementTypeName(ElementType type) {
  const int i = static_cast<int>(type);
  if (i < 0 || i >= kElementTypeCount) return "unknown";
  return kTypeNames[i];
}

std::optional<ElementType> ParseElementType(absl::string_view name) {
  for (int i = 0; i < kElementTypeCount; ++i) {
    if (kTypeNames[i] == name) return static_cast<ElementType>(i);
  }
  return std::nullopt;
}

bool HasEncryptedData(ElementType type) {
  return type == ElementType::kPersonalDetails || IsIdDocument(type) ||
         type == ElementType::kAddress;
}

bool IsIdDocument(ElementType type) {
  return type == ElementType::kPassport || type == ElementType::kDriverLicense ||
         type == ElementType::kIdentityCard || type == ElementType::kInternalPassport;
}

bool IsAddressDocument(ElementType type) {
  return type == ElementType::kUtilityBill || type == ElementType::kBankStatement ||
         type == ElementType::kRentalAgreement || type == ElementType::kPassportRegistration ||
         type == ElementType::kTemporaryRegistration;
}

bool HasReverseSide(ElementType type) {
  return type == ElementType::kDriverLicense || type == ElementType::kIdentityCard;
}

bool HasTranslation(ElementType type) { return IsIdDocument(type) || IsAddressDocument(type); }

std::string FileRole::ToString() const {
  switch (slot) {
    case FileSlot::kFrontSide:
      return "front_side";
    case FileSlot::kReverseSide:
      return "reverse_side";
    case FileSlot::kSelfie:
      return "selfie";
    case FileSlot::kFiles:
      return absl::StrCat("files[", index, "]");
    case FileSlot::kTranslation:
      return absl::StrCat("translation[", index, "]");
  }
  return "unknown";
}

std::string Date::ToString() const { return absl::StrFormat("%02d.%02d.%04d", day, month, year); }

absl::StatusOr<Date> ParseDate(absl::string_view text) {
  auto bad = [] { return JsonError("not a D.M.YYYY date"); };
  int parts[3] = {0, 0, 0};
  size_t digits[3] = {0, 0, 0};
  int part = 0;
  for (char c : text) {
    if (c == '.') {
      if (++part > 2) return bad();
    } else if (c >= '0' && c <= '9') {
      if (++digits[part] > 4) return bad();
      parts[part] = parts[part] * 10 + (c - '0');
    } else {
      return bad();
    }
  }
  if (part != 2 || digits[0] < 1 || digits[0] > 2 || digits[1] < 1 || digits[1] > 2 ||
      digits[2] != 4) {
    return bad();
  }
  Date date{parts[0], parts[1], parts[2]};
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (date.year < 1 || date.month < 1 || date.month > 12 || date.day < 1) {
    return bad();
  }
  const int max_day = kDays[date.month - 1] + (date.month == 2 && IsLeap(date.year) ? 1 : 0);
  if (date.day > max_day) return bad();
  return date;
}

absl::string_view GenderName(Gender gender) { return gender == Gender::kMale ? "male" : "female"; }

bool IsIso3166Alpha2(absl::string_view code) {
  if (std::binary_search(std::begin(kCountryCodes), std::end(kCountryCodes), code)) {
    return true;
  }
  return std::find(std::begin(kTelegramExtraCountryCodes), std::end(kTelegramExtraCountryCodes),
                   code) != std::end(kTelegramExtraCountryCodes);
}

absl::StatusOr<ElementData> ParseElementData(ElementType type, absl::string_view json) {
  const absl::string_view name = ElementTypeName(type);
  if (!HasEncryptedData(type)) {
    return PassportError(ErrorCategory::kType, absl::StrCat(name, ": type has no encrypted data"));
  }
  VOUCH_ASSIGN_OR_RETURN(Json object, internal::ParseJson(json, /*max_depth=*/16, name));
  if (!object.is_object()) {
    return JsonError(absl::StrCat(name, ": data is not a JSON object"));
  }
  if (type == ElementType::kPersonalDetails) {
    PersonalDetails d;
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "first_name", d.first_name));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "last_name", d.last_name));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "middle_name", d.middle_name));
    VOUCH_RETURN_IF_ERROR(ReadDate(object, name, "birth_date", d.birth_date));
    std::string gender;
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "gender", gender));
    if (gender == "male") {
      d.gender = Gender::kMale;
    } else if (gender == "female") {
      d.gender = Gender::kFemale;
    } else if (!gender.empty()) {
      return JsonError(absl::StrCat(name, ": gender is not male or female"));
    }
    VOUCH_RETURN_IF_ERROR(ReadCountry(object, name, "country_code", d.country_code));
    VOUCH_RETURN_IF_ERROR(
        ReadCountry(object, name, "residence_country_code", d.residence_country_code));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "first_name_native", d.first_name_native));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "last_name_native", d.last_name_native));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "middle_name_native", d.middle_name_native));
    d.extra = CollectExtra(object, {"first_name", "last_name", "middle_name", "birth_date",
                                    "gender", "country_code", "residence_country_code",
                                    "first_name_native", "last_name_native", "middle_name_native"});
    return ElementData(std::move(d));
  }
  if (type == ElementType::kAddress) {
    ResidentialAddress a;
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "street_line1", a.street_line1));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "street_line2", a.street_line2));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "city", a.city));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "state", a.state));
    VOUCH_RETURN_IF_ERROR(ReadCountry(object, name, "country_code", a.country_code));
    VOUCH_RETURN_IF_ERROR(ReadString(object, name, "post_code", a.post_code));
    a.extra = CollectExtra(
        object, {"street_line1", "street_line2", "city", "state", "country_code", "post_code"});
    return ElementData(std::move(a));
  }
  IdDocumentData doc;
  VOUCH_RETURN_IF_ERROR(ReadString(object, name, "document_no", doc.document_no));
  VOUCH_RETURN_IF_ERROR(ReadDate(object, name, "expiry_date", doc.expiry_date));
  doc.extra = CollectExtra(object, {"document_no", "expiry_date"});
  return ElementData(std::move(doc));
}

std::map<std::string, std::string> ElementDataFields(const ElementData& data) {
  std::map<std::string, std::string> out;
  const auto date = [](const std::optional<Date>& d) { return d ? d->ToString() : ""; };
  if (const auto* p = std::get_if<PersonalDetails>(&data)) {
    out["first_name"] = p->first_name;
    out["last_name"] = p->last_name;
    out["middle_name"] = p->middle_name;
    out["birth_date"] = date(p->birth_date);
    out["gender"] = p->gender ? std::string(GenderName(*p->gender)) : "";
    out["country_code"] = p->country_code;
    out["residence_country_code"] = p->residence_country_code;
    out["first_name_native"] = p->first_name_native;
    out["last_name_native"] = p->last_name_native;
    out["middle_name_native"] = p->middle_name_native;
  } else if (const auto* a = std::get_if<ResidentialAddress>(&data)) {
    out["street_line1"] = a->street_line1;
    out["street_line2"] = a->street_line2;
    out["city"] = a->city;
    out["state"] = a->state;
    out["country_code"] = a->country_code;
    out["post_code"] = a->post_code;
  } else if (const auto* d = std::get_if<IdDocumentData>(&data)) {
    out["document_no"] = d->document_no;
    out["expiry_date"] = date(d->expiry_date);
  }
  return out;
}

void WipeElementData(ElementData& data) {
  const auto wipe = [](std::string& s) { WipeMemory(s.data(), s.size()); };
  const auto wipe_date = [](std::optional<Date>& d) {
    if (d.has_value()) *d = Date{};
  };
  const auto wipe_extra = [&](ExtraFields& extra) {
    for (auto& [key, value] : extra) wipe(value);
  };
  if (auto* p = std::get_if<PersonalDetails>(&data)) {
    for (std::string* s : {&p->first_name, &p->last_name, &p->middle_name, &p->country_code,
                           &p->residence_country_code, &p->first_name_native, &p->last_name_native,
                           &p->middle_name_native}) {
      wipe(*s);
    }
    wipe_date(p->birth_date);
    wipe_extra(p->extra);
  } else if (auto* a = std::get_if<ResidentialAddress>(&data)) {
    for (std::string* s : {&a->street_line1, &a->street_line2, &a->city, &a->state,
                           &a->country_code, &a->post_code}) {
      wipe(*s);
    }
    wipe_extra(a->extra);
  } else if (auto* d = std::get_if<IdDocumentData>(&data)) {
    wipe(d->document_no);
    wipe_date(d->expiry_date);
    wipe_extra(d->extra);
  }
}

}  // namespace vouch::passport
