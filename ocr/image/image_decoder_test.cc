#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocr/image.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

// A 40×20 test card: left half red, right half blue (BGR), so orientation
// changes are visible in the corners.
cv::Mat TestCard(int width = 40, int height = 20) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(0, 0, 255));
  image(cv::Rect(width / 2, 0, width - width / 2, height)).setTo(cv::Scalar(255, 0, 0));
  return image;
}

std::string Encode(const cv::Mat& image, const std::string& ext, std::vector<int> params = {}) {
  std::vector<uchar> buf;
  cv::imencode(ext, image, buf, params);
  return std::string(buf.begin(), buf.end());
}

// Inserts an APP1 EXIF segment (big-endian TIFF, one IFD entry: orientation)
// right after the JPEG's SOI marker.
std::string WithExifOrientation(const std::string& jpeg, int orientation) {
  const std::string tiff =
      std::string("MM\0\x2A\0\0\0\x08", 8) + std::string("\0\x01", 2) +    // 1 entry
      std::string("\x01\x12\0\x03", 4) +                                   // tag, SHORT
      std::string("\0\0\0\x01", 4) +                                       // count 1
      std::string("\0", 1) + char(orientation) + std::string("\0\0", 2) +  // value
      std::string("\0\0\0\0", 4);                                          // next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t len = payload.size() + 2;
  std::string app1 = "\xFF\xE1";
  app1 += char(len >> 8);
  app1 += char(len & 0xFF);
  return jpeg.substr(0, 2) + app1 + payload + jpeg.substr(2);
}

TEST(ImageDecoderTest, DecodesJpegPngAndWebp) {
  const cv::Mat card = TestCard();
  for (const char* ext : {".jpg", ".png", ".webp"}) {
    SCOPED_TRACE(ext);
    absl::StatusOr<DecodedImage> decoded = DecodeImage(Encode(card, ext));

    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(decoded->bgr.cols, 40);
    EXPECT_EQ(decoded->bgr.rows, 20);
    EXPECT_EQ(decoded->bgr.type(), CV_8UC3);
  }
}

// A 40×20 BGRA image as a cut-out scan is saved: transparent background
// whose colour channels are black, an opaque dark-grey card in the middle
// and a half-transparent black strip along the top.
cv::Mat TransparentCutOut() {
  cv::Mat image(20, 40, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  image(cv::Rect(10, 5, 20, 10)).setTo(cv::Scalar(60, 60, 60, 255));
  image(cv::Rect(0, 0, 40, 2)).setTo(cv::Scalar(0, 0, 0, 128));
  return image;
}

TEST(ImageDecoderTest, CompositesAlphaOverWhite) {
  for (const char* ext : {".png", ".webp"}) {
    SCOPED_TRACE(ext);
    std::vector<int> params;
    if (std::string(ext) == ".webp") {
      params = {cv::IMWRITE_WEBP_QUALITY, 101};  // Lossless.
    }
    absl::StatusOr<DecodedImage> decoded = DecodeImage(Encode(TransparentCutOut(), ext, params));

    ASSERT_THAT(decoded, IsOk());
    ASSERT_EQ(decoded->bgr.type(), CV_8UC3);
    // Transparent background: white, not the black of its colour channels.
    EXPECT_EQ(decoded->bgr.at<cv::Vec3b>(18, 2), cv::Vec3b(255, 255, 255));
    // Opaque card: its own colour.
    EXPECT_EQ(decoded->bgr.at<cv::Vec3b>(10, 20), cv::Vec3b(60, 60, 60));
    // Half-transparent black over white: mid grey (alpha 128/255).
    const cv::Vec3b half = decoded->bgr.at<cv::Vec3b>(0, 20);
    EXPECT_NEAR(half[0], 127, 2);
    EXPECT_EQ(half[0], half[2]);
  }
}

TEST(ImageDecoderTest, GreyAnd16BitPngBecome8BitBgr) {
  cv::Mat grey(20, 40, CV_8UC1, cv::Scalar(90));
  cv::Mat deep(20, 40, CV_16UC3, cv::Scalar(0, 32768, 65535));

  absl::StatusOr<DecodedImage> grey_decoded = DecodeImage(Encode(grey, ".png"));
  absl::StatusOr<DecodedImage> deep_decoded = DecodeImage(Encode(deep, ".png"));

  ASSERT_THAT(grey_decoded, IsOk());
  ASSERT_EQ(grey_decoded->bgr.type(), CV_8UC3);
  EXPECT_EQ(grey_decoded->bgr.at<cv::Vec3b>(5, 5), cv::Vec3b(90, 90, 90));
  ASSERT_THAT(deep_decoded, IsOk());
  ASSERT_EQ(deep_decoded->bgr.type(), CV_8UC3);
  EXPECT_EQ(deep_decoded->bgr.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 128, 255));
}

TEST(ImageDecoderTest, ReadsHeaderWithoutDecoding) {
  absl::StatusOr<ImageHeader> png = ReadImageHeader(Encode(TestCard(), ".png"));
  absl::StatusOr<ImageHeader> webp = ReadImageHeader(Encode(TestCard(64, 48), ".webp"));

  ASSERT_THAT(png, IsOk());
  EXPECT_EQ(png->format, ImageFormat::kPng);
  EXPECT_EQ(png->width, 40);
  EXPECT_EQ(png->height, 20);
  ASSERT_THAT(webp, IsOk());
  EXPECT_EQ(webp->width, 64);
  EXPECT_EQ(webp->height, 48);
}

TEST(ImageDecoderTest, LosslessWebpHeader) {
  const std::string webp = Encode(TestCard(33, 17), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101});

  absl::StatusOr<ImageHeader> header = ReadImageHeader(webp);

  ASSERT_THAT(header, IsOk());
  EXPECT_EQ(header->width, 33);
  EXPECT_EQ(header->height, 17);
}

TEST(ImageDecoderTest, AppliesExifOrientation) {
  // Orientation 6: the stored image must be turned 90° clockwise to view.
  const std::string jpeg = WithExifOrientation(Encode(TestCard(), ".jpg"), 6);

  absl::StatusOr<DecodedImage> decoded = DecodeImage(jpeg);

  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->header.exif_orientation, 6);
  ASSERT_EQ(decoded->bgr.cols, 20);
  ASSERT_EQ(decoded->bgr.rows, 40);
  // The left (red) half is now the top half.
  const cv::Vec3b top = decoded->bgr.at<cv::Vec3b>(5, 10);
  const cv::Vec3b bottom = decoded->bgr.at<cv::Vec3b>(35, 10);
  EXPECT_GT(top[2], 200);
  EXPECT_GT(bottom[0], 200);
}

TEST(ImageDecoderTest, RejectsNonImage) {
  EXPECT_THAT(DecodeImage("%PDF-1.7 this is not an image"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an image")));
  EXPECT_THAT(DecodeImage(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ImageDecoderTest, RejectsTruncatedFiles) {
  for (const char* ext : {".jpg", ".png", ".webp"}) {
    SCOPED_TRACE(ext);
    const std::string whole = Encode(TestCard(200, 100), ext);
    for (size_t keep : {size_t{4}, size_t{30}, whole.size() / 2, whole.size() - 3}) {
      EXPECT_THAT(DecodeImage(whole.substr(0, keep)), StatusIs(absl::StatusCode::kInvalidArgument))
          << "kept " << keep << " of " << whole.size();
    }
  }
}

TEST(ImageDecoderTest, RejectsDecompressionBombBeforeDecoding) {
  // A real, valid 1200×1000 PNG of one colour: a few KB that would decode to
  // 1.2 MP, over the 1 MP limit given here.
  const cv::Mat flat(1000, 1200, CV_8UC3, cv::Scalar(7, 7, 7));
  const std::string png = Encode(flat, ".png");
  DecodeLimits limits;
  limits.max_pixels = 1'000'000;

  EXPECT_THAT(DecodeImage(png, limits),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("1200x1000")));
}

TEST(ImageDecoderTest, RejectsForgedHugeDimensions) {
  // A PNG header claiming 60000×60000, with no pixel data behind it.
  std::string png = Encode(TestCard(), ".png");
  png[16] = 0;
  png[17] = 0;
  png[18] = char(0xEA);
  png[19] = 0x60;
  png[20] = 0;
  png[21] = 0;
  png[22] = char(0xEA);
  png[23] = 0x60;

  EXPECT_THAT(DecodeImage(png), StatusIs(absl::StatusCode::kResourceExhausted));
}

// Found by fuzz/image (fuzz/regressions/image/): ReadImageHeader returned a
// lossy WebP whose frame header says height 0.
TEST(ImageDecoderTest, RejectsZeroDimensionsInTheHeader) {
  std::string webp = Encode(TestCard(), ".webp", {cv::IMWRITE_WEBP_QUALITY, 80});
  ASSERT_EQ(webp.substr(12, 4), "VP8 ");  // lossy
  webp[28] = 0;                           // VP8 frame header: 14-bit height (and scale) at 26 + 2.
  webp[29] = 0;
  EXPECT_THAT(ReadImageHeader(webp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zero width or height")));
  EXPECT_THAT(DecodeImage(webp), StatusIs(absl::StatusCode::kInvalidArgument));

  std::string png = Encode(TestCard(), ".png");
  png[16] = png[17] = png[18] = png[19] = 0;  // IHDR width 0
  EXPECT_THAT(ReadImageHeader(png),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zero width or height")));
}

TEST(ImageDecoderTest, RejectsOversizedFile) {
  DecodeLimits limits;
  limits.max_bytes = 100;

  EXPECT_THAT(DecodeImage(Encode(TestCard(200, 100), ".png"), limits),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("file too large")));
}

TEST(ImageDecoderTest, RejectsTinyImage) {
  EXPECT_THAT(DecodeImage(Encode(TestCard(8, 8), ".png")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too small")));
}

TEST(ImageDecoderTest, CorruptBodyIsAnErrorNotACrash) {
  std::string jpeg = Encode(TestCard(200, 100), ".jpg");
  // Keep the headers, overwrite the scan with marker-free noise, keep EOI.
  for (size_t i = jpeg.size() / 2; i + 2 < jpeg.size(); ++i) jpeg[i] = 0x00;

  absl::StatusOr<DecodedImage> decoded = DecodeImage(jpeg);

  // libjpeg may decode zeros as a valid (grey) scan; either outcome is fine
  // as long as it is a status, not a crash, and a success is well-formed.
  if (decoded.ok()) {
    EXPECT_EQ(decoded->bgr.cols, 200);
  } else {
    EXPECT_THAT(decoded, StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace vouch::ocr
