#include "transliteration.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::pipeline {
namespace {

constexpr MrzNameScript kRussian = MrzNameScript::kRussianInternal;

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Examples from ICAO Doc 9303 Part 3 §6 and its Appendix (transliteration
// tables) and the specimen names of Part 4 Appendix A.
TEST(TransliterationTest, LatinDiacriticsFollowIcaoWithAlternatives) {
  EXPECT_THAT(MrzSpellings("Müller"), ElementsAre("MUELLER", "MULLER"));
  EXPECT_THAT(MrzSpellings("Øster-Ås"), Contains("OESTER AAS"));
  EXPECT_THAT(MrzSpellings("Straße"), ElementsAre("STRASSE"));
  EXPECT_THAT(MrzSpellings("Łukasz Wąs"), ElementsAre("LUKASZ WAS"));
  EXPECT_THAT(MrzSpellings("O'Brien"), ElementsAre("OBRIEN"));
  EXPECT_THAT(MrzSpellings("Þór"), ElementsAre("THOR"));
}

TEST(TransliterationTest, CyrillicFollowsTableB) {
  EXPECT_THAT(MrzSpellings("Щербаков"), ElementsAre("SHCHERBAKOV"));
  EXPECT_THAT(MrzSpellings("Юлия"), Contains("IULIIA"));
  EXPECT_THAT(MrzSpellings("Юлия"), Contains("YULIYA"));
  EXPECT_THAT(MrzSpellings("Ольга"), Contains("OLGA"));
  EXPECT_THAT(MrzSpellings("Григорий"), Contains("GRIGORII"));
  EXPECT_THAT(MrzSpellings("Галина"), Contains("HALINA"));
}

TEST(TransliterationTest, UntransliterableOrInvalidGivesNothing) {
  EXPECT_THAT(MrzSpellings("山田"), IsEmpty());
  EXPECT_THAT(MrzSpellings("\xC3\x28"), IsEmpty());  // Invalid UTF-8.
  EXPECT_THAT(MrzSpellings("\xC0\xAF"), IsEmpty());  // Overlong '/'.
  EXPECT_THAT(MrzSpellings(std::string(1000, 'a')), IsEmpty());
}

TEST(TransliterationTest, MatchesMrzNames) {
  EXPECT_TRUE(NameMatchesMrz("Eriksson", "ERIKSSON", false));
  EXPECT_TRUE(NameMatchesMrz("Anna Maria", "ANNA<MARIA", false));
  EXPECT_TRUE(NameMatchesMrz("Jean-Luc", "JEAN<LUC", false));
  EXPECT_TRUE(NameMatchesMrz("Щербаков", "SHCHERBAKOV", false));
  EXPECT_FALSE(NameMatchesMrz("Erikson", "ERIKSSON", false));
  EXPECT_FALSE(NameMatchesMrz("", "ERIKSSON", false));
}

TEST(TransliterationTest, LeadingWholeNamesMatchOnlyWhenAsked) {
  constexpr NameCover kLeading = NameCover::kLeadingNames;
  EXPECT_TRUE(NameMatchesMrz("Anna", "ANNA<MARIA", false, kLeading));
  EXPECT_TRUE(NameMatchesMrz("Anna Maria", "ANNA<MARIA<JOSE", false, kLeading));
  EXPECT_FALSE(NameMatchesMrz("Anna", "ANNA<MARIA", false));
  EXPECT_FALSE(NameMatchesMrz("Ann", "ANNA<MARIA", false, kLeading));
  EXPECT_FALSE(NameMatchesMrz("Maria", "ANNA<MARIA", false, kLeading));
  EXPECT_FALSE(NameMatchesMrz("Anna Maria Jose", "ANNA<MARIA", false, kLeading));
  // Through the Russian internal passport's scheme: the patronymic left out.
  EXPECT_TRUE(
      NameMatchesDocumentMrz("Evgenii", "EVGENIQ<ALEKSANDROVI3", false, kRussian, kLeading));
}

TEST(TransliterationTest, PrefixMatchesOnlyInATruncatedField) {
  EXPECT_TRUE(NameMatchesMrz("Wolfeschlegelsteinhausen", "WOLFESCHLEGELST", true));
  EXPECT_FALSE(NameMatchesMrz("Wolfeschlegelsteinhausen", "WOLFESCHLEGELST", false));
}

// The Russian internal passport's own scheme, one symbol per letter.
TEST(TransliterationTest, RussianInternalPassportNamesReadBackIntoCyrillic) {
  EXPECT_EQ(RussianInternalMrzNameToCyrillic("IM8REK"), "ИМЯРЕК");
  EXPECT_EQ(RussianInternalMrzNameToCyrillic("EVGENIQ<ALEKSANDROVI3"), "ЕВГЕНИЙ АЛЕКСАНДРОВИЧ");
  EXPECT_EQ(RussianInternalMrzNameToCyrillic("W2J4CH6X7Y9"), "ЩЁЖШЦХЭЪЮЫЬ");
  // `0`, `1` and `5` are not in the scheme.
  EXPECT_EQ(RussianInternalMrzNameToCyrillic("IM0REK"), std::nullopt);
  EXPECT_EQ(RussianInternalMrzNameToCyrillic("1"), std::nullopt);
  EXPECT_EQ(RussianInternalMrzNameToCyrillic("S5"), std::nullopt);
}

TEST(TransliterationTest, OnlyTheRussianInternalScriptReadsDigitsAsLetters) {
  EXPECT_TRUE(NameMatchesDocumentMrz("Imiarek", "IM8REK", false, kRussian));
  EXPECT_TRUE(NameMatchesDocumentMrz("Имярек", "IM8REK", false, kRussian));
  EXPECT_TRUE(
      NameMatchesDocumentMrz("Evgenii Aleksandrovich", "EVGENIQ<ALEKSANDROVI3", false, kRussian));
  // Truncated field: the prefix of the Cyrillic name's spelling.
  EXPECT_TRUE(
      NameMatchesDocumentMrz("Evgenii Aleksandrovich", "EVGENIQ<ALEKSANDRO", true, kRussian));
  EXPECT_FALSE(
      NameMatchesDocumentMrz("Evgenii Aleksandrovich", "EVGENIQ<ALEKSANDRO", false, kRussian));
  EXPECT_FALSE(NameMatchesDocumentMrz("Imbrek", "IM8REK", false, kRussian));
  // ICAO spellings still count on the national document.
  EXPECT_TRUE(NameMatchesDocumentMrz("Ivanov", "IVANOV", false, kRussian));
  // An ICAO document: the ICAO table only.
  EXPECT_FALSE(NameMatchesDocumentMrz("Imiarek", "IM8REK", false, MrzNameScript::kIcao));
  EXPECT_TRUE(NameMatchesDocumentMrz("Ivanov", "IVANOV", false, MrzNameScript::kIcao));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
