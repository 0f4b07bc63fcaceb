// The quality checks' clear cases on vouch::docgen pages (TD1/TD3/MRV
// photographed on a background), with the defect applied on top
// (tests/bench_checks/docgen_scenes.h), and the zones following the
// document type.

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "captures.h"
#include "checks/quality_internal.h"
#include "docgen/docgen.h"
#include "docgen_scenes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/checks.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::ocr::scenes::Defects;
using ::vouch::ocr::scenes::Zone;
using ::vouch::testing::IsOkAndHolds;
using ::vouch::testing::StatusIs;

class DocgenChecksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<docgen::DocumentGenerator>> g =
        docgen::DocumentGenerator::Create();
    ASSERT_TRUE(g.ok()) << g.status();
    generator_ = g->release();
  }
  static void TearDownTestSuite() {
    delete generator_;
    generator_ = nullptr;
  }

  // A clean docgen page of `format` with `defects`, checked with the zones
  // of its type (`side` for TD1, whose docgen page has portrait and MRZ).
  static QualityReport Check(MrzFormat format, const Defects& defects,
                             DocumentSide side = DocumentSide::kFront, uint64_t seed = 11) {
    absl::StatusOr<scenes::Scene> s =
        scenes::MakeScene(*generator_, format, docgen::Level::kClean, seed, defects);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return {};
    absl::StatusOr<QualityReport> r = RunQualityChecks(
        s->image, TelegramSource::kFrontSide, WithDocumentType({}, s->type, side), s->jpeg);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : QualityReport{};
  }

  static docgen::DocumentGenerator* generator_;
};
docgen::DocumentGenerator* DocgenChecksTest::generator_ = nullptr;

CheckResult Get(const QualityReport& r, const std::string& name) {
  for (const CheckResult& c : r.checks) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no check " << name;
  return CheckResult{};
}

std::vector<std::string> Names(const QualityReport& r) {
  std::vector<std::string> names;
  for (const CheckResult& c : r.checks) names.push_back(c.name);
  return names;
}

// The page docgen renders, flat (its card only).
cv::Mat FlatPage(docgen::DocumentGenerator& generator, uint64_t seed) {
  std::mt19937_64 rng(seed);
  absl::StatusOr<docgen::GeneratedDocument> doc =
      generator.RenderClean(docgen::RandomIdentity(MrzFormat::kTd3, rng), seed);
  EXPECT_TRUE(doc.ok()) << doc.status();
  if (!doc.ok()) return {};
  const auto& c = doc->card_corners;
  const float w = c[1].x - c[0].x, h = c[3].y - c[0].y;
  cv::Mat page;
  cv::warpPerspective(
      doc->image, page,
      cv::getPerspectiveTransform(std::vector<cv::Point2f>(c.begin(), c.end()),
                                  std::vector<cv::Point2f>{{0, 0}, {w, 0}, {w, h}, {0, h}}),
      cv::Size(static_cast<int>(w), static_cast<int>(h)));
  return page;
}

TEST_F(DocgenChecksTest, CleanPagesPassEveryCheckButResolution) {
  for (MrzFormat format : {MrzFormat::kTd1, MrzFormat::kTd3, MrzFormat::kMrvA}) {
    // Scaled up: docgen's clean pages are photographed at ~240-260 dpi,
    // right at the resolution threshold.
    const QualityReport r = Check(format, Defects{.scale = 1.3});

    EXPECT_THAT(Names(r), ElementsAre("resolution", "focus", "glare", "exposure", "cutoff",
                                      "colour", "screen"));
    for (const CheckResult& c : r.checks) {
      EXPECT_EQ(c.verdict, CheckVerdict::kPass)
          << MrzFormatName(format) << " " << c.name << ": " << c.reason;
      EXPECT_THAT(c.reason, Not(IsEmpty()));
    }
    EXPECT_TRUE(r.document.found) << MrzFormatName(format);
  }
}

TEST_F(DocgenChecksTest, ResolutionFollowsTheDocumentsPhysicalWidth) {
  // The TD3 page (125 mm) and the ID-1 card (85.6 mm) at their docgen size
  // are both ~250 dpi; the estimate must be within 5 % of the truth.
  for (MrzFormat format : {MrzFormat::kTd1, MrzFormat::kTd3}) {
    absl::StatusOr<scenes::Scene> s =
        scenes::MakeScene(*generator_, format, docgen::Level::kClean, 12, Defects{});
    ASSERT_TRUE(s.ok()) << s.status();
    absl::StatusOr<QualityReport> r = RunQualityChecks(
        s->image, TelegramSource::kFrontSide, WithDocumentType({}, s->type, DocumentSide::kFront));
    ASSERT_TRUE(r.ok()) << r.status();

    EXPECT_NEAR(Get(*r, "resolution").score, s->true_dpi, 0.05 * s->true_dpi)
        << MrzFormatName(format);
  }
}

TEST_F(DocgenChecksTest, BlurFailsFocusWithAnActionableReason) {
  const CheckResult focus = Check(MrzFormat::kTd3, Defects{.blur_sigma = 4}).checks[1];

  EXPECT_EQ(focus.name, "focus");
  EXPECT_EQ(focus.verdict, CheckVerdict::kFail);
  EXPECT_THAT(focus.reason, HasSubstr("blurry"));
}

TEST_F(DocgenChecksTest, FocusScoreFallsWithBlur) {
  double previous = 2;
  for (double sigma : {0.0, 1.5, 3.0, 5.0}) {
    const double score = Get(Check(MrzFormat::kTd1, Defects{.blur_sigma = sigma}), "focus").score;
    EXPECT_LT(score, previous) << "sigma " << sigma;
    previous = score;
  }
}

TEST_F(DocgenChecksTest, GlareOnPortraitFails) {
  const CheckResult glare = Get(Check(MrzFormat::kTd3, Defects{.glare = Zone::kPortrait}), "glare");

  EXPECT_NE(glare.verdict, CheckVerdict::kPass);
  EXPECT_THAT(glare.reason, HasSubstr("photo"));
}

TEST_F(DocgenChecksTest, GlareOnMrzFailsOnPassportAndCardBack) {
  const CheckResult td3 = Get(Check(MrzFormat::kTd3, Defects{.glare = Zone::kMrz}), "glare");
  const CheckResult td1 =
      Get(Check(MrzFormat::kTd1, Defects{.glare = Zone::kMrz}, DocumentSide::kBack), "glare");

  EXPECT_NE(td3.verdict, CheckVerdict::kPass);
  EXPECT_THAT(td3.reason, HasSubstr("machine-readable zone"));
  EXPECT_NE(td1.verdict, CheckVerdict::kPass);
  EXPECT_THAT(td1.reason, HasSubstr("machine-readable zone"));
}

TEST_F(DocgenChecksTest, AStreakOfGlareWithAHazeFailsOnTheData) {
  // Not the one disc of the tests above: a window's reflection, three times
  // longer than wide and turned, with a soft edge and a haze around it.
  const Defects streak{
      .glare = Zone::kData,
      .glare_shape = {
          .radius = 0.1, .aspect = 3, .angle_deg = 30, .fade = 0.3, .gain = 2.5, .halo = 0.15}};

  const CheckResult glare = Get(Check(MrzFormat::kTd3, streak), "glare");

  EXPECT_NE(glare.verdict, CheckVerdict::kPass) << glare.score;
  EXPECT_THAT(glare.reason, HasSubstr("printed details"));
}

TEST_F(DocgenChecksTest, GlareOnCardBackgroundPasses) {
  for (MrzFormat format : {MrzFormat::kTd1, MrzFormat::kTd3}) {
    const CheckResult glare = Get(Check(format, Defects{.glare = Zone::kBackground}), "glare");

    EXPECT_EQ(glare.verdict, CheckVerdict::kPass) << MrzFormatName(format);
    EXPECT_THAT(glare.reason, HasSubstr("background"));
  }
}

TEST_F(DocgenChecksTest, MrzZoneFollowsTheDocumentType) {
  // The same glare on a passport's MRZ: with the TD3 layout it is on the
  // MRZ; with the ID-1 front layout (no MRZ there) it is not.
  absl::StatusOr<scenes::Scene> s = scenes::MakeScene(
      *generator_, MrzFormat::kTd3, docgen::Level::kClean, 13, Defects{.glare = Zone::kMrz});
  ASSERT_TRUE(s.ok()) << s.status();
  QualityOptions id1;  // Default: ID-1 front.
  const QualityOptions td3 = WithDocumentType({}, DocumentType::kPassport, DocumentSide::kFront);
  absl::StatusOr<QualityReport> as_id1 =
      RunQualityChecks(s->image, TelegramSource::kFrontSide, id1);
  absl::StatusOr<QualityReport> as_td3 =
      RunQualityChecks(s->image, TelegramSource::kFrontSide, td3);
  ASSERT_TRUE(as_id1.ok() && as_td3.ok());

  EXPECT_THAT(Get(*as_td3, "glare").reason, HasSubstr("machine-readable zone"));
  EXPECT_THAT(Get(*as_id1, "glare").reason, Not(HasSubstr("machine-readable zone")));
  EXPECT_LT(Get(*as_td3, "glare").score, Get(*as_id1, "glare").score);
}

TEST_F(DocgenChecksTest, DarkPhotoFailsExposure) {
  const CheckResult exposure =
      Get(Check(MrzFormat::kMrvA, Defects{.brightness = 0.25}), "exposure");

  EXPECT_EQ(exposure.verdict, CheckVerdict::kFail);
  EXPECT_THAT(exposure.reason, HasSubstr("too dark"));
}

TEST_F(DocgenChecksTest, WashedOutPhotoFailsExposure) {
  const CheckResult exposure = Get(Check(MrzFormat::kTd1, Defects{.washout = 0.7}), "exposure");

  EXPECT_NE(exposure.verdict, CheckVerdict::kPass);
  EXPECT_THAT(exposure.reason, HasSubstr("washed out"));
}

TEST_F(DocgenChecksTest, CutCornerIsFlaggedWhenItsOutlineIsFound) {
  // Corner 0 of this scene is left out: the detector finds no card outline
  // there (a blob covering 4 % of the frame), so the page is judged as the
  // whole frame and the cut is missed (docs/checks.md, cutoff TPR).
  for (int corner = 1; corner < 4; ++corner) {
    const CheckResult cutoff =
        Get(Check(corner % 2 ? MrzFormat::kTd1 : MrzFormat::kTd3, Defects{.cut_corner = corner}),
            "cutoff");

    // A corner on the frame border whose outline is not the document's
    // shape, or whose corner sticks out with both neighbours inside: a
    // person looks (before: FAIL, which rejected genuine tight crops).
    EXPECT_EQ(cutoff.verdict, CheckVerdict::kReview) << "corner " << corner;
    EXPECT_THAT(cutoff.reason, HasSubstr("cut off"));
  }
}

TEST_F(DocgenChecksTest, SmallOutlineIsJudgedOnTheWholeFrame) {
  // An outline under QualityOptions::min_fill is not trusted as the
  // document (on a white scanner lid the detector finds an inner box): the
  // measures judge the whole frame; nothing asks for review on its account
  // (before: cutoff and resolution review).
  absl::StatusOr<scenes::Scene> s =
      scenes::MakeScene(*generator_, MrzFormat::kTd1, docgen::Level::kClean, 11,
                        Defects{.scale = 0.4, .card_share = 0.3});
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<QualityReport> r = RunQualityChecks(
      s->image, TelegramSource::kFrontSide, WithDocumentType({}, s->type, DocumentSide::kFront));
  ASSERT_TRUE(r.ok()) << r.status();

  EXPECT_EQ(Get(*r, "cutoff").verdict, CheckVerdict::kPass);
  EXPECT_THAT(Get(*r, "cutoff").reason, HasSubstr("whole picture"));
  // The dpi of the whole frame, not of the small outline.
  EXPECT_GT(Get(*r, "resolution").score, s->true_dpi);
}

// A TD3 page in a larger frame of dark table, offset by (dx, dy) (negative:
// part of the page lies off the frame), JPEG-encoded and judged.
QualityReport PageInFrame(const cv::Mat& page, int dx, int dy) {
  cv::Mat frame(page.rows * 5 / 4, page.cols * 5 / 4, CV_8UC3, cv::Scalar(40, 45, 50));
  const cv::Rect src(std::max(0, -dx), std::max(0, -dy), page.cols - std::max(0, -dx),
                     page.rows - std::max(0, -dy));
  page(src).copyTo(frame(cv::Rect(std::max(0, dx), std::max(0, dy), src.width, src.height)));
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", frame, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  absl::StatusOr<QualityReport> r =
      RunQualityChecks(cv::imdecode(buf, cv::IMREAD_COLOR), TelegramSource::kFrontSide,
                       WithDocumentType({}, DocumentType::kTd3, DocumentSide::kFront));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : QualityReport{};
}

TEST_F(DocgenChecksTest, PageCroppedTightAtACornerPassesCutoff) {
  // The page's top-left corner is the frame's: its top and left edges run
  // along the frame, shaped like a TD3 page (before: a corner on the
  // border was a FAIL; real specimens are cropped like this).
  const QualityReport r = PageInFrame(FlatPage(*generator_, 8), 0, 0);

  EXPECT_GT(r.document.corners_on_border, 0);
  EXPECT_EQ(Get(r, "cutoff").verdict, CheckVerdict::kPass) << Get(r, "cutoff").reason;
  EXPECT_THAT(Get(r, "cutoff").reason, HasSubstr("cropped tight"));
}

TEST_F(DocgenChecksTest, LowButLegibleResolutionPasses) {
  // ~100 dpi: real specimens read with valid check digits at 72..143 dpi
  // (before: review below 150).
  absl::StatusOr<scenes::Scene> s = scenes::MakeScene(
      *generator_, MrzFormat::kTd3, docgen::Level::kClean, 12, Defects{.scale = 0.4});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_GT(s->true_dpi, QualityOptions{}.resolution.pass);
  ASSERT_LT(s->true_dpi, 150);
  absl::StatusOr<QualityReport> r = RunQualityChecks(
      s->image, TelegramSource::kFrontSide, WithDocumentType({}, s->type, DocumentSide::kFront));
  ASSERT_TRUE(r.ok()) << r.status();

  EXPECT_EQ(Get(*r, "resolution").verdict, CheckVerdict::kPass) << Get(*r, "resolution").score;
}

TEST_F(DocgenChecksTest, ReadPageResolvesUncertainQualityButNotFraud) {
  // ~50 dpi: resolution review; a screen recapture: screen flagged.
  absl::StatusOr<scenes::Scene> s =
      scenes::MakeScene(*generator_, MrzFormat::kTd3, docgen::Level::kClean, 12,
                        Defects{.moire = true, .scale = 0.2});
  ASSERT_TRUE(s.ok()) << s.status();
  QualityOptions options = WithDocumentType({}, s->type, DocumentSide::kFront);
  absl::StatusOr<QualityReport> unread =
      RunQualityChecks(s->image, TelegramSource::kFrontSide, options);
  ASSERT_TRUE(unread.ok()) << unread.status();
  ASSERT_EQ(Get(*unread, "resolution").verdict, CheckVerdict::kReview);

  options.legibility_proven = true;
  absl::StatusOr<QualityReport> read =
      RunQualityChecks(s->image, TelegramSource::kFrontSide, options);
  ASSERT_TRUE(read.ok()) << read.status();

  EXPECT_EQ(Get(*read, "resolution").verdict, CheckVerdict::kPass);
  EXPECT_THAT(Get(*read, "resolution").reason, HasSubstr("machine-readable zone was read"));
  EXPECT_EQ(Get(*read, "resolution").score, Get(*unread, "resolution").score);
  // A fraud signal is not about legibility: unchanged.
  EXPECT_EQ(Get(*read, "screen").verdict, Get(*unread, "screen").verdict);
}

TEST_F(DocgenChecksTest, WhitePaperWithoutGlarePasses) {
  // Paper clipped white (a bright scan): no blob stands out from its
  // surroundings, so glare passes (before: unavailable, which the service
  // counts as review).
  cv::Mat page = FlatPage(*generator_, 9);
  page.convertTo(page, -1, 1.35, 10);
  absl::StatusOr<QualityReport> r =
      RunQualityChecks(page, TelegramSource::kFrontSide,
                       WithDocumentType({}, DocumentType::kTd3, DocumentSide::kFront));
  ASSERT_TRUE(r.ok()) << r.status();

  EXPECT_EQ(Get(*r, "glare").verdict, CheckVerdict::kPass) << Get(*r, "glare").score;
  EXPECT_THAT(Get(*r, "glare").reason, HasSubstr("white paper"));
}

TEST_F(DocgenChecksTest, GreyCopyFailsColour) {
  const CheckResult colour = Get(Check(MrzFormat::kTd3, Defects{.grey_copy = true}), "colour");

  EXPECT_EQ(colour.verdict, CheckVerdict::kFail);
  EXPECT_THAT(colour.reason, HasSubstr("black-and-white"));
}

TEST_F(DocgenChecksTest, ScreenGridAndMoireAreFlagged) {
  const CheckResult screen = Get(Check(MrzFormat::kTd1, Defects{.moire = true}), "screen");

  EXPECT_NE(screen.verdict, CheckVerdict::kPass) << screen.score;
  EXPECT_EQ(screen.kind, CheckKind::kFraud);
  EXPECT_THAT(screen.reason, HasSubstr("screen"));
}

CheckResult ScreenOf(const captures::Capture& c) {
  absl::StatusOr<QualityReport> r =
      RunQualityChecks(c.image, TelegramSource::kFrontSide,
                       WithDocumentType({}, DocumentType::kTd3, DocumentSide::kFront), c.jpeg);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? Get(*r, "screen") : CheckResult{};
}

TEST_F(DocgenChecksTest, PagePhotographedOffAScreenIsFlagged) {
  // Subpixel stripes and black matrix, 400 screen pixels across the page
  // (about 3 photo pixels each), photographed tilted with perspective.
  for (uint64_t seed : {3, 8}) {
    const cv::Mat page = FlatPage(*generator_, seed);
    std::mt19937_64 rng(seed);
    const captures::Capture c = captures::ScreenPhoto(page, rng);

    const CheckResult screen = ScreenOf(c);

    EXPECT_NE(screen.verdict, CheckVerdict::kPass) << c.how << " score " << screen.score;
  }
}

TEST_F(DocgenChecksTest, FineHatchedBackgroundIsNotAScreen) {
  // The false positive: a genuine page whose background is a fine
  // periodic line pattern (one direction, across the whole page) is not a
  // pixel grid. Hatching at a 4 px pitch over the page.
  cv::Mat page = FlatPage(*generator_, 5);
  for (int x = -page.rows; x < page.cols; x += 4) {
    cv::line(page, cv::Point(x, 0), cv::Point(x + page.rows, page.rows), cv::Scalar(150, 170, 190),
             1, cv::LINE_AA);
  }
  std::mt19937_64 rng(5);

  const CheckResult screen = ScreenOf(captures::PhonePhoto(page, rng));

  EXPECT_EQ(screen.verdict, CheckVerdict::kPass) << screen.score;
}

TEST_F(DocgenChecksTest, HeavyJpegBlockingOnAScanIsNotAScreen) {
  // A scan cropped to the page and saved at JPEG quality 20: its 8×8 block
  // grid is periodic at fixed frequencies, which the measure leaves out.
  const cv::Mat page = FlatPage(*generator_, 6);
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", page, buf, {cv::IMWRITE_JPEG_QUALITY, 20});
  captures::Capture c;
  c.jpeg.assign(buf.begin(), buf.end());
  c.image = cv::imdecode(buf, cv::IMREAD_COLOR);

  const CheckResult screen = ScreenOf(c);

  EXPECT_EQ(screen.verdict, CheckVerdict::kPass) << screen.score;
}

// `c` with its red channel moved by -(dx, dy) and its blue by +(dx, dy)
// photo pixels (green stays): what a screen's side-by-side subpixels do to
// every edge of the page, at any pixel pitch. Re-encoded as JPEG q92.
captures::Capture OffsetChannels(const captures::Capture& c, double dx, double dy) {
  std::vector<cv::Mat> bgr;
  cv::split(c.image, bgr);
  auto move = [](cv::Mat& channel, double x, double y) {
    const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, x, 0, 1, y);
    cv::warpAffine(channel, channel, m, channel.size(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  };
  move(bgr[2], -dx, -dy);
  move(bgr[0], dx, dy);
  cv::Mat merged;
  cv::merge(bgr, merged);
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", merged, buf, {cv::IMWRITE_JPEG_QUALITY, 92});
  captures::Capture out;
  out.jpeg.assign(buf.begin(), buf.end());
  out.image = cv::imdecode(buf, cv::IMREAD_COLOR);
  return out;
}

internal::ScreenMeasure ScreenMeasureOf(const captures::Capture& c) {
  absl::StatusOr<DocumentDetection> d = DetectDocument(c.image);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? internal::MeasureScreen(c.image, d->corners) : internal::ScreenMeasure{};
}

TEST_F(DocgenChecksTest, ColourChannelsOffsetAcrossThePageAreAScreen) {
  // A phone photo of a page, its red and blue 0.6 px from green (a third of
  // a 1.8 px screen pixel) along a screen's rows turned 8° in the photo:
  // the offset a screen leaves over the whole page, with or without a grid.
  const cv::Mat page = FlatPage(*generator_, 12);
  std::mt19937_64 rng(12);
  const captures::Capture photo = captures::PhonePhoto(page, rng);
  const double rad = 8 * 3.14159265358979 / 180;
  const captures::Capture offset = OffsetChannels(photo, 0.6 * std::cos(rad), 0.6 * std::sin(rad));

  const internal::ScreenMeasure plain = ScreenMeasureOf(photo);
  const internal::ScreenMeasure m = ScreenMeasureOf(offset);
  const CheckResult screen = ScreenOf(offset);

  EXPECT_LT(plain.channel_shift, 0.03);
  EXPECT_GT(m.channel_shift, 0.12);
  EXPECT_NEAR(m.shift_axis_deg, 8, 3);
  EXPECT_GT(m.shift_agreement, 0.8);
  EXPECT_TRUE(m.channel_shift_counts);
  EXPECT_EQ(screen.verdict, CheckVerdict::kReview) << screen.score;
  EXPECT_THAT(screen.reason, HasSubstr("colours are offset"));
  EXPECT_EQ(ScreenOf(photo).verdict, CheckVerdict::kPass);
}

TEST_F(DocgenChecksTest, ColourChannelsOffsetAlongTheImageGridAreNotAScreen) {
  // A flatbed scan whose red and blue sensor lines are misregistered by a
  // third of a pixel along the scanner's axis (the image's own rows), on a
  // page placed straight: the offset follows the image grid, not a screen
  // turned in the photo.
  const cv::Mat page = FlatPage(*generator_, 13);
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", page, buf, {cv::IMWRITE_JPEG_QUALITY, 92});
  captures::Capture scan;
  scan.jpeg.assign(buf.begin(), buf.end());
  scan.image = cv::imdecode(buf, cv::IMREAD_COLOR);
  const captures::Capture offset = OffsetChannels(scan, 0.3, 0);

  const internal::ScreenMeasure m = ScreenMeasureOf(offset);
  const CheckResult screen = ScreenOf(offset);

  EXPECT_GT(m.channel_shift, 0.1);
  EXPECT_LT(m.shift_axis_deg, 5.0);
  EXPECT_FALSE(m.channel_shift_counts);
  EXPECT_EQ(screen.verdict, CheckVerdict::kPass) << screen.score;
}

TEST_F(DocgenChecksTest, ScanCroppedToThePagePassesCutoffSayingSo) {
  const cv::Mat page = FlatPage(*generator_, 7);
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", page, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  absl::StatusOr<QualityReport> r =
      RunQualityChecks(cv::imdecode(buf, cv::IMREAD_COLOR), TelegramSource::kFrontSide,
                       WithDocumentType({}, DocumentType::kTd3, DocumentSide::kFront));
  ASSERT_TRUE(r.ok()) << r.status();

  const CheckResult cutoff = Get(*r, "cutoff");

  EXPECT_EQ(cutoff.verdict, CheckVerdict::kPass);
  EXPECT_THAT(cutoff.reason, HasSubstr("cropped to the document"));
}

// ---------------------------------------------------------------- layouts

TEST(DocumentTypeTest, ParsesNamesAndMrzFormats) {
  EXPECT_THAT(ParseDocumentType("td3"), IsOkAndHolds(DocumentType::kTd3));
  EXPECT_THAT(ParseDocumentType("passport"), IsOkAndHolds(DocumentType::kPassport));
  EXPECT_THAT(ParseDocumentType("internal_passport"), IsOkAndHolds(DocumentType::kPassport));
  EXPECT_THAT(ParseDocumentType("driver_license"), IsOkAndHolds(DocumentType::kDriverLicense));
  EXPECT_THAT(ParseDocumentType("identity_card"), IsOkAndHolds(DocumentType::kIdentityCard));
  EXPECT_THAT(ParseDocumentType("TD3"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDocumentType(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(DocumentTypeForMrz(MrzFormat::kTd1), DocumentType::kTd1);
  EXPECT_EQ(DocumentTypeForMrz(MrzFormat::kMrvB), DocumentType::kMrvB);
  EXPECT_EQ(DocumentWidthMm(DocumentType::kPassport), 125.0);
  EXPECT_EQ(DocumentWidthMm(DocumentType::kDriverLicense), 85.6);
}

TEST(DocumentTypeTest, LayoutsFollowTheTypeAndSide) {
  const DocumentLayout td3 = DocumentLayout::For(DocumentType::kTd3, DocumentSide::kFront);
  const DocumentLayout td1_front = DocumentLayout::For(DocumentType::kTd1, DocumentSide::kFront);
  const DocumentLayout td1_back = DocumentLayout::For(DocumentType::kTd1, DocumentSide::kBack);
  const DocumentLayout dl_back =
      DocumentLayout::For(DocumentType::kDriverLicense, DocumentSide::kBack);
  const DocumentLayout td2 = DocumentLayout::For(DocumentType::kTd2, DocumentSide::kFront);

  // Passport data page and TD2: MRZ at the bottom, portrait above it.
  for (const DocumentLayout* l : {&td3, &td2}) {
    EXPECT_GT(l->mrz.area(), 0);
    EXPECT_GT(l->portrait.area(), 0);
    EXPECT_GT(l->mrz.y, l->portrait.y);
    EXPECT_LE(l->portrait.y + l->portrait.height, l->mrz.y);
  }
  // TD1: portrait on the front, MRZ on the back.
  EXPECT_EQ(td1_front.mrz.area(), 0);
  EXPECT_GT(td1_front.portrait.area(), 0);
  EXPECT_GT(td1_back.mrz.area(), 0);
  EXPECT_EQ(td1_back.portrait.area(), 0);
  // Driver licence back: barcode and data, no MRZ.
  EXPECT_EQ(dl_back.mrz.area(), 0);
  EXPECT_GT(dl_back.data.area(), 0.5);
  // Unknown keeps the historical defaults.
  EXPECT_EQ(DocumentLayout::For(DocumentType::kUnknown, DocumentSide::kBack).mrz,
            DocumentLayout::Td1Back().mrz);
  const QualityOptions unchanged =
      WithDocumentType(QualityOptions{}, DocumentType::kUnknown, DocumentSide::kFront);
  EXPECT_EQ(unchanged.document_width_mm, QualityOptions{}.document_width_mm);
}

}  // namespace
}  // namespace vouch::ocr
