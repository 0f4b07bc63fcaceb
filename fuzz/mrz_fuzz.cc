// Fuzzes MRZ text parsing (ParseMrzText / ParseMrz), the check-digit helpers
// and the decoder's text-level constrained search (CorrectMrzText, which
// cleans OCR text, finds an MRZ shape and corrects check groups).
//
// Invariants:
// - parse -> print (lines joined by '\n') -> parse gives the same fields and
//   check results; the format matches DetectMrzFormat and the line shape;
//   valid() is exactly "every check passed"; parsed dates that resolve format
//   back to the same YYMMDD.
// - CorrectMrzText's lines have the format's shape and parse; every check it
//   does not report as refused passes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "fuzz_util.h"
#include "mrz/mrz_decoder.h"
#include "ocr/mrz.h"

namespace {

namespace ocr = vouch::ocr;

void CheckParsed(const ocr::ParsedMrz& parsed) {
  FUZZ_CHECK(static_cast<int>(parsed.lines.size()) == ocr::MrzLineCount(parsed.format));
  for (const auto& line : parsed.lines) {
    FUZZ_CHECK(static_cast<int>(line.size()) == ocr::MrzLineLength(parsed.format));
    for (char c : line) FUZZ_CHECK(ocr::IsMrzChar(c));
  }
  FUZZ_CHECK(ocr::DetectMrzFormat(parsed.lines) == parsed.format);
  FUZZ_CHECK(parsed.checks.size() == ocr::ChecksOf(parsed.format).size());
  bool all = true;
  for (const auto& check : parsed.checks) all = all && check.passed;
  FUZZ_CHECK(parsed.valid() == all);

  const std::string printed = absl::StrJoin(parsed.lines, "\n");
  auto again = ocr::ParseMrzText(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->format == parsed.format);
  FUZZ_CHECK(again->lines == parsed.lines);
  FUZZ_CHECK(again->fields.document_number == parsed.fields.document_number);
  FUZZ_CHECK(again->fields.surname == parsed.fields.surname);
  FUZZ_CHECK(again->fields.given_names == parsed.fields.given_names);
  FUZZ_CHECK(again->fields.optional_data == parsed.fields.optional_data);
  FUZZ_CHECK(again->valid() == parsed.valid());
  auto by_lines = ocr::ParseMrz(parsed.lines);
  FUZZ_CHECK(by_lines.ok());
  FUZZ_CHECK(by_lines->fields.birth_date == parsed.fields.birth_date);

  const absl::CivilDay today(2026, 11, 27);
  for (const std::string* date : {&parsed.fields.birth_date, &parsed.fields.expiry_date}) {
    for (auto day : {ocr::ResolveBirthDate(*date, today), ocr::ResolveExpiryDate(*date, today)}) {
      if (!day.has_value()) continue;
      const std::string iso = ocr::FormatIsoDate(*day);  // YYYY-MM-DD
      FUZZ_CHECK(iso.size() == 10);
      FUZZ_CHECK(iso.substr(2, 2) + iso.substr(5, 2) + iso.substr(8, 2) == *date);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // no MRZ is longer; keeps the search bounded
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = ocr::ParseMrzText(text);
  if (std::getenv("VOUCH_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "mrz: %s\n",
                 parsed.ok() ? (parsed->valid() ? "ok valid" : "ok invalid")
                             : parsed.status().ToString().c_str());
  }
  if (parsed.ok()) CheckParsed(*parsed);

  if (auto digit = ocr::ComputeCheckDigit(text); digit.has_value()) {
    FUZZ_CHECK(*digit >= 0 && *digit <= 9);
  }

  auto corrected = ocr::internal::CorrectMrzText(text);
  if (corrected.ok()) {
    FUZZ_CHECK(static_cast<int>(corrected->lines.size()) == ocr::MrzLineCount(corrected->format));
    FUZZ_CHECK(corrected->confidence.size() == corrected->lines.size());
    auto reparsed = ocr::ParseMrz(corrected->lines);
    FUZZ_CHECK(reparsed.ok());
    CheckParsed(*reparsed);
    for (const auto& check : reparsed->checks) {
      bool refused = false;
      for (auto r : corrected->refused) refused = refused || r == check.check;
      FUZZ_CHECK(check.passed || refused);
    }
  }
  return 0;
}
