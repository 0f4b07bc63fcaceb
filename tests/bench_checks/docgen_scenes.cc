#include "docgen_scenes.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::scenes {
namespace {

double Dist(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Maps card-normalised coordinates (0..1 across, 0..1 down) to the photo.
cv::Point2f OnCard(const std::array<cv::Point2f, 4>& card, double u, double v) {
  const std::vector<cv::Point2f> unit = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  const std::vector<cv::Point2f> quad(card.begin(), card.end());
  const cv::Mat h = cv::getPerspectiveTransform(unit, quad);
  std::vector<cv::Point2f> in = {cv::Point2f(static_cast<float>(u), static_cast<float>(v))}, out;
  cv::perspectiveTransform(in, out, h);
  return out[0];
}

cv::Point2f Centroid(const std::array<cv::Point2f, 4>& q) {
  return (q[0] + q[1] + q[2] + q[3]) * 0.25f;
}

// A saturated specular spot: a white disc of radius `r` (an ellipse of the
// same area when `shape.aspect` > 1), its edge blurred, and a haze.
void AddGlare(cv::Mat& img, cv::Point2f at, float r, const GlareShape& shape) {
  cv::Mat spot(img.size(), CV_32F, cv::Scalar(0));
  double sigma = std::max(1.0, shape.fade * r);
  if (shape.aspect <= 1) {
    cv::circle(spot, at, std::max(1, static_cast<int>(r)), cv::Scalar(1.0), cv::FILLED,
               cv::LINE_AA);
  } else {
    const double k = std::sqrt(shape.aspect);
    cv::ellipse(spot,
                cv::RotatedRect(
                    at, cv::Size2f(static_cast<float>(2 * r * k), static_cast<float>(2 * r / k)),
                    static_cast<float>(shape.angle_deg)),
                cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
    sigma = std::max(1.0, shape.fade * r / k);
  }
  const double short_axis = shape.aspect <= 1 ? r : r / std::sqrt(shape.aspect);
  if (shape.halo > 0) {
    cv::Mat haze;
    cv::GaussianBlur(spot, haze, cv::Size(), 1.5 * short_axis);
    cv::GaussianBlur(spot, spot, cv::Size(), sigma);
    cv::scaleAdd(haze, shape.halo, spot, spot);
  } else {
    cv::GaussianBlur(spot, spot, cv::Size(), sigma);
  }
  const float gain = static_cast<float>(shape.gain);
  for (int y = 0; y < img.rows; ++y) {
    const float* s = spot.ptr<float>(y);
    cv::Vec3b* px = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < img.cols; ++x) {
      const float k = std::min(1.f, s[x] * gain);
      if (k <= 0) continue;
      for (int c = 0; c < 3; ++c) {
        px[x][c] = cv::saturate_cast<uint8_t>(px[x][c] * (1 - k) + 255 * k);
      }
    }
  }
}

// Screen recapture: the display's subpixel grid (period 3 px) beating with
// the sensor, plus a slow moiré.
void AddMoire(cv::Mat& img) {
  for (int y = 0; y < img.rows; ++y) {
    cv::Vec3b* px = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < img.cols; ++x) {
      const double grid = (x % 3 == 0 ? -28.0 : 6.0) + (y % 3 == 0 ? -18.0 : 0);
      const double beat = 10 * std::sin(0.9 * x + 0.35 * y);
      for (int c = 0; c < 3; ++c) {
        px[x][c] = cv::saturate_cast<uint8_t>(px[x][c] + grid + beat);
      }
    }
  }
}

// Median colour of the photo's outer ring (docgen's table).
cv::Scalar BorderColour(const cv::Mat& img) {
  const int b = std::max(2, std::min(img.cols, img.rows) / 40);
  std::vector<cv::Mat> strips = {img.rowRange(0, b), img.rowRange(img.rows - b, img.rows)};
  cv::Mat all;
  cv::vconcat(strips, all);
  return cv::mean(all);
}

}  // namespace

absl::StatusOr<Scene> ApplyDefects(const docgen::GeneratedDocument& doc, const Defects& d) {
  if (doc.image.empty() || doc.image.type() != CV_8UC3) {
    return absl::InvalidArgumentError("docgen page without a BGR image");
  }
  Scene scene;
  scene.type = DocumentTypeForMrz(doc.identity.format);
  std::array<cv::Point2f, 4> card = doc.card_corners;
  try {
    cv::Mat img = doc.image.clone();
    const double card_w = std::max(Dist(card[0], card[1]), Dist(card[3], card[2]));
    if (d.glare != Zone::kNone) {
      cv::Point2f at;
      const GlareShape& shape = d.glare_shape;
      float r = static_cast<float>((shape.radius > 0 ? shape.radius : 0.07) * card_w);
      switch (d.glare) {
        case Zone::kMrz:
          at = Centroid(doc.mrz_box);
          break;
        case Zone::kPortrait:
          at = doc.portrait_box[1] == cv::Point2f() ? OnCard(card, 0.17, 0.45)
                                                    : Centroid(doc.portrait_box);
          break;
        case Zone::kData:
          at = OnCard(card, 0.66, 0.42);
          break;
        default:
          // The header band, above every layout's zones (ID-1 front from
          // 18 %, TD3 data from 12 % of the height).
          at = OnCard(card, 0.78, 0.055);
          r = static_cast<float>((shape.radius > 0 ? shape.radius : 0.028) * card_w);
          break;
      }
      at +=
          cv::Point2f(static_cast<float>(shape.dx * card_w), static_cast<float>(shape.dy * card_w));
      AddGlare(img, at, r, shape);
    }
    if (d.grey_copy) {
      cv::Mat grey, grey3, mask(img.size(), CV_8U, cv::Scalar(0));
      cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
      cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
      std::vector<cv::Point> poly;
      for (const cv::Point2f& p : card) poly.emplace_back(cv::Point(p));
      cv::fillConvexPoly(mask, poly, cv::Scalar(255), cv::LINE_AA);
      grey3.copyTo(img, mask);
    }
    if (d.moire) AddMoire(img);
    if (d.brightness != 1.0) img.convertTo(img, -1, d.brightness, 0);
    if (d.washout > 0) {
      const cv::Mat white(img.size(), img.type(), cv::Scalar(255, 255, 255));
      cv::addWeighted(img, 1 - d.washout, white, d.washout, 0, img);
    }
    if (d.blur_sigma > 0) {
      cv::GaussianBlur(img, img, cv::Size(), d.blur_sigma * card_w / 1000.0);
    }
    if (d.cut_corner >= 0 && d.cut_corner < 4) {
      // Shift so the corner lies 12 % of the card width outside the frame;
      // the uncovered strip repeats the table.
      const cv::Point2f c = card[d.cut_corner];
      const float m = static_cast<float>(0.12 * card_w);
      const float dx =
          (d.cut_corner == 0 || d.cut_corner == 3) ? -(c.x + m) : (img.cols - 1 - c.x) + m;
      const float dy =
          (d.cut_corner == 0 || d.cut_corner == 1) ? -(c.y + m) : (img.rows - 1 - c.y) + m;
      const cv::Mat t = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
      cv::warpAffine(img, img, t, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      for (auto& p : card) p += cv::Point2f(dx, dy);
    }
    if (d.card_share > 0) {
      const int fw = std::max(img.cols, static_cast<int>(card_w / d.card_share));
      const int fh = std::max(img.rows, fw * 3 / 4);
      cv::Mat frame(fh, fw, CV_8UC3, BorderColour(img));
      cv::Mat noise(frame.size(), CV_16SC3);
      cv::RNG rng(doc.seed + 99);
      rng.fill(noise, cv::RNG::NORMAL, 0, 4);
      cv::Mat f16;
      frame.convertTo(f16, CV_16SC3);
      f16 += noise;
      f16.convertTo(frame, CV_8UC3);
      cv::GaussianBlur(frame, frame, cv::Size(), 1.5);
      const cv::Point off((fw - img.cols) / 2, (fh - img.rows) / 2);
      img.copyTo(frame(cv::Rect(off, img.size())));
      for (auto& p : card) p += cv::Point2f(off);
      img = frame;
    }
    if (d.scale > 0 && d.scale != 1) {
      cv::resize(img, img, cv::Size(), d.scale, d.scale,
                 d.scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
      for (auto& p : card) p *= static_cast<float>(d.scale);
    }
    if (d.jpeg_quality > 0) {
      std::vector<uchar> buf;
      cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, d.jpeg_quality});
      scene.jpeg.assign(buf.begin(), buf.end());
      img = cv::imdecode(buf, cv::IMREAD_COLOR);
    }
    scene.image = img;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("scene: ", e.what()));
  }
  const double long_px = std::max({Dist(card[0], card[1]), Dist(card[3], card[2]),
                                   Dist(card[0], card[3]), Dist(card[1], card[2])});
  scene.true_dpi = long_px / (DocumentWidthMm(scene.type) / 25.4);
  return scene;
}

absl::StatusOr<Scene> MakeScene(docgen::DocumentGenerator& generator, MrzFormat format,
                                docgen::Level level, uint64_t seed, const Defects& defects) {
  absl::StatusOr<docgen::GeneratedDocument> doc = generator.Generate(format, level, seed);
  if (!doc.ok()) return doc.status();
  return ApplyDefects(*doc, defects);
}

}  // namespace vouch::ocr::scenes
