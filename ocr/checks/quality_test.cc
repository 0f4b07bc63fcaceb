#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "checks/quality_internal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/checks.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "synthetic_document.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::ocr::synthetic::GlareZone;
using ::vouch::ocr::synthetic::RenderScene;
using ::vouch::ocr::synthetic::SceneOptions;
using ::vouch::testing::StatusIs;

QualityReport Check(const SceneOptions& o, QualityOptions q = {}, absl::string_view encoded = {}) {
  if (o.back_side) q.layout = DocumentLayout::Td1Back();
  absl::StatusOr<QualityReport> r =
      RunQualityChecks(RenderScene(o), TelegramSource::kFrontSide, q, encoded);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : QualityReport{};
}

CheckResult Get(const QualityReport& r, const std::string& name) {
  for (const CheckResult& c : r.checks) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no check " << name;
  return CheckResult{};
}

// The clear cases of every check are on docgen pages
// (quality_docgen_test.cc). Here: what docgen cannot draw (clipped white
// paper, a pasted portrait, a retyped MRZ line) on the checks' own scenes.

TEST(QualityChecksTest, GlareOnClippedWhitePaperIsUnavailable) {
  SceneOptions o;
  o.white_paper = true;

  const CheckResult glare = Check(o).checks[2];

  // Clipped white paper looks like glare everywhere: the check says it
  // cannot judge rather than failing a clean scan (or passing glare).
  EXPECT_EQ(glare.name, "glare");
  EXPECT_EQ(glare.verdict, CheckVerdict::kUnavailable) << glare.reason;
  EXPECT_THAT(glare.reason, HasSubstr("cannot be judged"));
}

TEST(QualityChecksTest, GlareOnWhitePaperStillFails) {
  SceneOptions o;
  o.white_paper = true;
  o.glare = GlareZone::kData;

  const CheckResult glare = Check(o).checks[2];

  EXPECT_NE(glare.verdict, CheckVerdict::kPass);
}

// A near-white page (darkest channel 244) with printed lines, as a flatbed
// scan of white paper gives it.
cv::Mat NearWhitePage() {
  cv::Mat page(500, 800, CV_8UC3, cv::Scalar(246, 245, 244));
  for (int y = 60; y < 460; y += 30) {
    cv::rectangle(page, cv::Rect(60, y, 600, 8), cv::Scalar(40, 40, 40), cv::FILLED);
  }
  return page;
}

TEST(GlareMeasureTest, EvenlyClippedPaperIsNotGlare) {
  // The scanner lamp clips the right third of the paper to white: clipped,
  // but no brighter than the paper around it.
  cv::Mat page = NearWhitePage();
  page(cv::Rect(540, 0, 260, 500)).setTo(cv::Scalar(255, 255, 255));
  cv::Mat lines = NearWhitePage();
  lines(cv::Rect(540, 0, 260, 500))
      .copyTo(page(cv::Rect(540, 0, 260, 500)),
              lines(cv::Rect(540, 0, 260, 500)) < cv::Scalar(100, 100, 100));

  const internal::GlareMeasure g = internal::MeasureGlare(page, DocumentLayout::Td3());

  EXPECT_GT(g.clipped, 0.1);
  EXPECT_EQ(g.document, 0);
  EXPECT_EQ(g.data, 0);
  EXPECT_EQ(g.mrz, 0);
}

TEST(GlareMeasureTest, SpecularSpotOnPaperIsGlare) {
  // A clipped disc with a soft halo on a page whose paper is 30 levels
  // below clipping.
  cv::Mat page = NearWhitePage();
  page -= cv::Scalar(30, 30, 30);
  cv::Mat spot(page.size(), CV_32F, cv::Scalar(0));
  cv::circle(spot, cv::Point(400, 250), 70, cv::Scalar(1.0), cv::FILLED);
  cv::GaussianBlur(spot, spot, cv::Size(), 17);
  for (int y = 0; y < page.rows; ++y) {
    for (int x = 0; x < page.cols; ++x) {
      const float k = std::min(1.f, spot.at<float>(y, x) * 1.8f);
      cv::Vec3b& px = page.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) {
        px[c] = cv::saturate_cast<uint8_t>(px[c] * (1 - k) + 255 * k);
      }
    }
  }

  const internal::GlareMeasure g = internal::MeasureGlare(page, DocumentLayout::Td3());

  EXPECT_GT(g.document, 0.02);
  EXPECT_NEAR(g.document, g.clipped, 1e-9);  // The spot is all the clipping.
  EXPECT_GT(g.data, 0.05);                   // Td3 data zone: right of the portrait.
}

TEST(GlareMeasureTest, WhitePaperEndingAtPrintIsNotGlare) {
  // Two cards side by side on white paper (a specimen's front and back in
  // one picture), judged as one page: the white strip between them is
  // clipped, the cards' pale borders are bright next to it and their print
  // darker further out. Bright near the strip and dark further out, as
  // round a highlight, but the fall is one step at the cards' edges, where
  // a highlight fades.
  cv::Mat page(500, 800, CV_8UC3, cv::Scalar(165, 160, 170));
  page(cv::Rect(380, 40, 40, 420)).setTo(cv::Scalar(215, 212, 218));
  page(cv::Rect(388, 40, 24, 420)).setTo(cv::Scalar(255, 255, 255));
  cv::GaussianBlur(page, page, cv::Size(), 0.7);

  const internal::GlareMeasure g = internal::MeasureGlare(page, DocumentLayout::Td3());

  EXPECT_GT(g.clipped, 0.02);
  EXPECT_EQ(g.document, 0);
  EXPECT_EQ(g.data, 0);
}

TEST(GlareMeasureTest, AFadeIsGradualAndAnEdgeIsOneStep) {
  // A highlight's fade (a bench spot: 249 down to 206 over 25 px) and a
  // white strip's edge between two cards (a real specimen: 247 to 166, 41
  // levels of it in 2 px).
  const std::vector<double> fade = {249, 247, 245, 244, 242, 240, 238, 236, 234, 233, 231, 229, 227,
                                    226, 224, 223, 222, 220, 218, 217, 215, 213, 212, 210, 210};
  const std::vector<double> edge = {247, 241, 232, 206, 191, 184, 181, 179, 178, 178, 177, 176};

  EXPECT_LT(internal::SteepestFallShare(fade, 206, 25), 0.15);
  EXPECT_NEAR(internal::SteepestFallShare(edge, 166, 12), 41.0 / 81.0, 1e-9);
  // Only the fall within `inner` px counts, and a rim no brighter than the
  // surroundings is no fade at all.
  EXPECT_NEAR(internal::SteepestFallShare(edge, 166, 1), 15.0 / 81.0, 1e-9);
  EXPECT_EQ(internal::SteepestFallShare(edge, 250, 12), 1);
  EXPECT_EQ(internal::SteepestFallShare({}, 100, 12), 1);
}

TEST(QualityChecksTest, ThresholdsComeFromOptions) {
  QualityOptions strict;
  strict.resolution = {2000, 1000};

  const CheckResult resolution = Get(Check(SceneOptions{}, strict), "resolution");

  EXPECT_EQ(resolution.threshold, 2000);
  EXPECT_EQ(resolution.verdict, CheckVerdict::kFail);
}

TEST(QualityChecksTest, EditorMetadataIsASignalNotAVerdict) {
  const std::string encoded = std::string("\xff\xd8\xff\xe1") + "Exif...Adobe Photoshop 24.0...";

  QualityOptions hints;
  hints.tamper_hints = true;
  const QualityReport r = Check(SceneOptions{}, hints, encoded);

  bool seen = false;
  for (const TamperSignal& s : r.tamper_signals) {
    if (s.name != "editor_metadata") continue;
    seen = true;
    EXPECT_EQ(s.score, 1.0);
    EXPECT_THAT(s.detail, HasSubstr("Adobe Photoshop"));
  }
  EXPECT_TRUE(seen);
  for (const CheckResult& c : r.checks) {
    EXPECT_EQ(c.verdict, CheckVerdict::kPass) << c.name;
  }
}

TEST(QualityChecksTest, TamperHintsOnlyWhenAskedFor) {
  const std::string encoded = std::string("\xff\xd8\xff\xe1") + "Exif...Adobe Photoshop 24.0...";
  QualityOptions hints;
  hints.tamper_hints = true;

  const QualityReport without = Check(SceneOptions{}, {}, encoded);
  const QualityReport with = Check(SceneOptions{}, hints, encoded);

  EXPECT_TRUE(without.tamper_signals.empty());
  EXPECT_EQ(with.tamper_signals.size(), 4u);
  // The checks themselves do not depend on the hints.
  ASSERT_EQ(without.checks.size(), with.checks.size());
  for (size_t i = 0; i < with.checks.size(); ++i) {
    EXPECT_EQ(without.checks[i].score, with.checks[i].score) << with.checks[i].name;
    EXPECT_EQ(without.checks[i].verdict, with.checks[i].verdict) << with.checks[i].name;
  }
  EXPECT_EQ(without.perceptual_hash, with.perceptual_hash);
}

TEST(QualityChecksTest, CleanPhotoHasNoStrongTamperSignal) {
  QualityOptions hints;
  hints.tamper_hints = true;
  const QualityReport r = Check(SceneOptions{}, hints, "\xff\xd8 plain camera file");

  ASSERT_EQ(r.tamper_signals.size(), 4u);
  for (const TamperSignal& s : r.tamper_signals) {
    EXPECT_LT(s.score, 0.5) << s.name << ": " << s.detail;
  }
}

TEST(QualityChecksTest, PastedPortraitRaisesNoiseSignal) {
  // Paste a flat, noise-free patch over the portrait zone of a noisy photo.
  SceneOptions o;
  o.noise_sigma = 6;
  cv::Mat photo = RenderScene(o);
  absl::StatusOr<DocumentDetection> doc = DetectDocument(photo);
  ASSERT_TRUE(doc.ok());
  cv::Mat rectified = doc->rectified.clone();
  const cv::Rect p(static_cast<int>(0.04 * rectified.cols), static_cast<int>(0.25 * rectified.rows),
                   static_cast<int>(0.27 * rectified.cols), static_cast<int>(0.6 * rectified.rows));
  rectified(p).setTo(cv::Scalar(150, 170, 200));

  const std::vector<TamperSignal> signals =
      internal::MeasureTamperSignals(rectified, DocumentLayout::Id1Front(), {});

  ASSERT_EQ(signals.size(), 4u);
  EXPECT_EQ(signals[2].name, "portrait_noise");
  EXPECT_GT(signals[2].score, 0.5) << signals[2].detail;
}

TEST(QualityChecksTest, TamperHintsUseTheGivenGreyOnlyWhenItIsTheCopysGrey) {
  // RunQualityChecks hands the working copy's grey over (made once for
  // every measure): the hints must be the same as with their own, and a
  // grey of another image (wrong size) must be ignored, not measured.
  SceneOptions o;
  o.noise_sigma = 6;
  absl::StatusOr<DocumentDetection> doc = DetectDocument(RenderScene(o));
  ASSERT_TRUE(doc.ok());
  cv::Mat work;
  cv::resize(doc->rectified, work, cv::Size(800, doc->rectified.rows * 800 / doc->rectified.cols));
  cv::Mat gray;
  cv::cvtColor(work, gray, cv::COLOR_BGR2GRAY);
  const DocumentLayout layout = DocumentLayout::Id1Front();

  const std::vector<TamperSignal> own = internal::MeasureTamperSignals(work, layout, {});
  const std::vector<TamperSignal> given = internal::MeasureTamperSignals(work, layout, {}, gray);
  const std::vector<TamperSignal> wrong =
      internal::MeasureTamperSignals(work, layout, {}, cv::Mat(64, 64, CV_8U, cv::Scalar(0)));

  ASSERT_EQ(own.size(), given.size());
  ASSERT_EQ(own.size(), wrong.size());
  for (size_t i = 0; i < own.size(); ++i) {
    EXPECT_EQ(own[i].score, given[i].score) << own[i].name;
    EXPECT_EQ(own[i].detail, given[i].detail) << own[i].name;
    EXPECT_EQ(own[i].score, wrong[i].score) << own[i].name;
  }
  // The quality checks' grey measures equal their BGR ones.
  EXPECT_EQ(internal::MeasureFocus(gray), internal::MeasureFocus(work));
  EXPECT_EQ(internal::MeasureExposure(gray).score, internal::MeasureExposure(work).score);
}

TEST(QualityChecksTest, MrzGlyphsOfAnotherSizeRaiseTheSignal) {
  SceneOptions o;
  o.back_side = true;
  absl::StatusOr<DocumentDetection> doc = DetectDocument(RenderScene(o));
  ASSERT_TRUE(doc.ok());
  const cv::Mat clean = doc->rectified.clone();
  // Retype the middle MRZ line (TD1 back, bottom third) in a larger font.
  cv::Mat edited = clean.clone();
  const int w = edited.cols, h = edited.rows;
  cv::rectangle(edited, cv::Rect(0, static_cast<int>(0.745 * h), w, static_cast<int>(0.095 * h)),
                cv::Scalar(245, 245, 245), cv::FILLED);
  cv::putText(edited, "X1234567<<<<ABC",
              cv::Point(static_cast<int>(0.04 * w), static_cast<int>(0.835 * h)),
              cv::FONT_HERSHEY_SIMPLEX, 1.45 * w / 1000.0, cv::Scalar(10, 10, 10),
              std::max(1, w / 500), cv::LINE_AA);

  const auto glyphs = [](const cv::Mat& m) {
    return internal::MeasureTamperSignals(m, DocumentLayout::Td1Back(), {})[0];
  };
  const TamperSignal before = glyphs(clean);
  const TamperSignal after = glyphs(edited);

  EXPECT_EQ(before.name, "mrz_glyphs");
  EXPECT_LT(before.score, 0.3) << before.detail;
  EXPECT_GT(after.score, 0.5) << after.detail;
}

// Focus judges the page's sharpest edges. A few sharp strokes (a page with
// little print, or a small card judged on the whole frame) beside a large
// soft shape (a portrait, a tint, the table): the strongest 1 % of the
// gradients reached into the soft shape and read the page as blurred (0.42,
// review); the strongest 0.1 % are the strokes' edges. The same scene
// blurred is still blurred.
TEST(QualityChecksTest, FewSharpStrokesBesideASoftShapeAreInFocus) {
  cv::Mat page(500, 800, CV_8U, cv::Scalar(190));
  cv::Mat soft = page.clone();
  cv::circle(soft, cv::Point(560, 250), 150, cv::Scalar(80), cv::FILLED);
  cv::GaussianBlur(soft, page, cv::Size(), 6);
  for (int i = 0; i < 3; ++i) {
    cv::rectangle(page, cv::Rect(80 + 30 * i, 200, 3, 40), cv::Scalar(30), cv::FILLED);
  }
  const double sharp = internal::MeasureFocus(page);
  cv::Mat blurred;
  cv::GaussianBlur(page, blurred, cv::Size(), 4);
  const double soft_score = internal::MeasureFocus(blurred);
  EXPECT_GE(sharp, 0.5) << sharp;
  EXPECT_LT(soft_score, 0.35) << soft_score;
}

// A genuine page may be grey almost everywhere (black print and a grey
// portrait on a pale tint) with colour on a small part of it (an emblem, a
// coloured line). The colour check asked for colour on 5 % of the page and
// sent such pages to review; it asks for 1 % now, inside a margin (session
// 17). The same page copied in black and white has no colour anywhere and
// still fails, on a coloured table too, and colour on a speck (0.4 % of the
// page) is not enough.
cv::Mat NearGreyPage(int coloured_rows) {
  cv::Mat page(560, 800, CV_8UC3, cv::Scalar(236, 238, 241));  // A pale tint.
  cv::Mat portrait(200, 160, CV_8UC3);
  for (int y = 0; y < portrait.rows; ++y) {
    portrait.row(y).setTo(cv::Scalar::all(60 + y * 150 / portrait.rows));
  }
  portrait.copyTo(page(cv::Rect(40, 100, portrait.cols, portrait.rows)));
  for (int i = 0; i < 8; ++i) {
    cv::rectangle(page, cv::Rect(240, 100 + 40 * i, 300, 14), cv::Scalar::all(30), cv::FILLED);
  }
  // A red band across the page: an emblem's share, `coloured_rows` of its
  // 560 rows.
  cv::rectangle(page, cv::Rect(0, 440, 800, coloured_rows), cv::Scalar(40, 40, 200), cv::FILLED);
  return page;
}

TEST(QualityChecksTest, ColourOnASmallPartOfAGreyPageIsAColourDocument) {
  const Threshold colour = QualityOptions{}.colour;
  const cv::Mat page = NearGreyPage(11);  // 2 % of the page.
  const double genuine = internal::MeasureColourSpread(page);
  EXPECT_EQ(VerdictFor(genuine, colour), CheckVerdict::kPass) << genuine;

  cv::Mat grey;
  cv::cvtColor(page, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, grey, cv::COLOR_GRAY2BGR);
  const double copy = internal::MeasureColourSpread(grey);
  EXPECT_EQ(VerdictFor(copy, colour), CheckVerdict::kFail) << copy;

  const double speck = internal::MeasureColourSpread(NearGreyPage(2));  // 0.4 %.
  EXPECT_NE(VerdictFor(speck, colour), CheckVerdict::kPass) << speck;

  // The grey copy inside an outline a few pixels off: a band of the
  // coloured table along every edge (3.6 % of the picture) is not the
  // document's colour.
  cv::Mat on_table;
  cv::copyMakeBorder(grey, on_table, 6, 6, 6, 6, cv::BORDER_CONSTANT, cv::Scalar(40, 120, 190));
  const double table = internal::MeasureColourSpread(on_table);
  EXPECT_EQ(VerdictFor(table, colour), CheckVerdict::kFail) << table;
}

TEST(QualityChecksTest, RejectsUnusableImages) {
  EXPECT_THAT(RunQualityChecks(cv::Mat(), TelegramSource::kFrontSide),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      RunQualityChecks(cv::Mat(50, 50, CV_16UC3, cv::Scalar(0)), TelegramSource::kFrontSide),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(QualityChecksTest, GreyInputAndTinyImagesDoNotCrash) {
  EXPECT_TRUE(
      RunQualityChecks(cv::Mat(40, 60, CV_8UC1, cv::Scalar(128)), TelegramSource::kFrontSide).ok());
  EXPECT_TRUE(
      RunQualityChecks(cv::Mat(1, 1, CV_8UC3, cv::Scalar(0)), TelegramSource::kFrontSide).ok());
}

TEST(QualityChecksTest, NoiseAndExtremeShapesGiveVerdictsNotErrors) {
  cv::Mat noise(480, 640, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  for (const cv::Mat& m : {noise, cv::Mat(20, 5000, CV_8UC3, cv::Scalar(200, 10, 10)),
                           cv::Mat(5000, 20, CV_8UC1, cv::Scalar(0))}) {
    absl::StatusOr<QualityReport> r = RunQualityChecks(m, TelegramSource::kFrontSide);
    ASSERT_TRUE(r.ok()) << m.size() << ": " << r.status();
    EXPECT_EQ(r->checks.size(), 7u);
  }
}

TEST(VerdictForTest, AppliesThePassAndReviewBand) {
  const Threshold t{0.6, 0.4};

  EXPECT_EQ(VerdictFor(0.6, t), CheckVerdict::kPass);
  EXPECT_EQ(VerdictFor(0.5, t), CheckVerdict::kReview);
  EXPECT_EQ(VerdictFor(0.4, t), CheckVerdict::kReview);
  EXPECT_EQ(VerdictFor(0.39, t), CheckVerdict::kFail);
  EXPECT_EQ(VerdictFor(std::nan(""), t), CheckVerdict::kFail);
}

using Quad = std::array<cv::Point2f, 4>;

TEST(OutlineShapeTest, RectanglesAndCameraViewsOfThemAreAPage) {
  const cv::Size frame(1000, 750);
  EXPECT_NEAR(internal::OutlineAngleDeviation(
                  Quad{cv::Point2f(100, 100), {800, 120}, {780, 600}, {90, 580}}, frame),
              3, 3);
  // A page seen 30 degrees off its normal: a trapezoid whose corners are
  // about 15 degrees off square.
  const double tilted = internal::OutlineAngleDeviation(
      Quad{cv::Point2f(200, 100), {800, 100}, {900, 600}, {100, 600}}, frame);
  EXPECT_GT(tilted, 5);
  EXPECT_LT(tilted, 25);
}

TEST(OutlineShapeTest, AWedgeOfThePrintIsNotAPage) {
  // The decorated half of a two-page passport scan: its top corners on the
  // frame border, its bottom ones inside at 130 and 50 degrees.
  EXPECT_GT(internal::OutlineAngleDeviation(
                Quad{cv::Point2f(5, 0), {640, 0}, {370, 420}, {100, 420}}, cv::Size(644, 900)),
            25);
  // Crossed corners (no quadrilateral at all).
  EXPECT_EQ(
      internal::OutlineAngleDeviation(
          Quad{cv::Point2f(100, 100), {800, 600}, {800, 100}, {100, 600}}, cv::Size(1000, 750)),
      180);
}

TEST(OutlineShapeTest, CornersClampedTogetherOnTheBorderCountOnce) {
  // A card cut at its bottom-right corner: the rectangle fitted to what is
  // left has two corners clamped onto the same border point; the corner
  // inside the frame is square.
  EXPECT_LT(
      internal::OutlineAngleDeviation(
          Quad{cv::Point2f(319, 0), {1019, 407}, {1019, 407}, {321, 407}}, cv::Size(1021, 609)),
      2);
  // Two corners in one place inside the frame are no page.
  EXPECT_EQ(
      internal::OutlineAngleDeviation(
          Quad{cv::Point2f(100, 100), {500, 300}, {500, 300}, {100, 300}}, cv::Size(1000, 750)),
      180);
}

// A frame of `table` grey with printed-looking rows of dark ticks over the
// rectangle `print`.
cv::Mat PrintOn(cv::Size frame, const cv::Rect& print) {
  cv::Mat img(frame, CV_8UC3, cv::Scalar(60, 70, 80));
  img(print).setTo(cv::Scalar(225, 230, 235));
  for (int y = print.y + 10; y + 12 < print.y + print.height; y += 24) {
    for (int x = print.x + 8; x + 6 < print.x + print.width; x += 11) {
      cv::rectangle(img, cv::Rect(x, y, 5, 12), cv::Scalar(30, 30, 30), cv::FILLED);
    }
  }
  return img;
}

TEST(PrintOutsideTest, APageOnATableHasNoPrintAroundItsOutline) {
  const cv::Rect page(200, 150, 600, 420);
  const cv::Mat img = PrintOn(cv::Size(1000, 750), page);
  const Quad outline{cv::Point2f(200, 150), {800, 150}, {800, 570}, {200, 570}};

  EXPECT_LT(internal::PrintOutsideShare(img, outline), 0.2);
}

TEST(PrintOutsideTest, APanelInsideAPageCroppedTightHasPrintAroundIt) {
  // The page fills the frame; the outline is a panel in its top-left corner.
  const cv::Mat img = PrintOn(cv::Size(1000, 700), cv::Rect(0, 0, 1000, 700));
  const Quad panel{cv::Point2f(0, 0), {450, 0}, {450, 300}, {0, 300}};

  EXPECT_GT(internal::PrintOutsideShare(img, panel), 0.8);
}

// A page of one or two cosine gratings (frequencies in cycles per pixel),
// multiplied by a modulation of period 4 px down the rows: the block copies
// JPEG's 8×8 grid makes of a strong pattern, at ±2/8 cycle/px in v, with
// the sensor noise of a photo.
cv::Mat GratingWithBlockCopies(const std::vector<cv::Point2d>& gratings) {
  cv::Mat page(1000, 1000, CV_8UC3);
  cv::RNG rng(13);
  for (int y = 0; y < page.rows; ++y) {
    cv::Vec3b* row = page.ptr<cv::Vec3b>(y);
    const double blocks = 1 + 0.5 * std::cos(2 * CV_PI * y / 4.0);
    for (int x = 0; x < page.cols; ++x) {
      double g = 0;
      for (const cv::Point2d& f : gratings) g += std::cos(2 * CV_PI * (f.x * x + f.y * y));
      const double v = 128 + 50.0 / gratings.size() * g * blocks + rng.gaussian(3);
      row[x] = cv::Vec3b::all(cv::saturate_cast<uint8_t>(v));
    }
  }
  return page;
}

const std::array<cv::Point2f, 4> kWholePage = {cv::Point2f(0, 0), cv::Point2f(1000, 0),
                                               cv::Point2f(1000, 1000), cv::Point2f(0, 1000)};

TEST(ScreenMeasureTest, APatternAndItsJpegBlockCopiesAreNotALattice) {
  // One direction only (a hatch, one ink's screen): its copies at
  // (0.3, 0.05) ± (0, 2/8) lie 35° and 137° from it, which the lattice's
  // 30° rule alone would take for a second direction.
  const internal::ScreenMeasure m =
      internal::MeasureScreen(GratingWithBlockCopies({{0.3, 0.05}}), kWholePage);

  EXPECT_GT(m.lattice, 3.0);  // The pattern itself is shared by every tile.
  EXPECT_LT(m.lattice_2d, 1.8);
}

TEST(ScreenMeasureTest, TwoDirectionsWithTheirJpegBlockCopiesAreStillALattice) {
  const internal::ScreenMeasure m =
      internal::MeasureScreen(GratingWithBlockCopies({{0.3, 0.05}, {-0.05, 0.3}}), kWholePage);

  EXPECT_GT(m.lattice_2d, 3.0);
}

// A square dot lattice of period 4 px whose rows lie `lattice_deg` from
// the sides of a page turned `page_deg` in the photo, with sensor noise;
// the page's corners into *corners. Red drawn `offset` px to the right and
// blue as far to the left (0: a print's inks in one place).
cv::Mat DotLattice(double page_deg, double lattice_deg, std::array<cv::Point2f, 4>* corners,
                   double offset = 0) {
  cv::Mat page(1000, 1000, CV_8UC3);
  cv::RNG rng(13);
  const double a = (page_deg + lattice_deg) * CV_PI / 180, f = 0.25;
  const double cu = std::cos(a) * f, su = std::sin(a) * f;
  for (int y = 0; y < page.rows; ++y) {
    cv::Vec3b* row = page.ptr<cv::Vec3b>(y);
    for (int x = 0; x < page.cols; ++x) {
      const double noise = rng.gaussian(3);
      for (int c = 0; c < 3; ++c) {
        const double xs = x - (c - 1) * offset;  // B, G, R: +offset, 0, -offset.
        const double g =
            std::cos(2 * CV_PI * (cu * xs + su * y)) + std::cos(2 * CV_PI * (-su * xs + cu * y));
        row[x][c] = cv::saturate_cast<uint8_t>(128 + 25 * g + noise);
      }
    }
  }
  const double p = page_deg * CV_PI / 180;
  const cv::Point2f c(500, 500);
  const cv::Point2f h(400 * std::cos(p), 400 * std::sin(p)),
      v(-400 * std::sin(p), 400 * std::cos(p));
  *corners = {c - h - v, c + h - v, c + h + v, c - h + v};
  return page;
}

TEST(ScreenMeasureTest, ALatticeAt45DegreesToThePageIsAHalftonesBlackInk) {
  // A print's black ink is screened at 45° to the page: a square lattice,
  // but not one a screen's pixel grid (along the page it shows) makes.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 45, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, corners);

  EXPECT_GT(m.lattice_2d, 3.0);
  EXPECT_NEAR(m.lattice_page_deg, 45, 3);
  EXPECT_LT(m.lattice_2d_off45, 1.8);
}

// A halftone's black ink as a printer makes it: small sharp dots (a
// threshold of the tone against the screen, so strong 2nd to 4th harmonics)
// on a square lattice of frequency `f` at 45° to a page turned 6°, saved
// with JPEG-like 8-px blocks (a brightness modulation of period 8 px in x
// and 4 px in y). With `screen_pitch` > 0, seen through a screen whose
// pixel grid (dark rows and columns every `screen_pitch` px) runs along the
// page. The page's corners into *corners.
cv::Mat SharpDotsAt45(double f, double screen_pitch, std::array<cv::Point2f, 4>* corners) {
  cv::Mat page(1000, 1000, CV_8UC3);
  cv::RNG rng(13);
  const double page_rad = 6 * CV_PI / 180, a = page_rad + CV_PI / 4;
  const double cu = std::cos(a) * f, su = std::sin(a) * f;
  const double pc = std::cos(page_rad), ps = std::sin(page_rad);
  for (int y = 0; y < page.rows; ++y) {
    cv::Vec3b* row = page.ptr<cv::Vec3b>(y);
    for (int x = 0; x < page.cols; ++x) {
      const double g =
          std::cos(2 * CV_PI * (cu * x + su * y)) + std::cos(2 * CV_PI * (-su * x + cu * y));
      const double dot = g > 0.3 ? 1.0 : 0.0;
      const double blocks =
          1 + 0.15 * std::cos(2 * CV_PI * x / 8.0) + 0.15 * std::cos(2 * CV_PI * y / 4.0);
      double v = (210 - 150 * dot) * blocks;
      if (screen_pitch > 0) {
        // Page coordinates: the screen's rows and columns run along them.
        const double px = (pc * x + ps * y) / screen_pitch, py = (-ps * x + pc * y) / screen_pitch;
        const bool matrix = px - std::floor(px) < 0.25 || py - std::floor(py) < 0.25;
        v *= matrix ? 0.7 : 1.0;
      }
      row[x] = cv::Vec3b::all(cv::saturate_cast<uint8_t>(v + rng.gaussian(3)));
    }
  }
  const cv::Point2f c(500, 500);
  const cv::Point2f h(400 * pc, 400 * ps), v(-400 * ps, 400 * pc);
  *corners = {c - h - v, c + h - v, c + h + v, c - h + v};
  return page;
}

TEST(ScreenMeasureTest, ASharpDotHalftoneAt45DegreesWithBlockCopiesIsThePrints) {
  // Its harmonics and their block copies are the print's (the 45° rule's
  // combinations and copies), so no lattice is left to score.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = SharpDotsAt45(0.22, 0, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, corners);

  EXPECT_GT(m.lattice_2d, 3.0);
  EXPECT_NEAR(m.lattice_page_deg, 45, 3);
  EXPECT_LT(m.lattice_2d_off45, 1.8);
}

TEST(ScreenMeasureTest, AScreensGridOverAHalftoneIsNotThePrints) {
  // The print shown on a screen: the screen's grid along the page is
  // neither the ink's lattice nor one of its combinations or block copies,
  // so it still counts. (Explaining block copies of the ink's 2nd to 4th
  // harmonics as print too was tried: it spared genuine prints but explained
  // this grid away, off45 0; dropped, docs/checks.md.)
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = SharpDotsAt45(0.22, 2.7, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, corners);

  EXPECT_GT(m.lattice_2d_off45, 1.8);
  // Judged as a print's residual (session 17), it is still held for review.
  EXPECT_TRUE(m.halftone_45);
  EXPECT_LT(internal::LatticeScore(m), QualityOptions{}.screen.pass) << m.lattice_2d_off45;
}

// What a halftone leaves once its black ink at 45° is taken out (its other
// inks aliased, their moiré) reached 2.73 on the tuned genuine prints and
// sent prints photographed to review; it counts from 3.0 now. The same
// lattice when the page's strongest is not a print's black ink still
// counts from 1.8.
TEST(ScreenMeasureTest, AHalftonesResidualCountsFromAHigherMark) {
  const Threshold t = QualityOptions{}.screen;
  internal::ScreenMeasure m;
  m.tiles = 9;
  m.lattice_2d = 3.2;
  m.lattice_2d_off45 = 2.6;
  m.halftone_45 = true;
  EXPECT_GE(internal::LatticeScore(m), t.pass);
  m.lattice_2d_off45 = 3.2;
  EXPECT_LT(internal::LatticeScore(m), t.pass);
  EXPECT_GE(internal::LatticeScore(m), t.review);

  m.halftone_45 = false;
  m.lattice_2d_off45 = 2.6;
  EXPECT_LT(internal::LatticeScore(m), t.pass);
}

TEST(ScreenMeasureTest, ASharpDotHalftoneAt45DegreesIsMarkedAsAPrint) {
  std::array<cv::Point2f, 4> corners;
  const internal::ScreenMeasure print =
      internal::MeasureScreen(SharpDotsAt45(0.22, 0, &corners), corners);
  EXPECT_TRUE(print.halftone_45);
  EXPECT_GE(internal::LatticeScore(print), QualityOptions{}.screen.pass);

  // A lattice along the page is never taken for a print's black ink.
  const internal::ScreenMeasure grid = internal::MeasureScreen(DotLattice(6, 0, &corners), corners);
  EXPECT_FALSE(grid.halftone_45);
  EXPECT_LT(internal::LatticeScore(grid), QualityOptions{}.screen.pass);
}

TEST(ScreenMeasureTest, ALatticeAt45DegreesWithAStraightColourOffsetStillCounts) {
  // Red and blue 0.15 px either side of green along the image's rows, on
  // every tile: a screen shown straight (or a flatbed scanner), not a
  // print photographed; a print shown on a screen whose own grid the lens
  // lost shows just this.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 45, &corners, 0.15);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, corners);

  EXPECT_NEAR(m.lattice_page_deg, 45, 3);
  EXPECT_GT(m.channel_shift, 0.02);
  EXPECT_EQ(m.lattice_2d_off45, m.lattice_2d);
  EXPECT_GT(m.lattice_2d_off45, 1.8);
}

TEST(ScreenMeasureTest, ALatticeAlongThePageIsStillAScreensPixelGrid) {
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 0, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, corners);

  EXPECT_LT(m.lattice_page_deg, 3);
  EXPECT_GT(m.lattice_2d_off45, 1.8);  // The screen check's review mark.
  EXPECT_EQ(m.lattice_2d_off45, m.lattice_2d);
}

// A page photographed at an angle and saved as JPEG: on a flat page of
// 1200×800 units, either one grating (`grating` cycles per unit: a hatched
// or guilloche background), a screen's pixel grid (dark rows and columns
// every `pixel` units along the page's sides) or, with `dots_deg` ≥ 0, a
// print's dot lattice of period `pixel` turned `dots_deg` from the page's
// sides (an ink's halftone screen); the page turned 5° and seen
// in perspective (its right side `shrink` shorter than its left, so the
// pattern's frequency grows by about that much across the photo), drawn
// where each photo pixel's centre falls on the page (a page has no pixels
// of its own: no resampling artefacts), a lens blur, sensor noise, then
// JPEG at `quality`. The page's corners in the photo into *corners.
cv::Mat PageInPerspective(cv::Point2d grating, double pixel, double shrink, int quality,
                          std::array<cv::Point2f, 4>* corners, double dots_deg = -1) {
  const double a = 5 * CV_PI / 180, c = std::cos(a), s = std::sin(a);
  const std::array<cv::Point2f, 4> flat = {cv::Point2f(0, 0), cv::Point2f(1200, 0),
                                           cv::Point2f(1200, 800), cv::Point2f(0, 800)};
  std::array<cv::Point2f, 4> seen = {
      cv::Point2f(0, 0), cv::Point2f(1200 * (1 - shrink / 2), 400 * shrink),
      cv::Point2f(1200 * (1 - shrink / 2), 800 - 400 * shrink), cv::Point2f(0, 800)};
  for (cv::Point2f& p : seen) {
    p = cv::Point2f(static_cast<float>(120 + c * p.x - s * p.y),
                    static_cast<float>(120 + s * p.x + c * p.y));
  }
  cv::Mat to_page = cv::getPerspectiveTransform(seen.data(), flat.data());
  to_page.convertTo(to_page, CV_64F);
  const double* m = to_page.ptr<double>();
  cv::Mat photo(1150, 1450, CV_32F);
  for (int y = 0; y < photo.rows; ++y) {
    float* row = photo.ptr<float>(y);
    for (int x = 0; x < photo.cols; ++x) {
      const double w = m[6] * x + m[7] * y + m[8];
      const double u = (m[0] * x + m[1] * y + m[2]) / w, v = (m[3] * x + m[4] * y + m[5]) / w;
      double value = 60;  // The table.
      if (u >= 0 && u < 1200 && v >= 0 && v < 800) {
        if (pixel > 0 && dots_deg >= 0) {
          const double a = dots_deg * CV_PI / 180, f = 1 / pixel;
          const double du = f * (std::cos(a) * u + std::sin(a) * v);
          const double dv = f * (-std::sin(a) * u + std::cos(a) * v);
          value = 165 + 22 * (std::cos(2 * CV_PI * du) + std::cos(2 * CV_PI * dv));
        } else if (pixel > 0) {
          const double pu = u / pixel - std::floor(u / pixel);
          const double pv = v / pixel - std::floor(v / pixel);
          value = pu < 0.3 || pv < 0.3 ? 120 : 200;
        } else {
          value = 165 + 45 * std::cos(2 * CV_PI * (grating.x * u + grating.y * v));
        }
      }
      row[x] = static_cast<float>(value);
    }
  }
  cv::GaussianBlur(photo, photo, cv::Size(0, 0), 0.6);
  cv::Mat noise(photo.size(), CV_32F);
  cv::RNG(13).fill(noise, cv::RNG::NORMAL, 0, 3);
  photo += noise;
  cv::Mat grey, bgr;
  photo.convertTo(grey, CV_8U);
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
  *corners = seen;
  return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

TEST(ScreenMeasureTest, OneGratingInPerspectiveWithJpegIsNotALattice) {
  // A hatched or guilloche background photographed at an angle: its
  // frequency grows across the page, so its JPEG block copies, found in
  // other tiles than the pattern, miss the copy's exact offset by a bin or
  // two. Tile by tile they are exact: one pattern, not a pixel grid. (Matched
  // across tiles instead, 11 of these 12 scored 1.98–3.76.)
  for (const cv::Point2d grating : {cv::Point2d(0.15, 0.2), {0.28, 0.05}, {0.1, 0.32}}) {
    for (const double shrink : {0.05, 0.1}) {
      for (const int quality : {70, 85}) {
        SCOPED_TRACE(::testing::Message()
                     << "grating " << grating << " shrink " << shrink << " JPEG " << quality);
        std::array<cv::Point2f, 4> corners;
        const cv::Mat photo = PageInPerspective(grating, 0, shrink, quality, &corners);
        const internal::ScreenMeasure m = internal::MeasureScreen(photo, corners);

        EXPECT_GT(m.lattice, 3.0);           // The grating is shared by every tile.
        EXPECT_LT(m.lattice_2d_off45, 1.8);  // The screen check's review mark.
      }
    }
  }
}

TEST(ScreenMeasureTest, APixelGridInPerspectiveWithJpegIsStillALattice) {
  // A screen's rows and columns are two patterns, each with its own block
  // copies: the same photograph and JPEG keep them a lattice.
  for (const double pixel : {2.6, 3.3, 4.1}) {
    for (const double shrink : {0.05, 0.1}) {
      SCOPED_TRACE(::testing::Message() << "pixel " << pixel << " shrink " << shrink);
      std::array<cv::Point2f, 4> corners;
      const cv::Mat photo = PageInPerspective({}, pixel, shrink, 85, &corners);
      const internal::ScreenMeasure m = internal::MeasureScreen(photo, corners);

      EXPECT_GT(m.lattice_2d_off45, 1.8);
    }
  }
}

// The whole of a w×h picture as the outline: no page edge found (a scan or
// a crop to the page).
std::array<cv::Point2f, 4> WholeFrame(const cv::Mat& image) {
  const float w = static_cast<float>(image.cols - 1), h = static_cast<float>(image.rows - 1);
  return {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h)};
}

TEST(ScreenMeasureTest, ALatticeLyingStillOverAFlatScanIsAPrints) {
  // A dot lattice along the page, judged on the whole frame (no outline):
  // it sits in one place in every tile and its colours are in register, as
  // a flatbed scan of a halftone print. Not scored (before: lattice > 1.8,
  // review).
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 0, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, WholeFrame(image));

  EXPECT_GT(m.lattice_2d_off45, 1.8);
  EXPECT_GE(m.lattice_spread, 0);
  EXPECT_LT(m.lattice_spread, 1.3);
  EXPECT_TRUE(m.flat_print);
  const absl::StatusOr<QualityReport> r =
      RunQualityChecks(image, TelegramSource::kFrontSide, QualityOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const CheckResult& c : r->checks) {
    if (c.name != "screen") continue;
    EXPECT_EQ(c.verdict, CheckVerdict::kPass) << c.score;
    EXPECT_THAT(c.reason, HasSubstr("flat scan of a printed page"));
  }
}

TEST(ScreenMeasureTest, AnOutlineOnTheFramesCornersIsTheWholeFrame) {
  // The detector's outline a few pixels inside the frame's corners (within
  // the frame-corner margin cut-off uses, 2 % of the long side): the
  // measures judged the whole frame, as with no outline.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 0, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(
      image, {cv::Point2f(5, 3), cv::Point2f(994, 6), cv::Point2f(996, 995), cv::Point2f(2, 993)});

  EXPECT_TRUE(m.flat_print);
}

TEST(ScreenMeasureTest, AFlatLatticeWithAnotherPatternInOneTileIsStillAPrints) {
  // The same flat scan, but in its top-left tile (a portrait, a guilloche)
  // another dot pattern, turned 1.6° from the print's (its peaks 1.8 bins
  // of 1/256 away), is the local maximum: that tile's peak sits away from
  // the other eight, which do not move. Before: the largest distance from
  // the mean, 1.64 bins, read it as a photographed lattice (review); one
  // tile off is not a page in perspective.
  std::array<cv::Point2f, 4> corners;
  cv::Mat image = DotLattice(6, 0, &corners);
  const double a = 7.6 * CV_PI / 180, f = 0.25;
  const double cu = std::cos(a) * f, su = std::sin(a) * f;
  for (int y = 0; y < 380; ++y) {
    for (int x = 0; x < 380; ++x) {
      const double g =
          std::cos(2 * CV_PI * (cu * x + su * y)) + std::cos(2 * CV_PI * (-su * x + cu * y));
      const uint8_t v = cv::saturate_cast<uint8_t>(128 + 35 * g);
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(v, v, v);
    }
  }
  const internal::ScreenMeasure m = internal::MeasureScreen(image, WholeFrame(image));

  EXPECT_GT(m.lattice_2d_off45, 1.8);
  EXPECT_GE(m.lattice_spread, 0);
  EXPECT_LT(m.lattice_spread, 1.3);
  EXPECT_TRUE(m.flat_print);
}

TEST(ScreenMeasureTest, PositionSpreadLeavesOutOneTileButNotAPerspective) {
  // Eight tiles in one place and one 2.5 bins away: another pattern's peak.
  std::vector<cv::Point2d> one_off(8, cv::Point2d(0.30, 0.10));
  one_off.emplace_back(0.30 + 2.5 / 256, 0.10);
  EXPECT_NEAR(internal::PositionSpread(one_off) * 256, 0, 1e-6);
  // A frequency growing across a 3×3 grid of tiles (perspective): the
  // corners on both sides of the centre move by the same amount, so the
  // spread is the largest move.
  std::vector<cv::Point2d> perspective;
  for (int ty = -1; ty <= 1; ++ty) {
    for (int tx = -1; tx <= 1; ++tx) {
      perspective.emplace_back(0.30 + tx * 1.0 / 256, 0.10 + ty * 1.0 / 256);
    }
  }
  EXPECT_NEAR(internal::PositionSpread(perspective) * 256, std::sqrt(2.0), 1e-6);
  EXPECT_EQ(internal::PositionSpread({cv::Point2d(0.3, 0.1)}), 0);
}

TEST(ScreenMeasureTest, AFlatLatticeWithItsColoursOffsetIsStillScored) {
  // The same lattice with red and blue 0.15 px either side of green: a
  // screen's subpixels (or a misregistered scanner), not a print's inks in
  // register.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 0, &corners, 0.15);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, WholeFrame(image));

  EXPECT_GT(m.channel_shift, 0.02);
  EXPECT_FALSE(m.flat_print);
  EXPECT_GT(m.lattice_2d_off45, 1.8);
}

TEST(ScreenMeasureTest, AFlatLatticeInsideAnOutlineIsStillScored) {
  // The page's outline was found: a photo, not a scan; the lattice counts.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 0, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, corners);

  EXPECT_FALSE(m.flat_print);
  EXPECT_GT(m.lattice_2d_off45, 1.8);
}

TEST(ScreenMeasureTest, ALatticeFixedOnAPhotographedPageLandsInOnePlaceOnThePage) {
  // An ink's dot screen at 15° to the page, the page photographed turned 5°
  // with its far side 10 % (or 5 %) shorter, its outline found: the lattice's
  // frequency changes across the photo (a spread above 1.3 bins), but
  // looked for and taken back onto the page through the outline it lands
  // in one place, as printed dots do. Measured only: the check still
  // scores it (a re-photographed print is such a lattice too).
  for (const auto& [pixel, shrink] : {std::pair(3.3, 0.1), std::pair(4.1, 0.05)}) {
    SCOPED_TRACE(::testing::Message() << "pixel " << pixel << " shrink " << shrink);
    std::array<cv::Point2f, 4> corners;
    const cv::Mat photo = PageInPerspective({}, pixel, shrink, 85, &corners, 15);
    const internal::ScreenMeasure m = internal::MeasureScreen(photo, corners);

    EXPECT_GT(m.lattice_2d_off45, 1.8);
    EXPECT_GT(m.lattice_spread, 1.3);
    EXPECT_GE(m.lattice_page_spread, 0);
    EXPECT_LT(m.lattice_page_spread, 1.0);
    EXPECT_FALSE(m.flat_print);
    EXPECT_LT(internal::LatticeScore(m), QualityOptions{}.screen.pass);
  }
}

TEST(ScreenMeasureTest, AMoireOnAPhotographedPageDoesNotLandInOnePlace) {
  // A pixel grid finer than the photo resolves (1.6 px), in the same photo:
  // what reaches it is the grid's moiré, which moves by the perspective
  // times f_grid / f_moiré: not where a lattice fixed on the page would be
  // (no tile or too few show it there, -1, or it spreads).
  std::array<cv::Point2f, 4> corners;
  const cv::Mat photo = PageInPerspective({}, 1.6, 0.1, 85, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(photo, corners);

  EXPECT_GT(m.lattice_2d_off45, 1.8);
  EXPECT_TRUE(m.lattice_page_spread < 0 || m.lattice_page_spread > 1.3) << m.lattice_page_spread;
}

TEST(ScreenMeasureTest, TheWholeFramesPageSpreadIsItsSpread) {
  // No outline: no perspective to take out.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat image = DotLattice(6, 0, &corners);
  const internal::ScreenMeasure m = internal::MeasureScreen(image, WholeFrame(image));

  EXPECT_GE(m.lattice_spread, 0);
  EXPECT_EQ(m.lattice_page_spread, m.lattice_spread);
}

TEST(ScreenMeasureTest, APixelGridPhotographedInPerspectiveAndCroppedIsStillScored) {
  // A screen photographed with its far side 10 % shorter, the picture
  // cropped to the page (judged as the whole frame): the grid's frequency
  // changes across the page, so it is not flat.
  std::array<cv::Point2f, 4> corners;
  const cv::Mat photo = PageInPerspective({}, 3.3, 0.1, 85, &corners);
  const int x0 = static_cast<int>(std::ceil(std::max(corners[0].x, corners[3].x)));
  const int x1 = static_cast<int>(std::min(corners[1].x, corners[2].x));
  const int y0 = static_cast<int>(std::ceil(std::max(corners[0].y, corners[1].y)));
  const int y1 = static_cast<int>(std::min(corners[2].y, corners[3].y));
  const cv::Mat crop = photo(cv::Rect(x0, y0, x1 - x0, y1 - y0)).clone();
  const internal::ScreenMeasure m = internal::MeasureScreen(crop, WholeFrame(crop));

  EXPECT_GT(m.lattice_spread, 1.3);
  EXPECT_FALSE(m.flat_print);
  EXPECT_GT(m.lattice_2d_off45, 1.8);
}

DocumentDetection Outline(std::array<cv::Point2f, 4> corners) {
  DocumentDetection d;
  d.found = true;
  d.corners = corners;
  return d;
}

TEST(CutoffOutlineTest, AnOutlineWithEveryCornerOnTheBorderIsATightCrop) {
  // A visa cropped tight (corpus/specimens/mrva_uto_eriksson.jpg, 695×469):
  // every corner on the frame border (margin 13.9 px), one of them 14 px
  // from the left side, so its left edge is near, not along, the border.
  // Before: "may be cut off", review.
  const cv::Size frame(695, 469);
  EXPECT_TRUE(internal::BorderCornersOnBorderEdges(
      Outline({cv::Point2f(14, 3), {686, 15}, {678, 457}, {4, 449}}), frame));
  EXPECT_FALSE(internal::OutlineIsTheFrame(
      Outline({cv::Point2f(14, 3), {686, 15}, {678, 457}, {4, 449}}), frame));
}

TEST(CutoffOutlineTest, ACornerStickingOutWithNeighboursInsideIsStillACut) {
  // The top-right corner clamped onto the top border, its neighbours well
  // inside the frame: the frame cut the document there.
  const cv::Size frame(1000, 750);
  const DocumentDetection d = Outline({cv::Point2f(100, 80), {900, 0}, {950, 700}, {60, 650}});
  EXPECT_FALSE(internal::BorderCornersOnBorderEdges(d, frame));
  EXPECT_FALSE(internal::OutlineIsTheFrame(d, frame));
}

TEST(CutoffOutlineTest, AnOutlineOnTheFramesCornersIsTheFrame) {
  // corpus/specimens/td1_ltu_basanaviciene.png (353×435, a card's front
  // and its back's MRZ in one picture): the outline found is the frame, no
  // document edge inside it; judged as a crop to the document.
  const cv::Size frame(353, 435);
  EXPECT_TRUE(internal::OutlineIsTheFrame(
      Outline({cv::Point2f(1, 0), {352, 0}, {352, 434}, {1, 434}}), frame));
  EXPECT_FALSE(internal::OutlineIsTheFrame(
      Outline({cv::Point2f(40, 30), {320, 30}, {320, 400}, {40, 400}}), frame));
}

TEST(NamesTest, VerdictsAndSourcesHaveStableNames) {
  EXPECT_EQ(CheckVerdictName(CheckVerdict::kUnavailable), "unavailable");
  EXPECT_EQ(CheckVerdictName(CheckVerdict::kReview), "review");
  EXPECT_EQ(TelegramSourceName(TelegramSource::kReverseSide), "reverse_side");
  EXPECT_EQ(TelegramSourceName(TelegramSource::kTranslationFile), "translation_file");
}

}  // namespace
}  // namespace vouch::ocr
