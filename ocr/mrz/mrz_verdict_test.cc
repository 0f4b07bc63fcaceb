#include "mrz/mrz_verdict.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mrz/mrz_decoder.h"
#include "mrz/mrz_test_lines.h"

namespace vouch::ocr::internal {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Not;

// Decodes `scores` as the reader decodes the glyph classifier's
// (`glyph_scores`: the verdict calibrates their probabilities) or as text
// scores, and judges the read.
MrzReadResult Judge(const std::vector<std::vector<CharScores>>& scores, SecondOpinion& second,
                    MrzFormat format = MrzFormat::kTd3, bool glyph_scores = true) {
  DecoderOptions decoder;
  decoder.glyph_scores = glyph_scores;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(format, scores, decoder);
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

// "ERIK" of the surname read with a runner-up 'K' at 0.5 below each: the
// name field's product is far below the threshold.
std::vector<std::vector<CharScores>> WeakSurname() {
  auto s = Clean({kL1, kL2});
  for (int i = 5; i < 9; ++i) s[0][i][MrzIndex(kL1[i] == 'K' ? 'X' : 'K')] = -0.5f;
  return s;
}

// "ERIK" in doubt as in WeakSurname, with a runner-up 'W' at 0.5 below
// each: no OCR-B look-alike of any of them (SplitLookAlikeReadOtherwise,
// which asks every Tesseract reading, has nothing to ask about).
std::vector<std::vector<CharScores>> WeakSurnameNoLookAlike() {
  auto s = Clean({kL1, kL2});
  for (int i = 5; i < 9; ++i) s[0][i][MrzIndex('W')] = -0.5f;
  return s;
}

TEST(MrzVerdictTest, SecondRecogniserReadingTheWeakCharactersConfirmsTheName) {
  FixedOpinion agrees({kL1, kL2});
  // It misreads a character elsewhere in the name field ('I' of MARIA as
  // '1'): the characters in doubt are still read by both recognisers, so
  // the name is confirmed; whole-field agreement would refuse it.
  FixedOpinion misreads_clear_char({"P<UTOERIKSSON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<", kL2});
  NoSecondOpinion none;

  EXPECT_EQ(Judge(WeakSurname(), agrees).verdict, MrzVerdict::kValid);
  const MrzReadResult r = Judge(WeakSurname(), misreads_clear_char);
  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_GE(r.field_confidence.at("surname"), 0.9);
  EXPECT_EQ(Judge(WeakSurname(), none).verdict, MrzVerdict::kUnreadable);
}

TEST(MrzVerdictTest, SecondRecogniserDisagreeingOnAWeakCharacterLeavesTheNameInDoubt) {
  // Reads the weak 'I' of ERIK as 'K'.
  FixedOpinion disagrees({"P<UTOERKKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", kL2});

  const MrzReadResult r = Judge(WeakSurname(), disagrees);

  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));
}

// Two further recognisers reading fixed lines: the second recogniser and
// the other (the not-OCR-B fallback model).
class FixedOpinions final : public SecondOpinion {
 public:
  FixedOpinions(std::vector<std::string> lines, std::vector<std::string> other)
      : lines_(std::move(lines)), other_(std::move(other)) {}
  std::string LineText(int line) override { return At(lines_, line); }
  std::string OtherLineText(int line) override {
    ++other_asked_;
    return At(other_, line);
  }
  int other_asked() const { return other_asked_; }

 private:
  static std::string At(const std::vector<std::string>& v, int line) {
    return line < static_cast<int>(v.size()) ? v[line] : std::string();
  }
  std::vector<std::string> lines_, other_;
  int other_asked_ = 0;
};

// Where the second recogniser garbles characters the glyph
// model is unsure of (here `RI` read `PK`; or drops one), the other
// recogniser reading them as the glyph model does confirms them; when it
// misreads them too, the name stays in review; and it is not asked when
// the second recogniser confirms every character.
TEST(MrzVerdictTest, OtherRecogniserConfirmsWhatTheSecondMisreads) {
  const std::string garbles_ri = "P<UTOEPKKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string drops_i = "P<UTOERKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<";
  const std::string misread_i = "P<UTOERKKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string misread_r = "P<UTOEKIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";

  FixedOpinions other_agrees({garbles_ri, kL2}, {kL1, kL2});
  EXPECT_EQ(Judge(WeakSurname(), other_agrees).verdict, MrzVerdict::kValid);
  EXPECT_GT(other_agrees.other_asked(), 0);
  FixedOpinions other_agrees_on_drop({drops_i, kL2}, {kL1, kL2});
  EXPECT_EQ(Judge(WeakSurname(), other_agrees_on_drop).verdict, MrzVerdict::kValid);

  FixedOpinions both_misread({misread_i, kL2}, {misread_r, kL2});
  const MrzReadResult r = Judge(WeakSurname(), both_misread);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));

  FixedOpinions second_agrees({kL1, kL2}, {misread_i, kL2});
  EXPECT_EQ(Judge(WeakSurnameNoLookAlike(), second_agrees).verdict, MrzVerdict::kValid);
  EXPECT_EQ(second_agrees.other_asked(), 0);
}

// A field under passing check digits with two or more
// unsure glyphs rests on the glyph model's alternatives there (two misreads
// it does not foresee can cancel in the checks: fresh check seed 8860, a
// document number with `K` read `Y` and `9` read `5`, `valid`). Where both
// Tesseract models read some of those glyphs as the same other characters
// and the lines so read pass the same checks, the check digits cannot tell
// the two readings apart: review (`disputed:`). Where the checks refute
// the claim, where only one model makes it, or where only one glyph is
// unsure, the field stays `valid`.
TEST(MrzVerdictTest, CheckedFieldWithUnsureGlyphsTwoOthersReadOtherwiseGoesToReview) {
  // kL2's birth date 740812 (13..18) read 840712: +1 and -1 at positions
  // weighted 7 in the birth-date check and 3 in the composite, so both
  // checks pass either way.
  std::string cancelling = kL2;
  cancelling[13] = '8';
  cancelling[16] = '7';
  // 740912: the birth-date check refutes it.
  std::string refuted = kL2;
  refuted[16] = '9';
  FixedOpinions both_cancelling({kL1, cancelling}, {kL1, cancelling});
  FixedOpinions both_refuted({kL1, refuted}, {kL1, refuted});
  FixedOpinions only_second({kL1, cancelling}, {kL1, kL2});
  FixedOpinion no_other({kL1, cancelling});

  const MrzReadResult r = Judge(WeakBirthDate(), both_cancelling);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("disputed:birth_date"));
  EXPECT_LT(r.field_confidence.at("birth_date"), 0.9);
  EXPECT_EQ(Judge(WeakBirthDate(), both_refuted).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(WeakBirthDate(), only_second).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(WeakBirthDate(), no_other).verdict, MrzVerdict::kValid);

  // Only the `8` unsure: the check digit catches its misread alone, unless
  // both Tesseract models read the cancelling pair (next test).
  auto one_unsure = Clean({kL1, kL2});
  one_unsure[1][16][MrzIndex('9')] = -0.5f;
  EXPECT_EQ(Judge(one_unsure, only_second).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(one_unsure, both_refuted).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(one_unsure, both_cancelling).verdict, MrzVerdict::kUnreadable);
}

// Both Tesseract models reading a checked field as another line that
// passes the same checks is review whatever the glyph model's confidence
// (a specimen photographed in low light: document number
// 00000000 read `OO000000` by a confident glyph model, `00000000` by both
// Tesseract models; `O` and `0` at weights 7 and 3 cancel in the number's
// check and in the composite, and it came out `valid`). A claim is a run of
// at most two characters read otherwise amid agreeing neighbours, the
// line's start counting as such; where the checks refute the other line,
// where one model claims it, or where the models garble the stretch, the
// field stays `valid`.
TEST(MrzVerdictTest, BothTesseractModelsReadingAnotherPassingLineGoesToReview) {
  // kL2 with the document number 00000000 (check digit 0) and the
  // composite (TD3: line 2, 0..9, 13..19, 21..42) recomputed.
  auto with_composite = [](std::string l2) {
    const std::string data = l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, 22);
    l2[43] = static_cast<char>('0' + *ComputeCheckDigit(data));
    return l2;
  };
  std::string number = kL2;
  number.replace(0, 10, "00000000<0");
  const std::string zeros = with_composite(number);
  std::string o_read = zeros;
  o_read[0] = o_read[1] = 'O';
  ASSERT_TRUE(ParseMrz({kL1, zeros})->valid());
  ASSERT_TRUE(ParseMrz({kL1, o_read})->valid()) << "the O pair must cancel in every check";
  std::string one_o = zeros;
  one_o[0] = 'O';  // 24 * 7: the number's check refutes it.
  std::string garbled = zeros;
  garbled.replace(0, 6, "Q8UDW0");
  FixedOpinions both_zeros({kL1, zeros}, {kL1, zeros});
  FixedOpinions only_second({kL1, zeros}, {kL1, o_read});
  FixedOpinions both_refuted({kL1, one_o}, {kL1, one_o});
  FixedOpinions both_garbled({kL1, garbled}, {kL1, garbled});
  const auto confident = Clean({kL1, o_read});

  const MrzReadResult r = Judge(confident, both_zeros);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("disputed:document_number"));
  EXPECT_LT(r.field_confidence.at("document_number"), 0.9);
  EXPECT_EQ(Judge(confident, only_second).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(confident, both_refuted).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(confident, both_garbled).verdict, MrzVerdict::kValid);
}

// Where the second recogniser (the MRZ model) reads another
// character than the glyph model amid neighbours it reads alike (one
// isolated substitution) and the glyph model gives that character a real
// chance itself, the other recogniser (`eng`) reading the glyph model's
// character does not confirm it: check seed 8286 (hard, a TD1) had a
// blurred `H` of the name read `M` by the glyph model (`H` its runner-up)
// and by `eng`, `H` by the MRZ model, and came out `valid` on the wrong name
// when both Tesseract models read raw lines (psm 13). Here the weak `I` of
// ERIK (runner-up `K`) read `K` by the second recogniser, `I` by the other.
// A dissent the glyph model gives no chance (`Z`) is the second
// recogniser's own misread, and the other recogniser overrules it.
TEST(MrzVerdictTest, OtherRecogniserDoesNotConfirmWhatTheSecondReadsOtherwise) {
  const std::string misread_i = "P<UTOERKKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  FixedOpinions disputed({misread_i, kL2}, {kL1, kL2});
  const std::string garbled_i = "P<UTOERZKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  FixedOpinions overruled({garbled_i, kL2}, {kL1, kL2});

  const MrzReadResult r = Judge(WeakSurname(), disputed);

  EXPECT_GT(disputed.other_asked(), 0);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));
  EXPECT_LT(r.field_confidence.at("surname"), 0.9);
  EXPECT_EQ(Judge(WeakSurname(), overruled).verdict, MrzVerdict::kValid);
}

// The second recogniser once more on the raw line (psm 13),
// asked only where its single-line reading leaves a character in doubt: a
// weak letter that reading dropped, the raw reading confirms; and a
// runner-up the raw reading reads instead keeps the other recogniser from
// confirming it.
class RawOpinions final : public SecondOpinion {
 public:
  RawOpinions(std::vector<std::string> lines, std::vector<std::string> raw,
              std::vector<std::string> other)
      : lines_(std::move(lines)), raw_(std::move(raw)), other_(std::move(other)) {}
  std::string LineText(int line) override { return At(lines_, line); }
  std::string RawLineText(int line) override {
    ++raw_asked_;
    return At(raw_, line);
  }
  std::string OtherLineText(int line) override { return At(other_, line); }
  int raw_asked() const { return raw_asked_; }

 private:
  static std::string At(const std::vector<std::string>& v, int line) {
    return line < static_cast<int>(v.size()) ? v[line] : std::string();
  }
  std::vector<std::string> lines_, raw_, other_;
  int raw_asked_ = 0;
};

TEST(MrzVerdictTest, RawLineReadingConfirmsWhatTheSingleLineReadingDrops) {
  const std::string drops_i = "P<UTOERKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<";
  const std::string misread_i = "P<UTOERKKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  RawOpinions raw_reads({drops_i, kL2}, {kL1, kL2}, {});
  RawOpinions raw_disputes({drops_i, kL2}, {misread_i, kL2}, {kL1, kL2});
  RawOpinions single_reads_all({kL1, kL2}, {misread_i, kL2}, {});

  EXPECT_EQ(Judge(WeakSurname(), raw_reads).verdict, MrzVerdict::kValid);
  EXPECT_GT(raw_reads.raw_asked(), 0);
  const MrzReadResult r = Judge(WeakSurname(), raw_disputes);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));
  EXPECT_EQ(Judge(WeakSurnameNoLookAlike(), single_reads_all).verdict, MrzVerdict::kValid);
  EXPECT_EQ(single_reads_all.raw_asked(), 0);
}

// Every letter of the name field read with a runner-up 1.5 below it (each
// ~82 % sure): character by character, the 17 letters' doubts add up past
// the threshold even where the second recogniser reads every one of them
// (0.86); a reading of the whole field verbatim cuts the field's doubt at
// once (0.95).
std::vector<std::vector<CharScores>> LongWeakName() {
  auto s = Clean({kL1, kL2});
  for (int i = 5; i < 25; ++i) {
    if (kL1[i] != '<') s[0][i][MrzIndex(kL1[i] == 'K' ? 'X' : 'K')] = -1.5f;
  }
  return s;
}

TEST(MrzVerdictTest, RawLineReadingTheNameVerbatimConfirmsIt) {
  // The single-line reading adds an `S`: not verbatim, and no confirmation
  // next to the insertion.
  const std::string adds_s = "P<UTOERIKSSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<";
  const std::string misreads_i = "P<UTOERIKSSON<<ANNA<MARLA<<<<<<<<<<<<<<<<<<<";
  RawOpinions raw_verbatim({adds_s, kL2}, {kL1, kL2}, {});
  RawOpinions raw_differs({adds_s, kL2}, {misreads_i, kL2}, {});
  FixedOpinion line_verbatim({kL1, kL2});
  auto judge = [](SecondOpinion& second) {
    return Judge(LongWeakName(), second, MrzFormat::kTd3, /*glyph_scores=*/false);
  };

  const MrzReadResult r = judge(raw_verbatim);
  EXPECT_EQ(r.verdict, MrzVerdict::kValid) << absl::StrJoin(r.reasons, ",");
  EXPECT_GE(r.field_confidence.at("surname"), 0.9);
  EXPECT_EQ(judge(line_verbatim).verdict, MrzVerdict::kValid);
  const MrzReadResult differs = judge(raw_differs);
  EXPECT_EQ(differs.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(differs.reasons, Contains("low_confidence:surname"));
}

// Speed: the other recogniser (a Tesseract read of the
// line) is asked only when the second leaves a character unconfirmed in a
// field that needs confirming, not when its misread lies elsewhere on the
// line: here the document code's clear '<' read as 'K', the weak surname
// read right.
// Where every Tesseract reading (the MRZ model's line and raw line, the
// other model's line) reads the same other characters than a confident
// glyph model at two or more cells of a field, the field goes to review
// (`outvoted:`), in runs too long to be a claim as well (fresh hard seed
// 9365: a personal number misread at six cells, its check digit and the
// composite passing on the misread, every Tesseract reading reading the
// truth in runs of three and two). Under passing checks only where the
// Tesseract reading passes them too. Where one reading reads the glyph
// model's characters, where the readings disagree with each other, where
// the checks refute them, or where they agree on one cell only, it stays
// `valid`.
TEST(MrzVerdictTest, EveryTesseractReadingOutvotingTheGlyphModelGoesToReview) {
  // kL2's personal number ZE184226B (28..36) with the run 184 at 30..32
  // (weights 1, 7, 3 in its check and, the same, in the composite) read
  // 210: 1 + 56 + 12 = 69 and 2 + 7 + 0 = 9 agree modulo 10, so both
  // checks pass either way. 5K3 is refuted, and so is every part of it
  // (+4, +84 and -3 modulo 10: no sum of them is 0).
  std::string outvoting = kL2;
  outvoting.replace(30, 3, "210");
  ASSERT_TRUE(ParseMrz({kL1, outvoting})->valid());
  std::string refuted = kL2;
  refuted.replace(30, 3, "5K3");
  std::string other_run = kL2;
  other_run.replace(30, 3, "7A9");
  const auto confident = Clean({kL1, kL2});
  RawOpinions all_three({kL1, outvoting}, {kL1, outvoting}, {kL1, outvoting});
  RawOpinions one_reads_glyphs({kL1, outvoting}, {kL1, outvoting}, {kL1, kL2});
  RawOpinions disagreeing({kL1, outvoting}, {kL1, other_run}, {kL1, outvoting});
  RawOpinions all_refuted({kL1, refuted}, {kL1, refuted}, {kL1, refuted});
  RawOpinions line_reads_glyphs({kL1, kL2}, {kL1, outvoting}, {kL1, outvoting});

  const MrzReadResult r = Judge(confident, all_three);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("outvoted:optional_data"));
  EXPECT_LT(r.field_confidence.at("optional_data"), 0.9);
  EXPECT_EQ(Judge(confident, one_reads_glyphs).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(confident, disagreeing).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(confident, all_refuted).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(confident, line_reads_glyphs).verdict, MrzVerdict::kValid);
  EXPECT_EQ(line_reads_glyphs.raw_asked(), 0);

  // The surname ERIKSSON (line 1, 5..12), which no check covers: two
  // cells read otherwise by all three are review, one cell is not.
  const std::string two_cells = "P<UTOERJKSSQN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string one_cell = "P<UTOERIKSSQN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  RawOpinions name_outvoted({two_cells, kL2}, {two_cells, kL2}, {two_cells, kL2});
  RawOpinions name_one_cell({one_cell, kL2}, {one_cell, kL2}, {one_cell, kL2});
  const MrzReadResult name = Judge(confident, name_outvoted);
  EXPECT_EQ(name.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(name.reasons, Contains("outvoted:surname"));
  EXPECT_EQ(Judge(confident, name_one_cell).verdict, MrzVerdict::kValid);
}

TEST(MrzVerdictTest, OtherRecogniserIsNotAskedForAMisreadOutsideTheFieldsInDoubt) {
  FixedOpinions misreads_clear_filler({"PKUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", kL2},
                                      {kL1, kL2});

  const MrzReadResult r = Judge(WeakSurnameNoLookAlike(), misreads_clear_filler);

  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_EQ(misreads_clear_filler.other_asked(), 0);
}

TEST(MrzVerdictTest, ShiftedSeparatorConfirmsNothingAroundIt) {
  // The glyph read of the second '<' of "<<" is in doubt (runner-up 'A'):
  // a second reading with a single '<' there does not confirm it, although
  // an alignment can pair it with a '<'.
  auto s = Clean({kL1, kL2});
  s[0][14][MrzIndex('A')] = -0.3f;
  FixedOpinion split({"P<UTOERIKSSON<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<", kL2});
  FixedOpinion agrees({kL1, kL2});

  EXPECT_EQ(Judge(s, split).verdict, MrzVerdict::kUnreadable);
  EXPECT_EQ(Judge(s, agrees).verdict, MrzVerdict::kValid);
}

TEST(MrzVerdictTest, ConfirmedPositionsNeedAgreeingNeighbours) {
  const std::string read = "ABCDEFGHIJ";

  EXPECT_THAT(ConfirmedPositions(read, read), Each(true));
  EXPECT_THAT(ConfirmedPositions(read, ""), Each(false));
  // A substitution at 5 leaves 3..7 unconfirmed; the rest is.
  EXPECT_THAT(ConfirmedPositions(read, "ABCDEXGHIJ"),
              ElementsAre(true, true, true, false, false, false, false, false, true, true));
  // An inserted character between 4 and 5, and a dropped one at 0.
  EXPECT_THAT(ConfirmedPositions(read, "ABCDEZFGHIJ"),
              ElementsAre(true, true, true, false, false, false, false, true, true, true));
  EXPECT_THAT(ConfirmedPositions(read, "BCDEFGHIJ"),
              ElementsAre(false, false, false, true, true, true, true, true, true, true));
}

// A nationality whose doubtful letter has only runners-up that make no
// state code is confirmed by the list of codes; one whose runner-up makes
// another code (NOR / NER, Niger) is not.
TEST(MrzVerdictTest, StateCodeListConfirmsACodeWhoseAlternativesAreNoCodes) {
  std::string l2 = kL2;
  l2.replace(10, 3, "NOR");
  auto no_code = Clean({kL1, l2});
  no_code[1][11][MrzIndex('Q')] = -0.3f;  // "NQR" is no state code.
  auto other_code = Clean({kL1, l2});
  other_code[1][11][MrzIndex('E')] = -0.3f;  // "NER" is Niger.
  NoSecondOpinion none;

  EXPECT_EQ(Judge(no_code, none).verdict, MrzVerdict::kValid);
  const MrzReadResult r = Judge(other_code, none);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:nationality"));
}

// An MRV-B visa (ICAO 9303-7 specimen) has no composite check digit. Its
// document number read "L89B8901C" fails the check digit and is corrected
// to '8' (the glyph is ambiguous); the check digit that chose the fix no
// longer confirms it, but the second recogniser reading '8' there does.
TEST(MrzVerdictTest, SecondRecogniserConfirmsACorrectionNoCompositeChecks) {
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109<<<<<<<<";
  auto s = Clean({v1, v2});
  s[1][3][MrzIndex('B')] = 0.f;
  s[1][3][MrzIndex('8')] = -0.3f;
  FixedOpinion agrees({v1, v2});
  NoSecondOpinion none;

  const MrzReadResult confirmed = Judge(s, agrees, MrzFormat::kMrvB);
  const MrzReadResult alone = Judge(s, none, MrzFormat::kMrvB);

  ASSERT_TRUE(confirmed.mrz.has_value());
  EXPECT_EQ(confirmed.mrz->lines[1], v2);
  EXPECT_EQ(confirmed.verdict, MrzVerdict::kValid);
  EXPECT_EQ(alone.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(alone.reasons, Contains("low_confidence:document_number"));
}

// An MRV-B is `valid` only on the glyph model's own
// probabilities as decoded: an MRV-A whose grid stopped at column 36 passes
// every MRV-B check, and text that both Tesseract models read alike on the
// same cut crops (the not-OCR-B fusion, text scores) proves nothing about
// where the lines end (check seed 8238, photo, came out `valid` so). The
// same lines as an MRV-A, or read by the glyph model, are `valid`.
TEST(MrzVerdictTest, VisaOfThirtySixColumnsFromTextIsNeverValid) {
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109<<<<<<<<";
  FixedOpinion agrees({v1, v2});

  const MrzReadResult text = Judge(Clean({v1, v2}), agrees, MrzFormat::kMrvB,
                                   /*glyph_scores=*/false);
  const MrzReadResult glyphs = Judge(Clean({v1, v2}), agrees, MrzFormat::kMrvB);
  const MrzReadResult visa_a = Judge(Clean({"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                            "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"}),
                                     agrees, MrzFormat::kMrvA, /*glyph_scores=*/false);

  ASSERT_TRUE(text.mrz.has_value());
  EXPECT_TRUE(text.mrz->valid());  // Every check passes.
  EXPECT_EQ(text.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(text.reasons, Contains("unproven_line_end"));
  EXPECT_EQ(glyphs.verdict, MrzVerdict::kValid);
  EXPECT_THAT(glyphs.reasons, Not(Contains("unproven_line_end")));
  EXPECT_EQ(visa_a.verdict, MrzVerdict::kValid);
}

// A two-line MRZ is a visa when its first glyph reads 'V'; the visa
// layout then allows only 'V' there, but that letter was read, not given:
// a TD2 'C<' read as 'V<' becomes an MRV-B, which has no composite to
// catch it. The letter keeps its doubt.
TEST(MrzVerdictTest, VisaLetterInDoubtIsNotConfirmedByTheVisaLayout) {
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109<<<<<<<<";
  auto s = Clean({v1, v2});
  s[0][0][MrzIndex('C')] = -0.3f;
  NoSecondOpinion none;

  const MrzReadResult r = Judge(s, none, MrzFormat::kMrvB);

  EXPECT_NE(r.verdict, MrzVerdict::kValid);
  EXPECT_THAT(r.reasons, Contains("low_confidence:document_code"));
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

// A confident glyph misread is not a document printed wrong when the second
// recogniser reads another character in the failing check's group (docgen
// tuning seed 8022: a blurred 2 read as 7 at high confidence made a genuine
// TD2 `invalid`; there the second recogniser read garbage at the digit).
// Both directions: the second recogniser reading the printed `7` too (or
// nothing at all) leaves the failure trusted as printed.
TEST(MrzVerdictTest, FailingCheckTheSecondRecogniserReadsOtherwiseGoesToReview) {
  std::string misread = kL2;
  ASSERT_EQ(misread[18], '2');
  misread[18] = '7';  // Birth date 740817 instead of 740812, read with confidence.

  for (const char* seen : {"2", "<"}) {
    std::string other = misread;
    other[18] = seen[0];
    FixedOpinion contradicting({kL1, other});
    const MrzReadResult review = Judge(Clean({kL1, misread}), contradicting);
    EXPECT_EQ(review.verdict, MrzVerdict::kUnreadable) << seen;
    ASSERT_TRUE(review.mrz.has_value());
    EXPECT_EQ(review.mrz->lines[1], misread) << "the glyph read is not rewritten";
    EXPECT_THAT(review.reasons, Contains("check:birth_date"));
  }

  FixedOpinion same({kL1, misread});
  EXPECT_EQ(Judge(Clean({kL1, misread}), same).verdict, MrzVerdict::kInvalid);
  NoSecondOpinion none;
  EXPECT_EQ(Judge(Clean({kL1, misread}), none).verdict, MrzVerdict::kInvalid);
}

// The calibration is a softmax at a lower temperature: scores 0 and -0.5
// (62 % / 38 %) squared and renormalised are the softmax of 0 and -1.
TEST(MrzVerdictTest, CalibratedProbabilitiesAreALowerTemperature) {
  auto s = Clean({kL1, kL2});
  s[1][13][MrzIndex('8')] = -0.5f;  // Birth date "740812": '7' or '8'.
  const DecodedMrz d = *DecodeMrz(MrzFormat::kTd3, s);

  const DecodedMrz c = CalibratedProbabilities(d, 2.0);

  const double sharp = 1 / (1 + std::exp(-1.0));
  EXPECT_NEAR(d.confidence[1][13], 1 / (1 + std::exp(-0.5)), 1e-4);
  EXPECT_NEAR(c.confidence[1][13], sharp, 1e-4);
  EXPECT_NEAR(c.probability[1][13][MrzIndex('8')], 1 - sharp, 1e-4);
  EXPECT_NEAR(c.residue_mass[1][13][1], 1 - sharp, 1e-4);  // '8' - '7' = 1.
  EXPECT_NEAR(c.undetectable[1][13], 0, 1e-4);
  EXPECT_NEAR(CalibratedProbabilities(d, 1.0).confidence[1][13], d.confidence[1][13], 1e-6);
}

// Two letters of the surname read with a runner-up 2.5 below (92 % each as
// read, the name 85 %): the glyph classifier's probabilities are
// underconfident, so calibrated the name is sure enough, on a passport and
// on an MRV-A visa. Not for text scores (nothing calibrated them), nor on an
// MRV-B visa: it may be an MRV-A whose grid stopped at column 36, and
// without a composite nothing else would notice.
TEST(MrzVerdictTest, CalibrationTrustsModeratelyWeakGlyphsWhereNoCutLayoutPassesForTheRead) {
  auto s = Clean({kL1, kL2});
  s[0][6][MrzIndex('P')] = -2.5f;  // "ERIKSSON": 'R' or 'P'.
  s[0][8][MrzIndex('X')] = -2.5f;  // 'K' or 'X'.
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109<<<<<<<<";
  auto visa = Clean({v1, v2});
  visa[0][6][MrzIndex('P')] = -2.5f;
  visa[0][8][MrzIndex('X')] = -2.5f;
  NoSecondOpinion none;

  const MrzReadResult glyphs = Judge(s, none);
  const MrzReadResult text = Judge(s, none, MrzFormat::kTd3, /*glyph_scores=*/false);
  const MrzReadResult visa_glyphs = Judge(visa, none, MrzFormat::kMrvB);
  auto visa_a = Clean({"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                       "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"});
  visa_a[0][6][MrzIndex('P')] = -2.5f;
  visa_a[0][8][MrzIndex('X')] = -2.5f;
  EXPECT_EQ(Judge(visa_a, none, MrzFormat::kMrvA).verdict, MrzVerdict::kValid);
  EXPECT_EQ(Judge(visa_a, none, MrzFormat::kMrvA, /*glyph_scores=*/false).verdict,
            MrzVerdict::kUnreadable);

  EXPECT_EQ(glyphs.verdict, MrzVerdict::kValid);
  EXPECT_GE(glyphs.field_confidence.at("surname"), 0.9);
  EXPECT_EQ(text.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(text.reasons, Contains("low_confidence:surname"));
  EXPECT_EQ(visa_glyphs.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(visa_glyphs.reasons, Contains("low_confidence:surname"));
}

// A weak surname (two letters with a runner-up 2.0 below, the name 78 % as
// read, calibrated sure enough) when the second recogniser reads 'P' where the
// glyph classifier read 'R' (and misreads the clear 'S' after it): the
// doubt at the 'R' is a disagreement, not the classifier's underconfidence,
// and stays as read; a third reading that differs only at the clear 'S'
// leaves the calibration in place.
TEST(MrzVerdictTest, CalibrationKeepsTheDoubtWhereTheSecondRecogniserReadsOtherwise) {
  auto s = Clean({kL1, kL2});
  s[0][6][MrzIndex('P')] = -2.0f;
  s[0][8][MrzIndex('X')] = -2.0f;
  FixedOpinion disagrees({"P<UTOEPIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", kL2});
  FixedOpinion elsewhere({"P<UTOERIK5SON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", kL2});
  // A TD1 card with a document code that is not A, C or I.
  const std::string t1 = "XDUTOD231458907<<<<<<<<<<<<<<<";
  const std::string t2 = "7408122F1204159UTO<<<<<<<<<<<6";
  const std::string t3 = "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
  auto card = Clean({t1, t2, t3});
  card[2][1][MrzIndex('P')] = -2.0f;
  card[2][3][MrzIndex('X')] = -2.0f;

  const MrzReadResult r = Judge(s, disagrees);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));
  EXPECT_EQ(Judge(s, elsewhere).verdict, MrzVerdict::kValid);
  EXPECT_THAT(ContradictedPositions("ABCDE", "ABXDE"),
              ElementsAre(false, false, true, false, false));
  EXPECT_THAT(ContradictedPositions("ABCDE", "ABDE"), Each(false));  // Dropped, not read otherwise.
  EXPECT_THAT(ContradictedPositions("ABCDE", ""), Each(false));
  NoSecondOpinion none;
  card[0][0] = Clean({t1})[0][0];
  EXPECT_EQ(Judge(card, none, MrzFormat::kTd1).verdict, MrzVerdict::kUnreadable);
  std::string i1 = t1;
  i1[0] = 'I';
  auto id_card = card;
  id_card[0] = Clean({i1})[0];
  EXPECT_EQ(Judge(id_card, none, MrzFormat::kTd1).verdict, MrzVerdict::kValid);
}

// A failing document-number check where the glyph classifier read 'G' at
// 80 % and 'C' (which would make the check pass) at 20 %: the failure may
// be a misread, so the read goes to review. Calibrated, 'C' would fall to
// 6 % and the failure look printed; but calibration only ever makes a read
// `valid`, never `invalid`.
TEST(MrzVerdictTest, CalibrationNeverTurnsADoubtfulFailingCheckIntoInvalid) {
  DecoderOptions glyphs;
  glyphs.glyph_scores = true;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, Clean({kL1, kL2}), glyphs);
  ASSERT_TRUE(d.ok());
  DecodedMrz& m = *d;
  m.lines[1][7] = 'G';  // Printed 'C' (12) read as 'G' (16).
  m.probability[1][7].fill(0.f);
  m.probability[1][7][MrzIndex('G')] = 0.8f;
  m.probability[1][7][MrzIndex('C')] = 0.2f;
  m.confidence[1][7] = 0.8f;
  m.residue_mass[1][7].fill(0.f);
  m.residue_mass[1][7][6] = 0.2f;  // 'C' - 'G' = -4 = 6 (mod 10).
  m.undetectable[1][7] = 0.f;
  NoSecondOpinion none;

  const MrzReadResult r = JudgeMrz(m, none, Options());

  EXPECT_GT(FailingCheckPassChance(m, MrzCheck::kDocumentNumber), 0.1);
  EXPECT_LT(FailingCheckPassChance(CalibratedProbabilities(m, kGlyphProbabilityExponent),
                                   MrzCheck::kDocumentNumber),
            0.1);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("check:document_number"));
}

// Decodes `scores` as the reader does and marks `marked` (line, position)
// cut by the band's edge (`cut`) or touched by foreign ink (otherwise).
DecodedMrz DecodeMarked(const std::vector<std::vector<CharScores>>& scores,
                        const std::vector<std::pair<int, int>>& marked, bool cut,
                        MrzFormat format = MrzFormat::kTd3) {
  DecoderOptions decoder;
  decoder.glyph_scores = true;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(format, scores, decoder);
  EXPECT_TRUE(d.ok()) << d.status();
  std::vector<std::vector<bool>>& marks = cut ? d->cut : d->foreign_ink;
  for (const std::string& l : d->lines) marks.emplace_back(l.size(), false);
  for (const auto& [line, i] : marked) marks[line][i] = true;
  return *d;
}

// Docgen photo seed 8101: the band's edge cut the bottom bar
// off the `I` of a TD1 name, both recognisers read `T`, and nothing checks
// a name. A name with a cut glyph is never `valid`, however sure both
// recognisers are; a cut glyph in a field under a passing check digit
// leaves the check to decide.
TEST(MrzVerdictTest, NameWithAGlyphCutByTheBandEdgeIsNeverValid) {
  FixedOpinion agrees({kL1, kL2});

  const MrzReadResult name_cut =
      JudgeMrz(DecodeMarked(Clean({kL1, kL2}), {{0, 7}}, true), agrees, Options());
  const MrzReadResult number_cut =
      JudgeMrz(DecodeMarked(Clean({kL1, kL2}), {{1, 3}}, true), agrees, Options());

  EXPECT_EQ(name_cut.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(name_cut.reasons, Contains("cut_glyph:surname"));
  EXPECT_THAT(name_cut.reasons, Contains("low_confidence:given_names"));
  EXPECT_EQ(number_cut.verdict, MrzVerdict::kValid);
}

// Where foreign ink touches a glyph, both recognisers see the
// same joined shape: the second recogniser's agreement there confirms
// nothing (neither character by character nor the field verbatim), and the
// calibration does not sharpen the classifier's doubt there. A weak name
// the second recogniser confirms is `valid` untouched and goes to review
// when the weak letters are touched; touching a clear letter costs nothing.
TEST(MrzVerdictTest, SecondRecogniserDoesNotConfirmGlyphsTouchedByForeignInk) {
  FixedOpinion agrees({kL1, kL2});
  const auto weak = WeakSurname();  // "ERIK" in doubt.

  const MrzReadResult untouched = JudgeMrz(DecodeMarked(weak, {}, false), agrees, Options());
  const MrzReadResult weak_touched =
      JudgeMrz(DecodeMarked(weak, {{0, 6}}, false), agrees, Options());
  const MrzReadResult clear_touched =
      JudgeMrz(DecodeMarked(weak, {{0, 12}}, false), agrees, Options());

  EXPECT_EQ(untouched.verdict, MrzVerdict::kValid);
  EXPECT_EQ(weak_touched.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(weak_touched.reasons, Contains("low_confidence:surname"));
  EXPECT_EQ(clear_touched.verdict, MrzVerdict::kValid);
}

// A TD1 or TD2 document code starts with `A`, `C` or `I`:
// an `I` whose runner-up is `T` (half as likely) is sure among those, so
// the code is confirmed without a second recogniser; a `T` read over an
// `I` is no card code and stays in doubt.
TEST(MrzVerdictTest, CardDocumentCodeIsJudgedAmongTheLettersIcaoAllows) {
  const std::string t1 = "IDUTOD231458907<<<<<<<<<<<<<<<";
  const std::string t2 = "7408122F1204159UTO<<<<<<<<<<<6";
  const std::string t3 = "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
  auto card = Clean({t1, t2, t3});
  card[0][0][MrzIndex('T')] = -0.7f;
  std::string x1 = t1;
  x1[0] = 'X';
  auto other = Clean({x1, t2, t3});
  other[0][0][MrzIndex('I')] = -0.7f;
  NoSecondOpinion none;

  const MrzReadResult r = Judge(card, none, MrzFormat::kTd1);
  const MrzReadResult x = Judge(other, none, MrzFormat::kTd1);

  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_GE(r.field_confidence.at("document_code"), 0.9);
  EXPECT_THAT(x.reasons, Contains("low_confidence:document_code"));
}

// Held-out photo seed 9238: an MRV-A's optional data (no
// check digit covers it) `NN0728` read `NNO728`, the glyph model's `O`
// 0.91 with `0` its runner-up at 0.08; the MRZ model read `0`, the other
// model `O`, and the other's agreement confirmed the `O`: `valid` on a
// wrong line. On a letter/digit look-alike pair the glyph margin leaves
// open, only the second recogniser (the MRZ model) reading the glyph
// model's character confirms it; on any look-alike pair, the second reading
// the glyph model's runner-up sends the field to review.
TEST(MrzVerdictTest, UncoveredLookAlikeTheSecondRecogniserReadsOtherwiseGoesToReview) {
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109NNO728<<<<<<<<<<";
  std::string v2_zero = v2;
  v2_zero[30] = '0';
  auto s = Clean({v1, v2});
  s[1][30][MrzIndex('0')] = -2.4f;  // `O` ~0.91, `0` ~0.08.
  FixedOpinions zero_by_second({v1, v2_zero}, {v1, v2});

  const MrzReadResult r = Judge(s, zero_by_second, MrzFormat::kMrvA);

  ASSERT_TRUE(r.mrz.has_value());
  EXPECT_TRUE(r.mrz->valid());  // Every check passes.
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:optional_data"));
  EXPECT_LT(r.field_confidence.at("optional_data"), 0.9);

  // A letter pair on a name: the `R` of ERIKSSON read at 0.95 (runner-up
  // `K`, a look-alike, at 0.05: the name alone is sure enough) and read `K`
  // by the second recogniser, `R` only by the other.
  auto r_or_k = Clean({kL1, kL2});
  r_or_k[0][6][MrzIndex('K')] = -3.0f;
  FixedOpinions k_by_second({"P<UTOEKIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", kL2}, {kL1, kL2});
  const MrzReadResult name = Judge(r_or_k, k_by_second);
  EXPECT_EQ(name.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(name.reasons, Contains("low_confidence:surname"));
}

// The other direction: the same unsure `O` read `O` by the second
// recogniser too is `valid`; so is a clear `O` (its `0` given no chance by
// the glyph model) that only the other model reads as printed, and a weak
// name letter the second reads as a look-alike the glyph model gives no
// chance (`R`, runner-up `K`, read `P`) that the other reads as printed.
TEST(MrzVerdictTest, UncoveredLookAlikeBothRecognisersReadAlikeStaysValid) {
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109NNO728<<<<<<<<<<";
  std::string v2_zero = v2;
  v2_zero[30] = '0';
  auto unsure = Clean({v1, v2});
  unsure[1][30][MrzIndex('0')] = -2.4f;
  FixedOpinion agrees({v1, v2});
  FixedOpinions zero_by_second({v1, v2_zero}, {v1, v2});

  const MrzReadResult r = Judge(unsure, agrees, MrzFormat::kMrvA);
  const MrzReadResult clear = Judge(Clean({v1, v2}), zero_by_second, MrzFormat::kMrvA);

  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_GE(r.field_confidence.at("optional_data"), 0.9);
  EXPECT_EQ(clear.verdict, MrzVerdict::kValid);
  FixedOpinions p_by_second({"P<UTOEPIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", kL2}, {kL1, kL2});
  EXPECT_EQ(Judge(WeakSurname(), p_by_second).verdict, MrzVerdict::kValid);
}

// A clearly printed Russian internal passport, which prints no expiry (its
// national scheme): `valid`, with no expiry date and no doubt about it. The
// same lines as an ICAO passport (`P<RUS`) are never `valid` (the ICAO
// alphabets allow only digits there: what is read is no date).
TEST(MrzVerdictTest, DocumentWithoutExpiryByItsSchemeIsValid) {
  const std::string l1 = "PNRUSIM8REK<<EVGENIQ<ALEKSANDROVI3<<<<<<<<<<";
  const std::string l2 = "1100000000RUS8209120M<<<<<<<4041217292000<46";
  FixedOpinion agrees({l1, l2});
  const MrzReadResult r = Judge(Clean({l1, l2}), agrees);
  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_EQ(r.expiry_date, std::nullopt);
  EXPECT_THAT(r.reasons, Each(Not(::testing::HasSubstr("expiry_date"))));

  std::string icao = l1;
  icao[1] = '<';
  FixedOpinion icao_agrees({icao, l2});
  const MrzReadResult other = Judge(Clean({icao, l2}), icao_agrees);
  EXPECT_NE(other.verdict, MrzVerdict::kValid);
  EXPECT_THAT(other.reasons, Contains("implausible:expiry_date"));
}

// A birth date the document prints partly unknown (ICAO fillers for the
// day) is no fault of the read: `valid`, with the days it may be and no
// calendar date. A filler the glyphs leave close to `0` (which the check
// digit cannot tell from it), with no second recogniser to confirm it, is a
// doubt the check does not lift: review.
TEST(MrzVerdictTest, BirthDatePrintedPartlyUnknownIsValidWithItsRange) {
  const std::string l2 = "L898902C36UTO7408<<7F1204159ZE184226B<<<<<10";
  FixedOpinion agrees({kL1, l2});
  const MrzReadResult r = Judge(Clean({kL1, l2}), agrees);
  EXPECT_EQ(r.verdict, MrzVerdict::kValid);
  EXPECT_EQ(r.birth_date, std::nullopt);
  ASSERT_TRUE(r.birth_date_range.has_value());
  EXPECT_EQ(r.birth_date_range->earliest, absl::CivilDay(1974, 8, 1));
  EXPECT_EQ(r.birth_date_range->latest, absl::CivilDay(1974, 8, 31));
  EXPECT_THAT(r.reasons, Each(Not(::testing::HasSubstr("birth_date"))));

  auto doubtful = Clean({kL1, l2});
  doubtful[1][17][MrzIndex('0')] = -0.5f;
  NoSecondOpinion none;
  const MrzReadResult weak = Judge(doubtful, none);
  EXPECT_EQ(weak.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(weak.reasons, Contains("low_confidence:birth_date"));
}

// A rival reading both Tesseract models agree on disputes a checked field
// only where every character it claims is one the layout allows at its
// position: `U` (30) for the `0` of kL2's expiry 120415 keeps every check
// passing, but a date has no letters (`mrz_real` td3_usa_moss_camera_rot90,
// 060518 read `06U518` by both models on a stretched crop, went
// `disputed:expiry_date`). The same `U` for the `0` of the document number
// (alphanumeric) is a reading the checks cannot tell apart: review.
TEST(MrzVerdictTest, RivalReadingWithACharacterThePositionForbidsDisputesNothing) {
  std::string letter_in_date = kL2;
  ASSERT_EQ(letter_in_date[23], '0');
  letter_in_date[23] = 'U';
  std::string letter_in_number = kL2;
  ASSERT_EQ(letter_in_number[5], '0');
  letter_in_number[5] = 'U';
  ASSERT_TRUE(ParseMrz({kL1, letter_in_number})->valid()) << "U and 0 must share a check value";
  FixedOpinions both_date({kL1, letter_in_date}, {kL1, letter_in_date});
  FixedOpinions both_number({kL1, letter_in_number}, {kL1, letter_in_number});
  const auto confident = Clean({kL1, kL2});

  const MrzReadResult date = Judge(confident, both_date);
  EXPECT_EQ(date.verdict, MrzVerdict::kValid);
  EXPECT_THAT(date.reasons, Each(Not(::testing::HasSubstr("disputed"))));
  const MrzReadResult number = Judge(confident, both_number);
  EXPECT_EQ(number.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(number.reasons, Contains("disputed:document_number"));
}

// A read fused from the general recognisers' text (the not-OCR-B
// fallback) whose glyph model read the field otherwise
// (DecodedMrz::glyph_lines): where the glyph model's look-alikes put back
// pass the same checks, the check digits cannot choose between the two
// readings, and the field goes to review. The document number L0106630C
// (generated tuning photo seed 8150) read `LO1O6630C` by the glyph model:
// `O` (24) for `0` at weights 3 and 7 adds 3 * 4 + 7 * 4 = 40, nothing
// modulo 10, in its check and in the TD3 composite. One look-alike the
// fusion replaced, whose glyph reading fails the check, is a correction
// the checks confirm: `valid`; so is a glyph reading of the field with
// the pair and a cell it reads otherwise than by a look-alike.
TEST(MrzVerdictTest, FusedReadWhoseGlyphReadingPassesTheChecksTooGoesToReview) {
  const std::string l1 = "P<BRAPLITWYM<<HUT<<<<<<<<<<<<<<<<<<<<<<<<<<<";
  const std::string l2 = "L0106630C5BRA8008275M2807063Q52B88<<<<<<<<86";
  std::string pair = l2;
  pair[1] = 'O';
  pair[3] = 'O';
  std::string one = l2;
  one[3] = 'O';
  ASSERT_TRUE(ParseMrz({l1, l2})->valid());
  ASSERT_TRUE(ParseMrz({l1, pair})->valid()) << "the pair must cancel in every check";
  ASSERT_FALSE(ParseMrz({l1, one})->valid());
  absl::StatusOr<DecodedMrz> fused =
      DecodeMrz(MrzFormat::kTd3, {ScoresFromText(l1), ScoresFromText(l2)});
  ASSERT_TRUE(fused.ok()) << fused.status();
  FixedOpinion reads_fused({l1, l2});
  VerdictOptions options = Options();
  options.today = absl::CivilDay(2020, 1, 1);

  DecodedMrz rival_pair = *fused;
  rival_pair.glyph_lines = {l1, pair};
  const MrzReadResult r = JudgeMrz(rival_pair, reads_fused, options);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("disputed:document_number"));
  EXPECT_LT(r.field_confidence.at("document_number"), 0.9);

  DecodedMrz rival_one = *fused;
  rival_one.glyph_lines = {l1, one};
  EXPECT_EQ(JudgeMrz(rival_one, reads_fused, options).verdict, MrzVerdict::kValid);
  EXPECT_EQ(JudgeMrz(*fused, reads_fused, options).verdict, MrzVerdict::kValid);
  // The pair with a cell the glyph model reads otherwise than by a
  // look-alike (`6` read `X`): its reading of the field is no rival.
  std::string garbled = pair;
  garbled[4] = 'X';
  DecodedMrz rival_garbled = *fused;
  rival_garbled.glyph_lines = {l1, garbled};
  EXPECT_EQ(JudgeMrz(rival_garbled, reads_fused, options).verdict, MrzVerdict::kValid);
}

// A glyph model split between a name letter and its OCR-B look-alike (the
// `I` of ERIKSSON at ~0.73, `T` at ~0.27; no check covers a name), the MRZ
// model reading `I` on its line and raw line and the other model `T`: both
// may share the misread (generated tuning hard seed 8069, `ROSEITBO` read
// `ROSEIIBO` by the glyph model and the MRZ model, `T` only by `eng`), so
// the name goes to review. Where no reading reads the look-alike, or the
// glyph model gives it no real chance (~0.05), it stays `valid`.
TEST(MrzVerdictTest, SplitLookAlikeAnyRecogniserReadsGoesToReview) {
  const std::string t_read = "P<UTOERTKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  auto split = Clean({kL1, kL2});
  split[0][7][MrzIndex('T')] = -1.0f;
  auto clear = Clean({kL1, kL2});
  clear[0][7][MrzIndex('T')] = -3.0f;
  RawOpinions other_reads_t({kL1, kL2}, {kL1, kL2}, {t_read, kL2});
  RawOpinions all_read_i({kL1, kL2}, {kL1, kL2}, {kL1, kL2});

  const MrzReadResult r = Judge(split, other_reads_t);
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("low_confidence:surname"));
  EXPECT_LT(r.field_confidence.at("surname"), 0.9);

  EXPECT_EQ(Judge(split, all_read_i).verdict, MrzVerdict::kValid);
  RawOpinions other_reads_t_clear({kL1, kL2}, {kL1, kL2}, {t_read, kL2});
  EXPECT_EQ(Judge(clear, other_reads_t_clear).verdict, MrzVerdict::kValid);

  // A letter/digit pair (a visa's optional data `NNO728`, its `O` at ~0.73
  // and `0` at ~0.27) that only the other model reads as the digit: no
  // recogniser of field types takes the other side; the MRZ model reads `O`.
  const std::string v1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string v2 = "L8988901C4XXX4009078F9612109NNO728<<<<<<<<<<";
  std::string v2_zero = v2;
  v2_zero[30] = '0';
  auto o_or_zero = Clean({v1, v2});
  o_or_zero[1][30][MrzIndex('0')] = -1.0f;
  RawOpinions other_reads_zero({v1, v2}, {v1, v2}, {v1, v2_zero});
  EXPECT_EQ(Judge(o_or_zero, other_reads_zero, MrzFormat::kMrvA).verdict, MrzVerdict::kValid);
}

}  // namespace
}  // namespace vouch::ocr::internal
