#ifndef VOUCH_OCR_MRZ_H_
#define VOUCH_OCR_MRZ_H_

// Machine-readable zone text: layouts, check digits, field extraction and
// date resolution per ICAO Doc 9303 (8th edition, 2021) parts 3 to 7.
// Pure text functions: no image, no OCR. Thread-safe (no shared state).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace vouch::ocr {

// The five ICAO layouts. Doc 9303-5 (TD1: 3 x 30), 9303-6 (TD2: 2 x 36),
// 9303-4 (TD3: 2 x 44), 9303-7 (MRV-A: 2 x 44, MRV-B: 2 x 36).
enum class MrzFormat { kTd1, kTd2, kTd3, kMrvA, kMrvB };

// "TD1", "TD2", "TD3", "MRVA", "MRVB".
absl::string_view MrzFormatName(MrzFormat format);

// Number of lines and characters per line of `format`.
int MrzLineCount(MrzFormat format);
int MrzLineLength(MrzFormat format);

// The check digits a layout carries. Visas (MRV-A/B) have no optional-data
// and no composite check digit; TD1 and TD2 have no optional-data check.
enum class MrzCheck {
  kDocumentNumber,
  kBirthDate,
  kExpiryDate,
  kOptionalData,  // TD3 personal number.
  kComposite,
};

// "document_number", "birth_date", "expiry_date", "optional_data",
// "composite".
absl::string_view MrzCheckName(MrzCheck check);

// The checks `format` carries, in the order above.
std::vector<MrzCheck> ChecksOf(MrzFormat format);

// ICAO 9303-3 §4.9: weights 7, 3, 1 over values 0-9 -> 0-9, A-Z -> 10-35,
// '<' -> 0; sum modulo 10. Returns nullopt if `data` holds any other
// character.
std::optional<int> ComputeCheckDigit(absl::string_view data);

// True for A-Z, 0-9 and '<'.
bool IsMrzChar(char c);

// True when `code` (as printed, '<' fillers stripped) is an issuing-state or
// nationality code of ICAO 9303-3 §5: ISO 3166-1 alpha-3 codes (except DEU:
// Germany is "D"), GBD/GBN/GBO/GBP/GBS, UNO/UNA/UNK, XXA/XXB/XXC/XXX,
// EUE, RKS, the X.. codes of international organisations, and the fictional
// specimen state UTO.
bool IsIcaoStateCode(absl::string_view code);

// Fields as printed, '<' fillers stripped at field ends; names split at the
// first "<<" with every other '<' turned into a space (ICAO 9303-3 §4.6).
// Check digits are kept as the printed character.
struct MrzFields {
  std::string document_code;  // "P", "I", "ID", "V", "VB", ...
  std::string issuing_state;  // "UTO", "D", ...
  // Including a TD1/TD2 long extension. The Russian internal passport
  // (`PNRUS`) prints its series' first three digits and the number in the
  // nine positions and the series' last digit as the first character of
  // the optional data: here the whole series and number, ten digits as the
  // document shows them ("1104000000" for series 11 04, number 000000).
  std::string document_number;
  std::string document_number_check;
  bool long_document_number = false;  // 9303-5 §4.2.2 note j.
  std::string surname;
  std::string given_names;
  // The name field is full (last character is not a filler): the printed
  // name may have been truncated (9303-3 §4.6.2).
  bool name_possibly_truncated = false;
  std::string nationality;
  // YYMMDD as printed; a part the issuer does not know is fillers
  // (ParsedMrz::birth_date_partly_unknown).
  std::string birth_date;
  std::string birth_date_check;
  std::string sex;          // "M", "F" or "<" (unspecified; "X" in the VIZ).
  std::string expiry_date;  // YYMMDD as printed.
  std::string expiry_date_check;
  // TD3 personal number, TD2/MRV optional data, TD1 optional data of line 1
  // (after a long document number's extension).
  std::string optional_data;
  std::string optional_data_check;  // TD3 only.
  std::string optional_data_2;      // TD1 line 2 only.
  std::string composite_check;      // TD1, TD2, TD3.
};

struct MrzCheckResult {
  MrzCheck check;
  bool passed = false;
};

// How an MRZ's names are written: by the ICAO table (9303-3 §6), or one
// symbol per letter of a national alphabet.
enum class MrzNameScript {
  kIcao,
  // The Russian internal passport: one symbol per Cyrillic letter, digits
  // and Q, W, X standing for letters with no one-letter Latin counterpart
  // (`IM8REK` for Имярек).
  kRussianInternal,
};

// A national document whose MRZ departs from ICAO 9303 by its own rules.
// Recognised by format, document code and issuing state; every part of
// vouch that honours such a rule (the decoder's position alphabets, the
// parse, the pipeline's name comparison) takes it from here
// (mrz_text.cc, kNationalSchemes).
struct MrzNationalScheme {
  // Stable and shown to reviewers: "RUS internal passport".
  absl::string_view name;
  MrzFormat format;
  absl::string_view document_code;  // As printed: "PN".
  absl::string_view issuing_state;  // As printed: "RUS".
  MrzNameScript name_script;
  // Allowed in the name field besides letters and `<`.
  absl::string_view extra_name_symbols;
  // The expiry date and its check digit may all be `<`: the document has
  // none (ParsedMrz::no_expiry_by_scheme).
  bool empty_expiry;
  // TD3: the series' last digit is the first character of the optional
  // data, and MrzFields::document_number joins it back (MrzFields).
  bool series_digit_in_optional_data;
  // The document is an internal passport (for use inside the issuing
  // state; Telegram's `internal_passport`), not a travel document, although
  // its code starts with P.
  bool internal_passport;
};

// The national scheme an MRZ of `format` whose first line is `line1`
// belongs to; nullptr for an ICAO document.
const MrzNationalScheme* FindMrzNationalScheme(MrzFormat format, absl::string_view line1);

// A shape-conforming MRZ, parsed. `valid()` means every check digit of the
// layout passes; it says nothing about state codes or dates, which are
// reported separately because check digits do not cover them.
struct ParsedMrz {
  MrzFormat format;
  std::vector<std::string> lines;
  MrzFields fields;
  std::vector<MrzCheckResult> checks;  // In ChecksOf(format) order.
  // "birth_date" / "expiry_date" when not a calendar date (nor, for the
  // birth date, one printed partly unknown).
  std::vector<std::string> implausible_fields;
  // The birth date is printed partly unknown, as ICAO 9303-3 has an issuer
  // write a date it does not know in full: the unknown day, month and day,
  // or whole date as fillers (`7408<<`, `74<<<<`, `<<<<<<`; a filler
  // counts 0 in the check digit). Refugee and stateless persons' travel
  // documents and some national ones print such dates. Not implausible;
  // ResolvePartialBirthDate gives the days it may be.
  bool birth_date_partly_unknown = false;
  bool issuing_state_known = false;  // IsIcaoStateCode(issuing_state).
  bool nationality_known = false;    // IsIcaoStateCode(nationality).
  // The document prints no expiry date, as its national scheme has it: the
  // Russian internal passport (TD3, document code `PN`, issuing state `RUS`;
  // its validity follows the holder's age) fills the date and its check
  // digit with `<`. That check then passes and
  // the date is not implausible: the document has none (`expiry_date` stays
  // the six fillers).
  bool no_expiry_by_scheme = false;
  // The national scheme of the document (FindMrzNationalScheme); nullptr
  // for ICAO documents. Points into a static table.
  const MrzNationalScheme* national_scheme = nullptr;

  bool valid() const;
  // Result of `check`; nullopt when the layout has no such check.
  std::optional<bool> CheckPassed(MrzCheck check) const;
};

// Which layout `lines` has by count and length (and 'V' in the first
// position for visas), or nullopt.
std::optional<MrzFormat> DetectMrzFormat(const std::vector<std::string>& lines);

// Parses MRZ lines (no whitespace, no newlines). Check-digit failures are
// results, not errors. Errors: kInvalidArgument with message "shape" when
// the line count and lengths match no layout, or "charset" when a character
// is outside A-Z, 0-9, '<'.
absl::StatusOr<ParsedMrz> ParseMrz(const std::vector<std::string>& lines);

// Same, for lines joined by '\n'.
absl::StatusOr<ParsedMrz> ParseMrzText(absl::string_view text);

// Resolves a printed YYMMDD to a calendar day.
// Birth dates lie in the past: the latest century that puts the date on or
// before `today`. Expiry dates: 20YY unless that is more than 20 years after
// `today`, then 19YY (passports run at most 10 years; visas and some ID
// cards longer). Returns nullopt for non-digits or impossible dates.
std::optional<absl::CivilDay> ResolveBirthDate(absl::string_view yymmdd, absl::CivilDay today);
std::optional<absl::CivilDay> ResolveExpiryDate(absl::string_view yymmdd, absl::CivilDay today);

// The days a birth date printed partly unknown may be, both ends included.
struct MrzDayRange {
  absl::CivilDay earliest;
  absl::CivilDay latest;

  bool Contains(absl::CivilDay day) const { return earliest <= day && day <= latest; }
};

// Whether `yymmdd` is a date printed partly unknown
// (ParsedMrz::birth_date_partly_unknown): `YYMM<<` with a month 01-12,
// `YY<<<<` or `<<<<<<`. Any other placement of fillers is not a date.
bool IsPartlyUnknownDate(absl::string_view yymmdd);

// The days a birth date printed partly unknown may be, resolved as
// ResolveBirthDate resolves a whole one: the latest century whose first
// possible day is on or before `today`; the range ends on the last possible
// day, or `today` when that is earlier. `<<<<<<`: the hundred years a
// two-digit year can name, up to `today`. nullopt when `yymmdd` is not such
// a date (IsPartlyUnknownDate).
std::optional<MrzDayRange> ResolvePartialBirthDate(absl::string_view yymmdd, absl::CivilDay today);

// "YYYY-MM-DD".
std::string FormatIsoDate(absl::CivilDay day);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_MRZ_H_
