#include "mrz/mrz_decoder.h"

#include <fstream>
#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mrz/mrz_test_lines.h"
#include "nlohmann/json.hpp"
#include "testing/shared_data.h"
#include "testing/status_matchers.h"

namespace vouch::ocr::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::vouch::testing::StatusIs;

// The scores the text decoder gives typed lines (look-alikes a little below
// the printed symbol).
std::vector<std::vector<CharScores>> TextScores(const std::vector<std::string>& lines) {
  std::vector<std::vector<CharScores>> s;
  s.reserve(lines.size());
  for (const std::string& l : lines) s.push_back(ScoresFromText(l));
  return s;
}

TEST(MrzDecoderTest, OcrCorrectionCasesFromTheCorpus) {
  VOUCH_REQUIRE_SHARED_DIR();
  std::ifstream in(::vouch::testing::SharedDir() / "corpus" / "mrz_text_cases.json");
  const nlohmann::json corpus = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(corpus.is_discarded());
  ASSERT_EQ(corpus["ocr_correction_cases"].size(), 4u);
  for (const nlohmann::json& c : corpus["ocr_correction_cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    absl::StatusOr<DecodedMrz> d = CorrectMrzText(c["ocr"].get<std::string>());
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(absl::StrJoin(d->lines, "\n"), c["expected"].get<std::string>());
    EXPECT_THAT(d->refused, IsEmpty());
    EXPECT_TRUE(ParseMrz(d->lines)->valid());
  }
}

TEST(MrzDecoderTest, CleanScoresDecodeUnchanged) {
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, TextScores({kL1, kL2}));
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->lines, ElementsAre(kL1, kL2));
  EXPECT_THAT(d->refused, IsEmpty());
  EXPECT_GT(d->confidence[1][13], 0.99f);
}

TEST(MrzDecoderTest, CheckDigitChoosesTheRunnerUpAtAnUncertainPosition) {
  auto s = TextScores({kL1, kL2});
  // Birth date digit 3 (index 15, '0') looks slightly more like '6'.
  s[1][15][MrzIndex('6')] = 0.5f;
  s[1][15][MrzIndex('0')] = 0.f;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1], kL2);
  EXPECT_TRUE(d->corrected[1][15]);
  EXPECT_THAT(d->refused, IsEmpty());
}

TEST(MrzDecoderTest, RefusesWhenNoAlternativeIsPlausible) {
  auto s = TextScores({kL1, kL2});
  // A confident wrong digit with no plausible alternative anywhere.
  for (int c = 0; c < kMrzAlphabetSize; ++c) s[1][15][c] = -20.f;
  s[1][15][MrzIndex('6')] = 0.f;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1][15], '6');
  EXPECT_THAT(d->refused, ElementsAre(MrzCheck::kBirthDate, MrzCheck::kComposite));
  EXPECT_FALSE(ParseMrz(d->lines)->valid());
}

TEST(MrzDecoderTest, RefusesAmbiguousCorrections) {
  auto s = TextScores({kL1, kL2});
  // Two positions equally uncertain: either fix satisfies the check digit
  // at the same cost, so neither may be chosen.
  s[1][15][MrzIndex('6')] = 0.5f;
  s[1][15][MrzIndex('0')] = 0.f;
  s[1][16][MrzIndex('8')] = 0.f;
  s[1][16][MrzIndex('1')] = 0.5f;  // Wrong too.
  // Make every single change at 13..18 cost the same.
  for (int i = 13; i <= 19; ++i) {
    for (int c = 0; c < 10; ++c) s[1][i][c] = std::max(s[1][i][c], -0.2f);
  }
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, s);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->refused, ::testing::Contains(MrzCheck::kBirthDate));
}

// The document number "L898902C3" read with 'O' for the '0' at index 5, and
// the '8' at index 3 nearly as much like its look-alike '6': changing either
// satisfies the check digit at almost the same cost (hard page seed 1000 had
// this shape, with a '9' that looked like 'B'; corrections now go to
// look-alikes only, see CorrectsOnlyToLookAlikes).
std::vector<std::vector<CharScores>> AmbiguousDocumentNumber() {
  auto s = TextScores({kL1, kL2});
  s[1][5][MrzIndex('O')] = 0.1f;
  s[1][5][MrzIndex('0')] = 0.f;
  s[1][3][MrzIndex('6')] = -0.05f;
  return s;
}

TEST(MrzDecoderTest, AmbiguousCorrectionIsRefusedWithoutTieBreaker) {
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, AmbiguousDocumentNumber());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1].substr(0, 10), "L8989O2C36");
  EXPECT_THAT(d->refused, ::testing::Contains(MrzCheck::kDocumentNumber));
  EXPECT_THAT(d->tie_broken, IsEmpty());
}

TEST(MrzDecoderTest, TieBreakerChoosesAmongPassingCorrections) {
  DecoderOptions options;
  std::vector<CorrectionCandidate> seen;
  options.tie_breaker = [&](MrzCheck check, const std::vector<CorrectionCandidate>& c) {
    EXPECT_EQ(check, MrzCheck::kDocumentNumber);
    seen = c;
    for (size_t i = 0; i < c.size(); ++i) {
      if (c[i].lines[1] == kL2) return static_cast<int>(i);
    }
    return -1;
  };
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, AmbiguousDocumentNumber(), options);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->lines, ElementsAre(kL1, kL2));
  EXPECT_THAT(d->tie_broken, ElementsAre(MrzCheck::kDocumentNumber));
  EXPECT_THAT(d->refused, IsEmpty());
  EXPECT_TRUE(d->corrected[1][5]);
  // Every candidate passes the check, edits line 2 only, cheapest first,
  // and the near-equal wrong fix ('6' at index 3) is among them.
  ASSERT_GE(seen.size(), 2u);
  bool has_b = false;
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].line, 1);
    EXPECT_TRUE(ParseMrz(seen[i].lines)->CheckPassed(MrzCheck::kDocumentNumber).value_or(false));
    if (i > 0) {
      EXPECT_LE(seen[i - 1].cost, seen[i].cost);
    }
    has_b = has_b || seen[i].lines[1].substr(3, 3) == "69O";
  }
  EXPECT_TRUE(has_b);
}

TEST(MrzDecoderTest, TieBreakerThatCannotDecideLeavesTheRefusal) {
  for (int answer : {-1, 99}) {
    DecoderOptions options;
    options.tie_breaker = [&](MrzCheck, const std::vector<CorrectionCandidate>&) { return answer; };
    absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, AmbiguousDocumentNumber(), options);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->lines[1].substr(0, 10), "L8989O2C36");
    EXPECT_THAT(d->refused, ::testing::Contains(MrzCheck::kDocumentNumber));
    EXPECT_THAT(d->tie_broken, IsEmpty());
  }
}

TEST(MrzDecoderTest, TieBreakerIsNotAskedWhenTheCheckDigitDecides) {
  auto s = TextScores({kL1, kL2});
  s[1][15][MrzIndex('6')] = 0.5f;
  s[1][15][MrzIndex('0')] = 0.f;
  DecoderOptions options;
  int calls = 0;
  options.tie_breaker = [&](MrzCheck, const std::vector<CorrectionCandidate>&) {
    ++calls;
    return 0;
  };
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, s, options);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1], kL2);
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(d->tie_broken, IsEmpty());
}

TEST(MrzDecoderTest, PositionAlphabetsMapDigitsInNamesAndLettersInDates) {
  absl::StatusOr<DecodedMrz> d =
      DecodeMrz(MrzFormat::kTd3, TextScores({"P<UT0ER1KSSON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<",
                                             "L898902C36UT07408I22F12O4159ZE184226B<<<<<10"}));
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->lines, ElementsAre(kL1, kL2));
}

// A birth date printed partly unknown keeps its fillers; a filler the
// recogniser reads where no unknown part can be (`74<812`: the check cannot
// tell it from `0`) takes its best digit.
TEST(MrzDecoderTest, BirthDateFillersOnlyWhereAPartlyUnknownDatePrintsThem) {
  constexpr char kDayUnknown[] = "L898902C36UTO7408<<7F1204159ZE184226B<<<<<10";
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, Clean({kL1, kDayUnknown}));
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->lines, ElementsAre(kL1, kDayUnknown));
  EXPECT_THAT(d->refused, IsEmpty());

  constexpr char kTd1DayUnknown[] = "7408<<7F1204159UTO<<<<<<<<<<<6";
  d = DecodeMrz(MrzFormat::kTd1, Clean({"I<UTOD231458907<<<<<<<<<<<<<<<", kTd1DayUnknown,
                                        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1], kTd1DayUnknown);

  auto misplaced = Clean({kL1, "L898902C36UTO74<8122F1204159ZE184226B<<<<<10"});
  misplaced[1][15][MrzIndex('0')] = -1.f;  // The filler read over a weak '0'.
  d = DecodeMrz(MrzFormat::kTd3, misplaced);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->lines, ElementsAre(kL1, kL2));
}

// The probability mass of the alternatives by check-digit value difference:
// an O/0 look-alike at a document-number position puts its share at the
// difference of 0 and O (24) modulo 10, and the masses with the chosen
// symbol's share add up to one.
TEST(MrzDecoderTest, ResidueMassHoldsTheLookAlikeByValueDifference) {
  std::vector<std::vector<CharScores>> s = TextScores({kL1, kL2});
  CharScores& cell = s[1][5];  // The '0' of L898902C3.
  cell[MrzIndex('O')] = cell[MrzIndex('0')] - 0.2f;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1], kL2);
  const auto& mass = d->residue_mass[1][5];
  EXPECT_GT(mass[(24 - 0) % 10], 0.3f);  // O instead of 0: +24.
  EXPECT_FLOAT_EQ(mass[0], d->undetectable[1][5]);
  float total = d->confidence[1][5];
  for (float m : mass) total += m;
  EXPECT_NEAR(total, 1.0f, 1e-4);
  // A sure position has (almost) no mass elsewhere.
  float elsewhere = 0;
  for (float m : d->residue_mass[1][14]) elsewhere += m;
  EXPECT_LT(elsewhere, 0.01f);
}

// "L898902C3" with its check digit printed wrong ('1' for '6'): '3' at
// index 8 (weight 1) read as its look-alike '8' (+5) would make it pass.
std::vector<std::vector<CharScores>> PrintedWrongCheckDigit(float penalty_of_8) {
  std::string printed = kL2;
  printed[9] = '1';
  auto s = TextScores({kL1, printed});
  s[1][8].fill(-12.f);
  s[1][8][MrzIndex('3')] = 0.f;
  s[1][8][MrzIndex('8')] = -penalty_of_8;
  return s;
}

TEST(MrzDecoderTest, CorrectsALookAlikeWhereTheGlyphIsAmbiguous) {
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, PrintedWrongCheckDigit(1.0f));

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1].substr(0, 10), "L898902C81");
  EXPECT_TRUE(d->corrected[1][8]);
  EXPECT_THAT(d->refused, IsEmpty());
}

TEST(MrzDecoderTest, NeverRewritesAClearlyPrintedLookAlike) {
  // '8' scores 5 below the '3' read: within the total correction budget,
  // but the glyph is not ambiguous.
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, PrintedWrongCheckDigit(5.0f));

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1].substr(0, 10), "L898902C31");
  EXPECT_THAT(d->refused, ::testing::Contains(MrzCheck::kDocumentNumber));
}

TEST(MrzDecoderTest, NeverRewritesToACharacterThatIsNotALookAlike) {
  // The case: a clearly printed '1' became '3' to pass the check.
  // Here '9' at index 4 (weight 3) -> '4' (-5) would pass it, and scores
  // close.
  auto s = PrintedWrongCheckDigit(12.0f);
  s[1][4][MrzIndex('4')] = -0.5f;

  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, s);

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[1].substr(0, 10), "L898902C31");
  EXPECT_THAT(d->refused, ::testing::Contains(MrzCheck::kDocumentNumber));
  EXPECT_FALSE(IsLookAlike('9', '4'));
  EXPECT_TRUE(IsLookAlike('O', '0'));
  EXPECT_TRUE(IsLookAlike('0', 'O'));
}

// td3_rus_internal_imbrek_scan's lines (mrz_real): the
// Russian internal passport's names carry digits (`8` Я, `3` Ч) and its
// expiry date and check digit are empty.
constexpr char kRusL1[] = "PNRUSIM8REK<<EVGENIQ<ALEKSANDROVI3<<<<<<<<<<";
constexpr char kRusL2[] = "1100000000RUS8209120M<<<<<<<4041217292000<46";

TEST(MrzDecoderTest, RussianInternalPassportKeepsItsNationalNamesAndEmptyExpiry) {
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, TextScores({kRusL1, kRusL2}));
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->lines, ElementsAre(kRusL1, kRusL2));
  // Read as printed: the empty expiry is the scheme's (its check passes),
  // and nothing was rewritten.
  EXPECT_THAT(d->refused, IsEmpty());
  for (int i = 0; i < 44; ++i) EXPECT_FALSE(d->corrected[1][i]) << i;
  absl::StatusOr<ParsedMrz> p = ParseMrz(d->lines);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->fields.surname, "IM8REK");
  EXPECT_TRUE(p->no_expiry_by_scheme);
  EXPECT_TRUE(p->valid());
  // `0`, `1` and `5` are not in the national alphabet: still letters.
  std::string with_o = kRusL1;
  with_o[6] = 'O';
  d = DecodeMrz(MrzFormat::kTd3, TextScores({with_o, kRusL2}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines[0][6], 'O');
}

TEST(MrzDecoderTest, OnlyTheRussianInternalPassportHasDigitsInNames) {
  // The same lines under another document code or issuing state keep the
  // ICAO alphabets: a name's `8` can only be its look-alike `B`, an expiry
  // only digits.
  for (const char* prefix : {"P<RUS", "PNUTO"}) {
    SCOPED_TRACE(prefix);
    std::string l1 = kRusL1;
    l1.replace(0, 5, prefix);
    absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, TextScores({l1, kRusL2}));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->lines[0][7], 'B');
    EXPECT_EQ(d->lines[1].substr(21, 7).find('<'), std::string::npos);
  }
}

// The position alphabets as the decoder uses them: no letter in a date, no
// digit in an ICAO name, both in a document number; a filler in the expiry
// and some digits in the names only under the Russian internal passport's
// scheme.
TEST(MrzDecoderTest, PositionAllowsFollowsTheLayoutAndTheNationalScheme) {
  const std::vector<std::string> icao = {kL1, kL2};
  EXPECT_TRUE(PositionAllows(MrzFormat::kTd3, icao, 1, 23, '0'));
  EXPECT_FALSE(PositionAllows(MrzFormat::kTd3, icao, 1, 23, 'U'));
  EXPECT_TRUE(PositionAllows(MrzFormat::kTd3, icao, 1, 5, 'U'));
  EXPECT_FALSE(PositionAllows(MrzFormat::kTd3, icao, 0, 7, '8'));
  EXPECT_FALSE(PositionAllows(MrzFormat::kTd3, icao, 1, 23, '<'));
  EXPECT_FALSE(PositionAllows(MrzFormat::kTd3, icao, 1, 44, '0'));
  EXPECT_FALSE(PositionAllows(MrzFormat::kTd3, icao, 1, 23, '?'));
  const std::vector<std::string> rus = {kRusL1, kRusL2};
  EXPECT_TRUE(PositionAllows(MrzFormat::kTd3, rus, 1, 23, '<'));
  EXPECT_TRUE(PositionAllows(MrzFormat::kTd3, rus, 0, 7, '8'));
  EXPECT_FALSE(PositionAllows(MrzFormat::kTd3, rus, 1, 23, 'U'));
}

TEST(MrzDecoderTest, RejectsShapeMismatch) {
  EXPECT_THAT(DecodeMrz(MrzFormat::kTd1, TextScores({kL1, kL2})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CorrectMrzText("hello\nworld"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace vouch::ocr::internal
