// Model-backed tests (ctest label "model"): the reader with the committed
// glyph model and its default second opinion (the committed Tesseract MRZ
// model, models/mrz/tesseract; Debian's eng where a test says so) on
// generated pages and the public specimens.

#include "ocr/mrz_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "docgen/docgen.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mrz/band_locator.h"
#include "mrz/mrz_reader_internal.h"
#include "mrz/recognition.h"
#include "mrz/segmentation.h"
#include "nlohmann/json.hpp"
#include "ocr/image.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "testing/shared_data.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::vouch::testing::StatusIs;

class MrzReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    MrzReaderOptions options;
    options.glyph_model = std::string(VOUCH_SOURCE_DIR) + "/models/mrz/ocrb_glyphs.bin";
    options.today = absl::CivilDay(2026, 1, 1);
    auto reader = MrzReader::Create(options);
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = reader->release();
    auto gen = docgen::DocumentGenerator::Create();
    ASSERT_TRUE(gen.ok()) << gen.status();
    generator_ = gen->release();
  }
  static void TearDownTestSuite() {
    delete reader_;
    delete generator_;
  }

  // Reads `page`; a kValid verdict must always carry the true lines.
  std::optional<MrzReadResult> ReadChecked(const cv::Mat& page,
                                           const std::vector<std::string>& truth) {
    auto r = reader_->Read(page);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || !r->has_value()) return std::nullopt;
    if ((*r)->verdict == MrzVerdict::kValid) {
      EXPECT_TRUE((*r)->mrz.has_value());
      if ((*r)->mrz) {
        EXPECT_EQ(absl::StrJoin((*r)->mrz->lines, "\n"), absl::StrJoin(truth, "\n"))
            << "a wrong MRZ came out valid";
      }
    }
    return **r;
  }

  // The docgen photo of `format` and `seed` is read exactly and `valid`.
  void ExpectPhotoReadExactlyAndValid(MrzFormat format, uint64_t seed) {
    auto doc = generator_->Generate(format, docgen::Level::kPhoto, seed);
    ASSERT_TRUE(doc.ok());
    std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
    ASSERT_TRUE(r.has_value()) << "no MRZ found";
    ASSERT_TRUE(r->mrz.has_value());
    EXPECT_EQ(absl::StrJoin(r->mrz->lines, "\n"), absl::StrJoin(doc->mrz_lines, "\n"));
    EXPECT_EQ(r->verdict, MrzVerdict::kValid) << absl::StrJoin(r->reasons, ",");
  }

  static MrzReader* reader_;
  static docgen::DocumentGenerator* generator_;
};

MrzReader* MrzReaderTest::reader_ = nullptr;
docgen::DocumentGenerator* MrzReaderTest::generator_ = nullptr;

TEST_F(MrzReaderTest, ReadsCleanAndMildPagesOfEveryFormat) {
  int exact = 0, total = 0;
  for (docgen::Level level : {docgen::Level::kClean, docgen::Level::kMild}) {
    for (MrzFormat format :
         {MrzFormat::kTd1, MrzFormat::kTd2, MrzFormat::kTd3, MrzFormat::kMrvA, MrzFormat::kMrvB}) {
      auto doc = generator_->Generate(format, level, 77);
      ASSERT_TRUE(doc.ok());
      SCOPED_TRACE(absl::StrJoin(doc->mrz_lines, "\n"));
      std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
      ASSERT_TRUE(r.has_value()) << "no MRZ found";
      ASSERT_TRUE(r->mrz.has_value());
      EXPECT_EQ(r->mrz->format, format);
      EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
      exact += r->mrz->lines == doc->mrz_lines;
      ++total;
      // The box lies on the MRZ: its centre is near the true band's.
      const cv::Point2f c = (r->box[0] + r->box[2]) * 0.5f;
      const cv::Point2f t = (doc->mrz_box[0] + doc->mrz_box[2]) * 0.5f;
      EXPECT_LT(cv::norm(c - t), 0.1 * doc->image.cols);
    }
  }
  EXPECT_EQ(exact, total);
}

TEST_F(MrzReaderTest, ReadsAnUpsideDownPage) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kClean, 5);
  ASSERT_TRUE(doc.ok());
  cv::Mat flipped;
  cv::rotate(doc->image, flipped, cv::ROTATE_180);
  std::optional<MrzReadResult> r = ReadChecked(flipped, doc->mrz_lines);
  ASSERT_TRUE(r.has_value() && r->mrz.has_value());
  EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
  EXPECT_EQ(r->verdict, MrzVerdict::kValid);
}

TEST_F(MrzReaderTest, NeverValidWhenWrongOnHardPages) {
  for (uint64_t seed = 200; seed < 210; ++seed) {
    auto doc = generator_->Generate(static_cast<MrzFormat>(seed % 5), docgen::Level::kHard, seed);
    ASSERT_TRUE(doc.ok());
    ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  }
}

// Two check pages that a more agreeable second recogniser
// turned into false accepts (the MRZ model tried on raw lines,
// psm 13, docs/ocr.md): hard seed 8286, a TD1 whose blurred `H` in the
// name the glyph model reads as `M` (eng on a raw line read `M` too), and
// photo seed 8238, an MRV-A whose grid stops at 36 columns under a shadow
// and reads as an MRV-B whose checks all pass (both Tesseract models then
// read its cut name line alike). Neither may ever be `valid` on wrong lines.
TEST_F(MrzReaderTest, NeverValidOnTheRawLineFalseAccepts) {
  auto card = generator_->Generate(MrzFormat::kTd1, docgen::Level::kHard, 8286);
  ASSERT_TRUE(card.ok());
  ReadChecked(card->image, card->mrz_lines);  // Asserts inside.
  // As drawn before the not-OCR-B font effect existed (it is on
  // for this seed now).
  auto drawn = generator_->Generate(MrzFormat::kMrvA, docgen::Level::kPhoto, 8238);
  ASSERT_TRUE(drawn.ok());
  docgen::PhotoEffects effects = drawn->photo_effects;
  effects.non_ocrb_font = false;
  auto visa = generator_->Generate(MrzFormat::kMrvA, docgen::Level::kPhoto, 8238, effects);
  ASSERT_TRUE(visa.ok());
  ReadChecked(visa->image, visa->mrz_lines);
}

// Fresh check seed 8860 (photo, TD3 under a glare band, upside
// down, tilted >= 15 degrees): the glyph model read the document number
// KV79323980 as YV75323980, unsure of `Y` (0.85) and `5` (0.76) but giving
// `K` and `9` almost nothing; K->Y and 9->5 at weight 7 cancel in the
// number's check and the composite, so it came out `valid`.
// Both Tesseract models read `KV79`: never `valid` on wrong lines.
TEST_F(MrzReaderTest, NeverValidOnTwoUnsureMisreadsThatCancelTheChecks) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kPhoto, 8860);
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->mrz_lines[1].substr(0, 10), "KV79323980");
  ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
}

// Docgen photo tuning seed 8032 (TD2, the MRZ printed in
// DejaVu Sans Mono, upside down, low light): the glyph model read the `Q`
// of QURXOST as `O` with confidence, the MRZ model read `0` (a look-alike
// that confirmed it), only eng read `Q`; every check passed and the wrong
// name came out `valid`. Its glyphs fit the OCR-B model no better than
// junk (glyph_fit about -4.3): never `valid` (`poor_glyph_fit`), while a
// clean OCR-B page fits well. A read that fits like junk no
// longer ends the band search, and the read the search ends on (the same
// lines, another band) falls to review on its names' and document number's
// confidence before the fit guard is asked; either reason keeps it out.
TEST_F(MrzReaderTest, NeverValidOnGlyphsThatFitOcrBNoBetterThanJunk) {
  auto mono = generator_->Generate(MrzFormat::kTd2, docgen::Level::kPhoto, 8032);
  ASSERT_TRUE(mono.ok());
  ASSERT_TRUE(mono->photo_effects.non_ocrb_font);
  std::optional<MrzReadResult> r = ReadChecked(mono->image, mono->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(r->verdict, MrzVerdict::kUnreadable);
  EXPECT_THAT(r->reasons, ::testing::Contains(::testing::AnyOf(
                              "poor_glyph_fit", ::testing::StartsWith("low_confidence:"))));
  EXPECT_LT(r->glyph_fit, -4.0);

  auto clean = generator_->Generate(MrzFormat::kTd2, docgen::Level::kClean, 8032);
  ASSERT_TRUE(clean.ok());
  std::optional<MrzReadResult> c = ReadChecked(clean->image, clean->mrz_lines);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->verdict, MrzVerdict::kValid);
  EXPECT_GT(c->glyph_fit, -2.0);
}

// A phone capture of a public specimen (vouch_ocr_bench's
// real_captured_tuning page td1_ltu_basanaviciene~5, docs/ocr.md "Session
// 15"): the band read upright is junk whose check digits the decoder's
// search makes pass (glyph fit about -5), and it ended the search. A read
// that fits like junk is never `valid`, so it must not end the search: the
// band read upside down reads the lines.
TEST_F(MrzReaderTest, AReadThatFitsLikeJunkDoesNotEndTheSearch) {
  VOUCH_REQUIRE_SHARED_DIR();
  const std::filesystem::path dir = ::vouch::testing::SharedDir() / "corpus" / "specimens";
  const std::vector<std::string> truth = {"I<LTU11810187<346411231034<<<<",
                                          "6411231F1901012LTU<<<<<<<<<<<9",
                                          "BASANAVICIENE<<BIRUTE<<<<<<<<<"};
  std::ifstream in(dir / "td1_ltu_basanaviciene.png", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto img = DecodeImage(bytes);
  ASSERT_TRUE(img.ok()) << img.status();
  // The MRZ box of tests/bench_ocr/real_mrz_boxes.json and the bench's seed
  // of the variant.
  const docgen::ScanPage scan{
      img->bgr,
      {cv::Point2f(24.0f, 364.2f), {341.9f, 364.0f}, {341.9f, 411.8f}, {24.0f, 413.0f}},
      30};
  docgen::PhotoEffects busy;
  busy.busy_background = true;
  auto photo = generator_->CaptureScan(scan, 0xdaef09c041c3eef2ull, busy);
  ASSERT_TRUE(photo.ok()) << photo.status();
  std::optional<MrzReadResult> r = ReadChecked(photo->image, truth);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(absl::StrJoin(r->mrz->lines, "\n"), absl::StrJoin(truth, "\n"));
  EXPECT_GT(r->glyph_fit, -4.0);
}

// A glare band across a real ID card's MRZ (the specimen
// td1_esp_espanola photographed by docgen's capture with a glare band:
// real_captured_tuning page td1_esp_espanola~1, docs/ocr.md "Session 16").
// The glyph model reads every line; the second recogniser, binarising each
// line image with one threshold, lost the glyphs under the glare and
// garbled the names, which went to review. With the line image's contrast
// stretched locally both Tesseract models read the names: `valid`.
TEST_F(MrzReaderTest, NamesUnderAGlareBandAreConfirmed) {
  VOUCH_REQUIRE_SHARED_DIR();
  const std::filesystem::path dir = ::vouch::testing::SharedDir() / "corpus" / "specimens";
  const std::vector<std::string> truth = {"IDESPBAA000589599999999R<<<<<<",
                                          "8001014F2501017ESP<<<<<<<<<<<7",
                                          "ESPANOLA<ESPANOLA<<CARMEN<<<<<"};
  std::ifstream in(dir / "td1_esp_espanola.png", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto img = DecodeImage(bytes);
  ASSERT_TRUE(img.ok()) << img.status();
  // The MRZ box of tests/bench_ocr/real_mrz_boxes.json and the bench's seed
  // of the variant.
  const docgen::ScanPage scan{
      img->bgr,
      {cv::Point2f(14.6f, 353.3f), {293.0f, 353.5f}, {293.0f, 394.7f}, {14.6f, 395.2f}},
      30};
  docgen::PhotoEffects glare;
  glare.glare_band = true;
  auto photo = generator_->CaptureScan(scan, 0x5ed06bc506b1cc45ull, glare);
  ASSERT_TRUE(photo.ok()) << photo.status();
  std::optional<MrzReadResult> r = ReadChecked(photo->image, truth);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(absl::StrJoin(r->mrz->lines, "\n"), absl::StrJoin(truth, "\n"));
  EXPECT_EQ(r->verdict, MrzVerdict::kValid) << absl::StrJoin(r->reasons, ",");
}

// Docgen photo seed 9233 (MRV-A, a held-out check seed,
// seen since): a glare band over the fillers, the band located
// on the first 36 columns, read as an MRV-B whose every check passes (the
// two layouts share every field and check position up to column 36) and
// `valid` before LineMayContinue. Its lines go on past cell 36: never
// `valid` (`unproven_line_end`).
TEST_F(MrzReaderTest, NeverValidOnAnMrvACutShortToAnMrvB) {
  auto doc = generator_->Generate(MrzFormat::kMrvA, docgen::Level::kPhoto, 9233);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  if (r->mrz->format == MrzFormat::kMrvB) {
    EXPECT_EQ(r->verdict, MrzVerdict::kUnreadable);
    EXPECT_THAT(r->reasons, ::testing::Contains("unproven_line_end"));
  }
}

// Docgen hard seed 8155 (TD3, a tuning seed): the band located on the
// first 36 columns, read as a TD2 (a TD3's second line has a TD2's fields
// and checks up to there) whose composite passed on a filler read `4`; its
// names, read verbatim by the MRZ model as a raw line, made it `valid`
// once such a reading counted. Its lines go on past cell 36 and its
// document code is a passport's: never `valid` (`unproven_line_end`).
TEST_F(MrzReaderTest, NeverValidOnATd3CutShortToATd2) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kHard, 8155);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  if (r->mrz->format == MrzFormat::kTd2) {
    EXPECT_EQ(r->verdict, MrzVerdict::kUnreadable);
    EXPECT_THAT(r->reasons, ::testing::Contains("unproven_line_end"));
  }
}

// Docgen hard seed 8046 (TD1, a tuning seed): the optional data's `0` read
// `O` by the glyph model at a coin flip (0.49 against 0.47), read `0` by
// both Tesseract models: that look-alike is put in (AgreedLookAlike), the
// composite then passes, and the read is exact and `valid`.
TEST_F(MrzReaderTest, ReadsTheLookAlikeBothTesseractModelsAgreeOnWhereTheGlyphModelIsSplit) {
  auto doc = generator_->Generate(MrzFormat::kTd1, docgen::Level::kHard, 8046);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
  EXPECT_EQ(r->verdict, MrzVerdict::kValid) << absl::StrJoin(r->reasons, ",");
}

// Docgen hard seed 9365 (TD3, a fresh seed): the personal number
// J78YDK2518A619 read I78YDK2584R68F by the glyph model, its check digit
// and the composite passing on the misread, came out `valid`; the MRZ
// model's line and raw line and `eng` read the truth at four of those
// cells, in runs too long for a `disputed:` claim. Every Tesseract reading
// outvoting the glyph model there is review (`outvoted:`): never `valid`
// on the wrong lines.
TEST_F(MrzReaderTest, NeverValidWhereEveryTesseractReadingOutvotesTheGlyphModel) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kHard, 9365);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  if (r->mrz->lines != doc->mrz_lines) {
    EXPECT_NE(r->verdict, MrzVerdict::kValid);
  }
}

// Docgen photo seed 8150 (TD3, a tuning seed): the document number
// LO1O6630C read right by the glyph model (its `O`s at 0.83 and 0.68) and
// disputed, both Tesseract models reading L0106630C, which the not-OCR-B
// fallback then took; `O` for `0` at weights 3 and 7 cancels in the
// number's check and in the composite, and the fused read came out `valid`.
// The glyph model's reading passing the same checks, the field is disputed:
// never `valid` on the wrong lines.
TEST_F(MrzReaderTest, NeverValidWhereTheFallbackAndTheGlyphModelReadLinesTheChecksCannotTellApart) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kPhoto, 8150);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  if (r->mrz->lines != doc->mrz_lines) {
    EXPECT_NE(r->verdict, MrzVerdict::kValid);
  }
}

// Docgen hard seed 8069 (MRV-B, a tuning seed): the name ROSEITBO read
// ROSEIIBO by the glyph model (`I` 0.62, `T` 0.24) and by the MRZ model,
// only `eng` reading `T`; it came out `valid`. A glyph model split on a
// look-alike some recogniser reads keeps the name in review.
TEST_F(MrzReaderTest, NeverValidWhereARecogniserReadsTheLookAlikeTheGlyphModelIsSplitOn) {
  auto doc = generator_->Generate(MrzFormat::kMrvB, docgen::Level::kHard, 8069);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);  // Asserts inside.
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  if (r->mrz->lines != doc->mrz_lines) {
    EXPECT_NE(r->verdict, MrzVerdict::kValid);
  }
}

// A hard page (seed 4180, TD3) whose document number E4350309 the glyph
// classifier read as E435O3O9 at two coin-flip positions: the two O/0
// errors sit at check weights 3 and 7 and cancel modulo 10, so the check
// digit passes. It came out `valid` (a false accept) while field
// confidence counted such pairs as one chance in ten; counted exactly, the
// field is not confident and the page goes to review. Seen with Debian's
// eng as the second opinion (which confirmed every uncovered field there),
// so read with eng here.
TEST_F(MrzReaderTest, NeverValidWhenTwoLookAlikeErrorsCancelTheCheckDigit) {
  MrzReaderOptions options;
  options.glyph_model = std::string(VOUCH_SOURCE_DIR) + "/models/mrz/ocrb_glyphs.bin";
  options.tesseract_language = "eng";
  options.today = absl::CivilDay(2026, 1, 1);
  auto reader = MrzReader::Create(options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kHard, 4180);
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->mrz_lines[1].substr(0, 8), "E4350309");
  auto r = (*reader)->Read(doc->image);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value() && (*r)->mrz.has_value());
  // What makes the page a trap: the misread passes every check digit.
  EXPECT_EQ((*r)->mrz->lines[1].substr(0, 8), "E435O3O9");
  EXPECT_TRUE((*r)->mrz->valid());
  EXPECT_NE((*r)->verdict, MrzVerdict::kValid);
  EXPECT_THAT((*r)->reasons, ::testing::Contains("low_confidence:document_number"));
}

// Hard pages whose document number the glyph classifier read with an 'O'
// for a '0' (bench pages hard#0, #47: seeds 1000, 1047), where two
// corrections pass the check digit at nearly the same cost. Tesseract's
// per-symbol alternatives support only the true one: read exactly, but the
// field is never confident enough for `valid` (routed to review). (Seed
// 1059, an MRV-B, was a third: since a rework of the band search
// its number reads without the ambiguity, exactly and
// `valid`.)
TEST_F(MrzReaderTest, SecondRecogniserBreaksAmbiguousDocumentNumberFixes) {
  const std::pair<MrzFormat, uint64_t> pages[] = {{MrzFormat::kTd3, 1000}, {MrzFormat::kTd2, 1047}};
  for (const auto& [format, seed] : pages) {
    SCOPED_TRACE(seed);
    auto doc = generator_->Generate(format, docgen::Level::kHard, seed);
    ASSERT_TRUE(doc.ok());
    std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
    ASSERT_TRUE(r.has_value() && r->mrz.has_value());
    EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
    EXPECT_NE(r->verdict, MrzVerdict::kValid);
    EXPECT_THAT(r->reasons, ::testing::Contains("tie_broken:document_number"));
    EXPECT_LT(r->field_confidence.at("document_number"), 0.9);
  }
}

// Hard pages where blur makes neighbouring MRZ glyphs touch, so a line had
// too few components for a grid, even a borrowed one (bench pages hard#13
// and #86: an MRV-A and a TD1, seeds 1013 and 1086). Glyph-high runs are now
// split at the usual pitch.
TEST_F(MrzReaderTest, ReadsLinesWhoseGlyphsTouch) {
  const std::pair<MrzFormat, uint64_t> pages[] = {{MrzFormat::kMrvA, 1013},
                                                  {MrzFormat::kTd1, 1086}};
  for (const auto& [format, seed] : pages) {
    SCOPED_TRACE(seed);
    auto doc = generator_->Generate(format, docgen::Level::kHard, seed);
    ASSERT_TRUE(doc.ok());
    std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
    ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
    EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
  }
}

// A hard TD3 under strong perspective (seed 4155) whose blurred glyphs
// touch in runs: split at the usual pitch of 1.1 glyph heights, each line
// came out a few glyphs short (41-43 of 44) and no grid fitted, so no MRZ
// was reported. The runs are now re-split at the line's own pitch.
TEST_F(MrzReaderTest, SplitsTouchingGlyphsAtTheLinesOwnPitch) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kHard, 4155);
  ASSERT_TRUE(doc.ok());
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
}

// A former false accept (docgen photo seed 8101,
// a TD1 card back tilted so strongly that its third line's near end is
// ~1.5x its far end): the band was located on the middle line and cut too
// tight, its edge cut the bottom bar off the name's `I`, and the glyph
// model and `eng` both read `VAT` for `VAI`; no check digit covers a name,
// so the wrong read came out `valid`. A grid reaching the band's edge is
// now cut again with a wider margin (recognition.cc), and a name with a
// glyph the edge still cuts is never `valid` (mrz_verdict.cc): the page
// must read exactly, and never `valid` on wrong lines (ReadChecked).
TEST_F(MrzReaderTest, NeverValidOnAGlyphCutByTheBandEdge) {
  auto doc = generator_->Generate(MrzFormat::kTd1, docgen::Level::kPhoto, 8101);
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->mrz_lines.back().substr(0, 4), "VAI<");  // The page of the false accept.
  std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
}

TEST_F(MrzReaderTest, PageWithoutMrzHasNone) {
  cv::Mat blank(800, 1200, CV_8UC3, cv::Scalar(230, 240, 250));
  cv::putText(blank, "NOT A PASSPORT 1234 5678", cv::Point(100, 400), cv::FONT_HERSHEY_SIMPLEX, 2.0,
              cv::Scalar(20, 20, 20), 3);
  auto r = reader_->Read(blank);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(MrzReaderTest, ReadsGrayPages) {
  auto doc = generator_->Generate(MrzFormat::kTd1, docgen::Level::kClean, 9);
  ASSERT_TRUE(doc.ok());
  cv::Mat gray;
  cv::cvtColor(doc->image, gray, cv::COLOR_BGR2GRAY);
  std::optional<MrzReadResult> r = ReadChecked(gray, doc->mrz_lines);
  ASSERT_TRUE(r.has_value() && r->mrz.has_value());
  EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
}

TEST_F(MrzReaderTest, NoisePageHasNoValidMrz) {
  cv::Mat noise(1500, 2000, CV_8UC3);
  cv::RNG rng(4);
  rng.fill(noise, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(256));
  auto r = reader_->Read(noise);
  ASSERT_TRUE(r.ok()) << r.status();
  if (r->has_value()) {
    EXPECT_NE((*r)->verdict, MrzVerdict::kValid);
  }
}

// UV and IR captures of a page (they need not be read, but must
// never be misread): under UV the paper is dark and light features glow,
// so the page's luminance comes out inverted and tinted violet; an IR
// frame is a gray image whose paper is dim and whose contrast is low.
std::vector<cv::Mat> UvAndIrCaptures(const cv::Mat& page) {
  cv::Mat gray;
  cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
  cv::Mat inverted = 255 - gray;
  cv::Mat violet;
  cv::merge(std::vector<cv::Mat>{inverted, inverted * 0.35, inverted * 0.6}, violet);
  cv::Mat inverted_bgr;
  cv::cvtColor(inverted, inverted_bgr, cv::COLOR_GRAY2BGR);
  cv::Mat ir;
  gray.convertTo(ir, CV_8U, 0.3, 60);
  return {inverted_bgr, violet, ir};
}

TEST_F(MrzReaderTest, NeverMisreadsUvOrIrCaptures) {
  int pages = 0;
  for (MrzFormat format : {MrzFormat::kTd3, MrzFormat::kTd1, MrzFormat::kMrvB}) {
    for (uint64_t seed : {41, 42}) {
      auto doc = generator_->Generate(format, docgen::Level::kMild, seed);
      ASSERT_TRUE(doc.ok());
      for (const cv::Mat& capture : UvAndIrCaptures(doc->image)) {
        SCOPED_TRACE(absl::StrJoin(doc->mrz_lines, "\n"));
        ReadChecked(capture, doc->mrz_lines);  // Never valid on wrong lines.
        ++pages;
      }
    }
  }
  EXPECT_EQ(pages, 18);
}

TEST_F(MrzReaderTest, NeverMisreadsUvOrIrCapturesOfSpecimens) {
  VOUCH_REQUIRE_SHARED_DIR();
  const std::filesystem::path dir = ::vouch::testing::SharedDir() / "corpus" / "specimens";
  std::ifstream mf(dir / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
  ASSERT_FALSE(manifest.is_discarded());
  int pages = 0;
  for (const auto& s : manifest["specimens"]) {
    const std::string file = s["file"].get<std::string>();
    SCOPED_TRACE(file);
    std::ifstream in(dir / file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    auto img = DecodeImage(bytes);
    ASSERT_TRUE(img.ok()) << file;
    const auto truth = s["mrz_lines"].get<std::vector<std::string>>();
    for (const cv::Mat& capture : UvAndIrCaptures(img->bgr)) {
      ReadChecked(capture, truth);  // Never valid on wrong lines.
      ++pages;
    }
  }
  EXPECT_EQ(pages, 3 * static_cast<int>(manifest["specimens"].size()));
}

// FlattenDarkInk (band location's third page variant), without models:
// two rows of dark glyph strokes on gray paper, a light guilloche line
// between them, and a glare band that washes paper and ink towards white
// over part of the page. Flattened, the strokes are dark inside and outside
// the glare, the paper and the guilloche next to the strokes are white.
TEST(FlattenDarkInkTest, RestoresContrastUnderGlareAndDropsLightInk) {
  constexpr int kPaper = 220, kInk = 40, kGuilloche = 150;
  constexpr int kGuillocheRow = 137, kGlareFrom = 500, kGlareTo = 700;
  constexpr double kGlare = 0.8;  // Share of the way to white.
  cv::Mat page(400, 1000, CV_8UC1, cv::Scalar(kPaper));
  page.row(kGuillocheRow).setTo(kGuilloche);
  for (int top : {100, 150}) {
    for (int x = 20; x + 3 < page.cols - 20; x += 12) {
      page(cv::Rect(x, top, 3, 24)).setTo(kInk);
    }
  }
  cv::Mat glare = page.colRange(kGlareFrom, kGlareTo);
  glare.convertTo(glare, CV_8U, 1 - kGlare, 255 * kGlare);
  const cv::Mat flat = internal::FlattenDarkInk(page);
  ASSERT_EQ(flat.size(), page.size());
  for (int x : {104, 308, 584, 620}) {  // Stroke columns, outside and inside the glare.
    SCOPED_TRACE(x);
    // Under the glare a stroke is washed out (212 here).
    ASSERT_EQ(page.at<uchar>(110, x) != kInk, x >= kGlareFrom);
    EXPECT_LT(flat.at<uchar>(110, x), 64);
    EXPECT_LT(flat.at<uchar>(160, x), 64);
    EXPECT_EQ(flat.at<uchar>(kGuillocheRow, x + 6), 255) << "the guilloche stays";
    EXPECT_EQ(flat.at<uchar>(300, x), 255) << "paper not white";
  }
}

// LocateBands (no models): a two-row band of glyph-sized
// blocks whose middle stretch a glare band wiped out is found in two pieces,
// neither holding a whole row; with `joined`, the two pieces come back as
// one rectangle spanning both rows from end to end, and apart from the
// candidates found whole. Two bands off each other's axis are not joined.
TEST(LocateBandsTest, JoinsABandAGlareGapSplitInTwo) {
  constexpr int kPaper = 220, kInk = 40, kLeft = 100, kRight = 1300, kPitch = 26;
  auto draw_rows = [&](cv::Mat& page, int from, int to, int top) {
    for (int row_top : {top, top + 40}) {
      for (int x = from; x + 14 <= to; x += kPitch) page(cv::Rect(x, row_top, 14, 24)).setTo(kInk);
    }
  };
  cv::Mat page(900, 1400, CV_8UC1, cv::Scalar(kPaper));
  draw_rows(page, kLeft, 620, 600);
  draw_rows(page, 880, kRight, 600);
  std::vector<cv::RotatedRect> joined;
  const std::vector<cv::RotatedRect> whole = internal::LocateBands(page, &joined);
  // The last block of the right piece ends at 1284.
  auto spans_both = [&](const cv::RotatedRect& r) {
    const cv::Rect box = r.boundingRect();
    return box.x <= kLeft + 5 && box.x + box.width >= 1280 && box.y <= 605 &&
           box.y + box.height >= 659;
  };
  EXPECT_TRUE(std::none_of(whole.begin(), whole.end(), spans_both));
  ASSERT_FALSE(joined.empty());
  EXPECT_TRUE(std::any_of(joined.begin(), joined.end(), spans_both));
  // Without `joined`, the same candidates and none joined.
  const std::vector<cv::RotatedRect> only_whole = internal::LocateBands(page);
  EXPECT_EQ(only_whole.size(), whole.size());
  EXPECT_TRUE(std::none_of(only_whole.begin(), only_whole.end(), spans_both));

  // The right piece moved 200 px down: no longer on the left piece's axis.
  cv::Mat apart(900, 1400, CV_8UC1, cv::Scalar(kPaper));
  draw_rows(apart, kLeft, 620, 400);
  draw_rows(apart, 880, kRight, 600);
  joined.clear();
  internal::LocateBands(apart, &joined);
  for (const cv::RotatedRect& r : joined) {
    EXPECT_LT(std::max(r.size.width, r.size.height), 700) << "pieces off one axis joined";
  }
}

// Photo pages whose MRZ a glare band (with low light or a
// shadow) splits into two pieces on every page variant (tuning seeds 8025,
// a TD3, and 8038, an MRV-A; no MRZ found before): read from the joined
// band, exactly and `valid`. (8038 went to review while the joined band
// was read on the brightest channel in place of the gray page, session
// 18: its visa optional data's `8` fit the glyph model less there.)
TEST_F(MrzReaderTest, ReadsAnMrzAGlareBandSplitsInTwo) {
  struct Page {
    MrzFormat format;
    int seed;
  };
  for (const Page& page : {Page{MrzFormat::kTd3, 8025}, Page{MrzFormat::kMrvA, 8038}}) {
    SCOPED_TRACE(page.seed);
    ExpectPhotoReadExactlyAndValid(page.format, page.seed);
  }
}

// The gray page outlives its brightest channel: the bands joined from the
// gray search's pieces are read on the gray page (a Mat expression
// assigned to a Mat that shares the gray page's data overwrote it with the
// brightest channel, session 18). Photo seed 8025 (read only from a joined
// band, above) with its blue channel at 255: in gray the MRZ stays dark
// ink, but the brightest channel is blank, and so is its flattened ink;
// the joined band must still be read, exactly and `valid`.
TEST_F(MrzReaderTest, ReadsAJoinedBandOnTheGrayPageOfAColourPage) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kPhoto, 8025);
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->image.type(), CV_8UC3);
  cv::Mat page = doc->image.clone();
  std::vector<cv::Mat> channels;
  cv::split(page, channels);
  channels[0].setTo(255);  // Blue.
  cv::merge(channels, page);
  std::optional<MrzReadResult> r = ReadChecked(page, doc->mrz_lines);
  ASSERT_TRUE(r.has_value()) << "no MRZ found";
  ASSERT_TRUE(r->mrz.has_value());
  EXPECT_EQ(absl::StrJoin(r->mrz->lines, "\n"), absl::StrJoin(doc->mrz_lines, "\n"));
  EXPECT_EQ(r->verdict, MrzVerdict::kValid) << absl::StrJoin(r->reasons, ",");
}

// A band located on part of the MRZ (photo seed 8070, a TD3 on a bent
// page with fine print between its lines: the band starts at the first
// line's ninth cell, whose 36 cells segment as a TD2 whose checks fail).
// A line reaching the end of the band's cut has the band read again
// lengthened along its lines: exact and `valid`.
TEST_F(MrzReaderTest, ReadsAnMrzWhoseBandWasLocatedOnPartOfItsLines) {
  ExpectPhotoReadExactlyAndValid(MrzFormat::kTd3, 8070);
}

// Glyphs that fit OCR-B poorly (photo seed 8190, a TD3 with fine print
// between its lines, photographed sideways): the personal number's last
// fillers read `222` by the glyph model, its check failing; the two
// Tesseract models read the line differently. Where the glyphs fit OCR-B
// poorly, one recogniser's reading of a field whose own check fails is
// taken when it makes that check pass at unsure or look-alike cells:
// exact and `valid`.
TEST_F(MrzReaderTest, ReadsAFailingFieldOfPoorlyFittingGlyphsAsOneRecogniserDoes) {
  ExpectPhotoReadExactlyAndValid(MrzFormat::kTd3, 8190);
}

// LineMayContinue (no models): two lines of 36 ring-shaped
// glyphs on blank paper end there; with filler-like chevrons after cell 36
// (an MRV-A's lines cut short) or with the band ending at the last cell,
// they may go on.
TEST(SegmentationTest, LineMayContinuePastTheLastCell) {
  constexpr int kPitch = 26, kLeft = 60, kWidth = 14;
  const int cap = static_cast<int>(internal::kNormCap);
  auto draw = [&](int glyphs, int chevrons, int width) {
    cv::Mat band(200, width, CV_8UC1, cv::Scalar(230));
    for (int line = 0; line < 2; ++line) {
      const int y = 50 + line * 2 * cap;
      for (int i = 0; i < glyphs; ++i) {
        const int x = kLeft + i * kPitch;
        band(cv::Rect(x, y, kWidth, cap)).setTo(30);
        band(cv::Rect(x + 4, y + 5, kWidth - 8, cap - 10)).setTo(230);
      }
      for (int i = glyphs; i < glyphs + chevrons; ++i) {  // `<`: two strokes.
        const int x = kLeft + i * kPitch;
        cv::line(band, {x + kWidth, y + 4}, {x + 2, y + cap / 2}, cv::Scalar(30), 3);
        cv::line(band, {x + 2, y + cap / 2}, {x + kWidth, y + cap - 4}, cv::Scalar(30), 3);
      }
    }
    return band;
  };
  const int full = kLeft * 2 + 44 * kPitch;
  const cv::Mat mrvb = draw(36, 0, full);
  const std::optional<internal::MrzGrid> grid = internal::SegmentMrz(mrvb);
  ASSERT_TRUE(grid.has_value());
  ASSERT_EQ(grid->length, 36);
  EXPECT_FALSE(internal::LineMayContinue(mrvb, *grid));
  EXPECT_TRUE(internal::LineMayContinue(draw(36, 8, full), *grid));
  EXPECT_TRUE(internal::LineMayContinue(mrvb(cv::Rect(0, 0, kLeft + 36 * kPitch, 200)), *grid));
}

// A page photographed bent curves its MRZ lines (mrz_real
// td3_aus_citizen_photo: glyphs 0.4 cap off the straight cap line at both
// ends, fillers read as `W`). Two lines of 44 glyph-sized blocks along a
// parabola that sags 10 px (0.42 cap) from the ends to the middle: the
// grid's cap line and baseline follow the glyphs within 2 px everywhere
// (a straight fit misses the ends or the middle by ~1/3 of the sag or
// more); on straight lines the bend stays 0.
TEST(SegmentationTest, CapLineAndBaselineFollowABentLine) {
  constexpr double kSag = 10;
  constexpr int kPitch = 26, kLeft = 40, kWidth = 14;
  const int cap = static_cast<int>(internal::kNormCap);
  for (const double sag : {0.0, kSag}) {
    cv::Mat band(200, kLeft * 2 + 44 * kPitch, CV_8UC1, cv::Scalar(230));
    const double mid = kLeft + 21.5 * kPitch + kWidth / 2.0, half = 21.5 * kPitch;
    auto top_at = [&](int line, double x) {
      const double u = (x - mid) / half;
      return 50 + line * 2 * cap + sag * (1 - u * u);
    };
    for (int line = 0; line < 2; ++line) {
      for (int i = 0; i < 44; ++i) {
        const int x = kLeft + i * kPitch;
        const int y = static_cast<int>(std::lround(top_at(line, x + kWidth / 2.0)));
        band(cv::Rect(x, y, kWidth, cap)).setTo(30);
        band(cv::Rect(x + 4, y + 5, kWidth - 8, cap - 10)).setTo(230);  // Glyph-like: a ring.
      }
    }

    const std::optional<internal::MrzGrid> grid = internal::SegmentMrz(band);

    ASSERT_TRUE(grid.has_value()) << "sag " << sag;
    ASSERT_EQ(grid->count, 2);
    ASSERT_EQ(grid->length, 44);
    for (int line = 0; line < 2; ++line) {
      const internal::LineGrid& g = grid->grids[line];
      if (sag == 0) {
        EXPECT_EQ(g.bend, 0.0);
      }
      for (int i : {0, 11, 22, 33, 43}) {
        const double x = g.Centre(i);
        EXPECT_NEAR(g.Top(x), top_at(line, x), 2.0)
            << "sag " << sag << " line " << line << " cell " << i;
        EXPECT_NEAR(g.Bottom(x), top_at(line, x) + cap, 2.0)
            << "sag " << sag << " line " << line << " cell " << i;
      }
    }
  }
}

// EstimateSlant and Deslant (no models): two rows of vertical strokes
// sheared as a camera tilted about the text's horizontal axis leans them
// (tops moved right by 0.25 of their height above the middle). The slant
// is found, and deslanted the strokes stand upright again (a column
// projection as sharp as the unsheared band's); upright strokes are left
// alone.
TEST(DeslantTest, FindsLeaningStrokesAndStandsThemUpright) {
  constexpr double kShear = 0.25;
  cv::Mat upright(120, 600, CV_8UC1, cv::Scalar(230));
  for (int top : {20, 70}) {
    for (int x = 20; x + 4 < upright.cols - 20; x += 26) {
      upright(cv::Rect(x, top, 4, static_cast<int>(internal::kNormCap))).setTo(30);
    }
  }
  const double yc = upright.rows / 2.0;
  // Output (x, y) takes the input at (x + kShear * (y - yc)): rows above
  // the middle move right.
  const cv::Mat lean = (cv::Mat_<double>(2, 3) << 1, kShear, -kShear * yc, 0, 1, 0);
  cv::Mat sheared;
  cv::warpAffine(upright, sheared, lean, upright.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  EXPECT_EQ(internal::EstimateSlant(upright, internal::kNormCap), 0.0);
  const double slant = internal::EstimateSlant(sheared, internal::kNormCap);
  EXPECT_NEAR(slant, -kShear, 0.03);
  internal::Band band{sheared, (cv::Mat_<double>(2, 3) << 1, 0, 0, 0, 1, 0)};
  const internal::Band fixed = internal::Deslant(band, slant);
  auto sharpness = [](const cv::Mat& g) {
    cv::Mat ink;
    cv::threshold(g, ink, 128, 1, cv::THRESH_BINARY_INV);
    cv::Mat columns;
    cv::reduce(ink, columns, 0, cv::REDUCE_SUM, CV_64F);
    return columns.dot(columns);
  };
  EXPECT_GT(sharpness(fixed.gray), 0.9 * sharpness(upright));
  EXPECT_LT(sharpness(sheared), 0.5 * sharpness(upright));
  // band_to_page follows: a stroke's top in the deslanted band maps to the
  // sheared band's top of the same stroke.
  const cv::Point2d top_fixed(20 + 2, 20);
  const cv::Mat& m = fixed.band_to_page;
  const double page_x =
      m.at<double>(0, 0) * top_fixed.x + m.at<double>(0, 1) * top_fixed.y + m.at<double>(0, 2);
  EXPECT_NEAR(page_x, top_fixed.x + slant * (top_fixed.y - yc), 1e-6);
}

// A page photographed with the camera tilted about the MRZ's rows: every
// glyph leans (here a shear of 0.3, about 17 degrees). The band is
// deslanted before the cells are cut, so the page reads exactly and valid.
TEST_F(MrzReaderTest, ReadsGlyphsLeaningUnderPerspective) {
  for (MrzFormat format : {MrzFormat::kTd3, MrzFormat::kTd1}) {
    auto doc = generator_->Generate(format, docgen::Level::kMild, 5);
    ASSERT_TRUE(doc.ok());
    SCOPED_TRACE(absl::StrJoin(doc->mrz_lines, "\n"));
    for (double shear : {0.3, -0.3}) {
      SCOPED_TRACE(shear);
      const double yc = doc->image.rows / 2.0;
      // Shifted right by |shear| * yc so that no row leaves the page.
      const cv::Mat lean =
          (cv::Mat_<double>(2, 3) << 1, shear, -shear * yc - std::abs(shear) * yc, 0, 1, 0);
      cv::Mat page;
      cv::warpAffine(
          doc->image, page, lean,
          cv::Size(doc->image.cols + static_cast<int>(std::abs(shear) * yc * 2), doc->image.rows),
          cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
      std::optional<MrzReadResult> r = ReadChecked(page, doc->mrz_lines);
      ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
      EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
      EXPECT_EQ(r->verdict, MrzVerdict::kValid);
    }
  }
}

// The MRZ's bounding box in a clean (unrotated) generated page.
cv::Rect MrzRect(const docgen::GeneratedDocument& doc) {
  std::vector<cv::Point2f> pts(doc.mrz_box.begin(), doc.mrz_box.end());
  return cv::boundingRect(pts);
}

// Handwriting just after the end of the lines (mrvb_gbr_munir.png) is not
// a 45th glyph: a stroke taller than the line's glyphs, one cell after the
// last glyph of each line.
TEST_F(MrzReaderTest, IgnoresHandwritingNextToTheLines) {
  auto doc = generator_->Generate(MrzFormat::kTd3, docgen::Level::kClean, 33);
  ASSERT_TRUE(doc.ok());
  cv::Mat page = doc->image.clone();
  const cv::Rect mrz = MrzRect(*doc);
  const double pitch = mrz.width / 44.0;
  const double cap = doc->glyph_height_px;
  const int x = mrz.x + mrz.width + static_cast<int>(pitch * 0.5);
  for (int line = 0; line < 2; ++line) {
    // Line centres: the MRZ box holds two lines of equal height.
    const double cy = mrz.y + mrz.height * (line == 0 ? 0.25 : 0.75);
    cv::line(page, cv::Point(x, static_cast<int>(cy - 0.72 * cap)),
             cv::Point(x + static_cast<int>(cap / 5), static_cast<int>(cy + 0.72 * cap)),
             cv::Scalar(60, 40, 30), std::max(2, static_cast<int>(cap / 7)));
  }
  std::optional<MrzReadResult> r = ReadChecked(page, doc->mrz_lines);
  ASSERT_TRUE(r.has_value() && r->mrz.has_value()) << "no MRZ found";
  EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
}

TEST_F(MrzReaderTest, RejectsUnusableImages) {
  EXPECT_THAT(reader_->Read(cv::Mat()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader_->Read(cv::Mat(100, 100, CV_32FC1, cv::Scalar(0))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The real development set (docs/ocr.md): the public specimens and
// corpus/mrz_real, scans and phone frames, each read once. Per image: a
// `valid` read carries the true lines (no false accept); a document that
// prints a failing check digit is never `valid`; a negative is never
// `valid`, and the specimens' negatives show no MRZ at all; the specimens
// this reader reads exactly (kReadExactly, 19 of 20) stay exact. As a whole: the
// automation rate (genuine documents read exactly and `valid`) stays at or
// above kMinAutomated (measured 27 of 32 when the floor was set; 29 since
// session 16, when the Russian internal passport's empty expiry became its
// scheme's and not a failing check; 30 since session 17 read the last
// mrz_real photo; the floor 28 leaves two for another platform's
// Tesseract), and
// documents printing a failing check digit come out exactly as printed
// and `invalid` at least kMinPrintedInvalidAutomated times (3 of 4 when
// first measured: td3_phl_delacruz_specimen, whose 0/O-ambiguous document
// number fails its check whichever way it is read, was `unreadable`
// before).
TEST_F(MrzReaderTest, RealDevelopmentSetNeverFalselyAcceptsAndMostlyAutomates) {
  VOUCH_REQUIRE_SHARED_DIR();
  constexpr int kMinAutomated = 28;
  // All 4 are (td1_col_walteros_sample: the second
  // recogniser confirms the zeros whose doubt could explain its failing
  // document-number check).
  constexpr int kMinPrintedInvalidAutomated = 4;
  const std::set<std::string> kReadExactly = {
      "td3_can_martin.png",        "td3_cze_specimen.png",      "td3_isl_aevarsdottir.png",
      "td3_twn_lin.png",           "td3_gbr_pudarsan.jpg",      "td3_uto_eriksson_scan.jpg",
      "td2_uto_eriksson_icao.png", "td2_uto_eriksson_scan.jpg", "td1_esp_espanola.png",
      "td1_lva_paraudzins.png",    "td1_mco_specimen.png",      "td1_lie_ospeltbeck.png",
      "td1_ltu_basanaviciene.png", "mrva_usa_traveler.png",     "mrva_usa_happyperson.png",
      "mrva_uto_eriksson.jpg",     "td1_uto_eriksson.jpg",      "td3_qat_alkaabi.png",
      "mrvb_gbr_munir.png"};
  int genuine = 0, automated = 0, printed_invalid = 0, printed_invalid_automated = 0;
  int read_exactly_listed = 0;
  for (const char* set : {"specimens", "mrz_real"}) {
    const std::filesystem::path dir = ::vouch::testing::SharedDir() / "corpus" / set;
    std::ifstream mf(dir / "manifest.json");
    const nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
    ASSERT_FALSE(manifest.is_discarded()) << set;
    auto load = [&](const std::string& file) {
      std::ifstream in(dir / file, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), {});
      auto img = DecodeImage(bytes);
      EXPECT_TRUE(img.ok()) << file;
      return img.ok() ? img->bgr : cv::Mat();
    };
    for (const auto& s : manifest["specimens"]) {
      const std::string file = s["file"].get<std::string>();
      SCOPED_TRACE(file);
      const auto truth = s["mrz_lines"].get<std::vector<std::string>>();
      const bool prints_valid = s.value("mrz_check_digits_valid", true);
      std::optional<MrzReadResult> r = ReadChecked(load(file), truth);
      const bool is_valid = r && r->verdict == MrzVerdict::kValid;
      if (std::string(set) == "specimens" && kReadExactly.count(file)) {
        const bool exact = r && r->mrz && r->mrz->lines == truth;
        EXPECT_TRUE(exact) << "a specimen this reader reads exactly was not";
        read_exactly_listed += exact;
      }
      if (!prints_valid) {
        EXPECT_FALSE(is_valid) << "a document printing a failing check digit came out valid";
        ++printed_invalid;
        printed_invalid_automated +=
            r && r->verdict == MrzVerdict::kInvalid && r->mrz && r->mrz->lines == truth;
        continue;
      }
      ++genuine;
      automated += is_valid && r->mrz && r->mrz->lines == truth;
    }
    for (const auto& n : manifest["negatives"]) {
      const std::string file = n.is_string() ? n.get<std::string>() : n["file"].get<std::string>();
      auto r = reader_->Read(load(file));
      ASSERT_TRUE(r.ok()) << file;
      EXPECT_FALSE(r->has_value() && (*r)->verdict == MrzVerdict::kValid)
          << "a negative came out valid: " << file;
      if (std::string(set) == "specimens") {
        EXPECT_FALSE(r->has_value()) << "MRZ reported on a negative: " << file;
      }
    }
  }
  std::cout << "real development set: " << automated << " of " << genuine
            << " genuine documents automated, " << printed_invalid_automated << " of "
            << printed_invalid << " printing a failing check digit read as printed\n";
  EXPECT_EQ(read_exactly_listed, static_cast<int>(kReadExactly.size()));
  EXPECT_EQ(genuine, 32);
  EXPECT_GE(automated, kMinAutomated) << "of " << genuine << " genuine documents";
  EXPECT_EQ(printed_invalid, 4);
  EXPECT_GE(printed_invalid_automated, kMinPrintedInvalidAutomated)
      << "of " << printed_invalid << " documents printing a failing check digit";
}

// An MRZ whose name line is not printed at a fixed pitch (the Colombian
// cedula's bold, proportionally spaced third line): the OCR-B grid slips
// and the glyph model misreads it (`WAIIIIZOS<<LACICL…`); both Tesseract
// models read the line alike, so the not-OCR-B fallback takes their text
// and the lines come out exactly as printed. The document prints a failing
// document-number check digit: `invalid` (the second recogniser reads
// the number's zeros as the glyph model does, so an O/0 misread does not
// explain the failing check), never `valid`.
TEST_F(MrzReaderTest, FallbackReadsALineNotPrintedAtTheOcrBPitch) {
  VOUCH_REQUIRE_SHARED_DIR();
  const std::filesystem::path file =
      ::vouch::testing::SharedDir() / "corpus" / "mrz_real" / "td1_col_walteros_sample.png";
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto img = DecodeImage(bytes);
  ASSERT_TRUE(img.ok());
  const std::vector<std::string> printed = {"ICCOL000000012305001<<<<<<<<<<",
                                            "0403151F3203190COL1234567890<0",
                                            "WALTEROS<<LAURA<<<<<<<<<<<<<<<"};
  std::optional<MrzReadResult> r = ReadChecked(img->bgr, printed);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->mrz.has_value());
  EXPECT_EQ(r->mrz->lines, printed);
  EXPECT_EQ(r->verdict, MrzVerdict::kInvalid);
  EXPECT_THAT(r->reasons, ::testing::Contains("check:document_number"));
}

// The Russian internal passport (document code `PN`) writes
// its names in a national transliteration with digits (`8` for Я, `3` for
// Ч) and leaves its expiry date empty: read under the ICAO alphabets the
// names came out `IMBREK` and `ALEKSANDROVIA` and the expiry `4444444`.
// Read as printed, with no expiry by its scheme: `valid`.
TEST_F(MrzReaderTest, ReadsTheRussianInternalPassportsNationalAlphabet) {
  VOUCH_REQUIRE_SHARED_DIR();
  const std::filesystem::path file =
      ::vouch::testing::SharedDir() / "corpus" / "mrz_real" / "td3_rus_internal_imbrek_scan.jpg";
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto img = DecodeImage(bytes);
  ASSERT_TRUE(img.ok());
  const std::vector<std::string> printed = {"PNRUSIM8REK<<EVGENIQ<ALEKSANDROVI3<<<<<<<<<<",
                                            "1100000000RUS8209120M<<<<<<<4041217292000<46"};
  std::optional<MrzReadResult> r = ReadChecked(img->bgr, printed);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->mrz.has_value());
  EXPECT_EQ(r->mrz->lines, printed);
  // It prints no expiry, as its scheme has it (ParsedMrz::no_expiry_by_scheme):
  // every check passes and the read is `valid`, with no expiry date.
  EXPECT_EQ(r->verdict, MrzVerdict::kValid) << ::testing::PrintToString(r->reasons);
  EXPECT_EQ(r->expiry_date, std::nullopt);
}

// Refugees' travel documents and some national ones print an unknown part
// of the birth date as fillers (ICAO 9303-3): read as printed, every check
// passing (a filler counts 0), `valid`, with the days the date may be.
TEST_F(MrzReaderTest, ReadsABirthDatePrintedPartlyUnknown) {
  docgen::Identity id = docgen::SampleIdentity();
  docgen::RenderOptions options;
  options.level = docgen::Level::kMild;
  for (const char* birth : {"7408<<", "74<<<<"}) {
    id.birth_date = birth;
    auto doc = generator_->Render(id, 11, options);
    ASSERT_TRUE(doc.ok()) << doc.status();
    SCOPED_TRACE(absl::StrJoin(doc->mrz_lines, "\n"));
    std::optional<MrzReadResult> r = ReadChecked(doc->image, doc->mrz_lines);
    ASSERT_TRUE(r.has_value() && r->mrz.has_value());
    EXPECT_EQ(r->mrz->lines, doc->mrz_lines);
    EXPECT_EQ(r->verdict, MrzVerdict::kValid) << ::testing::PrintToString(r->reasons);
    EXPECT_EQ(r->birth_date, std::nullopt);
    ASSERT_TRUE(r->birth_date_range.has_value());
    EXPECT_EQ(r->birth_date_range->earliest, absl::CivilDay(1974, birth[2] == '<' ? 1 : 8, 1));
    EXPECT_EQ(r->birth_date_range->latest, absl::CivilDay(1974, birth[2] == '<' ? 12 : 8, 31));
  }
}

// The Tesseract training data (vouch_mrz_line_crops, models/mrz/tesseract):
// the line crops the reader hands its second recogniser, labelled with the
// truth. On clean pages every line comes out, in order, with its own text,
// as an 8-bit gray crop about two glyph heights high and one pitch per
// character wide; a truth of another shape gives nothing, and a truth line
// that does not match what is printed there is left out.
TEST_F(MrzReaderTest, CollectsLabelledLineCropsAsTheRecogniserSeesThem) {
  for (MrzFormat format :
       {MrzFormat::kTd1, MrzFormat::kTd2, MrzFormat::kTd3, MrzFormat::kMrvA, MrzFormat::kMrvB}) {
    auto doc = generator_->Generate(format, docgen::Level::kClean, 41);
    ASSERT_TRUE(doc.ok());
    SCOPED_TRACE(absl::StrJoin(doc->mrz_lines, "\n"));
    std::vector<internal::LabelledLine> lines =
        internal::CollectLabelledLines(*reader_, doc->image, doc->mrz_lines);
    ASSERT_EQ(lines.size(), doc->mrz_lines.size());
    for (size_t k = 0; k < lines.size(); ++k) {
      EXPECT_EQ(lines[k].text, doc->mrz_lines[k]);
      const cv::Mat& img = lines[k].image;
      ASSERT_EQ(img.type(), CV_8UC1);
      // Glyphs are normalised to ~24 px with half a glyph above and below;
      // the crop spans the line plus about a cell each side.
      EXPECT_GE(img.rows, 36);
      EXPECT_LE(img.rows, 64);
      const double per_char = static_cast<double>(img.cols) / lines[k].text.size();
      EXPECT_GE(per_char, 20.0);
      EXPECT_LE(per_char, 36.0);
      // Dark glyphs on light paper: some ink, mostly background.
      cv::Mat ink = img < 128;
      const double ink_share = cv::countNonZero(ink) / static_cast<double>(img.total());
      EXPECT_GT(ink_share, 0.05);
      EXPECT_LT(ink_share, 0.6);
    }
    // A truth of another shape (one line fewer): nothing.
    std::vector<std::string> short_truth(doc->mrz_lines.begin(), doc->mrz_lines.end() - 1);
    EXPECT_TRUE(internal::CollectLabelledLines(*reader_, doc->image, short_truth).empty());
    // A last line that is not what is printed there is dropped; the
    // others are kept.
    std::vector<std::string> wrong_last = doc->mrz_lines;
    std::rotate(wrong_last.back().begin(), wrong_last.back().begin() + 7, wrong_last.back().end());
    std::vector<internal::LabelledLine> kept =
        internal::CollectLabelledLines(*reader_, doc->image, wrong_last);
    ASSERT_EQ(kept.size(), doc->mrz_lines.size() - 1);
    for (size_t k = 0; k < kept.size(); ++k) EXPECT_EQ(kept[k].text, doc->mrz_lines[k]);
  }
  // Not an image: nothing.
  EXPECT_TRUE(internal::CollectLabelledLines(*reader_, cv::Mat(), {"P<UTO"}).empty());
}

// Which Tesseract model the reader loads: the project's MRZ model beside
// the glyph model unless a language is named; eng when there is none.
TEST(ResolveSecondRecogniserTest, FindsTheMrzModelBesideTheGlyphModel) {
  const std::filesystem::path root =
      std::filesystem::path(::testing::TempDir()) / "vouch_resolve_second";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "mrz" / "tesseract");
  MrzReaderOptions options;
  options.glyph_model = (root / "mrz" / "ocrb_glyphs.bin").string();
  // No model file yet: Debian's eng from Tesseract's default folder.
  SecondRecogniser r = ResolveSecondRecogniser(options);
  EXPECT_EQ(r.language, "eng");
  EXPECT_EQ(r.tessdata_dir, "");
  std::ofstream(root / "mrz" / "tesseract" / "mrz.traineddata") << "x";
  r = ResolveSecondRecogniser(options);
  EXPECT_EQ(r.language, "mrz");
  EXPECT_EQ(r.tessdata_dir, (root / "mrz" / "tesseract").string());
  // A named language is taken as given.
  options.tesseract_language = "eng";
  r = ResolveSecondRecogniser(options);
  EXPECT_EQ(r.language, "eng");
  EXPECT_EQ(r.tessdata_dir, "");
  // An explicit folder without the model: eng from that folder.
  options.tesseract_language.clear();
  options.tessdata_dir = root.string();
  r = ResolveSecondRecogniser(options);
  EXPECT_EQ(r.language, "eng");
  EXPECT_EQ(r.tessdata_dir, root.string());
  // No glyph model: nothing to look beside.
  options = {};
  EXPECT_EQ(ResolveSecondRecogniser(options).language, "eng");
  std::filesystem::remove_all(root);
}

// The committed model is where the reader looks for it from the committed
// glyph model (build tree and CI use models/ of the source tree).
TEST(ResolveSecondRecogniserTest, TheCommittedModelIsTheDefault) {
  MrzReaderOptions options;
  options.glyph_model = std::string(VOUCH_SOURCE_DIR) + "/models/mrz/ocrb_glyphs.bin";
  const SecondRecogniser r = ResolveSecondRecogniser(options);
  EXPECT_EQ(r.language, "mrz");
  EXPECT_EQ(r.tessdata_dir, std::string(VOUCH_SOURCE_DIR) + "/models/mrz/tesseract");
}

}  // namespace
}  // namespace vouch::ocr
