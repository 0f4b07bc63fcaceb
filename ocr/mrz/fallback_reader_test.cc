// Unit tests (no images, no models) for the not-OCR-B fallback
// (fallback_reader.h) and for trusting a check digit that fails as printed
// although the field's glyphs are unsure (FailingCheckPassChance,
// mrz_verdict.h).

#include "mrz/fallback_reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mrz/mrz_decoder.h"
#include "mrz/mrz_test_lines.h"
#include "mrz/mrz_verdict.h"

namespace vouch::ocr::internal {
namespace {

using ::testing::Contains;

// Scores where every cell reads `read` but the glyph model is unsure: the
// truth's character (where it differs) scores `margin` below.
std::vector<CharScores> Unsure(const std::string& read, const std::string& truth, float margin) {
  std::vector<CharScores> row = CleanLine(read);
  for (size_t i = 0; i < read.size(); ++i) {
    if (truth[i] != read[i]) row[i][MrzIndex(truth[i])] = -margin;
  }
  return row;
}

TEST(FitToLengthTest, PadsOrTrimsOnlyTheTrailingFillerRun) {
  // General recognisers drop fillers in a long run.
  EXPECT_EQ(FitToLength("WALTEROS<<LAURA<<<<<<<<<<<<", 30),
            std::optional<std::string>("WALTEROS<<LAURA<<<<<<<<<<<<<<<"));
  EXPECT_EQ(FitToLength("ABC<<<<<<<<", 10), std::optional<std::string>("ABC<<<<<<<"));
  EXPECT_EQ(FitToLength("ABC<<<<", 7), std::optional<std::string>("ABC<<<<"));
  // A character too many or too few elsewhere cannot be placed.
  EXPECT_EQ(FitToLength("ABCD", 5), std::nullopt);
  EXPECT_EQ(FitToLength("", 5), std::nullopt);
  // At most half the run as read is added or removed; one filler stays.
  EXPECT_EQ(FitToLength("ABC<<", 8), std::nullopt);
  EXPECT_EQ(FitToLength("ABC<<", 4), std::optional<std::string>("ABC<"));
  EXPECT_EQ(FitToLength("ABC<", 3), std::nullopt);
}

TEST(FuseAgreedLinesTest, TakesALineBothRecognisersReadWhereTheGlyphModelIsUnsure) {
  const std::string misread = "P<UTOERIKSSCN<<ANNA<MARLA<<<<<<<<<<<<<<<<<<<";
  std::vector<std::vector<CharScores>> scores = {Unsure(misread, kL1, 1.0f), CleanLine(kL2)};
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  ASSERT_NE(d->lines[0], kL1);
  // Both read line 1 right (fillers dropped at the end); they disagree on
  // line 2, which keeps the glyph model's reading.
  const std::string dropped = std::string(kL1).substr(0, 40);
  auto fused = FuseAgreedLines(scores, *d, {dropped, kL2}, {dropped, "L898902C36UT07408122F"});
  ASSERT_TRUE(fused.has_value());
  absl::StatusOr<DecodedMrz> again = DecodeMrz(MrzFormat::kTd3, *fused);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lines[0], kL1);
  EXPECT_EQ(again->lines[1], kL2);
}

TEST(FuseAgreedLinesTest, NeverOverridesALineTheGlyphModelReadsConfidently) {
  // The glyph model reads line 1 clearly; both general recognisers agree on
  // another text (the same misreading by both): the line is kept.
  std::vector<std::vector<CharScores>> scores = {CleanLine(kL1), CleanLine(kL2)};
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  const std::string other = "P<UTOECRIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<";
  EXPECT_EQ(FuseAgreedLines(scores, *d, {other, kL2}, {other, kL2}), std::nullopt);
}

TEST(FuseAgreedLinesTest, RecognisersThatDisagreeChangeNothing) {
  const std::string misread = "P<UTOERIKSSCN<<ANNA<MARLA<<<<<<<<<<<<<<<<<<<";
  std::vector<std::vector<CharScores>> scores = {Unsure(misread, kL1, 1.0f), CleanLine(kL2)};
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  const std::string other = "P<UTOERIKSSON<<ANNA<MARlA<<<<<<<<<<<<<<<<<<<";
  EXPECT_EQ(FuseAgreedLines(scores, *d, {kL1, kL2}, {other, kL2}), std::nullopt);
  // Shapes that do not match: nothing.
  EXPECT_EQ(FuseAgreedLines(scores, *d, {kL1}, {kL1}), std::nullopt);
}

// Line 2 as `read`, the truth's character `margin` below it wherever the
// two differ.
std::vector<std::vector<CharScores>> MisreadNumber(const std::string& read, float margin) {
  return {CleanLine(kL1), Unsure(read, kL2, margin)};
}

TEST(FuseAgreedLinesTest, TakesOneRecognisersReadingOfAFailingCheckedFieldOnPoorGlyphs) {
  // A sans-serif `8` the glyph model reads as its OCR-B look-alike `B`,
  // confidently (no correction within reach): the number's check fails.
  const std::string misread = "L89B902C36UTO7408122F1204159ZE184226B<<<<<10";
  const std::vector<std::vector<CharScores>> scores = MisreadNumber(misread, 8.0f);
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->lines[1], misread);
  ASSERT_GE(d->confidence[1][3], kUnsureGlyphConfidence);
  // The MRZ model garbles the line (a state code too); `eng` reads it.
  const std::string garbled = "L8GB902C3GUT07408122F1204159ZE184226B<<<<<10";
  const std::vector<std::string> first = {kL1, garbled}, other = {kL1, kL2};
  // Without the lone reading the two disagree: nothing changes.
  EXPECT_EQ(FuseAgreedLines(scores, *d, first, other), std::nullopt);
  auto fused = FuseAgreedLines(scores, *d, first, other, /*lone_checked=*/true);
  ASSERT_TRUE(fused.has_value());
  absl::StatusOr<DecodedMrz> again = DecodeMrz(MrzFormat::kTd3, *fused);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lines[1], kL2);
  // Only the differing cell takes the text's scores.
  EXPECT_EQ((*fused)[1][2], scores[1][2]);
  EXPECT_NE((*fused)[1][3], scores[1][3]);
  // Either recogniser's reading serves.
  EXPECT_TRUE(FuseAgreedLines(scores, *d, other, first, true).has_value());
}

TEST(FuseAgreedLinesTest, ALoneReadingNeverRewritesWhatNoOwnCheckSettles) {
  const std::string misread = "L89B902C36UTO7408122F1204159ZE184226B<<<<<10";
  const std::vector<std::vector<CharScores>> scores = MisreadNumber(misread, 8.0f);
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  auto lone = [&](const std::string& reading) {
    return FuseAgreedLines(scores, *d, {kL1, "garbled"}, {kL1, reading}, true);
  };
  // A cell no check digit of its own covers (the nationality) differs too.
  EXPECT_EQ(lone("L898902C36UT07408122F1204159ZE184226B<<<<<10"), std::nullopt);
  // The reading leaves the number's check failing (a number printed so).
  EXPECT_EQ(lone("L898902C37UTO7408122F1204159ZE184226B<<<<<10"), std::nullopt);
  // A field whose check passes as the glyph model reads it: the birth
  // date's `7` read `1` by the other recogniser stays.
  EXPECT_EQ(lone("L898902C36UTO1408122F1204159ZE184226B<<<<<10"), std::nullopt);

  // A confident glyph whose reading is no look-alike of it (`4` for `9`):
  // not rewritten, though the check would pass.
  const std::string four = "L894902C36UTO7408122F1204159ZE184226B<<<<<10";
  const std::vector<std::vector<CharScores>> clear = MisreadNumber(four, 8.0f);
  absl::StatusOr<DecodedMrz> c = DecodeMrz(MrzFormat::kTd3, clear);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->lines[1], four);
  EXPECT_EQ(FuseAgreedLines(clear, *c, {kL1, "garbled"}, {kL1, kL2}, true), std::nullopt);
}

TEST(FuseAgreedLinesTest, ALoneReadingBreaksNoTieTheChecksLeave) {
  // The number's `8` (cell 3) read `B` at a coin flip, and its `9` (cell 2)
  // as unsure of `8`: `L898902C3` and `L88B902C3` pass the number's check
  // at the same cost, so the decoder refuses the correction as ambiguous.
  const std::string misread = "L89B902C36UTO7408122F1204159ZE184226B<<<<<10";
  std::vector<std::vector<CharScores>> scores = MisreadNumber(misread, 1.0f);
  scores[1][2][MrzIndex('8')] = -1.0f;
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->lines[1], misread);
  ASSERT_THAT(d->refused, Contains(MrzCheck::kDocumentNumber));
  // One recogniser's `8` at cell 3 breaks no such tie (the tie-break, with
  // its own cap, is the verdict's).
  EXPECT_EQ(FuseAgreedLines(scores, *d, {kL1, "garbled"}, {kL1, kL2}, true), std::nullopt);
}

// The surname's `O` (line 1, cell 11) read as its look-alike `C` at a
// coin flip (`C` 0.55, `O` 0.45): no check digit covers a name.
std::vector<std::vector<CharScores>> SplitO(float margin = 0.2f) {
  std::string misread = kL1;
  misread[11] = 'C';
  return {Unsure(misread, kL1, margin), CleanLine(kL2)};
}

TEST(AgreedLookAlikesTest, TakesALookAlikeBothTesseractModelsReadWhereTheGlyphModelIsSplit) {
  const std::vector<std::vector<CharScores>> scores = SplitO();
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->lines[0][11], 'C');
  const std::vector<AgreedLookAlike> candidates = LookAlikeCandidates(*d, 0);
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0].index, 11);
  EXPECT_EQ(candidates[0].c, 'O');
  EXPECT_TRUE(LookAlikeCandidates(*d, 1).empty());
  // The MRZ model reads the line right (in one of its readings); `eng`
  // drops fillers and garbles elsewhere, but reads the `O`.
  const std::vector<AgreedLookAlike> agreed =
      AgreedLookAlikes(*d, candidates, {"", kL1}, "PKUT0ERIKSSON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<");
  ASSERT_EQ(agreed.size(), 1u);

  absl::StatusOr<DecodedMrz> again = DecodeMrz(MrzFormat::kTd3, WithLookAlikes(scores, *d, agreed));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lines[0], kL1);
  EXPECT_NEAR(again->confidence[0][11], 0.55, 0.01);
  FixedOpinion reads_it({kL1, kL2});
  EXPECT_EQ(JudgeMrz(*again, reads_it, Options()).verdict, MrzVerdict::kValid);
}

TEST(AgreedLookAlikesTest, NeverTakesALookAlikeOneModelAloneReads) {
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, SplitO());
  ASSERT_TRUE(d.ok());
  const std::vector<AgreedLookAlike> candidates = LookAlikeCandidates(*d, 0);
  ASSERT_EQ(candidates.size(), 1u);
  std::string misread = kL1;
  misread[11] = 'C';
  // `eng` reads the glyph model's `C`, or nothing.
  EXPECT_TRUE(AgreedLookAlikes(*d, candidates, {kL1}, misread).empty());
  EXPECT_TRUE(AgreedLookAlikes(*d, candidates, {kL1}, "").empty());
  // `eng` reads `O` but the MRZ model the glyph model's `C`, or `O` amid
  // neighbours it reads otherwise (a garbled stretch is no claim).
  EXPECT_TRUE(AgreedLookAlikes(*d, candidates, {misread}, kL1).empty());
  std::string garbled = kL1;
  garbled[10] = '5';
  EXPECT_TRUE(AgreedLookAlikes(*d, candidates, {garbled}, kL1).empty());
}

TEST(AgreedLookAlikesTest, NoCandidateWhereTheGlyphModelIsSureOrTheCharacterIsNoLookAlike) {
  // `C` read clearly (`O` 3 below: under 5 %).
  absl::StatusOr<DecodedMrz> clear = DecodeMrz(MrzFormat::kTd3, SplitO(3.0f));
  ASSERT_TRUE(clear.ok());
  EXPECT_TRUE(LookAlikeCandidates(*clear, 0).empty());
  // Split between `X` and `O`, which are no look-alikes.
  std::string misread = kL1;
  misread[11] = 'X';
  absl::StatusOr<DecodedMrz> other =
      DecodeMrz(MrzFormat::kTd3, {Unsure(misread, kL1, 0.2f), CleanLine(kL2)});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(LookAlikeCandidates(*other, 0).empty());
  // A name's `O` split with `0`: the position allows no digit.
  auto digit = Clean({kL1, kL2});
  digit[0][11][MrzIndex('0')] = -0.2f;
  absl::StatusOr<DecodedMrz> name = DecodeMrz(MrzFormat::kTd3, digit);
  ASSERT_TRUE(name.ok());
  EXPECT_TRUE(LookAlikeCandidates(*name, 0).empty());
  // A cell the document number's check digit corrected (`B` read, `8`
  // close behind) is the check's choice: no candidate there either.
  std::string l2 = kL2;
  l2[1] = 'B';
  absl::StatusOr<DecodedMrz> corrected =
      DecodeMrz(MrzFormat::kTd3, {CleanLine(kL1), Unsure(l2, kL2, 0.2f)});
  ASSERT_TRUE(corrected.ok());
  ASSERT_TRUE(corrected->corrected[1][1]);
  EXPECT_TRUE(LookAlikeCandidates(*corrected, 1).empty());
}

// A passport whose printed document-number check digit is wrong ('7' for
// '8'), the number's zeros each 60 % sure against 'O' (the glyph model
// cannot tell them apart well): no mix of 0s and Os passes the check, so
// the failure is the document's, and the read is `invalid`, as printed.
TEST(FailingCheckTest, PrintedFailingCheckDigitWithUnsureZerosIsInvalid) {
  std::string l2 = kL2;
  l2[9] = '7';
  l2.replace(0, 9, "L80890200");  // Its check digit is 8.
  auto scores = std::vector<std::vector<CharScores>>{CleanLine(kL1), CleanLine(l2)};
  for (int i = 0; i < 9; ++i) {
    if (l2[i] == '0') scores[1][i][MrzIndex('O')] = -0.4f;
  }
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, scores);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->lines[1].substr(0, 10), l2.substr(0, 10)) << "read as printed";
  EXPECT_LT(FailingCheckPassChance(*d, MrzCheck::kDocumentNumber), 0.1);
  NoSecondOpinion none;
  const MrzReadResult r = JudgeMrz(*d, none, Options());
  EXPECT_EQ(r.verdict, MrzVerdict::kInvalid);
  EXPECT_THAT(r.reasons, Contains("check:document_number"));
}

// A failing document-number check where the glyph model was unsure of one
// character, and the look-alike it half expected there would make the
// check pass: the failure may be a misread, so the read is `unreadable`.
TEST(FailingCheckTest, FailingCheckThatAMisreadCouldExplainIsUnreadable) {
  std::string l2 = kL2;
  l2[7] = 'G';  // Printed 'C' (12) read as 'G' (16): the check fails.
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, {CleanLine(kL1), CleanLine(l2)});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->lines[1][7], 'G');
  EXPECT_LT(FailingCheckPassChance(*d, MrzCheck::kDocumentNumber), 0.01);
  // Half the glyph's probability on 'C', whose value differs from 'G' by
  // -4 = 6 modulo 10: reading it would make the check pass.
  d->confidence[1][7] = 0.5f;
  d->residue_mass[1][7][6] = 0.5f;
  EXPECT_GT(FailingCheckPassChance(*d, MrzCheck::kDocumentNumber), 0.4);
  NoSecondOpinion none;
  const MrzReadResult r = JudgeMrz(*d, none, Options());
  EXPECT_EQ(r.verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r.reasons, Contains("check:document_number"));
}

// The unsure read above, which a misread could explain: when the second
// recogniser reads the failing group as the glyph model does, both would
// have to misread the same character alike, so the failure is trusted as
// printed (`invalid`); when it reads the look-alike there, it stays
// `unreadable`.
TEST(FailingCheckTest, FailingCheckTheSecondRecogniserReadsAlikeIsInvalid) {
  std::string l2 = kL2;
  l2[7] = 'G';
  absl::StatusOr<DecodedMrz> d = DecodeMrz(MrzFormat::kTd3, {CleanLine(kL1), CleanLine(l2)});
  ASSERT_TRUE(d.ok());
  d->confidence[1][7] = 0.5f;
  d->residue_mass[1][7][6] = 0.5f;
  ASSERT_GT(FailingCheckPassChance(*d, MrzCheck::kDocumentNumber), 0.4);
  std::vector<std::vector<double>> confirmed(2, std::vector<double>(44, 1.0));
  confirmed[1][7] = 0.05;
  EXPECT_LT(FailingCheckPassChance(*d, MrzCheck::kDocumentNumber, &confirmed), 0.1);

  FixedOpinion alike({kL1, l2});
  const MrzReadResult r = JudgeMrz(*d, alike, Options());
  EXPECT_EQ(r.verdict, MrzVerdict::kInvalid);
  EXPECT_THAT(r.reasons, Contains("check:document_number"));

  std::string other = l2;
  other[7] = 'C';  // Reads the look-alike that makes the check pass.
  FixedOpinion differs({kL1, other});
  EXPECT_EQ(JudgeMrz(*d, differs, Options()).verdict, MrzVerdict::kUnreadable);
}

}  // namespace
}  // namespace vouch::ocr::internal
