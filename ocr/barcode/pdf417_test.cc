#include <cstdio>
#include <string>

#include "ZXing/BarcodeFormat.h"
#include "ZXing/BitMatrix.h"
#include "ZXing/MultiFormatWriter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/barcode.h"
#include "ocr/checks.h"
#include "opencv2/imgproc.hpp"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::vouch::testing::StatusIs;

// AAMVA 2020 payload of a fictional Californian holder: 21-byte header, one
// designator (offset 31), the DL subfile.
std::string AamvaPayload() {
  const std::string subfile =
      "DLDAQD1234567\nDCSSAMPLE\nDACALEX\nDBB01151990\nDBA01152030\nDBC1\n"
      "DAJCA\nDCGUSA\n\r";
  char designator[16];
  std::snprintf(designator, sizeof designator, "DL0031%04zu", subfile.size());
  return std::string("@\n\x1e\rANSI 636014100001") + designator + subfile;
}

const std::string kPayload = AamvaPayload();

// A card back: light background, the symbol (zxing-cpp's writer) with
// `module_px` pixels per module, rotated by `skew_deg`, blurred.
cv::Mat Back(int module_px, double skew_deg, double blur_sigma) {
  ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::PDF417);
  writer.setMargin(10);
  const ZXing::BitMatrix m = writer.encode(kPayload, 0, 0);
  cv::Mat symbol(m.height(), m.width(), CV_8U);
  for (int y = 0; y < m.height(); ++y) {
    for (int x = 0; x < m.width(); ++x) {
      symbol.at<uint8_t>(y, x) = m.get(x, y) ? 20 : 235;
    }
  }
  cv::resize(symbol, symbol, cv::Size(), module_px, module_px, cv::INTER_NEAREST);
  cv::Mat card(symbol.rows * 2 + 80, symbol.cols + 120, CV_8U, cv::Scalar(225));
  symbol.copyTo(card(cv::Rect(60, symbol.rows + 40, symbol.cols, symbol.rows)));
  if (skew_deg == 90) {
    cv::rotate(card, card, cv::ROTATE_90_CLOCKWISE);
  } else if (skew_deg == 180) {
    cv::rotate(card, card, cv::ROTATE_180);
  } else if (skew_deg != 0) {
    const cv::Point2f c(card.cols / 2.f, card.rows / 2.f);
    cv::warpAffine(card, card, cv::getRotationMatrix2D(c, skew_deg, 1.0), card.size(),
                   cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(225));
  }
  if (blur_sigma > 0) cv::GaussianBlur(card, card, cv::Size(), blur_sigma);
  cv::Mat bgr;
  cv::cvtColor(card, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

struct Case {
  int module_px;
  double skew_deg;
  double blur_sigma;
};

class ReadPdf417Test : public ::testing::TestWithParam<Case> {};

TEST_P(ReadPdf417Test, DecodesSyntheticAamvaSymbol) {
  const Case c = GetParam();

  // No time budget: the rotation search is then deterministic, whatever
  // the load of the machine running the tests.
  absl::StatusOr<Pdf417Read> read =
      ReadPdf417(Back(c.module_px, c.skew_deg, c.blur_sigma), {.time_budget_ms = 0});

  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->bytes, kPayload);
  EXPECT_GE(read->attempts, 1);
  EXPECT_LE(read->attempts, Pdf417Options{}.max_attempts);
}

// zxing-cpp 1.4 alone fails beyond ~3° of skew; the rotation search covers
// the rest.
INSTANTIATE_TEST_SUITE_P(SkewsBlursScales, ReadPdf417Test,
                         ::testing::Values(Case{3, 0, 0}, Case{2, 0, 0}, Case{3, 0, 1.0},
                                           Case{3, 5, 0}, Case{3, -12, 0.8}, Case{2, 20, 0},
                                           Case{3, 30, 0}, Case{4, 90, 0}, Case{3, 180, 0.6}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const Case& c = info.param;
                           return "Module" + std::to_string(c.module_px) + "Skew" +
                                  std::to_string(
                                      static_cast<int>(c.skew_deg < 0 ? -c.skew_deg : c.skew_deg)) +
                                  (c.skew_deg < 0 ? "Neg" : "") + "Blur" +
                                  std::to_string(static_cast<int>(c.blur_sigma * 10));
                         });

TEST(ReadPdf417Test, NotFoundOnBlankImage) {
  EXPECT_THAT(ReadPdf417(cv::Mat(400, 600, CV_8UC3, cv::Scalar(200, 200, 200))),
              StatusIs(absl::StatusCode::kNotFound));
}

// A back with text lines and no symbol: the presence test ends the search
// before any decode attempt.
cv::Mat TextOnlyBack() {
  cv::Mat card(560, 880, CV_8UC3, cv::Scalar(215, 225, 230));
  for (int line = 0; line < 9; ++line) {
    cv::putText(card, "DONOR  CLASS C  RESTR NONE  ENDORSEMENTS 0042",
                cv::Point(30, 60 + 55 * line), cv::FONT_HERSHEY_SIMPLEX, 0.9,
                cv::Scalar(40, 40, 40), 2, cv::LINE_AA);
  }
  return card;
}

TEST(ReadPdf417Test, PresenceTestSkipsBacksWithoutBars) {
  EXPECT_THAT(ReadPdf417(TextOnlyBack()),
              StatusIs(absl::StatusCode::kNotFound, "no PDF417 barcode: no bar pattern found"));
  // Without the presence test, the decoder tries and fails.
  absl::StatusOr<Pdf417Read> tried =
      ReadPdf417(TextOnlyBack(), {.time_budget_ms = 0, .presence_test = false});
  EXPECT_THAT(tried,
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("could be decoded")));
}

TEST(ReadPdf417Test, AttemptBudgetIsHonoured) {
  // Half a symbol: bars are there, nothing decodes.
  cv::Mat half = Back(3, -5, 0);
  half = half.colRange(0, half.cols / 2).clone();

  EXPECT_THAT(ReadPdf417(half, {.max_attempts = 2, .time_budget_ms = 0}),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("(2 attempts)")));
  EXPECT_THAT(ReadPdf417(half, {.max_attempts = 1, .time_budget_ms = 0}),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("(1 attempts)")));
}

TEST(ReadPdf417Test, RejectsUnusableImages) {
  EXPECT_THAT(ReadPdf417(cv::Mat()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadPdf417(cv::Mat(10, 10, CV_16UC1, cv::Scalar(0))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RunBarcodeCheckTest, PassesAndParsesAamva) {
  absl::StatusOr<BarcodeReport> r = RunBarcodeCheck(Back(3, 8, 0));

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->check.name, "barcode");
  EXPECT_EQ(r->check.verdict, CheckVerdict::kPass);
  EXPECT_EQ(r->check.source, TelegramSource::kReverseSide);
  ASSERT_TRUE(r->aamva.has_value());
  EXPECT_EQ(r->aamva->document_number, "D1234567");
  EXPECT_EQ(r->aamva->sex, "M");
}

TEST(RunBarcodeCheckTest, NonAamvaSymbolGoesToReview) {
  ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::PDF417);
  const ZXing::BitMatrix m = writer.encode(std::string("just some text"), 0, 0);
  cv::Mat img(m.height() + 40, m.width() + 40, CV_8U, cv::Scalar(255));
  for (int y = 0; y < m.height(); ++y) {
    for (int x = 0; x < m.width(); ++x) {
      img.at<uint8_t>(y + 20, x + 20) = m.get(x, y) ? 0 : 255;
    }
  }
  cv::resize(img, img, cv::Size(), 3, 3, cv::INTER_NEAREST);

  absl::StatusOr<BarcodeReport> r = RunBarcodeCheck(img);

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->check.verdict, CheckVerdict::kReview);
  EXPECT_FALSE(r->aamva.has_value());
  EXPECT_THAT(r->check.reason, ::testing::HasSubstr("compliance"));
}

TEST(RunBarcodeCheckTest, NoBarcodeIsUnavailableWhenNotRequired) {
  BarcodeOptions options;
  options.required = false;

  absl::StatusOr<BarcodeReport> r =
      RunBarcodeCheck(cv::Mat(300, 500, CV_8UC1, cv::Scalar(128)), options);

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->check.verdict, CheckVerdict::kUnavailable);
}

TEST(RunBarcodeCheckTest, UnreadableBackFails) {
  absl::StatusOr<BarcodeReport> r = RunBarcodeCheck(cv::Mat(300, 500, CV_8UC1, cv::Scalar(128)));

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->check.verdict, CheckVerdict::kFail);
  EXPECT_EQ(r->check.score, 0);
}

}  // namespace
}  // namespace vouch::ocr
