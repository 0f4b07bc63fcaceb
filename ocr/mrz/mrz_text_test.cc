#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "ocr/mrz.h"
#include "testing/shared_data.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::ElementsAre;
using ::vouch::testing::StatusIs;

nlohmann::json LoadCases() {
  std::ifstream in(::vouch::testing::SharedDir() / "corpus" / "mrz_text_cases.json");
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The corpus names TD1's first optional data "optional_data_1".
std::map<std::string, std::string> FieldsAsCorpusNames(const ParsedMrz& p) {
  const MrzFields& f = p.fields;
  std::map<std::string, std::string> m = {
      {"document_code", f.document_code},
      {"issuing_state", f.issuing_state},
      {"document_number", f.document_number},
      {"document_number_check", f.document_number_check},
      {"surname", f.surname},
      {"given_names", f.given_names},
      {"nationality", f.nationality},
      {"birth_date", f.birth_date},
      {"birth_date_check", f.birth_date_check},
      {"sex", f.sex},
      {"expiry_date", f.expiry_date},
      {"expiry_date_check", f.expiry_date_check},
  };
  if (p.format == MrzFormat::kTd1) {
    m["optional_data_1"] = f.optional_data;
    m["optional_data_2"] = f.optional_data_2;
  } else {
    m["optional_data"] = f.optional_data;
  }
  if (p.format == MrzFormat::kTd3) {
    m["optional_data_check"] = f.optional_data_check;
  }
  if (p.format == MrzFormat::kTd1 || p.format == MrzFormat::kTd2 || p.format == MrzFormat::kTd3) {
    m["composite_check"] = f.composite_check;
  }
  return m;
}

TEST(MrzTextCorpusTest, EveryCaseParsesAsExpected) {
  VOUCH_REQUIRE_SHARED_DIR();
  const nlohmann::json corpus = LoadCases();
  ASSERT_FALSE(corpus.is_discarded());
  ASSERT_EQ(corpus["cases"].size(), 65u);
  int checked = 0;
  for (const nlohmann::json& c : corpus["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const nlohmann::json& e = c["expected"];
    absl::StatusOr<ParsedMrz> p = ParseMrzText(c["text"].get<std::string>());
    if (e["format"].is_null()) {
      ASSERT_FALSE(p.ok());
      EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
      EXPECT_EQ(p.status().message(), e["errors"][0].get<std::string>());
      ++checked;
      continue;
    }
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(MrzFormatName(p->format), e["format"].get<std::string>());
    EXPECT_EQ(p->valid(), e["valid"].get<bool>());

    std::map<std::string, bool> checks;
    for (const MrzCheckResult& r : p->checks) {
      checks[std::string(MrzCheckName(r.check))] = r.passed;
    }
    const auto expected_checks = e["checks"].get<std::map<std::string, bool>>();
    EXPECT_EQ(checks, expected_checks);

    const std::map<std::string, std::string> fields = FieldsAsCorpusNames(*p);
    for (const auto& [name, value] : e["fields"].items()) {
      if (name == "long_document_number") {
        EXPECT_EQ(p->fields.long_document_number, value.get<bool>());
        continue;
      }
      if (name == "long_document_number_check_over") continue;
      auto it = fields.find(name);
      ASSERT_NE(it, fields.end()) << "field " << name;
      EXPECT_EQ(it->second, value.get<std::string>()) << "field " << name;
    }
    EXPECT_EQ(p->implausible_fields, e["implausible_fields"].get<std::vector<std::string>>());
    ++checked;
  }
  EXPECT_EQ(checked, 65);
}

TEST(MrzTextCorpusTest, CheckDigitCases) {
  VOUCH_REQUIRE_SHARED_DIR();
  const nlohmann::json corpus = LoadCases();
  ASSERT_EQ(corpus["check_digit_cases"].size(), 10u);
  for (const nlohmann::json& c : corpus["check_digit_cases"]) {
    SCOPED_TRACE(c["what"].get<std::string>());
    std::optional<int> d = ComputeCheckDigit(c["data"].get<std::string>());
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(std::to_string(*d), c["check"].get<std::string>());
  }
}

TEST(MrzTextCorpusTest, NameFieldCases) {
  VOUCH_REQUIRE_SHARED_DIR();
  const nlohmann::json corpus = LoadCases();
  ASSERT_EQ(corpus["name_field_cases"].size(), 15u);
  for (const nlohmann::json& c : corpus["name_field_cases"]) {
    const std::string line1 = c["line1"].get<std::string>();
    SCOPED_TRACE(line1);
    // Any valid second line: names live on line 1 only.
    absl::StatusOr<ParsedMrz> p = ParseMrz({line1, "L898902C36UTO7408122F1204159ZE184226B<<<<<10"});
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->fields.surname, c["expected_surname"].get<std::string>());
    EXPECT_EQ(p->fields.given_names, c["expected_given_names"].get<std::string>());
    EXPECT_EQ(p->fields.name_possibly_truncated, c["possibly_truncated"].get<bool>());
  }
}

TEST(CheckDigitTest, IcaoExamples) {
  EXPECT_EQ(ComputeCheckDigit("520727"), 3);     // 9303-3 App. A ex. 1.
  EXPECT_EQ(ComputeCheckDigit("AB2134<<<"), 5);  // 9303-3 App. A ex. 2.
  EXPECT_EQ(ComputeCheckDigit(""), 0);
}

TEST(CheckDigitTest, RejectsCharactersOutsideTheMrzSet) {
  EXPECT_EQ(ComputeCheckDigit("52072a"), std::nullopt);
  EXPECT_EQ(ComputeCheckDigit("5207 7"), std::nullopt);
}

constexpr char kTd3Line1[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
constexpr char kTd3Line2[] = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";

TEST(ParseMrzTest, ReportsAlteredBirthDateAsFailedChecks) {
  std::string altered = kTd3Line2;
  altered[13] = '8';  // 740812 -> 840812; printed check digits unchanged.
  absl::StatusOr<ParsedMrz> p = ParseMrz({kTd3Line1, altered});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->valid());
  EXPECT_EQ(p->CheckPassed(MrzCheck::kBirthDate), false);
  EXPECT_EQ(p->CheckPassed(MrzCheck::kComposite), false);
  EXPECT_EQ(p->CheckPassed(MrzCheck::kDocumentNumber), true);
}

TEST(ParseMrzTest, RejectsShapeAndCharset) {
  EXPECT_THAT(ParseMrz({kTd3Line1, std::string(kTd3Line2).substr(0, 43)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseMrz({}), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string bad = kTd3Line2;
  bad[3] = ' ';
  absl::StatusOr<ParsedMrz> p = ParseMrz({kTd3Line1, bad});
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(p.status().message(), "charset");
}

TEST(ParseMrzTest, VisaHasNoCompositeCheck) {
  absl::StatusOr<ParsedMrz> p =
      ParseMrz({"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX7408122F9612109<<<<<<<<"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->format, MrzFormat::kMrvB);
  EXPECT_EQ(p->CheckPassed(MrzCheck::kComposite), std::nullopt);
  EXPECT_TRUE(p->valid());
}

// The Russian internal passport (`PNRUS`) prints no expiry: date and check
// digit all fillers. That is its scheme, so the check passes and the date
// is not implausible; anything else in those positions is judged as ICAO.
// Its series is split around the birth date; the number joins it again.
TEST(ParseMrzTest, RussianInternalPassportHasNoExpiryByItsScheme) {
  const std::string l1 = "PNRUSIM8REK<<EVGENIQ<ALEKSANDROVI3<<<<<<<<<<";
  const std::string l2 = "1100000000RUS8209120M<<<<<<<4041217292000<46";
  absl::StatusOr<ParsedMrz> p = ParseMrz({l1, l2});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->no_expiry_by_scheme);
  EXPECT_TRUE(p->valid());
  EXPECT_THAT(p->implausible_fields, ::testing::IsEmpty());
  EXPECT_EQ(p->fields.expiry_date, "<<<<<<");
  // Series 1104 (its last digit opens the optional data), number 000000.
  EXPECT_EQ(p->fields.document_number, "1104000000");
  ASSERT_NE(p->national_scheme, nullptr);
  EXPECT_EQ(p->national_scheme->name, "RUS internal passport");
  EXPECT_EQ(p->national_scheme->name_script, MrzNameScript::kRussianInternal);

  // Another document code or issuing state: an empty expiry fails its
  // check and is no date.
  for (const char* prefix : {"P<RUS", "PNUTO"}) {
    SCOPED_TRACE(prefix);
    std::string other = l1;
    other.replace(0, 5, prefix);
    p = ParseMrz({other, l2});
    ASSERT_TRUE(p.ok());
    EXPECT_FALSE(p->no_expiry_by_scheme);
    EXPECT_EQ(p->national_scheme, nullptr);
    EXPECT_EQ(p->CheckPassed(MrzCheck::kExpiryDate), false);
    EXPECT_THAT(p->implausible_fields, ElementsAre("expiry_date"));
    EXPECT_EQ(p->fields.document_number, "110000000");
  }
  // The scheme's own document with a digit among the fillers (the
  // composite changes with it): a date that fails, not an empty one.
  std::string partly = l2;
  partly[23] = '1';
  p = ParseMrz({l1, partly});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->no_expiry_by_scheme);
  EXPECT_EQ(p->CheckPassed(MrzCheck::kExpiryDate), false);
  EXPECT_THAT(p->implausible_fields, ElementsAre("expiry_date"));
}

// The scheme table is matched on format, document code and issuing state
// together: the same first line as a TD1 or MRV-A is an ICAO document.
TEST(ParseMrzTest, NationalSchemeNeedsItsFormatCodeAndState) {
  EXPECT_NE(FindMrzNationalScheme(MrzFormat::kTd3, "PNRUSIM8REK<<"), nullptr);
  EXPECT_EQ(FindMrzNationalScheme(MrzFormat::kTd1, "PNRUSIM8REK<<"), nullptr);
  EXPECT_EQ(FindMrzNationalScheme(MrzFormat::kMrvA, "PNRUSIM8REK<<"), nullptr);
  EXPECT_EQ(FindMrzNationalScheme(MrzFormat::kTd3, "P<RUSIM8REK<<"), nullptr);
  EXPECT_EQ(FindMrzNationalScheme(MrzFormat::kTd3, "PNRU"), nullptr);
  EXPECT_EQ(FindMrzNationalScheme(MrzFormat::kTd3, ""), nullptr);
}

TEST(StateCodeTest, IcaoSpecialCodes) {
  for (const char* code : {"D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XXA",
                           "XXB", "XXC", "XXX", "UTO", "FRA", "USA", "CHE", "EUE"}) {
    EXPECT_TRUE(IsIcaoStateCode(code)) << code;
  }
}

TEST(StateCodeTest, RejectsUnknownCodes) {
  for (const char* code : {"", "DEU", "UST", "BAD", "ABC", "ZZZ", "GB", "USAA", "U<O", "451"}) {
    EXPECT_FALSE(IsIcaoStateCode(code)) << code;
  }
}

TEST(DateTest, BirthDatesLieInThePast) {
  const absl::CivilDay today(2026, 11, 27);
  EXPECT_EQ(ResolveBirthDate("740812", today), absl::CivilDay(1974, 8, 12));
  EXPECT_EQ(ResolveBirthDate("261127", today), absl::CivilDay(2026, 11, 27));
  EXPECT_EQ(ResolveBirthDate("261128", today), absl::CivilDay(1926, 11, 28));
  EXPECT_EQ(ResolveBirthDate("050101", today), absl::CivilDay(2005, 1, 1));
}

TEST(DateTest, ExpiryDatesRunUpToTwentyYearsAhead) {
  const absl::CivilDay today(2026, 11, 27);
  EXPECT_EQ(ResolveExpiryDate("120415", today), absl::CivilDay(2012, 4, 15));
  EXPECT_EQ(ResolveExpiryDate("361231", today), absl::CivilDay(2036, 12, 31));
  EXPECT_EQ(ResolveExpiryDate("461127", today), absl::CivilDay(2046, 11, 27));
  EXPECT_EQ(ResolveExpiryDate("961210", today), absl::CivilDay(1996, 12, 10));
}

TEST(DateTest, RejectsImpossibleDates) {
  const absl::CivilDay today(2026, 11, 27);
  EXPECT_EQ(ResolveBirthDate("740231", today), std::nullopt);
  EXPECT_EQ(ResolveBirthDate("74O812", today), std::nullopt);
  EXPECT_EQ(ResolveBirthDate("741301", today), std::nullopt);
  EXPECT_EQ(ResolveExpiryDate("250229", today), std::nullopt);
  EXPECT_EQ(ResolveExpiryDate("240229", today), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(FormatIsoDate(absl::CivilDay(1974, 8, 2)), "1974-08-02");
}

// ICAO 9303-3 has an issuer print an unknown part of a birth date as
// fillers: the day (`7408<<`), the month and day (`74<<<<`) or the whole
// date (`<<<<<<`). Fillers anywhere else are no date.
TEST(DateTest, BirthDatesPrintedPartlyUnknown) {
  const absl::CivilDay today(2026, 11, 27);
  const auto range = [&](absl::string_view yymmdd) {
    std::optional<MrzDayRange> r = ResolvePartialBirthDate(yymmdd, today);
    return r.has_value() ? absl::StrCat(FormatIsoDate(r->earliest), "/", FormatIsoDate(r->latest))
                         : std::string("none");
  };
  EXPECT_EQ(range("7408<<"), "1974-08-01/1974-08-31");
  EXPECT_EQ(range("9602<<"), "1996-02-01/1996-02-29");
  EXPECT_EQ(range("74<<<<"), "1974-01-01/1974-12-31");
  // The latest century whose first possible day is not after today; the
  // range ends today at the latest.
  EXPECT_EQ(range("2611<<"), "2026-11-01/2026-11-27");
  EXPECT_EQ(range("2612<<"), "1926-12-01/1926-12-31");
  EXPECT_EQ(range("26<<<<"), "2026-01-01/2026-11-27");
  EXPECT_EQ(range("<<<<<<"), "1926-11-28/2026-11-27");
  for (const char* not_partial : {"740812", "74<812", "7413<<", "7400<<", "74081<", "7<<<<<",
                                  "<<0812", "<<<<<0", "7408<", "7408<<<"}) {
    EXPECT_FALSE(IsPartlyUnknownDate(not_partial)) << not_partial;
    EXPECT_EQ(range(not_partial), "none") << not_partial;
  }
  EXPECT_EQ(ResolveBirthDate("7408<<", today), std::nullopt);
}

TEST(ParseMrzTest, BirthDatePrintedPartlyUnknownIsNotImplausible) {
  // The specimen with its birth day unknown: "7408<<", check digit 7 (a
  // filler counts 0), composite recomputed.
  absl::StatusOr<ParsedMrz> p =
      ParseMrz({kTd3Line1, "L898902C36UTO7408<<7F1204159ZE184226B<<<<<10"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->valid());
  EXPECT_TRUE(p->birth_date_partly_unknown);
  EXPECT_EQ(p->fields.birth_date, "7408<<");
  EXPECT_THAT(p->implausible_fields, ::testing::IsEmpty());

  // A filler where no unknown part can be: passes the check digit (a
  // filler counts as 0) but is no date.
  p = ParseMrz({kTd3Line1, "L898902C36UTO74<8122F1204159ZE184226B<<<<<10"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->valid());
  EXPECT_FALSE(p->birth_date_partly_unknown);
  EXPECT_THAT(p->implausible_fields, ElementsAre("birth_date"));
}

}  // namespace
}  // namespace vouch::ocr
