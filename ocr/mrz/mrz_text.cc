// MRZ layouts and field extraction, ICAO Doc 9303 parts 3 to 7.

#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "ocr/mrz.h"

namespace vouch::ocr {
namespace {

// Removes '<' fillers at both ends of a field.
std::string StripFillers(absl::string_view s) {
  while (!s.empty() && s.front() == '<') s.remove_prefix(1);
  while (!s.empty() && s.back() == '<') s.remove_suffix(1);
  return std::string(s);
}

// Removes trailing fillers only: a leading filler in a number is data.
std::string StripTrailingFillers(absl::string_view s) {
  while (!s.empty() && s.back() == '<') s.remove_suffix(1);
  return std::string(s);
}

// '<' -> ' ', then trims spaces at both ends.
std::string NamePart(absl::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '<') c = ' ';
  }
  size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  size_t e = out.find_last_not_of(' ');
  return out.substr(b, e - b + 1);
}

// ICAO 9303-3 §4.6: primary identifier, "<<", secondary identifier.
void SplitName(absl::string_view field, MrzFields& f) {
  f.name_possibly_truncated = !field.empty() && field.back() != '<';
  std::string trimmed = StripTrailingFillers(field);
  size_t sep = trimmed.find("<<");
  if (sep == std::string::npos) {
    f.surname = NamePart(trimmed);
    f.given_names.clear();
    return;
  }
  f.surname = NamePart(absl::string_view(trimmed).substr(0, sep));
  f.given_names = NamePart(absl::string_view(trimmed).substr(sep + 2));
}

bool CheckMatches(absl::string_view data, char printed) {
  std::optional<int> digit = ComputeCheckDigit(data);
  return digit.has_value() && printed == static_cast<char>('0' + *digit);
}

bool IsCalendarDate(absl::string_view yymmdd) {
  if (yymmdd.size() != 6) return false;
  for (char c : yymmdd) {
    if (c < '0' || c > '9') return false;
  }
  int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
  int mm = (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0');
  int dd = (yymmdd[4] - '0') * 10 + (yymmdd[5] - '0');
  if (mm < 1 || mm > 12 || dd < 1) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (dd > kDays[mm - 1]) return false;
  // 29 February exists in 2000 + yy or 1900 + yy only if yy % 4 == 0
  // (1900 is not a leap year but 2000 is, so yy == 0 is fine).
  if (mm == 2 && dd == 29 && yy % 4 != 0) return false;
  return true;
}

// Document number at data[0..9) with its check digit at data[9]; when the
// check position holds a filler, the number continues in `overflow` up to
// the last character before the first filler, which is the check digit
// (9303-5 §4.2.2 note j; 9303-6 likewise). The check digit then covers the
// whole number (9 + extension characters). Returns the remaining optional
// data (after the extension and its filler).
std::string ExtractDocumentNumber(absl::string_view number9, char check, absl::string_view overflow,
                                  bool allow_long, MrzFields& f) {
  f.long_document_number = false;
  if (allow_long && check == '<' && !overflow.empty() && overflow.front() != '<') {
    size_t end = overflow.find('<');
    if (end == absl::string_view::npos) end = overflow.size();
    if (end >= 2) {
      f.long_document_number = true;
      f.document_number = std::string(number9) + std::string(overflow.substr(0, end - 1));
      f.document_number_check = std::string(1, overflow[end - 1]);
      return end < overflow.size() ? std::string(overflow.substr(end + 1)) : std::string();
    }
  }
  f.document_number = StripTrailingFillers(number9);
  f.document_number_check = std::string(1, check);
  return std::string(overflow);
}

// A long document number's check digit covers the whole number (9303-5
// §4.2.2 note j); some issuers (Belgium) compute it over the printed
// characters including the filler in position 15. Both are accepted.
bool DocumentNumberCheckPasses(absl::string_view number9, const MrzFields& f) {
  const char printed = f.document_number_check[0];
  if (!f.long_document_number) return CheckMatches(number9, printed);
  const std::string with_filler =
      std::string(number9) + "<" + f.document_number.substr(number9.size());
  return CheckMatches(f.document_number, printed) || CheckMatches(with_filler, printed);
}

void AddCheck(ParsedMrz& p, MrzCheck check, bool passed) { p.checks.push_back({check, passed}); }

// The 9303-4 TD3 / 9303-7 visa second line up to the expiry check digit,
// shared by TD2, TD3, MRV-A and MRV-B.
void ParseSecondLineCommon(absl::string_view l2, MrzFields& f) {
  f.nationality = StripFillers(l2.substr(10, 3));
  f.birth_date = std::string(l2.substr(13, 6));
  f.birth_date_check = std::string(1, l2[19]);
  f.sex = std::string(1, l2[20]);
  f.expiry_date = std::string(l2.substr(21, 6));
  f.expiry_date_check = std::string(1, l2[27]);
}

void ParseFirstLineWithName(absl::string_view l1, MrzFields& f) {
  f.document_code = StripFillers(l1.substr(0, 2));
  f.issuing_state = StripFillers(l1.substr(2, 3));
  SplitName(l1.substr(5), f);
}

// The series and number of a document whose scheme prints the series'
// last digit in the optional data (the Russian internal passport): the
// series' first three digits and the number (line 2, positions 1-9), with
// that digit (position 29) put back in its place. Unchanged unless all ten
// are digits.
void JoinSeries(absl::string_view l2, MrzFields& f) {
  const std::string joined = absl::StrCat(l2.substr(0, 3), l2.substr(28, 1), l2.substr(3, 6));
  if (joined.size() == 10 && absl::c_all_of(joined, absl::ascii_isdigit))
    f.document_number = joined;
}

// Whether `expiry` (the date and its check digit as printed) is the empty
// expiry `scheme` allows.
bool EmptyExpiryByScheme(const MrzNationalScheme* scheme, absl::string_view expiry) {
  return scheme != nullptr && scheme->empty_expiry &&
         expiry.find_first_not_of('<') == absl::string_view::npos;
}

void ParseTd1(const std::vector<std::string>& lines, ParsedMrz& p) {
  absl::string_view l1 = lines[0], l2 = lines[1], l3 = lines[2];
  MrzFields& f = p.fields;
  f.document_code = StripFillers(l1.substr(0, 2));
  f.issuing_state = StripFillers(l1.substr(2, 3));
  std::string rest = ExtractDocumentNumber(l1.substr(5, 9), l1[14], l1.substr(15, 15), true, f);
  f.optional_data = StripTrailingFillers(rest);
  f.birth_date = std::string(l2.substr(0, 6));
  f.birth_date_check = std::string(1, l2[6]);
  f.sex = std::string(1, l2[7]);
  f.expiry_date = std::string(l2.substr(8, 6));
  f.expiry_date_check = std::string(1, l2[14]);
  f.nationality = StripFillers(l2.substr(15, 3));
  f.optional_data_2 = StripTrailingFillers(l2.substr(18, 11));
  f.composite_check = std::string(1, l2[29]);
  SplitName(l3, f);

  p.national_scheme = FindMrzNationalScheme(p.format, l1);
  p.no_expiry_by_scheme = EmptyExpiryByScheme(p.national_scheme, l2.substr(8, 7));
  AddCheck(p, MrzCheck::kDocumentNumber, DocumentNumberCheckPasses(l1.substr(5, 9), f));
  AddCheck(p, MrzCheck::kBirthDate, CheckMatches(l2.substr(0, 6), l2[6]));
  AddCheck(p, MrzCheck::kExpiryDate,
           p.no_expiry_by_scheme || CheckMatches(l2.substr(8, 6), l2[14]));
  // 9303-5 §4.2.2: line 1 positions 6-30, line 2 positions 1-7, 9-15, 19-29.
  std::string composite = std::string(l1.substr(5, 25)) + std::string(l2.substr(0, 7)) +
                          std::string(l2.substr(8, 7)) + std::string(l2.substr(18, 11));
  AddCheck(p, MrzCheck::kComposite, CheckMatches(composite, l2[29]));
}

// TD2 and MRV-B (2 x 36), TD3 and MRV-A (2 x 44).
void ParseTwoLine(const std::vector<std::string>& lines, ParsedMrz& p) {
  absl::string_view l1 = lines[0], l2 = lines[1];
  MrzFields& f = p.fields;
  const bool visa = p.format == MrzFormat::kMrvA || p.format == MrzFormat::kMrvB;
  const size_t len = l2.size();
  ParseFirstLineWithName(l1, f);
  ParseSecondLineCommon(l2, f);

  if (visa) {
    // 9303-7 §4.2.2 / §5.2.2: optional data to the end, no more checks.
    f.document_number = StripTrailingFillers(l2.substr(0, 9));
    f.document_number_check = std::string(1, l2[9]);
    f.optional_data = StripTrailingFillers(l2.substr(28));
  } else if (p.format == MrzFormat::kTd2) {
    std::string rest = ExtractDocumentNumber(l2.substr(0, 9), l2[9], l2.substr(28, 7), true, f);
    f.optional_data = StripTrailingFillers(rest);
    f.composite_check = std::string(1, l2[35]);
  } else {  // TD3
    f.document_number = StripTrailingFillers(l2.substr(0, 9));
    f.document_number_check = std::string(1, l2[9]);
    f.optional_data = StripTrailingFillers(l2.substr(28, 14));
    f.optional_data_check = std::string(1, l2[42]);
    f.composite_check = std::string(1, l2[43]);
  }

  p.national_scheme = FindMrzNationalScheme(p.format, l1);
  if (p.format == MrzFormat::kTd3 && p.national_scheme != nullptr &&
      p.national_scheme->series_digit_in_optional_data) {
    JoinSeries(l2, f);
  }
  p.no_expiry_by_scheme = EmptyExpiryByScheme(p.national_scheme, l2.substr(21, 7));
  AddCheck(p, MrzCheck::kDocumentNumber, DocumentNumberCheckPasses(l2.substr(0, 9), f));
  AddCheck(p, MrzCheck::kBirthDate, CheckMatches(l2.substr(13, 6), l2[19]));
  AddCheck(p, MrzCheck::kExpiryDate,
           p.no_expiry_by_scheme || CheckMatches(l2.substr(21, 6), l2[27]));
  if (p.format == MrzFormat::kTd3) {
    // 9303-4 §4.2.2: the personal-number check digit may be '<' when the
    // field is all fillers.
    absl::string_view personal = l2.substr(28, 14);
    bool all_fillers = personal.find_first_not_of('<') == absl::string_view::npos;
    AddCheck(p, MrzCheck::kOptionalData,
             CheckMatches(personal, l2[42]) || (all_fillers && l2[42] == '<'));
  }
  if (!visa) {
    // Composite over line 2 positions 1-10, 14-20, 22-(len-1).
    std::string composite = std::string(l2.substr(0, 10)) + std::string(l2.substr(13, 7)) +
                            std::string(l2.substr(21, len - 22));
    AddCheck(p, MrzCheck::kComposite, CheckMatches(composite, l2[len - 1]));
  }
}

// The national schemes vouch knows. The Russian internal passport (TD3,
// document code `PN`, issuing state `RUS`) writes its names in a national
// transliteration in which digits stand for Cyrillic letters with no Latin
// counterpart (`2` Ё, `3` Ч, `4` Ш, `6` Э, `7` Ю, `8` Я, `9` Ь; `0`, `1` and
// `5` are not used, so the O/0, I/1 and S/5 look-alikes stay excluded),
// leaves its expiry date and that date's check digit empty (validity follows
// the holder's age), and prints the series' last digit in the optional data.
constexpr MrzNationalScheme kNationalSchemes[] = {
    {.name = "RUS internal passport",
     .format = MrzFormat::kTd3,
     .document_code = "PN",
     .issuing_state = "RUS",
     .name_script = MrzNameScript::kRussianInternal,
     .extra_name_symbols = "2346789",
     .empty_expiry = true,
     .series_digit_in_optional_data = true,
     .internal_passport = true},
};

}  // namespace

const MrzNationalScheme* FindMrzNationalScheme(MrzFormat format, absl::string_view line1) {
  for (const MrzNationalScheme& s : kNationalSchemes) {
    if (s.format == format && line1.substr(0, 2) == s.document_code &&
        line1.substr(2, 3) == s.issuing_state) {
      return &s;
    }
  }
  return nullptr;
}

absl::string_view MrzFormatName(MrzFormat format) {
  switch (format) {
    case MrzFormat::kTd1:
      return "TD1";
    case MrzFormat::kTd2:
      return "TD2";
    case MrzFormat::kTd3:
      return "TD3";
    case MrzFormat::kMrvA:
      return "MRVA";
    case MrzFormat::kMrvB:
      return "MRVB";
  }
  return "?";
}

int MrzLineCount(MrzFormat format) { return format == MrzFormat::kTd1 ? 3 : 2; }

int MrzLineLength(MrzFormat format) {
  switch (format) {
    case MrzFormat::kTd1:
      return 30;
    case MrzFormat::kTd2:
    case MrzFormat::kMrvB:
      return 36;
    case MrzFormat::kTd3:
    case MrzFormat::kMrvA:
      return 44;
  }
  return 0;
}

absl::string_view MrzCheckName(MrzCheck check) {
  switch (check) {
    case MrzCheck::kDocumentNumber:
      return "document_number";
    case MrzCheck::kBirthDate:
      return "birth_date";
    case MrzCheck::kExpiryDate:
      return "expiry_date";
    case MrzCheck::kOptionalData:
      return "optional_data";
    case MrzCheck::kComposite:
      return "composite";
  }
  return "?";
}

std::vector<MrzCheck> ChecksOf(MrzFormat format) {
  switch (format) {
    case MrzFormat::kTd3:
      return {MrzCheck::kDocumentNumber, MrzCheck::kBirthDate, MrzCheck::kExpiryDate,
              MrzCheck::kOptionalData, MrzCheck::kComposite};
    case MrzFormat::kTd1:
    case MrzFormat::kTd2:
      return {MrzCheck::kDocumentNumber, MrzCheck::kBirthDate, MrzCheck::kExpiryDate,
              MrzCheck::kComposite};
    case MrzFormat::kMrvA:
    case MrzFormat::kMrvB:
      return {MrzCheck::kDocumentNumber, MrzCheck::kBirthDate, MrzCheck::kExpiryDate};
  }
  return {};
}

bool IsMrzChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<'; }

std::optional<int> ComputeCheckDigit(absl::string_view data) {
  static constexpr int kWeights[3] = {7, 3, 1};
  int sum = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    int value;
    if (c >= '0' && c <= '9') {
      value = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      value = c - 'A' + 10;
    } else if (c == '<') {
      value = 0;
    } else {
      return std::nullopt;
    }
    sum += value * kWeights[i % 3];
  }
  return sum % 10;
}

bool ParsedMrz::valid() const {
  for (const MrzCheckResult& c : checks) {
    if (!c.passed) return false;
  }
  return !checks.empty();
}

std::optional<bool> ParsedMrz::CheckPassed(MrzCheck check) const {
  for (const MrzCheckResult& c : checks) {
    if (c.check == check) return c.passed;
  }
  return std::nullopt;
}

std::optional<MrzFormat> DetectMrzFormat(const std::vector<std::string>& lines) {
  if (lines.size() == 3) {
    for (const std::string& l : lines) {
      if (l.size() != 30) return std::nullopt;
    }
    return MrzFormat::kTd1;
  }
  if (lines.size() != 2 || lines[0].size() != lines[1].size()) {
    return std::nullopt;
  }
  const bool visa = !lines[0].empty() && lines[0][0] == 'V';
  if (lines[0].size() == 36) return visa ? MrzFormat::kMrvB : MrzFormat::kTd2;
  if (lines[0].size() == 44) return visa ? MrzFormat::kMrvA : MrzFormat::kTd3;
  return std::nullopt;
}

absl::StatusOr<ParsedMrz> ParseMrz(const std::vector<std::string>& lines) {
  std::optional<MrzFormat> format = DetectMrzFormat(lines);
  if (!format.has_value()) return absl::InvalidArgumentError("shape");
  for (const std::string& l : lines) {
    for (char c : l) {
      if (!IsMrzChar(c)) return absl::InvalidArgumentError("charset");
    }
  }
  ParsedMrz p;
  p.format = *format;
  p.lines = lines;
  if (*format == MrzFormat::kTd1) {
    ParseTd1(lines, p);
  } else {
    ParseTwoLine(lines, p);
  }
  p.birth_date_partly_unknown = IsPartlyUnknownDate(p.fields.birth_date);
  if (!IsCalendarDate(p.fields.birth_date) && !p.birth_date_partly_unknown) {
    p.implausible_fields.push_back("birth_date");
  }
  if (!p.no_expiry_by_scheme && !IsCalendarDate(p.fields.expiry_date)) {
    p.implausible_fields.push_back("expiry_date");
  }
  p.issuing_state_known = IsIcaoStateCode(p.fields.issuing_state);
  p.nationality_known = IsIcaoStateCode(p.fields.nationality);
  return p;
}

absl::StatusOr<ParsedMrz> ParseMrzText(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  return ParseMrz(lines);
}

}  // namespace vouch::ocr
