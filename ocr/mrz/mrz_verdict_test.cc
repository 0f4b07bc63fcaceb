#include "mrz/mrz_verdict.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mrz/mrz_decoder.h"

namespace vouch::ocr::internal {
namespace {

using ::testing::Contains;
using ::testing::Not;

// Specimen passport from ICAO Doc 9303 Part 4, Appendix A.
constexpr char kL1[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
constexpr char kL2[] = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";

// Scores of a clearly printed page: the printed symbol 0, every other -12.
std::vector<std::vector<CharScores>> Clean(const std::vector<std::string>& lines) {
  std::vector<std::vector<CharScores>> s;
  for (const std::string& l : lines) {
    std::vector<CharScores> row;
    for (char c : l) {
      CharScores cell;
      cell.fill(-12.f);
      cell[MrzIndex(c)] = 0.f;
      row.push_back(cell);
    }
    s.push_back(row);
  }
  return s;
}

// A second recogniser that reads fixed lines.
class FixedOpinion final : public SecondOpinion {
 public:
  explicit FixedOpinion(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  std::string LineText(int line) override {
    return line < static_cast<int>(lines_.size()) ? lines_[line] : std::string();
  }

 private:
  std::vector<std::string> lines_;
};

VerdictOptions Options() {
  VerdictOptions o;
  o.today = absl::CivilDay(2010, 1, 1);
  return o;
}

MrzReadResult Judge(const std::vector<std::vector<CharScores>>& scores,
                    SecondOpinion& second) {
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  EXPECT_TRUE(d.ok()) << d.status();
  return JudgeMrz(*d, second, Options());
}

// Every birth-date digit (line 2, 13..18) has a runner-up one value higher
// at 0.5 below it: each digit ~62 % sure, the field's product ~6 %. A
// single error changes the check sum, and no pair of errors cancels in both
// the birth-date check (weights 7, 3, 1) and the composite (weights shifted
// by one), so the checks confirm the field.
std::vector<std::vector<CharScores>> WeakBirthDate() {
  auto s = Clean({kL1, kL2});
  for (int i = 13; i < 19; ++i) {
    const int digit = kL2[i] - '0';
    s[1][i][MrzIndex(static_cast<char>('0' + (digit + 1) % 10))] = -0.5f;
  }
  return s;
}

TEST(MrzVerdictTest, CheckConfirmedFieldWithWeakGlyphsIsValid) {
  NoSecondOpinion none;

  const MrzReadResult r = Judge(WeakBirthDate(), none);

  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_GE(r.field_confidence.at("birth_date"), 0.9);
  EXPECT_THAT(r.reasons, Not(Contains("low_confidence:birth_date")));
}

TEST(MrzVerdictTest, UncoveredFieldWithWeakGlyphsGoesToReview) {
  auto s = Clean({kL1, kL2});
  for (int i = 5; i < 13; ++i) s[0][i][MrzIndex('K')] = -0.5f;  // "ERIKSSON"
  NoSecondOpinion none;

  const MrzReadResult r = Judge(s, none);

  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));
  EXPECT_LT(r.field_confidence.at("surname"), 0.9);
}

TEST(MrzVerdictTest, SecondRecogniserReadingTheNameConfirmsIt) {
  auto s = Clean({kL1, kL2});
  for (int i = 5; i < 13; ++i) s[0][i][MrzIndex('K')] = -0.5f;
  FixedOpinion agrees({kL1, kL2});
  // A misplaced separator moves letters between surname and given names:
  // finding each name somewhere on the line is not agreement.
  FixedOpinion split({"P<UTOERIKSSON<ANNA<MARIA", kL2});

  EXPECT_EQ(Judge(s, agrees).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(s, split).verdict, MrzVerdict::kUnreadable);
}

// Two look-alike errors that cancel (the known false accept: E4350309 read
// as E435O3O9): '9' -> 'B' (+2) at weight 3 and '0' -> 'O' (+24) at weight
// 1 add 6 + 4 = 10 = 0 (mod 10), and the TD3 composite repeats the
// document number's weights, so neither check would see both errors.
TEST(MrzVerdictTest, LookAlikePairThatCancelsBothChecksIsNotConfirmed) {
  auto s = Clean({kL1, kL2});
  s[1][4][MrzIndex('B')] = -0.2f;
  s[1][5][MrzIndex('O')] = -0.2f;
  NoSecondOpinion none;

  const MrzReadResult r = Judge(s, none);

  EXPECT_NE(r.verdict, MrzVerdict::kValid);
  EXPECT_THAT(r.reasons, Contains("low_confidence:document_number"));
  EXPECT_GT(UndetectedPairs(*DecodeMrz(MrzFormat::kTd3, s), 1, 0, 10,
                            {MrzCheck::kDocumentNumber, MrzCheck::kComposite}),
            0.1);
}

TEST(MrzVerdictTest, PrintedFailingCheckDigitIsInvalidAsPrinted) {
  std::string printed = kL2;
  printed[9] = '5';  // The document prints a wrong document-number check digit.
  NoSecondOpinion none;

  const MrzReadResult r = Judge(Clean({kL1, printed}), none);

  EXPECT_EQ(r.verdict, MrzVerdict::kInvalid);
  ASSERT_TRUE(r.mrz.has_value());
  EXPECT_EQ(r.mrz->lines[1], printed);
  EXPECT_THAT(r.reasons, Contains("check:document_number"));
}

}  // namespace
}  // namespace vouch::ocr::internal
