// AAMVA DL/ID Card Design Standard (2020), Annex D: the PDF417 payload.
//
//   header     "@" LF RS CR "ANSI " IIN(6) version(2) [jurisdiction
//              version(2), from version 02] entries(2)
//   designator type(2) offset(4) length(4), one per subfile
//   subfile    type(2) then elements "XXXvalue" separated by LF, ended by CR
//
// Offsets count from the start of the payload; each is checked to lie inside
// it and to point at its subfile's type.

#include "ocr/aamva.h"

#include <cctype>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vouch::ocr {
namespace {

constexpr char kSeparator = '\n';   // Data element separator (LF).
constexpr char kRecord = '\x1e';    // Record separator (RS).
constexpr char kTerminator = '\r';  // Segment terminator (CR).
constexpr size_t kDesignatorSize = 10;
constexpr size_t kMaxElementValue = 256;

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<int> Number(absl::string_view s, absl::string_view what) {
  int v = 0;
  if (!AllDigits(s) || !absl::SimpleAtoi(s, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("AAMVA ", what, " is not a number"));
  }
  return v;
}

// Dates are MMDDCCYY in the USA and CCYYMMDD in Canada (Annex D, D.12).
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view s, bool canada, absl::string_view id) {
  if (s.size() != 8 || !AllDigits(s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("AAMVA element ", id, " is not an 8-digit date"));
  }
  int year, month, day;
  const auto num = [&](size_t pos, size_t len) {
    int v = 0;
    (void)absl::SimpleAtoi(s.substr(pos, len), &v);
    return v;
  };
  if (canada) {
    year = num(0, 4), month = num(4, 2), day = num(6, 2);
  } else {
    month = num(0, 2), day = num(2, 2), year = num(4, 4);
  }
  const absl::CivilDay date(year, month, day);
  // CivilDay normalises out-of-range fields (Feb 30 -> Mar 2); reject them.
  if (year < 1900 || year > 2200 || date.year() != year || date.month() != month ||
      date.day() != day) {
    return absl::InvalidArgumentError(absl::StrCat("AAMVA element ", id, " is not a valid date"));
  }
  return date;
}

absl::Status ParseSubfile(absl::string_view body, AamvaRecord& record) {
  // `body` excludes the 2-letter type and the terminator.
  for (absl::string_view element : absl::StrSplit(body, kSeparator)) {
    // Some issuers end the last element with LF before CR; an empty piece
    // and a stray CR are tolerated.
    if (!element.empty() && element.back() == kTerminator) {
      element.remove_suffix(1);
    }
    if (element.empty()) continue;
    if (element.size() < 3) {
      return absl::InvalidArgumentError("AAMVA element shorter than its id");
    }
    const std::string id(element.substr(0, 3));
    for (char c : id) {
      if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError("AAMVA element id is malformed");
      }
    }
    absl::string_view value = absl::StripAsciiWhitespace(element.substr(3));
    if (value.size() > kMaxElementValue) {
      return absl::InvalidArgumentError(absl::StrCat("AAMVA element ", id, " is too long"));
    }
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return absl::InvalidArgumentError(
            absl::StrCat("AAMVA element ", id, " has a control character"));
      }
    }
    if (!record.elements.emplace(id, std::string(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat("AAMVA element ", id, " appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AamvaRecord> ParseAamva(absl::string_view payload) {
  if (payload.size() > kMaxAamvaPayloadBytes) {
    return absl::ResourceExhaustedError("AAMVA payload is too large");
  }
  // Compliance indicators (D.12.3): "@" LF RS CR. Some readers drop the CR
  // or turn RS into LF; we require the bytes as the standard has them.
  if (payload.size() < 4 || payload[0] != '@' || payload[1] != kSeparator ||
      payload[2] != kRecord || payload[3] != kTerminator) {
    return absl::InvalidArgumentError("not an AAMVA payload (compliance indicators missing)");
  }
  absl::string_view rest = payload.substr(4);
  // File type: "ANSI " (2000 and later) or "AAMVA" (some version 01 cards).
  if (rest.size() < 5 || (rest.substr(0, 5) != "ANSI " && rest.substr(0, 5) != "AAMVA")) {
    return absl::InvalidArgumentError("AAMVA file type is not \"ANSI \"");
  }
  rest.remove_prefix(5);
  if (rest.size() < 8) {
    return absl::InvalidArgumentError("AAMVA header is truncated");
  }
  AamvaRecord record;
  record.issuer_id = std::string(rest.substr(0, 6));
  if (!AllDigits(record.issuer_id)) {
    return absl::InvalidArgumentError("AAMVA issuer id is not 6 digits");
  }
  absl::StatusOr<int> version = Number(rest.substr(6, 2), "version");
  if (!version.ok()) return version.status();
  record.aamva_version = *version;
  rest.remove_prefix(8);
  if (record.aamva_version >= 2) {
    if (rest.size() < 2) {
      return absl::InvalidArgumentError("AAMVA header is truncated");
    }
    absl::StatusOr<int> jv = Number(rest.substr(0, 2), "jurisdiction version");
    if (!jv.ok()) return jv.status();
    record.jurisdiction_version = *jv;
    rest.remove_prefix(2);
  }
  if (rest.size() < 2) {
    return absl::InvalidArgumentError("AAMVA header is truncated");
  }
  absl::StatusOr<int> entries = Number(rest.substr(0, 2), "entry count");
  if (!entries.ok()) return entries.status();
  if (*entries < 1) {
    return absl::InvalidArgumentError("AAMVA header declares no subfiles");
  }
  rest.remove_prefix(2);
  const size_t designators_start = payload.size() - rest.size();
  const size_t header_end = designators_start + *entries * kDesignatorSize;
  if (header_end > payload.size()) {
    return absl::InvalidArgumentError("AAMVA subfile designators run past the payload");
  }

  bool found = false;
  size_t previous_end = header_end;
  for (int i = 0; i < *entries; ++i) {
    const absl::string_view d =
        payload.substr(designators_start + i * kDesignatorSize, kDesignatorSize);
    const std::string type(d.substr(0, 2));
    if (!absl::ascii_isupper(static_cast<unsigned char>(type[0])) ||
        !absl::ascii_isupper(static_cast<unsigned char>(type[1]))) {
      return absl::InvalidArgumentError("AAMVA subfile type is malformed");
    }
    absl::StatusOr<int> offset = Number(d.substr(2, 4), "subfile offset");
    if (!offset.ok()) return offset.status();
    absl::StatusOr<int> length = Number(d.substr(6, 4), "subfile length");
    if (!length.ok()) return length.status();
    const size_t begin = static_cast<size_t>(*offset);
    const size_t size = static_cast<size_t>(*length);
    if (begin < header_end || size < 3 || begin + size > payload.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("AAMVA subfile ", type, " offset/length lie outside the payload"));
    }
    if (begin < previous_end) {
      return absl::InvalidArgumentError(
          absl::StrCat("AAMVA subfile ", type, " overlaps the previous one"));
    }
    previous_end = begin + size;
    const absl::string_view subfile = payload.substr(begin, size);
    if (subfile.substr(0, 2) != type) {
      return absl::InvalidArgumentError(
          absl::StrCat("AAMVA subfile ", type, " offset does not point at its type"));
    }
    if (found || (type != "DL" && type != "ID")) continue;  // Jurisdiction-specific: skipped.
    absl::string_view body = subfile.substr(2);
    if (body.back() != kTerminator) {
      return absl::InvalidArgumentError(
          absl::StrCat("AAMVA subfile ", type, " does not end with a segment terminator"));
    }
    body.remove_suffix(1);
    if (absl::Status s = ParseSubfile(body, record); !s.ok()) return s;
    record.subfile_type = type;
    found = true;
  }
  if (!found) {
    return absl::InvalidArgumentError("AAMVA payload has no DL or ID subfile");
  }

  const auto get = [&](const char* id) -> std::string {
    auto it = record.elements.find(id);
    return it == record.elements.end() ? std::string() : it->second;
  };
  record.family_name = get("DCS");
  record.first_name = get("DAC");
  record.middle_names = get("DAD");
  record.document_number = get("DAQ");
  record.state = get("DAJ");
  record.country = get("DCG");
  const std::string sex = get("DBC");
  if (sex == "1") {
    record.sex = "M";
  } else if (sex == "2") {
    record.sex = "F";
  } else if (sex == "9") {
    record.sex = "X";
  } else if (!sex.empty()) {
    return absl::InvalidArgumentError("AAMVA element DBC is not 1, 2 or 9");
  }
  if (record.document_number.empty()) {
    return absl::InvalidArgumentError("AAMVA record has no DAQ (id number)");
  }
  const bool canada = record.country == "CAN";
  const std::pair<const char*, std::optional<absl::CivilDay>*> dates[] = {
      {"DBB", &record.date_of_birth}, {"DBA", &record.expiry_date}, {"DBD", &record.issue_date}};
  for (const auto& [id, field] : dates) {
    const std::string value = get(id);
    if (value.empty()) continue;
    absl::StatusOr<absl::CivilDay> day = ParseDate(value, canada, id);
    if (!day.ok()) return day.status();
    *field = *day;
  }
  return record;
}

}  // namespace vouch::ocr
