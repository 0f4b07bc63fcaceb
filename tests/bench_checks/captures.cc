#include "captures.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_format.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::captures {
namespace {

constexpr double kPi = 3.14159265358979323846;

double U(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

Capture Encode(const cv::Mat& img, int quality, const std::string& how) {
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  Capture c;
  c.jpeg.assign(buf.begin(), buf.end());
  c.image = cv::imdecode(buf, cv::IMREAD_COLOR);
  c.how = absl::StrFormat("%s q%d", how, quality);
  return c;
}

void AddNoise(cv::Mat& img, double sigma, std::mt19937_64& rng) {
  cv::Mat noise(img.size(), CV_16SC3);
  cv::theRNG().state = rng();
  cv::randn(noise, 0, sigma);
  cv::Mat wide;
  img.convertTo(wide, CV_16SC3);
  wide += noise;
  wide.convertTo(img, CV_8UC3);
}

// Low-frequency texture in [1 - amount, 1 + amount] (paper, a table).
cv::Mat Texture(cv::Size size, double amount, double grain_px, std::mt19937_64& rng) {
  cv::Mat t(size, CV_32F);
  cv::theRNG().state = rng();
  cv::randn(t, 0, 1);
  cv::GaussianBlur(t, t, cv::Size(), grain_px);
  double lo, hi;
  cv::minMaxLoc(t, &lo, &hi);
  const double span = std::max(1e-6, std::max(-lo, hi));
  t = 1.0 + t * (amount / span);
  return t;
}

void Multiply(cv::Mat& img, const cv::Mat& gain) {
  cv::Mat f;
  img.convertTo(f, CV_32FC3);
  std::vector<cv::Mat> ch;
  cv::split(f, ch);
  for (cv::Mat& c : ch) c = c.mul(gain);
  cv::merge(ch, f);
  f.convertTo(img, CV_8UC3);
}

void Sharpen(cv::Mat& img, double amount) {
  cv::Mat blurred;
  cv::GaussianBlur(img, blurred, cv::Size(), 1.0);
  cv::addWeighted(img, 1 + amount, blurred, -amount, 0, img);
}

// Places `page` (pre-blurred against aliasing by `lens_px` photo pixels)
// into `frame` at the quadrilateral `dst` (tl, tr, br, bl).
void PlaceOn(const cv::Mat& page, cv::Mat& frame, const std::vector<cv::Point2f>& dst,
             double lens_px) {
  const double scale = std::hypot(dst[1].x - dst[0].x, dst[1].y - dst[0].y) / page.cols;
  cv::Mat src = page;
  const double sigma = lens_px / std::max(scale, 1e-3);
  if (sigma > 0.3) cv::GaussianBlur(page, src, cv::Size(), sigma);
  const std::vector<cv::Point2f> corners = {
      {0, 0},
      {static_cast<float>(page.cols), 0},
      {static_cast<float>(page.cols), static_cast<float>(page.rows)},
      {0, static_cast<float>(page.rows)}};
  const cv::Mat h = cv::getPerspectiveTransform(corners, dst);
  cv::warpPerspective(src, frame, h, frame.size(), cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
}

// A quadrilateral for a page of `aspect` (h/w) spanning `share` of a frame's
// width, rotated by `deg` and with each corner moved by up to `jitter` of
// the page width.
std::vector<cv::Point2f> Quad(cv::Size frame, double aspect, double share, double deg,
                              double jitter, std::mt19937_64& rng) {
  double w = frame.width * share;
  double h = w * aspect;
  if (h > frame.height * 0.85) {
    h = frame.height * 0.85;
    w = h / aspect;
  }
  const cv::Point2f c(frame.width / 2.0f, frame.height / 2.0f);
  const double a = deg * kPi / 180;
  std::vector<cv::Point2f> q;
  constexpr int kSigns[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
  for (const auto& sign : kSigns) {
    const int sx = sign[0], sy = sign[1];
    const double x = sx * w / 2 + U(rng, -jitter, jitter) * w;
    const double y = sy * h / 2 + U(rng, -jitter, jitter) * w;
    q.emplace_back(static_cast<float>(c.x + x * std::cos(a) - y * std::sin(a)),
                   static_cast<float>(c.y + x * std::sin(a) + y * std::cos(a)));
  }
  return q;
}

cv::Mat Table(cv::Size size, std::mt19937_64& rng) {
  const cv::Scalar colour(U(rng, 30, 200), U(rng, 30, 200), U(rng, 30, 200));
  cv::Mat t(size, CV_8UC3, colour);
  Multiply(t, Texture(size, 0.15, 6, rng));
  return t;
}

// A colour camera's sensor: one colour per photosite (Bayer RGGB), sensor
// noise, then demosaicing, as a phone does before it sharpens and encodes.
// Its chroma resolution is half the luma's, which is what a fine colour
// pattern (a screen's subpixels, a halftone's inks) goes through.
void BayerSensor(cv::Mat& img, double noise, std::mt19937_64& rng) {
  cv::Mat mosaic(img.size(), CV_8U);
  for (int y = 0; y < img.rows; ++y) {
    const cv::Vec3b* in = img.ptr<cv::Vec3b>(y);
    uint8_t* out = mosaic.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      // R at (even, even), B at (odd, odd), G elsewhere.
      const int c = (y % 2 == 0 && x % 2 == 0) ? 2 : (y % 2 == 1 && x % 2 == 1) ? 0 : 1;
      out[x] = in[x][c];
    }
  }
  cv::Mat n(mosaic.size(), CV_16S);
  cv::theRNG().state = rng();
  cv::randn(n, 0, noise);
  cv::Mat wide;
  mosaic.convertTo(wide, CV_16S);
  wide += n;
  wide.convertTo(mosaic, CV_8U);
  // OpenCV names Bayer patterns by the second row's first two sites.
  cv::cvtColor(mosaic, img, U(rng, 0, 1) < 0.5 ? cv::COLOR_BayerBG2BGR : cv::COLOR_BayerBG2BGR_EA);
}

}  // namespace

cv::Mat Print(const cv::Mat& page, std::mt19937_64& rng, std::string* how) {
  cv::Mat up;
  cv::resize(page, up, cv::Size(), 2, 2, cv::INTER_CUBIC);
  cv::Mat out(up.size(), CV_8UC3);
  const double paper = U(rng, 238, 252);
  if (U(rng, 0, 1) < 0.7) {
    // Clustered-dot halftone, one screen per ink (C 15°, M 75°, Y 0°, K 45°).
    const double period = U(rng, 3, 6);
    const double angles[4] = {15, 75, 0, 45};
    double ca[4], sa[4];
    for (int i = 0; i < 4; ++i) {
      ca[i] = std::cos(angles[i] * kPi / 180) * 2 * kPi / period;
      sa[i] = std::sin(angles[i] * kPi / 180) * 2 * kPi / period;
    }
    for (int y = 0; y < up.rows; ++y) {
      const cv::Vec3b* in = up.ptr<cv::Vec3b>(y);
      cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
      for (int x = 0; x < up.cols; ++x) {
        const double r = in[x][2] / 255.0, g = in[x][1] / 255.0, b = in[x][0] / 255.0;
        const double k = 1 - std::max({r, g, b});
        const double d = std::max(1e-6, 1 - k);
        const double ink[4] = {(1 - r - k) / d, (1 - g - k) / d, (1 - b - k) / d, k};
        bool on[4];
        for (int i = 0; i < 4; ++i) {
          const double u = x * ca[i] + y * sa[i], v = -x * sa[i] + y * ca[i];
          const double screen = 0.5 - 0.25 * (std::cos(u) + std::cos(v));
          on[i] = ink[i] > screen;
        }
        const double kk = on[3] ? 0.08 : 1.0;
        o[x][2] = cv::saturate_cast<uint8_t>(paper * (on[0] ? 0.25 : 1.0) * kk);
        o[x][1] = cv::saturate_cast<uint8_t>(paper * (on[1] ? 0.25 : 1.0) * kk);
        o[x][0] = cv::saturate_cast<uint8_t>(paper * (on[2] ? 0.25 : 1.0) * kk);
      }
    }
    if (how) *how = absl::StrFormat("halftone %.1f px", period / 2);
  } else {
    // Stochastic dither (inkjet, laser): per-channel random threshold.
    cv::Mat threshold(up.size(), CV_8UC3);
    cv::theRNG().state = rng();
    cv::randu(threshold, 0, 256);
    for (int y = 0; y < up.rows; ++y) {
      const cv::Vec3b* in = up.ptr<cv::Vec3b>(y);
      const cv::Vec3b* t = threshold.ptr<cv::Vec3b>(y);
      cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
      for (int x = 0; x < up.cols; ++x) {
        for (int c = 0; c < 3; ++c) {
          o[x][c] = cv::saturate_cast<uint8_t>(in[x][c] >= t[x][c] ? paper : paper * 0.2);
        }
      }
    }
    if (how) *how = "dither";
  }
  cv::GaussianBlur(out, out, cv::Size(), U(rng, 0.6, 1.0));  // Ink spread.
  Multiply(out, Texture(out.size(), U(rng, 0.01, 0.04), 2.0, rng));
  cv::resize(out, out, page.size(), 0, 0, cv::INTER_AREA);
  return out;
}

Capture Scan(const cv::Mat& page, std::mt19937_64& rng) {
  const double target = U(rng, 900, 2000);
  const double s = target / std::max(page.cols, page.rows);
  cv::Mat scaled;
  cv::resize(page, scaled, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  const int margin = static_cast<int>(scaled.cols * U(rng, 0.03, 0.08));
  cv::Mat lid(scaled.rows + 2 * margin, scaled.cols + 2 * margin, CV_8UC3,
              cv::Scalar::all(U(rng, 246, 255)));
  scaled.copyTo(lid(cv::Rect(margin, margin, scaled.cols, scaled.rows)));
  const double deg = U(rng, -1, 1);
  const cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(lid.cols / 2.0f, lid.rows / 2.0f), deg, 1);
  cv::warpAffine(lid, lid, r, lid.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::GaussianBlur(lid, lid, cv::Size(), U(rng, 0.3, 0.8));
  AddNoise(lid, U(rng, 0.5, 2), rng);
  const int q = static_cast<int>(U(rng, 70, 95));
  return Encode(lid, q, absl::StrFormat("scan %.0f px %.1f deg", target, deg));
}

Capture PhonePhoto(const cv::Mat& page, std::mt19937_64& rng) {
  const int w = static_cast<int>(U(rng, 1000, 2000));
  const cv::Size frame(w, w * 3 / 4);
  cv::Mat img = Table(frame, rng);
  const double share = U(rng, 0.6, 0.85), deg = U(rng, -8, 8);
  PlaceOn(page, img, Quad(frame, static_cast<double>(page.rows) / page.cols, share, deg, 0.03, rng),
          U(rng, 0.3, 0.6));
  // Light falloff and a colour cast.
  cv::Mat falloff(frame, CV_32F);
  const double strength = U(rng, 0, 0.25);
  for (int y = 0; y < frame.height; ++y) {
    for (int x = 0; x < frame.width; ++x) {
      const double dx = (x - frame.width / 2.0) / frame.width;
      const double dy = (y - frame.height / 2.0) / frame.width;
      falloff.at<float>(y, x) = static_cast<float>(1 - strength * 2 * (dx * dx + dy * dy));
    }
  }
  Multiply(img, falloff);
  const cv::Scalar cast(U(rng, 0.9, 1.1), U(rng, 0.95, 1.05), U(rng, 0.9, 1.1));
  cv::multiply(img, cast, img);
  cv::GaussianBlur(img, img, cv::Size(), U(rng, 0.3, 1.0));
  BayerSensor(img, U(rng, 1, 4), rng);
  const bool sharpened = U(rng, 0, 1) < 0.4;
  if (sharpened) Sharpen(img, U(rng, 0.5, 1.5));
  const int q = static_cast<int>(U(rng, 50, 95));
  return Encode(img, q,
                absl::StrFormat("photo %d px %.1f deg%s", w, deg, sharpened ? " sharpened" : ""));
}

Capture ScreenPhoto(const cv::Mat& page, std::mt19937_64& rng) {
  // The screen: each screen pixel is 3×3 panel cells, its subpixels over
  // two thirds of its height and a dark matrix row below. Layouts: RGB
  // stripes (most monitors and laptops), BGR stripes, or an RGBG
  // "PenTile"-like layout (OLED phones: a green subpixel in every pixel,
  // red and blue alternating in a checkerboard, a dark column).
  const int across = static_cast<int>(U(rng, 250, 1000));
  const int down = std::max(1, across * page.rows / page.cols);
  cv::Mat shown;
  cv::resize(page, shown, cv::Size(across, down), 0, 0, cv::INTER_AREA);
  const double matrix = U(rng, 0.2, 0.6);
  const int layout = static_cast<int>(rng() % 3);
  const char* layout_name = layout == 0 ? "RGB" : layout == 1 ? "BGR" : "RGBG";
  cv::Mat panel(3 * down, 3 * across, CV_8UC3, cv::Scalar::all(0));
  for (int y = 0; y < down; ++y) {
    const cv::Vec3b* in = shown.ptr<cv::Vec3b>(y);
    for (int j = 0; j < 3; ++j) {
      cv::Vec3b* out = panel.ptr<cv::Vec3b>(3 * y + j);
      const double row_gain = j == 2 ? matrix : 1.0;
      for (int x = 0; x < across; ++x) {
        auto put = [&](int column, int channel, double gain) {
          out[3 * x + column][channel] = cv::saturate_cast<uint8_t>(in[x][channel] * gain);
        };
        if (layout == 2) {
          const int rb = (x + y) % 2 == 0 ? 2 : 0;
          put(0, rb, row_gain * 1.4);  // Larger, brighter: it lights every other pixel.
          put(1, 1, row_gain);
        } else {
          put(0, layout == 0 ? 2 : 0, row_gain);
          put(1, 1, row_gain);
          put(2, layout == 0 ? 0 : 2, row_gain);
        }
      }
    }
  }
  const int w = static_cast<int>(U(rng, 1000, 2000));
  const cv::Size frame(w, w * 3 / 4);
  cv::Mat img(frame, CV_8UC3, cv::Scalar::all(U(rng, 10, 40)));  // Bezel, room.
  const double share = U(rng, 0.6, 0.9), deg = U(rng, -10, 10);
  const std::vector<cv::Point2f> quad =
      Quad(frame, static_cast<double>(page.rows) / page.cols, share, deg, 0.03, rng);
  // Lens blur: in focus (0.3 px) to slightly soft (1 px).
  const double lens = U(rng, 0.3, 1.0);
  PlaceOn(panel, img, quad, lens);
  // The camera exposes for the screen (the stripes fill a third of it).
  img.convertTo(img, -1, U(rng, 2.2, 3.0), 0);
  const cv::Scalar cast(U(rng, 0.9, 1.1), U(rng, 0.95, 1.05), U(rng, 0.9, 1.1));
  cv::multiply(img, cast, img);
  BayerSensor(img, U(rng, 1, 4), rng);
  if (U(rng, 0, 1) < 0.4) Sharpen(img, U(rng, 0.5, 1.5));
  const double pitch = std::hypot(quad[1].x - quad[0].x, quad[1].y - quad[0].y) / across;
  const int q = static_cast<int>(U(rng, 60, 95));
  Capture c = Encode(img, q,
                     absl::StrFormat("screen %s %d px across, %.2f px/pixel, %.1f deg, lens %.1f",
                                     layout_name, across, pitch, deg, lens));
  c.grid_contrast = std::exp(-2 * kPi * kPi * lens * lens / (pitch * pitch));
  return c;
}

Capture ScreenPhotoOther(const cv::Mat& page, std::mt19937_64& rng) {
  // Turned 90° on a phone held upright: the screen's subpixel rows run
  // along the page's short side.
  const bool turned = U(rng, 0, 1) < 0.5;
  cv::Mat upright = page;
  if (turned) cv::rotate(page, upright, cv::ROTATE_90_CLOCKWISE);
  const int across = static_cast<int>(U(rng, 300, 1400));
  const int down = std::max(1, across * upright.rows / upright.cols);
  cv::Mat shown;
  cv::resize(upright, shown, cv::Size(across, down), 0, 0, cv::INTER_AREA);
  // Four panel columns per pixel: R, G, B and a dark gap (or B, G, R), and
  // four rows, the last a dimmer matrix row.
  const bool bgr_order = U(rng, 0, 1) < 0.5;
  const double matrix = U(rng, 0.1, 0.5);
  cv::Mat panel(4 * down, 4 * across, CV_8UC3, cv::Scalar::all(0));
  for (int y = 0; y < down; ++y) {
    const cv::Vec3b* in = shown.ptr<cv::Vec3b>(y);
    for (int j = 0; j < 4; ++j) {
      cv::Vec3b* out = panel.ptr<cv::Vec3b>(4 * y + j);
      const double gain = j == 3 ? matrix : 1.0;
      for (int x = 0; x < across; ++x) {
        for (int k = 0; k < 3; ++k) {
          const int channel = bgr_order ? k : 2 - k;
          out[4 * x + k][channel] = cv::saturate_cast<uint8_t>(in[x][channel] * gain);
        }
      }
    }
  }
  // Back to the page's orientation as it lies on the phone, then into the
  // frame: the phone in portrait shows the page turned.
  const int w = static_cast<int>(U(rng, 1200, 2000));
  const cv::Size frame(w, w * 3 / 4);
  cv::Mat img(frame, CV_8UC3, cv::Scalar::all(U(rng, 5, 60)));
  const double share = U(rng, 0.55, 0.9), deg = U(rng, -6, 6);
  const std::vector<cv::Point2f> quad =
      Quad(frame, static_cast<double>(panel.rows) / panel.cols, share, deg, 0.02, rng);
  PlaceOn(panel, img, quad, 0.25);
  // Defocus: a uniform disc.
  const double radius = U(rng, 0.5, 1.6);
  const int k = 2 * static_cast<int>(std::ceil(radius)) + 1;
  cv::Mat disc(k, k, CV_32F, cv::Scalar(0));
  cv::circle(disc, cv::Point(k / 2, k / 2), static_cast<int>(std::lround(radius)), cv::Scalar(1),
             cv::FILLED);
  disc /= cv::sum(disc)[0];
  cv::filter2D(img, img, -1, disc);
  img.convertTo(img, -1, U(rng, 2.0, 3.2), U(rng, 0, 12));
  // A glossy reflection: a soft bright band across part of the glass.
  cv::Mat sheen(frame, CV_32F, cv::Scalar(0));
  const double x0 = U(rng, 0, frame.width), slope = U(rng, -0.5, 0.5), strength = U(rng, 0, 30);
  for (int y = 0; y < frame.height; ++y) {
    float* row = sheen.ptr<float>(y);
    for (int x = 0; x < frame.width; ++x) {
      const double d = (x - x0 - slope * y) / (0.15 * frame.width);
      row[x] = static_cast<float>(strength * std::exp(-d * d));
    }
  }
  cv::Mat sheen3;
  cv::merge(std::vector<cv::Mat>{sheen, sheen, sheen}, sheen3);
  cv::Mat f;
  img.convertTo(f, CV_32FC3);
  f += sheen3;
  f.convertTo(img, CV_8UC3);
  // Sensor with VNG demosaicing.
  cv::Mat mosaic(img.size(), CV_8U);
  for (int y = 0; y < img.rows; ++y) {
    const cv::Vec3b* in = img.ptr<cv::Vec3b>(y);
    uint8_t* out = mosaic.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      const int c = (y % 2 == 0 && x % 2 == 0) ? 2 : (y % 2 == 1 && x % 2 == 1) ? 0 : 1;
      out[x] = in[x][c];
    }
  }
  cv::Mat n(mosaic.size(), CV_16S);
  cv::theRNG().state = rng();
  cv::randn(n, 0, U(rng, 1, 3));
  cv::Mat wide;
  mosaic.convertTo(wide, CV_16S);
  wide += n;
  wide.convertTo(mosaic, CV_8U);
  cv::cvtColor(mosaic, img, cv::COLOR_BayerBG2BGR_VNG);
  const double pitch = std::hypot(quad[1].x - quad[0].x, quad[1].y - quad[0].y) / across;
  const int q = static_cast<int>(U(rng, 70, 95));
  Capture c = Encode(img, q,
                     absl::StrFormat("other screen %s%s %d px across, %.2f px/pixel, %.1f deg, "
                                     "disc %.1f",
                                     bgr_order ? "BGR" : "RGB", turned ? " turned" : "", across,
                                     pitch, deg, radius));
  // A disc of radius r has the Gaussian's second moment at sigma = r / 2.
  c.grid_contrast = std::exp(-2 * kPi * kPi * (radius / 2) * (radius / 2) / (pitch * pitch));
  return c;
}

Capture GreyCopy(const cv::Mat& page, std::mt19937_64& rng) {
  cv::Mat grey;
  cv::cvtColor(page, grey, cv::COLOR_BGR2GRAY);
  grey.convertTo(grey, -1, U(rng, 1.0, 1.3), U(rng, -30, 0));
  cv::cvtColor(grey, grey, cv::COLOR_GRAY2BGR);
  Capture c = U(rng, 0, 1) < 0.5 ? Scan(grey, rng) : PhonePhoto(grey, rng);
  c.how = "grey copy, " + c.how;
  return c;
}

}  // namespace vouch::ocr::captures
