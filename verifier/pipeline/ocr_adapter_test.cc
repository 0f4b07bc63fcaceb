// The ocr adapter on real images: the PDF417 barcode on a synthetic driver
// licence back (docgen's AAMVA payload through zxing-cpp's writer), read by
// ocr and handed to the pipeline.

#include "pipeline/ocr_adapter.h"

#include <vector>

#include "docgen/licence.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "pipeline/verification_pipeline.h"
#include "rpc/errors.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"
#include "testing/shared_data.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using ::vouch::testing::FixedClock;

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Property;
using ::vouch::testing::IsOk;

std::unique_ptr<DocumentReader> Reader() {
  OcrReaderOptions options;
  options.read_mrz = false;  // Not needed here; the MRZ reader has its own tests.
  return *NewOcrDocumentReaderFactory(options)->NewReader();
}

docgen::LicenceHolder Holder() {
  docgen::LicenceHolder h;
  h.family_name = "O'NEILL-SMITH";
  h.first_name = "ALEX";
  h.middle_names = "JORDAN";
  h.document_number = "D7654321";
  h.sex = "M";
  h.birth_date = "1988-03-09";
  h.expiry_date = "2031-03-09";
  return h;
}

std::string BlankCardJpeg() {
  cv::Mat card(420, 660, CV_8UC3, cv::Scalar(228, 222, 215));
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", card, jpeg);
  return std::string(jpeg.begin(), jpeg.end());
}

TEST(OcrAdapterBarcodeTest, ReadsAamvaRecordFromGeneratedLicenceBack) {
  absl::StatusOr<std::string> payload = docgen::AamvaPayload(Holder());
  ASSERT_THAT(payload, IsOk());
  docgen::LicenceBackOptions photo;
  photo.skew_deg = 6;  // Beyond zxing-cpp's own skew tolerance.
  absl::StatusOr<std::string> back = docgen::LicenceBackJpeg(*payload, photo);
  ASSERT_THAT(back, IsOk());

  absl::StatusOr<ImageFindings> read = Reader()->Read(*back, ImageRole::kIdBack, "driver_license");

  ASSERT_THAT(read, IsOk());
  ASSERT_TRUE(read->barcode_checked);
  EXPECT_EQ(read->barcode.verdict, QualitySignal::Verdict::kPass);
  ASSERT_TRUE(read->aamva.has_value());
  EXPECT_EQ(read->aamva->family_name, "O'NEILL-SMITH");
  EXPECT_EQ(read->aamva->first_name, "ALEX");
  EXPECT_EQ(read->aamva->middle_names, "JORDAN");
  EXPECT_EQ(read->aamva->document_number, "D7654321");
  EXPECT_EQ(read->aamva->sex, "M");
  EXPECT_EQ(read->aamva->birth_date, absl::CivilDay(1988, 3, 9));
  EXPECT_EQ(read->aamva->expiry_date, absl::CivilDay(2031, 3, 9));
  EXPECT_EQ(read->aamva->country, "USA");
  EXPECT_FALSE(read->aamva->family_name_truncated);
  EXPECT_TRUE(read->quality_checked);
}

TEST(OcrAdapterBarcodeTest, OnlyLicenceAndIdCardBacksAreSearched) {
  const std::string back = *docgen::LicenceBackJpeg(*docgen::AamvaPayload(Holder()));
  std::unique_ptr<DocumentReader> reader = Reader();

  absl::StatusOr<ImageFindings> passport = reader->Read(back, ImageRole::kIdBack, "passport");
  absl::StatusOr<ImageFindings> front = reader->Read(back, ImageRole::kIdFront, "driver_license");
  absl::StatusOr<ImageFindings> card = reader->Read(back, ImageRole::kIdBack, "identity_card");

  ASSERT_THAT(passport, IsOk());
  EXPECT_FALSE(passport->barcode_checked);
  ASSERT_THAT(front, IsOk());
  EXPECT_FALSE(front->barcode_checked);
  ASSERT_THAT(card, IsOk());
  ASSERT_TRUE(card->barcode_checked);
  EXPECT_EQ(card->barcode.verdict, QualitySignal::Verdict::kPass);
  EXPECT_TRUE(card->aamva.has_value());
}

TEST(OcrAdapterBarcodeTest, BackWithoutBarcodeFailsForLicenceOnly) {
  const std::string blank = BlankCardJpeg();
  std::unique_ptr<DocumentReader> reader = Reader();

  absl::StatusOr<ImageFindings> licence = reader->Read(blank, ImageRole::kIdBack, "driver_license");
  absl::StatusOr<ImageFindings> card = reader->Read(blank, ImageRole::kIdBack, "identity_card");

  ASSERT_THAT(licence, IsOk());
  ASSERT_TRUE(licence->barcode_checked);
  EXPECT_EQ(licence->barcode.verdict, QualitySignal::Verdict::kFail);
  EXPECT_FALSE(licence->aamva.has_value());
  EXPECT_FALSE(licence->barcode.hint.empty());
  ASSERT_THAT(card, IsOk());
  EXPECT_EQ(card->barcode.verdict, QualitySignal::Verdict::kUnavailable);
}

TEST(OcrAdapterBarcodeTest, NonAamvaPdf417IsReview) {
  absl::StatusOr<std::string> back = docgen::LicenceBackJpeg("NOT AN AAMVA RECORD 0123456789");
  ASSERT_THAT(back, IsOk());

  absl::StatusOr<ImageFindings> read = Reader()->Read(*back, ImageRole::kIdBack, "driver_license");

  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->barcode.verdict, QualitySignal::Verdict::kReview);
  EXPECT_FALSE(read->aamva.has_value());
}

std::string Jpeg(const cv::Mat& image) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
  return std::string(jpeg.begin(), jpeg.end());
}

// A photographed statement: a page of printed lines on a darker table.
std::string StatementJpeg(int lines) {
  cv::Mat photo(1200, 900, CV_8UC3, cv::Scalar(70, 80, 90));
  cv::Mat page = photo(cv::Rect(80, 60, 740, 1080));
  page.setTo(cv::Scalar(245, 245, 242));
  for (int i = 0; i < lines; ++i) {
    cv::putText(page,
                i % 3 == 0 ? "Account 4411 0392 statement period 01.10-31.10"
                           : "Electricity 312 kWh  12.40  VAT 3.10  total 15.50",
                cv::Point(30, 60 + 30 * i), cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(30, 30, 30),
                1, cv::LINE_AA);
  }
  return Jpeg(photo);
}

TEST(OcrAdapterTextPresenceTest, PrintedPageScoresHighBlankAndPhotosLow) {
  OcrReaderOptions options;
  options.read_mrz = false;
  std::unique_ptr<DocumentReader> reader = *NewOcrDocumentReaderFactory(options)->NewReader();
  const auto presence = [&](const std::string& jpeg) {
    absl::StatusOr<ImageFindings> read =
        reader->Read(jpeg, ImageRole::kAddressDocument, "utility_bill");
    EXPECT_THAT(read, IsOk());
    return read.ok() ? read->text_presence : -1;
  };
  // A smooth "photo" with shapes and no print.
  cv::Mat photo(900, 1200, CV_8UC3);
  for (int y = 0; y < photo.rows; ++y) {
    photo.row(y).setTo(cv::Scalar(40 + y / 8, 90, 200 - y / 6));
  }
  cv::circle(photo, cv::Point(600, 450), 250, cv::Scalar(30, 160, 220), cv::FILLED, cv::LINE_AA);
  cv::rectangle(photo, cv::Rect(100, 100, 200, 500), cv::Scalar(200, 200, 200), cv::FILLED);

  const double full = presence(StatementJpeg(34));
  const double few = presence(StatementJpeg(2));
  const double blank = presence(StatementJpeg(0));
  const double shapes = presence(Jpeg(photo));

  EXPECT_GE(full, 0.9) << "a page of print";
  EXPECT_LT(few, 0.3) << "two lines";
  EXPECT_LT(blank, 0.05);
  EXPECT_LT(shapes, 0.1);
  // Selfies and fronts are not measured.
  absl::StatusOr<ImageFindings> front =
      reader->Read(StatementJpeg(34), ImageRole::kIdFront, "passport");
  ASSERT_THAT(front, IsOk());
  EXPECT_EQ(front->text_presence, 0);
}

// FaceMatch reuses the front the last Read decoded only for the same bytes.
TEST(OcrAdapterFaceMatchTest, NeverMatchesAgainstAStaleFront) {
  OcrReaderOptions options;
  options.read_mrz = false;
  options.quality = false;
  options.models_dir = "/nonexistent";  // No face models: a match cannot run.
  std::unique_ptr<DocumentReader> reader = *NewOcrDocumentReaderFactory(options)->NewReader();
  const std::string front = BlankCardJpeg();

  ASSERT_THAT(reader->Read(front, ImageRole::kIdFront, "passport"), IsOk());
  // Another "front" than the one read: decoded (and refused), not the cached one.
  EXPECT_THAT(reader->FaceMatch("not an image", front),
              ::vouch::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(reader->Read(front, ImageRole::kIdFront, "passport"), IsOk());
  EXPECT_THAT(reader->FaceMatch(front, front),
              ::vouch::testing::StatusIs(absl::StatusCode::kUnimplemented));
  // The cache is one-shot: the next call decodes again.
  EXPECT_THAT(reader->FaceMatch(std::string(front.size(), 'x'), front),
              ::vouch::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// Each way a face photo cannot be compared has its own reason, naming the
// photo, so the review queue and the user know what to fix.
// Real faces from ../shared/corpus/faces; needs the face models in
// models/face (models/face/install.sh).
class OcrAdapterFaceFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VOUCH_REQUIRE_SHARED_DIR();
    OcrReaderOptions options;
    options.read_mrz = false;
    options.quality = false;
    options.models_dir = std::string(VOUCH_SOURCE_DIR) + "/models";
    reader_ = *NewOcrDocumentReaderFactory(options)->NewReader();
    const auto dir = ::vouch::testing::SharedDir() / "corpus" / "faces" / "deepface_person_01";
    face_ = cv::imread((dir / "deepface_person_01__deepface_01.jpg").string(), cv::IMREAD_COLOR);
    other_ = cv::imread((dir / "deepface_person_01__deepface_02.jpg").string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(face_.empty());
    ASSERT_FALSE(other_.empty());
    // The models are there: the same person's two photos compare.
    absl::StatusOr<double> same = reader_->FaceMatch(Jpeg(face_), Jpeg(other_));
    ASSERT_THAT(same, IsOk()) << "run models/face/install.sh";
  }

  static std::string Jpeg(const cv::Mat& img) {
    std::vector<uchar> buf;
    cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, 92});
    return std::string(buf.begin(), buf.end());
  }

  // FaceMatch of the document photo `face_` against `selfie`: its failure.
  std::optional<FaceFailure> SelfieFailure(const cv::Mat& selfie, absl::StatusCode* code) {
    absl::StatusOr<double> r = reader_->FaceMatch(Jpeg(face_), Jpeg(selfie));
    *code = r.status().code();
    return FaceFailureOf(r.status());
  }

  std::unique_ptr<DocumentReader> reader_;
  cv::Mat face_, other_;
};

TEST_F(OcrAdapterFaceFailureTest, SelfieWithoutFaceIsNoFace) {
  absl::StatusCode code;
  const std::optional<FaceFailure> f =
      SelfieFailure(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 110, 120)), &code);

  EXPECT_EQ(code, absl::StatusCode::kNotFound);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "selfie_no_face");
  EXPECT_TRUE(f->selfie);
  EXPECT_TRUE(f->retake);
}

TEST_F(OcrAdapterFaceFailureTest, TwoPeopleInTheSelfieAreSeveralFaces) {
  cv::Mat two;
  cv::hconcat(other_, other_, two);
  absl::StatusCode code;
  const std::optional<FaceFailure> f = SelfieFailure(two, &code);

  EXPECT_EQ(code, absl::StatusCode::kNotFound);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "selfie_several_faces");
}

TEST_F(OcrAdapterFaceFailureTest, TinyFaceIsTooSmall) {
  // The whole photo shrunk until the face is under FaceOptions::min_face_px
  // (48 px), on a large background.
  cv::Mat small;
  const double scale = 100.0 / other_.rows;
  cv::resize(other_, small, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::Mat selfie(720, 960, CV_8UC3, cv::Scalar(120, 130, 140));
  small.copyTo(selfie(cv::Rect(400, 300, small.cols, small.rows)));
  absl::StatusCode code;
  const std::optional<FaceFailure> f = SelfieFailure(selfie, &code);

  EXPECT_EQ(code, absl::StatusCode::kNotFound);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "selfie_face_too_small");
}

TEST_F(OcrAdapterFaceFailureTest, TiltedFaceIsTurnedAndLeftToAPerson) {
  // Rolled 40 degrees: over FaceOptions::max_roll_deg (25).
  cv::Mat tilted;
  const cv::Point2f centre(other_.cols / 2.f, other_.rows / 2.f);
  cv::warpAffine(other_, tilted, cv::getRotationMatrix2D(centre, 40, 1.0), other_.size(),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  absl::StatusCode code;
  const std::optional<FaceFailure> f = SelfieFailure(tilted, &code);

  EXPECT_EQ(code, absl::StatusCode::kUnimplemented);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "selfie_face_turned");
  EXPECT_FALSE(f->retake);
}

TEST_F(OcrAdapterFaceFailureTest, DocumentWithoutPortraitNamesTheDocument) {
  absl::StatusOr<double> r = reader_->FaceMatch(BlankCardJpeg(), Jpeg(other_));

  EXPECT_THAT(r, ::vouch::testing::StatusIs(absl::StatusCode::kNotFound));
  const std::optional<FaceFailure> f = FaceFailureOf(r.status());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "document_no_face");
  EXPECT_FALSE(f->selfie);
}

TEST_F(OcrAdapterFaceFailureTest, RetakeProblemIsNamedBeforeAReviewOne) {
  // The document's portrait is tilted (a person could compare it) and the
  // selfie shows no face (must be retaken): the selfie is named.
  cv::Mat tilted;
  const cv::Point2f centre(face_.cols / 2.f, face_.rows / 2.f);
  cv::warpAffine(face_, tilted, cv::getRotationMatrix2D(centre, 40, 1.0), face_.size(),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  absl::StatusOr<double> r =
      reader_->FaceMatch(Jpeg(tilted), Jpeg(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 110, 120))));

  EXPECT_THAT(r, ::vouch::testing::StatusIs(absl::StatusCode::kNotFound));
  const std::optional<FaceFailure> f = FaceFailureOf(r.status());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "selfie_no_face");
}

TEST(FaceFailureOfTest, OtherStatusesAreNotFaceFailures) {
  EXPECT_FALSE(FaceFailureOf(absl::OkStatus()).has_value());
  EXPECT_FALSE(FaceFailureOf(absl::NotFoundError("no usable face")).has_value());
  EXPECT_FALSE(
      FaceFailureOf(absl::UnimplementedError("face models are not installed")).has_value());
  EXPECT_FALSE(FaceFailureOf(rpc::WithReason(absl::InvalidArgumentError("x"), "selfie_no_face"))
                   .has_value());
  // A reason whose code contradicts the status (a retake reason on a
  // review status) is not trusted.
  EXPECT_FALSE(
      FaceFailureOf(rpc::WithReason(absl::UnimplementedError("x"), "selfie_no_face")).has_value());
}

// The pipeline with the real reader on a licence whose back is a generated
// PDF417: the barcode is read and compared with the typed data.
TEST(OcrAdapterBarcodeTest, PipelineComparesRealBarcodeWithTypedData) {
  const std::string back = *docgen::LicenceBackJpeg(*docgen::AamvaPayload(Holder()));
  testing::FakePassportOpener opener;
  const auto submission = [back](const std::string& typed_last_name) {
    OpenedSubmission s = testing::LicenceSubmission();
    OpenedElement& personal = s.elements[0];
    testing::SetFields(personal, {{"first_name", "Alex"},
                                  {"middle_name", "Jordan"},
                                  {"last_name", typed_last_name},
                                  {"birth_date", "09.03.1988"},
                                  {"gender", "male"},
                                  {"country_code", "US"}});
    OpenedElement& licence = s.elements[1];
    testing::SetFields(licence, {{"document_no", "D7654321"}, {"expiry_date", "09.03.2031"}});
    licence.front_side->content = SecureBytes(back);  // Any readable image.
    licence.reverse_side->content = SecureBytes(back);
    licence.selfie.reset();
    return s;
  };
  testing::FakeAttestationIssuer issuer;
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore();
  FixedClock clock(absl::FromCivil(absl::CivilSecond(2026, 11, 27, 12, 0, 0), absl::UTCTimeZone()));
  VerificationPipeline pipeline(opener, issuer, *store, clock);
  Policy policy = *Config::Default().FindPolicy("default").value();
  policy.require_selfie = false;
  v1::VerifyRequest request;
  request.set_passport_data_json(R"({"data":[],"credentials":{}})");
  request.set_nonce("nonce-1");
  std::unique_ptr<DocumentReader> reader = Reader();
  const auto check = [](const std::string& name, v1::CheckOutcome outcome) {
    return AllOf(Property(&v1::Check::name, name), Property(&v1::Check::outcome, outcome));
  };

  opener.make = [&] { return absl::StatusOr<OpenedSubmission>(submission("O'Neill-Smith")); };
  absl::StatusOr<v1::VerificationResult> r =
      pipeline.Run(PipelineInput{&request, &policy, "ver_1", "svc"}, *reader, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->checks(), Contains(check("barcode", v1::CHECK_OUTCOME_PASS)));
  for (const char* field :
       {"last_name", "first_name", "birth_date", "gender", "document_no", "expiry_date"}) {
    EXPECT_THAT(r->checks(),
                Contains(check(std::string("barcode_vs_typed.") + field, v1::CHECK_OUTCOME_PASS)))
        << field;
  }

  opener.make = [&] { return absl::StatusOr<OpenedSubmission>(submission("Smith")); };
  r = pipeline.Run(PipelineInput{&request, &policy, "ver_2", "svc"}, *reader, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->decision(), v1::DECISION_REJECTED);
  EXPECT_THAT(r->checks(), Contains(check("barcode_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL)));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
