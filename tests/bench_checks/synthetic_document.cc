#include "synthetic_document.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "opencv2/imgproc.hpp"

namespace vouch::ocr::synthetic {
namespace {

// ID-1: 85.60 × 53.98 mm (ISO/IEC 7810).
constexpr double kAspect = 53.98 / 85.60;

std::string RandomLine(std::mt19937& rng, int n, bool mrz) {
  static constexpr char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (mrz && rng() % 4 == 0) {
      s += '<';
    } else if (!mrz && rng() % 7 == 0) {
      s += ' ';
    } else {
      s += kAlpha[rng() % 36];
    }
  }
  return s;
}

}  // namespace

cv::Mat RenderCard(uint32_t seed, int width_px, bool back_side, bool colour, bool white_paper) {
  std::mt19937 rng(seed);
  const int w = width_px;
  const int h = static_cast<int>(std::lround(width_px * kAspect));
  const double u = w / 1000.0;  // Drawing unit.
  // Pastel background with a guilloche of fine coloured curves.
  cv::Scalar tint(200 + rng() % 30, 215 + rng() % 25, 225 + rng() % 20);
  if (white_paper) tint = cv::Scalar(253, 253, 253);
  cv::Mat card(h, w, CV_8UC3, tint);
  for (int k = 0; k < 14; ++k) {
    const cv::Scalar c(150 + rng() % 80, 120 + rng() % 90, 160 + rng() % 60);
    const double f = 2 + (rng() % 40) / 10.0, ph = (rng() % 628) / 100.0;
    std::vector<cv::Point> pts;
    for (int x = 0; x < w; x += 3) {
      pts.emplace_back(
          x, static_cast<int>(h * (0.1 + 0.06 * k) + h * 0.05 * std::sin(f * x / w * 6.28 + ph)));
    }
    cv::polylines(card, pts, false, c, std::max(1, static_cast<int>(u)), cv::LINE_AA);
  }
  // Header band.
  cv::rectangle(card, cv::Rect(0, 0, w, static_cast<int>(0.14 * h)), cv::Scalar(140, 90, 40),
                cv::FILLED);
  cv::putText(card, back_side ? "IDENTITY CARD" : "DRIVER LICENSE",
              cv::Point(static_cast<int>(0.04 * w), static_cast<int>(0.1 * h)),
              cv::FONT_HERSHEY_DUPLEX, 1.4 * u, cv::Scalar(255, 255, 255),
              std::max(1, static_cast<int>(2 * u)), cv::LINE_AA);
  const int thick = std::max(1, static_cast<int>(2 * u));
  if (!back_side) {
    // Portrait: a face-like drawing (skin ellipse, hair, eyes, mouth).
    const cv::Rect p(static_cast<int>(0.04 * w), static_cast<int>(0.24 * h),
                     static_cast<int>(0.27 * w), static_cast<int>(0.62 * h));
    cv::rectangle(card, p, cv::Scalar(225, 215, 205), cv::FILLED);
    const cv::Point c(p.x + p.width / 2, p.y + p.height / 2);
    cv::ellipse(card, c + cv::Point(0, p.height / 3), cv::Size(p.width / 2, p.height / 4), 0, 180,
                360, cv::Scalar(90, 60, 50), cv::FILLED, cv::LINE_AA);
    cv::ellipse(card, c, cv::Size(p.width / 4, p.height / 3), 0, 0, 360, cv::Scalar(120, 160, 210),
                cv::FILLED, cv::LINE_AA);
    cv::ellipse(card, c - cv::Point(0, p.height / 5), cv::Size(p.width / 4 + 4, p.height / 6), 0,
                180, 360, cv::Scalar(40, 40, 60), cv::FILLED, cv::LINE_AA);
    for (int s : {-1, 1}) {
      cv::circle(card, c + cv::Point(s * p.width / 9, -p.height / 20), std::max(2, p.width / 30),
                 cv::Scalar(50, 40, 30), cv::FILLED, cv::LINE_AA);
    }
    cv::ellipse(card, c + cv::Point(0, p.height / 7), cv::Size(p.width / 10, p.height / 40), 0, 0,
                360, cv::Scalar(70, 70, 170), cv::FILLED, cv::LINE_AA);
    // A red seal over the data zone's corner.
    cv::circle(card, cv::Point(static_cast<int>(0.88 * w), static_cast<int>(0.78 * h)),
               static_cast<int>(0.07 * w), cv::Scalar(60, 60, 200), thick, cv::LINE_AA);
    // Data fields.
    for (int i = 0; i < 7; ++i) {
      const int y = static_cast<int>((0.27 + 0.095 * i) * h);
      cv::putText(card, RandomLine(rng, 4, false), cv::Point(static_cast<int>(0.37 * w), y),
                  cv::FONT_HERSHEY_SIMPLEX, 0.5 * u, cv::Scalar(90, 60, 40),
                  std::max(1, static_cast<int>(u)), cv::LINE_AA);
      cv::putText(card, RandomLine(rng, 10 + rng() % 8, false),
                  cv::Point(static_cast<int>(0.47 * w), y), cv::FONT_HERSHEY_SIMPLEX, 0.9 * u,
                  cv::Scalar(20, 20, 20), thick, cv::LINE_AA);
    }
  } else {
    for (int i = 0; i < 4; ++i) {
      cv::putText(card, RandomLine(rng, 24, false),
                  cv::Point(static_cast<int>(0.05 * w), static_cast<int>((0.25 + 0.09 * i) * h)),
                  cv::FONT_HERSHEY_SIMPLEX, 0.8 * u, cv::Scalar(20, 20, 20), thick, cv::LINE_AA);
    }
    // MRZ: white band, three monospaced lines of 30 characters.
    cv::rectangle(card, cv::Rect(0, static_cast<int>(0.64 * h), w, h), cv::Scalar(245, 245, 245),
                  cv::FILLED);
    for (int i = 0; i < 3; ++i) {
      const std::string line = RandomLine(rng, 30, true);
      for (int j = 0; j < 30; ++j) {
        cv::putText(card, std::string(1, line[j]),
                    cv::Point(static_cast<int>((0.04 + 0.031 * j) * w),
                              static_cast<int>((0.73 + 0.1 * i) * h)),
                    cv::FONT_HERSHEY_SIMPLEX, 1.1 * u, cv::Scalar(10, 10, 10), thick, cv::LINE_AA);
      }
    }
  }
  cv::rectangle(card, cv::Rect(0, 0, w, h), cv::Scalar(120, 120, 120), 1);
  if (!colour) {
    cv::Mat grey;
    cv::cvtColor(card, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(grey, card, cv::COLOR_GRAY2BGR);
  }
  return card;
}

cv::Mat RenderScene(const SceneOptions& o) {
  std::mt19937 rng(o.seed * 7919u + 17u);
  cv::Mat card = RenderCard(o.seed, o.card_width_px, o.back_side, !o.grey_copy, o.white_paper);
  const int cw = card.cols, ch = card.rows;

  // Dark wooden table with a soft gradient.
  cv::Mat scene(o.frame_height, o.frame_width, CV_8UC3);
  for (int y = 0; y < scene.rows; ++y) {
    for (int x = 0; x < scene.cols; ++x) {
      const double v =
          55 + 20 * std::sin(x * 0.01 + 0.5 * std::sin(y * 0.02)) + 10.0 * y / scene.rows;
      scene.at<cv::Vec3b>(y, x) =
          cv::Vec3b(cv::saturate_cast<uint8_t>(v * 0.6), cv::saturate_cast<uint8_t>(v * 0.8),
                    cv::saturate_cast<uint8_t>(v));
    }
  }
  // Where the card goes: centred, rotated, with corner jitter.
  const cv::Point2f centre(o.frame_width / 2.f, o.frame_height / 2.f);
  const double a = o.rotation_deg * M_PI / 180;
  std::uniform_real_distribution<double> jitter(-o.perspective * cw, o.perspective * cw);
  const cv::Point2f src[4] = {{0, 0}, {cw - 1.f, 0}, {cw - 1.f, ch - 1.f}, {0, ch - 1.f}};
  cv::Point2f dst[4];
  for (int i = 0; i < 4; ++i) {
    const double x = src[i].x - cw / 2.0, y = src[i].y - ch / 2.0;
    dst[i] =
        cv::Point2f(static_cast<float>(centre.x + x * std::cos(a) - y * std::sin(a) + jitter(rng)),
                    static_cast<float>(centre.y + x * std::sin(a) + y * std::cos(a) + jitter(rng)));
  }
  if (o.cut_corner >= 0 && o.cut_corner < 4) {
    // Shift the card so the chosen corner lies 12% of the card width
    // outside the frame.
    const cv::Point2f corner = dst[o.cut_corner];
    const float margin = static_cast<float>(0.12 * cw);
    float dx = 0, dy = 0;
    if (o.cut_corner == 0 || o.cut_corner == 3)
      dx = -(corner.x + margin);
    else
      dx = (o.frame_width - 1 - corner.x) + margin;
    if (o.cut_corner == 0 || o.cut_corner == 1)
      dy = -(corner.y + margin);
    else
      dy = (o.frame_height - 1 - corner.y) + margin;
    for (auto& p : dst) p += cv::Point2f(dx, dy);
  }
  const cv::Mat h = cv::getPerspectiveTransform(src, dst);
  cv::Mat warped, mask;
  cv::warpPerspective(card, warped, h, scene.size(), cv::INTER_LINEAR);
  cv::warpPerspective(cv::Mat(card.size(), CV_8U, cv::Scalar(255)), mask, h, scene.size(),
                      cv::INTER_LINEAR);
  warped.copyTo(scene, mask);

  if (o.glare != GlareZone::kNone) {
    // A saturated specular spot with a soft halo, centred on a zone of the
    // card (in card coordinates) or on the table beside it.
    cv::Point2f at;
    switch (o.glare) {
      case GlareZone::kPortrait:
        at = {0.17f * cw, 0.55f * ch};
        break;
      case GlareZone::kData:
        at = {0.62f * cw, 0.5f * ch};
        break;
      case GlareZone::kMrz:
        at = {0.5f * cw, 0.83f * ch};
        break;
      default:
        at = {0.75f * cw, 0.06f * ch};
        break;  // Header band.
    }
    std::vector<cv::Point2f> in{at}, out;
    cv::perspectiveTransform(in, out, h);
    // A smaller spot on the card's background (header band), which must
    // not touch the zones that matter.
    const float r = (o.glare == GlareZone::kBackground ? 0.045f : 0.11f) * cw;
    cv::Mat spot(scene.size(), CV_32F, cv::Scalar(0));
    cv::circle(spot, out[0], static_cast<int>(r), cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
    cv::GaussianBlur(spot, spot, cv::Size(), r / 4);
    for (int y = 0; y < scene.rows; ++y) {
      for (int x = 0; x < scene.cols; ++x) {
        const float s = std::min(1.f, spot.at<float>(y, x) * 1.8f);
        if (s <= 0) continue;
        cv::Vec3b& px = scene.at<cv::Vec3b>(y, x);
        for (int c = 0; c < 3; ++c) {
          px[c] = cv::saturate_cast<uint8_t>(px[c] * (1 - s) + 255 * s);
        }
      }
    }
  }
  if (o.moire) {
    // Screen recapture: the display's subpixel grid (period 3 px) beating
    // with the sensor, plus a slow moiré.
    for (int y = 0; y < scene.rows; ++y) {
      for (int x = 0; x < scene.cols; ++x) {
        const double grid = (x % 3 == 0 ? -28.0 : 6.0) + (y % 3 == 0 ? -18.0 : 0);
        const double beat = 10 * std::sin(0.9 * x + 0.35 * y);
        cv::Vec3b& px = scene.at<cv::Vec3b>(y, x);
        for (int c = 0; c < 3; ++c) {
          px[c] = cv::saturate_cast<uint8_t>(px[c] + grid + beat);
        }
      }
    }
  }
  if (o.brightness != 1.0) scene.convertTo(scene, -1, o.brightness, 0);
  if (o.washout > 0) {
    cv::Mat white(scene.size(), scene.type(), cv::Scalar(255, 255, 255));
    cv::addWeighted(scene, 1 - o.washout, white, o.washout, 0, scene);
  }
  if (o.blur_sigma > 0) cv::GaussianBlur(scene, scene, cv::Size(), o.blur_sigma);
  if (o.noise_sigma > 0) {
    cv::Mat noise(scene.size(), CV_16SC3);
    // Its own generator, seeded as OpenCV seeds a thread's theRNG(): the
    // same scene whatever was drawn before it (cv::randn draws from the
    // thread's shared generator, which made a test's scene depend on the
    // tests run before it in the same process).
    cv::RNG rng(0xffffffff);
    rng.fill(noise, cv::RNG::NORMAL, 0, o.noise_sigma);
    cv::Mat s16;
    scene.convertTo(s16, CV_16SC3);
    s16 += noise;
    s16.convertTo(scene, CV_8UC3);
  }
  return scene;
}

}  // namespace vouch::ocr::synthetic
