#include "docgen/docgen.h"

#include <random>
#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/mrz.h"
#include "testing/status_matchers.h"

namespace vouch::docgen {
namespace {

using ocr::MrzFormat;
using ::vouch::testing::StatusIs;

constexpr MrzFormat kFormats[] = {MrzFormat::kTd1, MrzFormat::kTd2,
                                  MrzFormat::kTd3, MrzFormat::kMrvA,
                                  MrzFormat::kMrvB};

TEST(ComposeMrzTest, RandomIdentitiesRoundTripThroughTheParser) {
  std::mt19937_64 rng(42);
  int long_numbers = 0, truncated = 0, filler_checks = 0;
  for (MrzFormat format : kFormats) {
    for (int i = 0; i < 300; ++i) {
      const Identity id = RandomIdentity(format, rng);
      absl::StatusOr<std::vector<std::string>> lines = ComposeMrz(id);
      ASSERT_TRUE(lines.ok()) << lines.status();
      absl::StatusOr<ocr::ParsedMrz> p = ocr::ParseMrz(*lines);
      ASSERT_TRUE(p.ok()) << p.status();
      SCOPED_TRACE(absl::StrJoin(*lines, "\n"));
      EXPECT_EQ(p->format, format);
      EXPECT_TRUE(p->valid());
      EXPECT_TRUE(p->issuing_state_known);
      EXPECT_TRUE(p->nationality_known);
      EXPECT_TRUE(p->implausible_fields.empty());
      EXPECT_EQ(p->fields.document_number, id.document_number);
      EXPECT_EQ(p->fields.birth_date, id.birth_date);
      EXPECT_EQ(p->fields.expiry_date, id.expiry_date);
      EXPECT_EQ(p->fields.nationality, id.nationality);
      EXPECT_EQ(p->fields.optional_data, id.optional_data);
      if (!p->fields.name_possibly_truncated) {
        EXPECT_EQ(p->fields.surname, absl::StrJoin(id.surnames, " "));
        EXPECT_EQ(p->fields.given_names, absl::StrJoin(id.given_names, " "));
      }
      long_numbers += p->fields.long_document_number;
      truncated += p->fields.name_possibly_truncated;
      filler_checks += p->fields.optional_data_check == "<";
    }
  }
  // The generator must exercise the edge cases it promises.
  EXPECT_GT(long_numbers, 20);
  EXPECT_GT(truncated, 20);
  EXPECT_GT(filler_checks, 20);
}

TEST(ComposeMrzTest, RejectsFieldsThatDoNotFit) {
  Identity id;
  id.format = MrzFormat::kTd3;
  id.document_code = "P";
  id.issuing_state = "UTO";
  id.surnames = {"ERIKSSON"};
  id.document_number = "L898902C3";
  id.nationality = "UTO";
  id.birth_date = "740812";
  id.sex = "F";
  id.expiry_date = "120415";
  ASSERT_TRUE(ComposeMrz(id).ok());
  EXPECT_EQ(ComposeMrz(id)->at(1), "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<08");

  Identity bad = id;
  bad.document_number = "L898902C31";  // TD3 has no long numbers.
  EXPECT_THAT(ComposeMrz(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = id;
  bad.surnames = {"eriksson"};
  EXPECT_THAT(ComposeMrz(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = id;
  bad.optional_data = std::string(15, '1');
  EXPECT_THAT(ComposeMrz(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DocumentGeneratorTest, IsDeterministicPerSeedAndBoxesTheMrz) {
  absl::StatusOr<std::unique_ptr<DocumentGenerator>> gen =
      DocumentGenerator::Create();
  ASSERT_TRUE(gen.ok()) << gen.status();
  for (Level level : {Level::kClean, Level::kHard}) {
    absl::StatusOr<GeneratedDocument> a = (*gen)->Generate(MrzFormat::kTd3, level, 7);
    absl::StatusOr<GeneratedDocument> b = (*gen)->Generate(MrzFormat::kTd3, level, 7);
    absl::StatusOr<GeneratedDocument> c = (*gen)->Generate(MrzFormat::kTd3, level, 8);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_TRUE(a->jpeg == b->jpeg);
    EXPECT_FALSE(a->jpeg == c->jpeg);
    EXPECT_EQ(a->mrz_lines, b->mrz_lines);
    ASSERT_FALSE(a->image.empty());
    for (const cv::Point2f& p : a->mrz_box) {
      EXPECT_GE(p.x, 0);
      EXPECT_GE(p.y, 0);
      EXPECT_LT(p.x, a->image.cols);
      EXPECT_LT(p.y, a->image.rows);
    }
    EXPECT_TRUE(ocr::ParseMrz(a->mrz_lines)->valid());
  }
}

TEST(DocumentGeneratorTest, HardPagesAreSmallerThanCleanOnes) {
  auto gen = DocumentGenerator::Create();
  ASSERT_TRUE(gen.ok());
  auto clean = (*gen)->Generate(MrzFormat::kTd1, Level::kClean, 3);
  auto hard = (*gen)->Generate(MrzFormat::kTd1, Level::kHard, 3);
  ASSERT_TRUE(clean.ok() && hard.ok());
  EXPECT_GT(clean->glyph_height_px, 20);
  EXPECT_LT(hard->glyph_height_px, 14);
  EXPECT_LT(hard->image.cols, clean->image.cols);
}

TEST(DocumentGeneratorTest, MissingFontIsFailedPrecondition) {
  DocumentGenerator::Fonts fonts;
  fonts.ocr_b = "/nonexistent/OCRB.otf";
  EXPECT_THAT(DocumentGenerator::Create(fonts),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LevelTest, NamesRoundTrip) {
  for (Level l : {Level::kClean, Level::kMild, Level::kMedium, Level::kHard}) {
    EXPECT_EQ(*ParseLevel(LevelName(l)), l);
  }
  EXPECT_THAT(ParseLevel("extreme"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::docgen
